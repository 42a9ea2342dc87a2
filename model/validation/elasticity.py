"""Emergent price elasticities on the baseline's state after its burn-in, one model seed per replication:
a store's own, against the meta-analytic mean of brand-level elasticities, -2.62 (Bijmolt, van Heerde &
Pieters 2005), measured by `ptsim.probe.price_elasticity`; and the category's, against -0.6 (a quarter
of it, Bell, Chiang & Padmanabhan 1999; Andreyeva, Long & Brownell 2010), by
`ptsim.probe.category_elasticity`."""

from __future__ import annotations

import concurrent.futures as cf

from ..runs import replication_seeds
from ..stats import fmt, interval
from .core import Check, Context

SECTION = "elasticity"


def _band(name: str = "price_elasticity") -> tuple[float, float, float]:
    """The published value and band, from targets/published.yaml (one source for report and calibration)."""
    from ..calibration.targets import load_targets
    t = load_targets()[name]
    return t.value, t.band.low, t.band.high


TARGET, LOW, HIGH = _band()
CATEGORY_TARGET, CATEGORY_LOW, CATEGORY_HIGH = _band("category_elasticity")


def probe_after_burn_in(scenario, seed: int, n_needs: int) -> tuple[float, float]:
    """Build the model (which simulates the burn-in) and probe its state before the first recorded day:
    the store-level and the category-level elasticity."""
    from ..model import PrivateTrafficModel
    from ..probe import category_elasticity, price_elasticity
    m = PrivateTrafficModel(scenario, rng=seed, create_agents=False)
    return price_elasticity(m, n_needs=n_needs), category_elasticity(m, n_needs=n_needs)


def elasticities(ctx: Context, scenario, seeds: list[int], n_needs: int) -> list[tuple[float, float]]:
    """One (store-level, category-level) pair of elasticities per model seed, on the shared executor."""
    futures = {ctx.executor.submit(probe_after_burn_in, scenario, seed, n_needs): i for i, seed in enumerate(seeds)}
    values = {}
    for fut in cf.as_completed(futures):
        values[futures[fut]] = fut.result()
        ctx.progress(len(values) / len(futures))
    return [values[i] for i in range(len(seeds))]


def elasticity(ctx: Context) -> list[Check]:
    s = ctx.size
    scenario = ctx.baseline({"run.days": 1})
    seeds = replication_seeds(scenario.run.seed, s.elasticity_seeds)
    pairs = elasticities(ctx, scenario, seeds, s.elasticity_needs)
    values, category = [p[0] for p in pairs], [p[1] for p in pairs]
    mean, low, high = interval(values)
    c_mean, c_low, c_high = interval(category)
    where = (f"on the baseline's state after its {scenario.run.burn_in_days}-day burn-in, {s.consumers:,} "
             f"consumers, {s.merchants:,} stores; {len(seeds)} model seeds spawned from {scenario.run.seed}")
    return [Check(SECTION, "store-level own-price elasticity",
                  f"{TARGET} (Bijmolt et al. 2005, meta-analytic mean); band {LOW} to {HIGH}",
                  fmt(mean, low, high),
                  f"`ptsim.probe.price_elasticity` ({s.elasticity_needs:,} needs; a random tenth of stores 1% "
                  f"dearer; 10 store sets) {where}",
                  bool(LOW <= mean <= HIGH), ctx.command("elasticity"),
                  {"mean": mean, "low": low, "high": high, "values": list(values)}),
            Check(SECTION, "category-level price elasticity",
                  f"{CATEGORY_TARGET} (a quarter of -2.62: Bell, Chiang & Padmanabhan 1999 x Bijmolt et al. "
                  f"2005; Andreyeva, Long & Brownell 2010: 0.27 to 0.81); band {CATEGORY_LOW} to {CATEGORY_HIGH}",
                  fmt(c_mean, c_low, c_high),
                  f"`ptsim.probe.category_elasticity` ({s.elasticity_needs:,} needs; every store 1% dearer, "
                  f"the outside option of not buying now taking the demand lost) {where}",
                  bool(CATEGORY_LOW <= c_mean <= CATEGORY_HIGH), ctx.command("elasticity"),
                  {"mean": c_mean, "low": c_low, "high": c_high, "values": list(category)})]
