"""Common random numbers: how much narrower the paired interval of a policy difference is than the
unpaired (Welch) interval the same runs would give, for the weight-bonus comparison of question 2
(docs/experiments.md measured it the same way)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..experiment.compare import paired_differences
from ..outcomes import HEADLINE
from ..scenario import load_scenario
from .core import BASELINE, Check, Context

SECTION = "crn"
OUTCOMES = tuple(dict.fromkeys(HEADLINE + ("orders", "gmv_offplatform")))
# measured before on the same comparison (docs/experiments.md: 8 replications, 120 days, 20,000 x 300)
EARLIER = {"gmv_total": 16.0, "orders": 3.7, "active_share": 7.2, "gini_merchant_gmv": 12.3}
ARMS = ("weight_bonus_none", "weight_bonus_full")


def width_ratios(runs: pd.DataFrame, reference: str, outcomes=OUTCOMES) -> pd.DataFrame:
    """Per outcome: unpaired over paired 95% interval width of the difference from `reference`,
    from `paired_differences` (which gives both intervals)."""
    d = paired_differences(runs, reference, list(outcomes))
    with np.errstate(divide="ignore", invalid="ignore"):
        d["ratio"] = (d["unpaired_high"] - d["unpaired_low"]) / (d["high"] - d["low"])
    return d


def _ratio_text(r) -> str:
    if np.isnan(r.ratio):
        return "undefined: both intervals have width 0 (the arms never differ)"
    ratio = "unbounded" if np.isinf(r.ratio) else f"{r.ratio:.1f}x"
    return f"{ratio} (paired width {r.high - r.low:.4g}, unpaired {r.unpaired_high - r.unpaired_low:.4g})"


def crn(ctx: Context) -> list[Check]:
    s = ctx.size
    over = {"population.consumers": s.crn_consumers, "population.merchants": s.crn_merchants,
            "run.days": s.crn_days}
    if s.burn_in_days is not None:
        over["run.burn_in_days"] = s.burn_in_days
    arms = {name: load_scenario(BASELINE.parent / f"{name}.yaml", over) for name in ARMS}
    seed = arms[ARMS[0]].run.seed
    exp = ctx.replications(arms, s.crn_reps, seed)
    d = width_ratios(exp.runs, ARMS[0])
    setting = (f"{ARMS[1]} minus {ARMS[0]}, {s.crn_reps} paired replications, {s.crn_days} recorded days, "
               f"{s.crn_consumers:,} consumers x {s.crn_merchants} stores")
    rows = []
    for r in d.itertuples(index=False):
        earlier = f"; measured before: {EARLIER[r.outcome]}" if r.outcome in EARLIER else ""
        rows.append(Check(SECTION, r.outcome, f"> 1: pairing narrows the interval{earlier}",
                          _ratio_text(r),
                          f"(unpaired_high - unpaired_low) / (high - low) of the 95% intervals of "
                          f"`paired_differences`; {setting}", None if np.isnan(r.ratio) else bool(r.ratio > 1),
                          ctx.command("crn"), {"ratio": float(r.ratio)}))
    return rows
