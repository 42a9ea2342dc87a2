"""Emergent price elasticity against the meta-analytic mean of brand-level elasticities, -2.62
(Bijmolt, van Heerde & Pieters 2005), measured by `ptsim.probe.price_elasticity` on the baseline's
state after its burn-in, one model seed per replication."""

from __future__ import annotations

import concurrent.futures as cf

from ..runs import replication_seeds
from .core import Check, Context, fmt, interval

SECTION = "elasticity"


def _band() -> tuple[float, float, float]:
    """The published value and band, from targets/published.yaml (one source for report and calibration)."""
    from ..calibration.targets import load_targets
    t = load_targets()["price_elasticity"]
    return t.value, t.band.low, t.band.high


TARGET, LOW, HIGH = _band()


def probe_after_burn_in(scenario, seed: int, n_needs: int) -> float:
    """Build the model (which simulates the burn-in) and probe its state before the first recorded day."""
    from ..model import PrivateTrafficModel
    from ..probe import price_elasticity
    return price_elasticity(PrivateTrafficModel(scenario, rng=seed, create_agents=False), n_needs=n_needs)


def elasticities(ctx: Context, scenario, seeds: list[int], n_needs: int) -> list[float]:
    """One elasticity per model seed, on the shared executor."""
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
    values = elasticities(ctx, scenario, seeds, s.elasticity_needs)
    mean, low, high = interval(values)
    return [Check(SECTION, "store-level own-price elasticity",
                  f"{TARGET} (Bijmolt et al. 2005, meta-analytic mean); band {LOW} to {HIGH}",
                  fmt(mean, low, high),
                  f"`ptsim.probe.price_elasticity` ({s.elasticity_needs:,} needs; a random tenth of stores 1% "
                  f"dearer; 10 store sets) on the baseline's state after its "
                  f"{scenario.run.burn_in_days}-day burn-in, {s.consumers:,} consumers, {s.merchants:,} stores; "
                  f"{len(seeds)} model seeds spawned from {scenario.run.seed}",
                  bool(LOW <= mean <= HIGH), ctx.command("elasticity"),
                  {"mean": mean, "low": low, "high": high, "values": list(values)})]
