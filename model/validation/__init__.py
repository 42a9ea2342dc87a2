"""Validation: every check of the model against something outside it, in one generated report.

    from ptsim.validation import validate
    checks = validate("full", out_md="docs/validation.md", workers=2)    # what `ptsim validate` does
    [c for c in checks if c.passed is False]                              # the targets not met yet

Checks, by name (`--only NAME`; `docking` runs the first three): `bgnbd`, `bass`, `polya` (docking),
`facts`, `elasticity`, `steady_state`, `scale`, `crn`, `roundtrip` (the order log through fit-consumers),
`joining` (a joiner's own order value before and after joining, from the order log), `decomposition`
(where each library policy's GMV effect comes from), `interventions` (seed 004's brand cases, held out),
`coverage` (the posterior's simulation-based calibration, read from the baseline's calibration folder).
Each returns `Check` rows; `report` writes them with their figures and tables. `quick` size only exercises
the machinery (tests); `full` is meaningful.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from .core import FULL, QUICK, SIZES, Check, Context, Size
from .coverage import coverage
from .crn import crn
from .decomposition import decomposition
from .docking import bass, bgnbd, polya
from .elasticity import elasticity
from .facts import facts
from .interventions import interventions
from .joining import joining
from .report import TITLES, write_report
from .roundtrip import roundtrip
from .scale import scale
from .steady_state import steady_state

CHECKS: dict[str, tuple[str, Callable[[Context], list[Check]]]] = {
    "bgnbd": ("docking", bgnbd), "bass": ("docking", bass), "polya": ("docking", polya),
    "facts": ("facts", facts), "elasticity": ("elasticity", elasticity),
    "steady_state": ("steady_state", steady_state), "scale": ("scale", scale), "crn": ("crn", crn),
    "roundtrip": ("roundtrip", roundtrip), "joining": ("joining", joining),
    "decomposition": ("decomposition", decomposition),
    "interventions": ("interventions", interventions),
    "coverage": ("coverage", coverage),
}
GROUPS = {"docking": ["bgnbd", "bass", "polya"]}


def check_names(only=None) -> list[str]:
    """The checks to run, in report order: all, or those named in `only` (names or `docking`).
    Raises ValueError naming an unknown one and the known ones."""
    if not only:
        return list(CHECKS)
    wanted = set()
    for name in only:
        for part in (p.strip() for p in str(name).split(",") if p.strip()):
            if part not in CHECKS and part not in GROUPS:
                raise ValueError(f"--only {part}: unknown check; choose from {', '.join([*CHECKS, *GROUPS])}")
            wanted.update(GROUPS.get(part, [part]))
    return [n for n in CHECKS if n in wanted]


def validate(size: str = "full", out_md: str | Path | None = "docs/validation.md", fig_dir: str | Path | None = None,
             workers: int = 1, progress: Callable[[float, int, str], None] | None = None, only=None,
             backend: str = "dask") -> list[Check]:
    """Run the checks and write the report to `out_md` (None: no files) with figures in `fig_dir`
    (default: beside it, `docs/validation/` for `docs/validation.md`).

    `progress(done, total, label)` is called as checks advance (`done` counts checks, fractional).
    """
    from ..experiment import executor_for
    if size not in SIZES:
        raise ValueError(f"size {size!r}: expected one of {', '.join(SIZES)}")
    names = check_names(only)
    t0 = time.perf_counter()
    checks: list[Check] = []
    with executor_for(workers, backend) as (executor, _):
        ctx = Context(SIZES[size], executor)
        for i, name in enumerate(names):
            if progress:
                ctx.progress = lambda share, i=i, name=name: progress(i + min(max(share, 0.0), 1.0), len(names),
                                                                      name)
                progress(i, len(names), name)
            checks += CHECKS[name][1](ctx)
        if progress:
            progress(len(names), len(names), "report")
    if out_md is not None:
        out_md = Path(out_md)
        write_report(checks, ctx.figures, out_md, Path(fig_dir) if fig_dir else out_md.with_suffix(""),
                     SIZES[size], time.perf_counter() - t0, workers, names if only else None, ctx.tables)
    return checks


__all__ = ["validate", "check_names", "Check", "Context", "Size", "SIZES", "FULL", "QUICK", "CHECKS", "TITLES"]
