"""Layer 2, the posterior: every arm again with calibrated parameter vectors drawn from a calibration folder's
posterior.parquet (`ptsim compare --posterior DIR --draws K`), the same vector for every arm of a replication."""

from __future__ import annotations

from pathlib import Path

from ..experiment import compare
from ..experiment.posterior import Posterior, draw_of
from .questions import SIZES, arms, scenarios


def load(path) -> Posterior | None:
    """The posterior at `path` (a calibration folder or its posterior.parquet), checked against every arm
    before anything runs; None without one. Bad files raise ScenarioError with one line."""
    if path is None:
        return None
    posterior = Posterior.load(path)
    for scenario in scenarios(arms(), SIZES["quick"]).values():
        posterior.check(scenario)
    return posterior


def run(size, posterior, workers: int = 1, work: Path | None = None, progress=None) -> dict | None:
    """The runs (`size.draws` vectors x `size.per_draw` replications of every arm) and the record of the
    vectors drawn (`record`: which vector each replication ran); None when no posterior is given."""
    if posterior is None:
        return None
    say = progress or (lambda done, total, label: None)
    c = compare(scenarios(arms(), size), reps=size.draws * size.per_draw, posterior=posterior, draws=size.draws,
                out=None if work is None else Path(work) / "posterior", resume=True, workers=workers,
                progress=lambda d, t: say(d, t, "posterior"))
    return {"runs": c.runs, "record": c.posterior, "source": str(posterior.source)}


def groups(runs, record) -> dict:
    """Replication -> the slot of the posterior vector it ran (for the interval over vectors)."""
    reps = sorted(set(runs["replication"]))
    return dict(zip(reps, draw_of(reps, record)))
