"""Coverage of the posterior: the simulation-based calibration of `ptsim calibrate --method abc --coverage N`
on the simulator, read from the baseline's calibration folder (docs/calibration/baseline/).

The check itself ran there (held-out design runs of the simulator as truths, synthetic data from them
through the measurement model, the whole inference on each; `calibration/coverage.py`): it costs an hour
of the design's simulator runs, so this report reads its result and names the command that reproduces it.
"""

from __future__ import annotations

import json
from pathlib import Path

from .core import Check, Context

SECTION = "coverage"
FOLDER = Path(__file__).resolve().parents[2] / "docs" / "calibration" / "baseline"    # in a checkout


def coverage(ctx: Context, folder: Path = FOLDER) -> list[Check]:
    """One row per level from the folder's coverage check; the row's command reads it again, the definition
    names the calibration command that ran it."""
    manifest = folder / "calibration.json"
    command = ctx.command(SECTION) if ctx is not None else f"ptsim validate --only {SECTION}"
    source = (json.loads(manifest.read_text()).get("command") if manifest.is_file() else None) or \
        "ptsim calibrate baseline --method abc --coverage N"
    if not manifest.is_file():
        return [Check(SECTION, "posterior coverage", "50% and 90% intervals cover at their rates", "no calibration "
                      f"folder at {folder}", "", None, command)]
    m = json.loads(manifest.read_text())
    cov = m.get("coverage")
    if not cov:
        return [Check(SECTION, "posterior coverage", "50% and 90% intervals cover at their rates",
                      "the calibration ran without --coverage", "", None, command)]
    rows = {r["parameter"]: r for r in cov["table"]}
    n = int(cov["truths"])
    out = []
    for level in (50, 90):
        p = level / 100
        tol = 2.58 * (p * (1 - p) / n) ** 0.5
        got = rows["all"][f"covered_{level}"]
        per = ", ".join(f"{k} {r[f'covered_{level}']:.0%}" for k, r in rows.items() if k != "all")
        out.append(Check(SECTION, f"posterior {level}% intervals", f"cover {level}% of truths, within "
                         f"{level - 100 * tol:.0f}% to {min(100, level + 100 * tol):.0f}% ({n} truths)",
                         f"{got:.1%}", f"central {level}% posterior intervals of each of {len(rows) - 1} parameters "
                         f"around held-out simulator runs' true values, pooled (per parameter: {per}); run by "
                         f"`{source}`",
                         abs(got - p) <= tol, command, {"covered": got, "truths": n, "tolerance": tol}))
    return out
