"""The published facts of DOMAIN.md against the baseline's outcomes over replications.

Each fact the model's outcomes can speak to gets a tolerance band; it passes when the mean over
replications lies inside the band (the 95% interval is shown beside it). Facts the model has no
outcome for are listed as not modelled, and facts the scenario takes as inputs as inputs, both
without a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from .core import Check, Context, fmt, interval

SECTION = "facts"
INF = float("inf")


def _summary(name: str) -> Callable:
    return lambda runs, ts: runs[name].to_numpy(float)


def _vip(which: str) -> Callable:
    def values(runs, ts):
        g = ts.sort_values("day").groupby("run_id")["n_vip"]
        first, last = g.first(), g.last()
        v = {"start": first, "end": last, "growth": last / first - 1.0}[which]
        return v.reindex(runs["run_id"]).to_numpy(float)
    return values


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


FACTS = (
    Fact("share_gmv_relationship", "> 60% in FMCG, sports-outdoor, health", "seed 004", 0.60, INF, "≥ 60%", "pct",
         "on-platform GMV bought by fans, members and group members of the selling store over all on-platform "
         "GMV, summed over the recorded days, all six categories (the model has no per-category split of "
         "this outcome; the source's figure is for three categories)", _summary("share_gmv_relationship")),
    Fact("fan_return_visit_ratio", "2.5x", "seed 004", 2.0, 3.0, "2.0 to 3.0 (2.5 ± 20%)", "x",
         "on the last recorded day: share of fan ties (fan level or above) with a store visit in the last "
         "30 days over the same share of all tied consumer-store pairs (the source compares with all users)",
         _summary("fan_return_visit_ratio")),
    Fact("member_aov_ratio", "2.7x", "seed 004", 2.16, 3.24, "2.16 to 3.24 (2.7 ± 20%)", "x",
         "members' on-platform order value (orders at stores where the buyer is a member) over all "
         "on-platform orders' order value, summed over the recorded days", _summary("member_aov_ratio")),
    Fact("wechat_aov_ratio", "> 1.5x (\"half or more higher\")", "seed 002", 1.5, INF, "≥ 1.5 (no upper bound "
         "published)", "x", "order value of WeChat-community purchases (on or off platform) over public-traffic "
         "orders' order value, summed over the recorded days", _summary("wechat_aov_ratio")),
    Fact("member_repurchase_share_top", "> 50%", "seed 003", 0.5, INF, "≥ 50%", "pct",
         "top brands' on-platform GMV from members' repeat purchases over top brands' GMV, summed over the "
         "recorded days", _summary("member_repurchase_share_top")),
    Fact("n_vip at the start", "42 million before Double 11 2024", "seed 003", 42e6 * 0.8, 42e6 * 1.2,
         "33.6M to 50.4M (42M ± 20%)", "M",
         "88VIP members at real scale on the first recorded day (1 January, standing for 'before Double 11')",
         _vip("start")),
    Fact("n_vip at the end", "49 million early 2025", "seed 003", 49e6 * 0.8, 49e6 * 1.2,
         "39.2M to 58.8M (49M ± 20%)", "M",
         "88VIP members at real scale on the last recorded day (31 December, standing for 'early 2025')",
         _vip("end")),
    Fact("n_vip growth", "+16.7% (42M to 49M, mostly right after Double 11)", "seed 003", 0.117, 0.217,
         "11.7% to 21.7% (16.7% ± 5 points)", "pct",
         "88VIP members on the last recorded day over the first, minus 1 (the recorded year spans Double 11)",
         _vip("growth")),
)

# (fact, published, source, why the model has no verdict on it)
NOT_MODELLED = (
    ("members' browsing depth vs all users", "1.8x", "seed 004", "not modelled: the model has no browsing"),
    ("old customers' 2+-order repurchase rate", "+37%", "seed 004",
     "not modelled: no outcome compares old customers' repurchase with all users'"),
    ("merchants with annual GMV > 100 million yuan, 2024", "> 4,100 (+18%)", "seed 003",
     "not modelled: store agents are not scaled to real merchants"),
    ("'super new products', 2024", "4,500", "seed 003", "not modelled: no products"),
    ("brands reaching double-digit growth targets", "90%", "seed 003", "not modelled: no growth targets"),
    ("AI customer service share of inquiries; cost cut", "80%; 30%", "seed 003", "not modelled"),
    ("case beinspace: off-site KOC content", "store return traffic +120%, repurchase +30%", "seed 004",
     "not modelled: a one-store intervention, not run as an experiment"),
    ("case IHIMI: old-customer insider sales", "new-product conversion 3x, old-customer conversion +30%",
     "seed 004", "not modelled: a one-store intervention, not run as an experiment"),
    ("case Pond's: fan-only perks", "fans +184% month on month, coupon redemption +52%", "seed 004",
     "not modelled: a one-store intervention, not run as an experiment"),
    ("case Bibizan: prepaid store credit", "second top-up +31%, repurchase +30%", "seed 004",
     "not modelled: a one-store intervention, not run as an experiment"),
)
INPUTS = (
    ("Taobao/Tmall active buyers, early 2025", "about 1 billion", "seed 003",
     "input: consumer agents x population.scale = 1 billion"),
    ("WeChat monthly active users", "1.2 billion", "seed 002", "input: population.wechat_user_share"),
    ("88VIP entry threshold", "taoqi score ≥ 1000", "seed 003", "input: policies.vip_programme.taoqi_threshold"),
    ("new-product window", "30 -> 90 days", "seed 003", "input: policies.new_product_window.days (a lever)"),
)


def fact_checks(runs: pd.DataFrame, timeseries: pd.DataFrame, command: str, setting: str) -> list[Check]:
    """One row per fact from a runs table (one row per replication, outcome columns) and its daily
    timeseries (run_id, day, n_vip): mean and 95% interval, pass if the mean is in the band."""
    rows = []
    for f in FACTS:
        mean, low, high = interval(f.values(runs, timeseries))
        rows.append(Check(SECTION, f.name, f"{f.published} ({f.source}); band {f.band}",
                          fmt(mean, low, high, f.kind),
                          f"{f.definition}; {setting}", bool(f.low <= mean <= f.high), command,
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
    return fact_checks(exp.ok, exp.timeseries, ctx.command("facts"), setting)

