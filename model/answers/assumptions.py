"""Layer 3, the assumptions no data pins down: a Morris design over their ranges (SALib, as `ptsim sweep --morris`),
every key effect's arms at every point on one seed, the effect per point and its Morris indices (mu*, sigma)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..experiment import run_design, sampled_design
from ..experiment.design import Design
from ..experiment.runner import ScenarioModel
from ..experiment.sensitivity import COLUMNS, analyse
from .effects import pair_values
from .questions import effect_arms, key_effects, scenarios
from .uncertainties import ranges


def sample(size, base) -> Design:
    """The Morris sample over the assumptions' ranges, drawn as `ptsim sweep --morris --samples r --reps 1` draws
    it (the sample and the replication seed from the base scenario's `run.seed`)."""
    params = {f: (r["low"], r["high"]) for f, r in ranges().items()}
    return sampled_design("morris", params, size.trajectories, 1, base.run.seed, base, max_runs=None)


def arm_design(points: Design, arms: list[str]) -> Design:
    """The sample's points once per arm, arm by arm (the first arm's points simulate each point's burn-in, in
    parallel; the other arms load it from the warm-state cache)."""
    rows = []
    for k, arm in enumerate(arms):
        block = points.points.copy()
        block["point"] += k * len(block)
        block["scenario"] = arm
        rows.append(block)
    spec = {**points.spec, "arms": list(arms)}
    return Design("morris", pd.concat(rows, ignore_index=True), points.seeds, spec)


def run(size, workers: int = 1, work: Path | None = None, progress=None) -> dict:
    """Run the design: the sample (`design`), points' parameters (`x`), each key effect per point (`effects`), their
    Morris indices (`indices`: effect, parameter, mu, mu_star, mu_star_conf, sigma) and the `runs`."""
    arms = effect_arms()
    named = scenarios(arms, size)
    points = sample(size, named["baseline"])
    design = arm_design(points, arms)
    say = progress or (lambda done, total, label: None)
    exp = run_design(design, ScenarioModel(named), scenarios=named, workers=workers, resume=True,
                     out=None if work is None else Path(work) / "assumptions", command="answers",
                     progress=lambda d, t: say(d, t, "assumptions"))
    runs = exp.runs.assign(row=exp.runs["point"] % len(points.points))
    effects = pd.DataFrame({e.key: pair_values(runs, e, by="row") for e in key_effects()})
    effects = effects.reindex(range(len(points.points)))
    return {"design": points, "x": points.points[points.parameters], "effects": effects,
            "indices": indices(points, effects), "runs": exp.runs}


def indices(points: Design, effects: pd.DataFrame) -> pd.DataFrame:
    """Morris indices of each effect over the design (NaN for an effect missing at some point)."""
    rows, cols = [], COLUMNS["morris"]
    names = points.parameters
    for key in effects.columns:
        y = effects[key].to_numpy(float)
        if np.isfinite(y).all() and np.ptp(y) > 0:
            si = analyse(points, y)
        else:
            si = {c: np.full(len(names), np.nan) for c in cols}
        for k, p in enumerate(names):
            rows.append({"effect": key, "parameter": p, **{c: float(np.asarray(si[c])[k]) for c in cols}})
    return pd.DataFrame(rows)
