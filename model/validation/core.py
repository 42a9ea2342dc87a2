"""What every validation check shares: the `Check` row, the two sizes, and the context that runs
replications (one executor for the whole report, each experiment run once however many checks read it)."""

from __future__ import annotations

import concurrent.futures as cf
from dataclasses import dataclass, field
from typing import Callable

from ..scenario import Population, Scenario, library_dir, load_scenario
from ..stats import fmt, interval  # noqa: F401  (notebooks import them from here)

BASELINE = library_dir() / "baseline.yaml"             # the library's copy: works outside a checkout too
REAL_CONSUMERS = 1e9                          # Taobao/Tmall active buyers, early 2025 (seed 003)


@dataclass
class Check:
    """One row of the report: what was compared with what, and whether it passed.

    `passed` is True, False ("not met") or None (no target: not modelled, an input, or a quantity
    shown for information). `numbers` keeps the raw values (mean, low, high, ...) for programs.
    """
    section: str
    name: str
    target: str
    value: str
    definition: str
    passed: bool | None
    command: str
    numbers: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "not met", None: "no target"}[self.passed]


@dataclass(frozen=True)
class Size:
    """How big each check runs. `full` gives meaningful statistics in minutes on two cores; `quick`
    only exercises the machinery."""
    name: str
    bgnbd_consumers: int
    bass_agents: int
    bass_runs: int
    polya_urns: int
    polya_draws: int
    consumers: int                 # facts, steady state, elasticity, the small arm of the scale check
    merchants: int
    burn_in_days: int | None       # None: the scenario's own burn-in
    days: int
    reps: int
    window: int                    # steady state: days compared at the start and the end
    steady_reps: int               # steady state: replications (leakage rests on few stores: it needs many)
    large_consumers: int           # the large arm of the scale check
    elasticity_seeds: int
    elasticity_needs: int
    crn_consumers: int
    crn_merchants: int
    crn_days: int
    crn_reps: int
    roundtrip_consumers: int       # the order log's round trip (scenario bgnbd_cohort)
    decomposition_reps: int        # the GMV decomposition: paired seeds of every library policy and its reference


FULL = Size("full", bgnbd_consumers=400_000, bass_agents=10_000, bass_runs=20, polya_urns=3000, polya_draws=400,
            consumers=20_000, merchants=1000, burn_in_days=None, days=365, reps=10, window=90,
            steady_reps=40, large_consumers=80_000, elasticity_seeds=8, elasticity_needs=20_000, crn_consumers=20_000,
            crn_merchants=300, crn_days=120, crn_reps=8, roundtrip_consumers=20_000,
            decomposition_reps=6)
QUICK = Size("quick", bgnbd_consumers=5000, bass_agents=2000, bass_runs=4, polya_urns=200, polya_draws=100,
             consumers=800, merchants=40, burn_in_days=15, days=40, reps=2, window=10, steady_reps=2,
             large_consumers=1600,
             elasticity_seeds=2, elasticity_needs=1000, crn_consumers=800, crn_merchants=40, crn_days=20,
             crn_reps=3, roundtrip_consumers=2000, decomposition_reps=2)
SIZES = {"full": FULL, "quick": QUICK}


def population_overrides(consumers: int) -> dict:
    """Overrides that make `consumers` agents stand for the billion real buyers: the scenario's
    `population.real_consumers` where it exists, else `population.scale`."""
    if "real_consumers" in Population.model_fields:
        return {"population.consumers": consumers, "population.real_consumers": REAL_CONSUMERS}
    return {"population.consumers": consumers, "population.scale": REAL_CONSUMERS / consumers}


def set_text(overrides: dict) -> str:
    """The overrides as `--set` options (for the commands printed in the report)."""
    def text(v):
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    return " ".join(f"--set {k}={text(v)}" for k, v in overrides.items())


def baseline_overrides(size: Size, consumers: int | None = None) -> dict:
    """The baseline's overrides at this size (population, stores, burn-in, horizon)."""
    over = {**population_overrides(consumers or size.consumers), "population.merchants": size.merchants,
            "run.days": size.days}
    if size.burn_in_days is not None:
        over["run.burn_in_days"] = size.burn_in_days
    return over


@dataclass
class Figure:
    section: str
    name: str
    caption: str
    make: Callable


class Context:
    """Runs a check's replications on the shared executor and remembers them, so that two checks
    that need the same scenario, replications and seed (facts and the scale check) share the runs."""

    def __init__(self, size: Size, executor: cf.Executor | None = None, progress=None):
        from ..experiment import SerialExecutor
        self.size = size
        self.executor = executor or SerialExecutor()
        self.progress = progress or (lambda share: None)
        self.figures: list[Figure] = []
        self.tables: dict[str, list[str]] = {}        # section -> markdown tables shown above its checks
        self._memo: dict = {}

    def command(self, only: str) -> str:
        return f"ptsim validate --only {only}" + (" --quick" if self.size.name == "quick" else "")

    def baseline(self, overrides: dict | None = None) -> Scenario:
        """The baseline at this size (population, stores, burn-in, horizon), with `overrides`."""
        return load_scenario(BASELINE, {**self.baseline_overrides(), **(overrides or {})})

    def baseline_overrides(self, consumers: int | None = None) -> dict:
        return baseline_overrides(self.size, consumers)

    def replications(self, scenarios: dict[str, Scenario], reps: int, seed: int, share=(0.0, 1.0)):
        """Run `reps` replications of each scenario (common seeds from `seed`); the `Experiment`."""
        from ..experiment import ScenarioModel, compare_design, run_design
        key = (tuple((k, s.digest()) for k, s in scenarios.items()), reps, seed)
        if key not in self._memo:
            lo, hi = share
            design = compare_design(scenarios, reps, seed)
            self._memo[key] = run_design(design, ScenarioModel(scenarios), scenarios=scenarios,
                                         executor=self.executor, command="validate",
                                         progress=lambda done, total: self.progress(lo + (hi - lo) * done / total))
            failed = self._memo[key].failed
            if len(failed):
                raise RuntimeError(f"{len(failed)} validation run(s) failed; first: {failed['error'].iloc[0]}")
        self.progress(share[1])
        return self._memo[key]

    def figure(self, section: str, name: str, caption: str, make: Callable) -> None:
        self.figures.append(Figure(section, name, caption, make))

    def table(self, section: str, markdown: str) -> None:
        """A table of the section's own (markdown), shown between its introduction and its checks."""
        self.tables.setdefault(section, []).append(markdown)


# ----------------------------------------------------------------------------- numbers as text
