"""Joining: what becoming a member does to a buyer's order value (the causal effect, from the order log)
against what members' orders look like (the cross-section, seed 004's 2.7x).

The model gives joining no basket multiplier (ODD 7.7): members' larger orders are selection, heavier
spenders joining more. The order log shows both sides. Within a consumer, her orders' value before and
after she first becomes a member or store-group member of a store in the recorded year (at any store,
each order over its category's base price, so a change of category mix does not count), against the
documented causal effect of joining on order value (about nil: 0.88 to 1.10, ODD 7.7). Across
consumers, members' orders' value over all orders' (the facts section scores it against 2.7x).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..runs import replication_seeds
from ..stats import fmt, interval
from .core import Check, Context, set_text

SECTION = "joining"
CAUSAL_BAND = (0.88, 1.10)          # joining's effect on order value: Narang & Shankar; Rishika et al. (ODD 7.7)
MEMBER = ("member", "group")


def join_effect(orders: pd.DataFrame, base_price: dict[str, float]) -> dict:
    """Within-consumer order value before and after joining, and the cross-sectional members' ratio,
    from one run's order log (columns consumer, store, day, category, tie_level, value, channel).

    A join is the first order a consumer places at a store at member or group level after an order
    there at a lower level; it happened after that earlier order (its day is the cut). Each joiner's
    orders (all stores, on and off platform), as value over the category's base price, are averaged
    on or before the cut and after it; the ratio is the mean of the after-means over the mean of the
    before-means (consumers with orders on both sides, their first join in the year)."""
    o = orders[["consumer", "store", "day", "category", "tie_level", "value", "channel"]].copy()
    o["index"] = o["value"].to_numpy() / o["category"].astype(str).map(base_price).to_numpy(dtype=float)
    o = o.sort_values(["consumer", "store", "day"], kind="stable")
    member = o["tie_level"].astype(str).isin(MEMBER).to_numpy()
    same_pair = ((o["consumer"].to_numpy()[1:] == o["consumer"].to_numpy()[:-1])
                 & (o["store"].to_numpy()[1:] == o["store"].to_numpy()[:-1]))
    join = np.zeros(len(o), bool)
    join[1:] = same_pair & member[1:] & ~member[:-1]
    cut_day = np.full(len(o), -1)
    cut_day[1:] = np.where(join[1:], o["day"].to_numpy()[:-1], -1)
    joins = pd.DataFrame({"consumer": o["consumer"].to_numpy()[join], "cut": cut_day[join]})
    first = joins.groupby("consumer")["cut"].min()
    mine = o[o["consumer"].isin(first.index)]
    cut = mine["consumer"].map(first).to_numpy()
    after = mine["day"].to_numpy() > cut
    by = mine.groupby([mine["consumer"].to_numpy(), after])["index"].mean().unstack()
    by = by.dropna() if by.shape[1] == 2 else by.iloc[0:0]
    on = orders["channel"].astype(str) != "offplatform"
    is_member = orders["tie_level"].astype(str).isin(MEMBER) & on
    cross = (orders.loc[is_member, "value"].mean() / orders.loc[on, "value"].mean()) if is_member.any() else np.nan
    if by.empty:
        return {"joiners": 0, "within": np.nan, "cross_section": float(cross)}
    return {"joiners": int(len(by)), "within": float(by[True].mean() / by[False].mean()),
            "cross_section": float(cross)}


def joining(ctx: Context) -> list[Check]:
    from ..experiment import ScenarioModel, compare_design, run_design
    from ..scenario import CATEGORIES
    s = ctx.baseline()
    reps = max(ctx.size.crn_reps, 2)
    seed = replication_seeds(s.run.seed, 1)[0]
    exp = run_design(compare_design({"baseline": s}, reps, seed), ScenarioModel({"baseline": s}),
                     scenarios={"baseline": s}, executor=ctx.executor, command="validate", orders=True,
                     progress=lambda done, total: ctx.progress(done / total))
    base_price = {c: getattr(s.categories, c).base_price for c in CATEGORIES}
    per_run = [join_effect(exp.orders(run_id), base_price) for run_id in exp.runs["run_id"]]
    within = [r["within"] for r in per_run]
    cross = [r["cross_section"] for r in per_run]
    w, wl, wh = interval(within)
    x, xl, xh = interval(cross)
    joiners = int(np.mean([r["joiners"] for r in per_run]))
    command = ctx.command(SECTION)
    where = (f"`ptsim run baseline --orders --reps {reps} {set_text(ctx.baseline_overrides())}`: mean over "
             f"{reps} replications (95% t-interval), about {joiners:,} joiners per run")
    lo, hi = CAUSAL_BAND
    return [
        Check(SECTION, "a joiner's own order value, after / before joining",
              f"{lo:g} to {hi:g} (the causal effect of joining, ODD 7.7)", fmt(w, wl, wh),
              "each consumer who first becomes a member or group member of a store in the recorded year: the mean "
              "of her orders' value over their category's base price (every store, on and off platform) after the "
              "join over before it, pooled as the mean after over the mean before; " + where,
              bool(lo <= w <= hi), command, {"mean": w, "low": wl, "high": wh, "joiners": joiners}),
        Check(SECTION, "members' order value over all orders' (the cross-section)",
              "2.7x (seed 004; scored in the facts section)", fmt(x, xl, xh),
              "on-platform orders at member or group level over all on-platform orders, from the same logs: what "
              "selection alone makes of the published 2.7x; " + where,
              None, command, {"mean": x, "low": xl, "high": xh}),
    ]
