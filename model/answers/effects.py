"""A paired effect from a runs table: its value per replication (arm minus reference on the same seed), its
interval (over replications, or over posterior vectors), and the unit it is shown in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..experiment.posterior import variance_shares
from ..outcomes import OUTCOME_NAMES, outcome
from ..stats import summarise
from .questions import Effect


def pair_values(runs: pd.DataFrame, effect: Effect, by: str = "replication") -> pd.Series:
    """Per `by` (replication, or design point row) shared by both arms: arm minus reference, or arm over
    reference minus 1 in % for a relative effect; NaN where a value is missing or a ratio undefined."""
    ok = runs[runs["status"] == "ok"]
    arm = ok[ok["scenario"] == effect.arm].set_index(by)[effect.outcome].astype(float)
    ref = ok[ok["scenario"] == effect.reference].set_index(by)[effect.outcome].astype(float)
    both = arm.index.intersection(ref.index)
    a, r = arm.loc[both], ref.loc[both]
    if effect.relative:
        with np.errstate(all="ignore"):
            return (100.0 * (a / r.where(r > 0) - 1.0)).sort_index()
    return (a - r).sort_index()


def interval(values, groups=None) -> dict:
    """Mean, 95% interval, pairs and paired standard deviation; with `groups` (each replication's posterior vector)
    the interval over the vectors' means and the parameters' share of the variance (posterior.variance_shares)."""
    v = np.asarray(values, float)
    keep = np.isfinite(v)
    v = v[keep]
    out = {"n": int(v.size), "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan, "share_parameter": np.nan}
    if v.size == 0:
        return {**out, "mean": np.nan, "low": np.nan, "high": np.nan}
    if groups is None:
        mean, low, high = summarise(v)
        return {**out, "mean": mean, "low": low, "high": high}
    mean, half, share = variance_shares(v, np.asarray(groups)[keep])
    half = half if np.isfinite(half) else 0.0
    return {**out, "mean": mean, "low": mean - half, "high": mean + half, "share_parameter": share}


def display(name: str, relative: bool = False) -> tuple[float, str]:
    """Factor and unit a difference in `name` is shown in: % for a relative effect, bn yuan, pp for shares,
    points (of 100) for 0..1 indices (Gini, HHI, deal-proneness), millions for counts."""
    if relative:
        return 1.0, "%"
    if name not in OUTCOME_NAMES:
        return 1.0, ""
    unit = outcome(name).unit
    return {"yuan": (1e-9, "bn yuan"), "share": (100.0, "pp"), "0..1": (100.0, "points"),
            "consumers": (1e-6, "million"), "orders": (1e-6, "million"), "needs": (1e-6, "million")}.get(
        unit, (1.0, unit))


def label(name: str, relative: bool = False) -> str:
    """A readable name of an effect's outcome."""
    if name.startswith("units."):
        _, arm, kind, role, what = name.split(".")
        return f"{role} {kind}' {what.replace('_', ' ')} ({arm})"
    return outcome(name).label if name in OUTCOME_NAMES else name


def text(mean: float, low: float | None = None, high: float | None = None, factor: float = 1.0) -> str:
    """'+m [lo, hi]' in display units, rounded to the interval's precision (plots.interval_text)."""
    from ..stats import interval_text
    if low is None or high is None or not np.isfinite(low) or low == high:
        return interval_text(mean * factor, np.nan, np.nan, n=1, sign=True)
    return interval_text(mean * factor, low * factor, high * factor, sign=True)
