"""The answers report: each of the four questions of the model's purpose answered from paired comparisons of
the library scenarios, each effect with three layers of uncertainty side by side (replications, the posterior,
the assumptions no data pins down) and the assumptions that could flip its sign.

    from ptsim.answers import answers
    result = answers("medium", out_md="docs/answers.md", workers=2)     # what `ptsim answers --size medium` does

`quick` only exercises the machinery (tests); `medium` is the committed report; `full` is the answer.
"""

from __future__ import annotations

from pathlib import Path

from ..scenario import ScenarioError
from . import assumptions, posterior_layer, replications, tables, timing
from .discovery import require_ema
from .questions import QUESTIONS, SIZES, Size


def answers(size: str = "full", out_md: str | Path | None = "docs/answers.md", posterior=None, workers: int = 1,
            work: str | Path | None = None, progress=None) -> dict:
    """Run the three layers at `size` (layer 2 with `posterior`, a calibration folder; runs kept in `work`) and write
    the report to `out_md` with figures beside it; bad input raises ScenarioError (one line)."""
    if size not in SIZES:
        raise ScenarioError(f"--size {size}: expected one of {', '.join(SIZES)}")
    require_ema()
    post = posterior_layer.load(posterior)          # a bad posterior is said before anything runs
    s = SIZES[size]
    clock = timing.Clock(work)
    one = replications.run(s, workers, work, progress)
    clock.lap()
    two = posterior_layer.run(s, post, workers, work, progress)
    clock.lap()
    three = assumptions.run(s, workers, work, progress)
    result = {"size": s, "workers": workers, "posterior": None if post is None else post.source,
              "layer1": one, "layer2": two, "layer3": three,
              "comparisons": tables.comparisons(one, two), "key": tables.key_table(one, two, three),
              "q2": tables.q2_table(one), **clock.lap()}
    if out_md is not None:
        from .report import write_report
        write_report(result, Path(out_md))
    return result


__all__ = ["answers", "QUESTIONS", "SIZES", "Size"]
