"""Running replications of a scenario: seeds, one run, and many runs.

Replication seeds are spawned from the scenario's root seed with `numpy.random.SeedSequence`, so the
same root gives the same seeds everywhere and the k-th replication of every scenario in an
experiment shares its seed (common random numbers). Each seed is a plain integer: passing it to
`PrivateTrafficModel(scenario, rng=seed)` reproduces that run exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import order_log
from .model import PrivateTrafficModel
from .scenario import Scenario
from .stats import summarise  # noqa: F401  (its old home: ptsim.runs.summarise)


def replication_seeds(root: int, n: int) -> list[int]:
    """`n` independent integer seeds spawned from `root`."""
    return [int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))
            for ss in np.random.SeedSequence(root).spawn(n)]


@dataclass
class RunResult:
    """One replication: its seed, one number per outcome, the daily outcomes, whether the burn-in's
    warm state came from the cache, and its orders when they were kept (an Arrow table, order_log.py)."""
    seed: int
    summary: dict[str, float]
    timeseries: pd.DataFrame
    burn_in_cached: bool | None = None
    orders: object = None


def run_one(scenario: Scenario, seed: int, progress=None, cache: bool = True, orders=None,
            run_id: str = "") -> RunResult:
    """Build and run one replication of `scenario` with `seed` (`cache`: reuse the burn-in's warm state).
    `orders`: log every order of the recorded days to this Parquet file, written as the run goes, or
    keep them (True: `RunResult.orders`); `run_id` names the run in the log."""
    m = PrivateTrafficModel(scenario, rng=seed, cache=cache)
    log = None if orders is None or orders is False else \
        order_log.attach(m, None if orders is True else orders, run_id)
    try:
        m.run(progress=progress)
    except BaseException:
        if log is not None:
            log.abort()
        raise
    kept = None if log is None else log.close()
    return RunResult(seed, m.summary(), m.timeseries(), m.warm_from_cache, kept if orders is True else None)


def run_replications(scenario: Scenario, reps: int | None = None, seed: int | None = None,
                     progress=None) -> list[RunResult]:
    """Run `reps` replications (default `run.reps`) serially from root `seed` (default `run.seed`).

    `progress(done_days)` is called after every simulated day with the cumulative count.
    """
    seeds = replication_seeds(scenario.run.seed if seed is None else seed,
                              scenario.run.reps if reps is None else reps)
    days, out = scenario.run.days, []
    for k, s in enumerate(seeds):
        cb = None if progress is None else (lambda d, k=k: progress(k * days + d))
        out.append(run_one(scenario, s, progress=cb))
    return out


def simulate(scenario="baseline", seed: int | None = None, days: int | None = None,
             outcomes: list[str] | tuple[str, ...] | str | None = None, fields: dict | None = None, *,
             cache: bool = True, **field_kwargs) -> dict[str, float]:
    """Run one replication and return its summary outcomes: the one call for EMA Workbench, Optuna,
    SALib or a loop of your own.

    `scenario`: a library scenario's name ("baseline", "wechat_open"; see `ptsim scenarios`), a YAML
    path or a `Scenario`. `seed`: the run's seed (an int reproduces the run); default: replication 0
    of the scenario's `run.seed`, the first run `ptsim run` makes. `days`: recorded days (`run.days`).
    Any scenario field is a keyword with `__` for its dots, or an entry of `fields` under its dotted
    name (for any name)::

        simulate("wechat_open", seed=1, days=90, population__consumers=20_000,
                 fields={"policies.weight_bonus.share": 0.5}, outcomes=["gmv_total", "active_share"])

    Returns {outcome: value} for every outcome (`ptsim.outcomes.OUTCOME_NAMES`) or those in
    `outcomes`. An unknown field, a value out of range or an unknown outcome raises ScenarioError with
    one line naming it. `cache`: reuse the burn-in from the warm-state cache (same numbers).
    """
    from .outcomes import OUTCOME_NAMES
    from .scenario import ScenarioError, load_scenario
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    unknown = [o for o in outcomes or () if o not in OUTCOME_NAMES]
    if unknown:
        raise ScenarioError(f"outcomes: unknown outcome {unknown[0]!r}; known: {', '.join(OUTCOME_NAMES)}")
    overrides = dict(fields or {})
    for key, value in field_kwargs.items():
        path = key.replace("__", ".")
        if path in overrides:
            raise ScenarioError(f"simulate: {path}: given twice (as {key}= and in fields)")
        overrides[path] = value
    if days is not None:
        if "run.days" in overrides:
            raise ScenarioError("simulate: run.days: given twice (as days= and as a field)")
        overrides["run.days"] = days
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    s = base.with_overrides(overrides, source="simulate") if overrides else base
    if seed is None:
        seed = replication_seeds(s.run.seed, 1)[0]
    m = PrivateTrafficModel(s, rng=int(seed), cache=cache)
    m.run()
    summary = m.summary()
    return {o: float(summary[o]) for o in (outcomes or summary)}
