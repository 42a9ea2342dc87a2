"""The published facts of DOMAIN.md against the baseline's outcomes over replications.

Each fact the model's outcomes can speak to gets a tolerance band, read from `targets/published.yaml`
(with the assumptions that file carries, levels no source publishes, each marked "assumption"; the
targets `ptsim calibrate` fits to); it passes when the mean over replications lies inside the
band (the 95% interval is shown beside it). Facts the model has no outcome for are listed as not
modelled, and facts the scenario takes as inputs as inputs, both without a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from ..calibration.targets import TARGETS_FILE, Target, load_targets, read_values
from ..scenario import field_value
from ..stats import fmt, interval
from .core import Check, Context

SECTION = "facts"
INF = float("inf")


@dataclass(frozen=True)
class Fact:
    """A published number, the band a model value must fall in, and how the model value is read."""
    name: str
    published: str
    source: str
    low: float
    high: float
    band: str                 # the band in words, with the tolerance
    kind: str                 # display: pct, x, M
    definition: str
    values: Callable          # (runs, timeseries) -> one value per replication
    limit: str | None = None  # why the model cannot reach the band (shown when not met)
    basis: str = ""           # "assumption: " for an assumed level (no published value), "" for a published one
    input: str | None = None  # how the scenario produces the value by construction: shown, without a verdict


def fact(target: Target) -> Fact:
    """A target of the targets file as a row of the report (`read_values` reads its model value)."""
    return Fact(target.title, target.source.published, target.source.ref, target.band.lo, target.band.hi,
                target.band.text, target.display, " ".join(target.definition.split()),
                lambda runs, ts: read_values(target, runs, ts),
                " ".join(target.limit.split()) if target.limit else None, target.basis,
                " ".join(target.input.split()) if target.input else None)


def timeline_entries(scenario, prefix: str = "") -> str:
    """The scenario's timeline entries under `prefix`, each from its value before to its value after, e.g.
    'policies.vip_programme.join_prob 0.004 -> 0.008 on record day 182, 0.008 -> 0.02 on day 302'."""
    out, before = [], scenario
    for day, config in sorted(scenario.timeline_configs().items()):
        for field in scenario.timeline[day]:
            if field.startswith(prefix):
                old, new = field_value(before, field), field_value(config, field)
                out.append(f"{field} {old:g} -> {new:g} on record day {day}" if isinstance(new, float)
                           else f"{field} {old} -> {new} on record day {day}")
        before = config
    return "; ".join(out) or "none"


# the bands come from targets/published.yaml, which `ptsim calibrate` fits to: one source of truth;
# the price elasticity (read by the probe, not from the runs) has its own section (elasticity.py)
FACTS = tuple(fact(t) for t in load_targets(TARGETS_FILE).targets if t.model.read != "price_probe")

# (fact, published, source, why the model has no verdict on it)
NOT_MODELLED = (
    ("merchants with annual GMV > 100 million yuan, 2024", "> 4,100 (+18%)", "seed 003",
     "not modelled: store agents are not scaled to real merchants"),
    ("'super new products', 2024", "4,500", "seed 003", "not modelled: no products"),
    ("brands reaching double-digit growth targets", "90%", "seed 003", "not modelled: no growth targets"),
    ("AI customer service share of inquiries; cost cut", "80%; 30%", "seed 003", "not modelled"),
)
INPUTS = (
    ("case beinspace: off-site KOC content", "store return traffic +120%, repurchase +30%", "seed 004",
     "input: sizes browsing.offsite_rate (an SME at full LEAD gains 80-130% more visits); the case runs in the "
     "Interventions section, where its traffic figure is marked not held out and its repurchase figure is checked"),
    ("Taobao/Tmall active buyers, early 2025", "about 1 billion", "seed 003",
     "input: consumer agents x population.scale = 1 billion"),
    ("WeChat monthly active users", "1.2 billion", "seed 002", "input: population.wechat_user_share"),
    ("88VIP entry threshold", "taoqi score ≥ 1000", "seed 003", "input: policies.vip_programme.taoqi_threshold"),
    ("new-product window", "30 -> 90 days", "seed 003", "input: policies.new_product_window.days (a lever)"),
)


def fact_checks(runs: pd.DataFrame, timeseries: pd.DataFrame, command: str, setting: str,
                scenario=None) -> list[Check]:
    """One row per fact from a runs table (one row per replication, outcome columns) and its daily
    timeseries (run_id, day, n_vip): mean and 95% interval, pass if the mean is in the band. A fact the
    scenario produces by construction (a target with `input`) shows the model's value without a verdict,
    naming the `scenario`'s timeline entries that produce it."""
    rows = []
    for f in FACTS:
        mean, low, high = interval(f.values(runs, timeseries))
        met = bool(f.low <= mean <= f.high)
        why = f"; **why not met**: {f.limit}" if f.limit and not met else ""
        if f.input:
            entries = timeline_entries(scenario, "policies.vip_programme") if scenario is not None else "?"
            met, why = None, f"; **input, not evidence**: {f.input} (the timeline's entries: {entries})"
        rows.append(Check(SECTION, f.name, f"{f.basis}{f.published} ({f.source}); band {f.band}",
                          fmt(mean, low, high, f.kind),
                          f"{f.definition}; {setting}{why}", met, command,
                          {"mean": mean, "low": low, "high": high, "band": (f.low, f.high)}))
    for name, published, source, why in NOT_MODELLED + INPUTS:
        verdict, _, reason = why.partition(": ")
        rows.append(Check(SECTION, name, f"{published} ({source})", verdict, reason or verdict, None, command))
    return rows


def facts(ctx: Context) -> list[Check]:
    s = ctx.size
    scenario = ctx.baseline()
    exp = ctx.replications({"baseline": scenario}, s.reps, scenario.run.seed)
    setting = (f"baseline, {s.consumers:,} consumer agents standing for 1 bn buyers, {s.merchants:,} stores, "
               f"{s.reps} replications")
    return fact_checks(exp.ok, exp.timeseries, ctx.command("facts"), setting, scenario)

