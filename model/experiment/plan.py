"""What an experiment will run and roughly how long it takes, said before it starts and by `--dry-run`.

The estimate counts what the runs will actually simulate: each run's recorded days, plus the burn-ins
that are not in the warm-state cache (once per status quo and seed when the cache is on, in every run
when it is off), the building of each run's population, and the start of worker processes. Speeds are
one core's on the reference machine (docs/performance.md); a busy or slower machine takes longer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import warm_state

# One core of the 2-core reference machine, measured 2026-12-04 at 500 to 100,000 consumers (burn-in of
# 1,095 days and 200 recorded days each; within 25% of every measurement, docs/performance.md). Browsing
# (issue 22, on in the baseline) made a simulated day 2.6-2.9x as costly: 7e6 before it.
SPEED = 2.7e6          # consumer-days simulated per second
DAY = 1.5e-3           # seconds per simulated day whatever the population (the day's fixed work)
BURN_IN_START = 3.5    # seconds to settle ranking and reference prices before a burn-in
BUILD = 4e-6           # seconds per consumer to build a run's population (0.4 s at 100,000)
RUN_OVERHEAD = 0.5     # seconds per run: writing its files, loading a warm state
WORKER_START = 3.0     # seconds to start a worker process (spawn and import)


@dataclass
class Plan:
    """The runs of an experiment still to do, the burn-ins they need and a rough duration."""
    runs: int                           # in the design
    todo: int                           # not yet finished (fewer than runs on --resume)
    burn_ins: int                       # burn-ins the runs to do need (distinct status quo and seed)
    cached: int                         # of those, in the warm-state cache already
    days: int                           # recorded days of a run (of the first point)
    consumers: int                      # consumer agents (of the first point)
    seconds: float                      # wall time, roughly, with `workers`
    workers: int
    scheduler: str | None = None
    cache: bool = True
    points: object = field(default=None, repr=False)     # the design's points (a DataFrame)

    def text(self) -> str:
        """One line: how many runs, their size, the burn-ins to simulate and the rough duration."""
        runs = f"{self.runs:,} run{'s' if self.runs != 1 else ''}" + \
            (f" ({self.todo:,} still to do)" if self.todo < self.runs else "")
        if not self.cache:
            burn = f"{self.burn_ins:,} burn-in{'s' if self.burn_ins != 1 else ''} simulated (cache off)"
        else:
            burn = f"{self.burn_ins - self.cached:,} of {self.burn_ins:,} burn-in{'s' if self.burn_ins != 1 else ''} " \
                   f"to simulate ({self.cached:,} cached)"
        where = "of one core (divided among the cluster's workers)" if self.scheduler else \
            f"on {self.workers} worker{'s' if self.workers > 1 else ''}"
        return (f"{runs}, each {self.days:,} days x {self.consumers:,} consumers; {burn}: roughly "
                f"{duration(self.seconds)} {where}")


def duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 1.5 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{max(seconds, 1):.0f} s"


def plan(design, model, params: dict, todo: list[tuple], workers: int = 1, scheduler: str | None = None) -> Plan:
    """The plan of running `todo` ((run_id, point, replication) of `design`) with `model`; `params` are
    each point's parameters as the model receives them. Model functions other than ptsim's are timed
    as nothing but overhead."""
    scenario_for = getattr(model, "scenario_for", None)
    cache = bool(getattr(model, "cache", False))
    seconds, burn_ins, cached, first, built = 0.0, set(), set(), None, {}
    per_seed = bool(getattr(model, "by_seed", None))     # a posterior's vectors change the scenario by seed
    for _, point, rep in todo:
        seed = design.seeds[rep]
        if scenario_for is None:
            seconds += RUN_OVERHEAD
            continue
        which = (point, seed if per_seed else None)
        if which not in built:                          # a scenario and its status quo per point, not per run
            s = scenario_for(params[point], seed)
            built[which] = s, s.status_quo()
        s, status_quo = built[which]
        first = first or s
        seconds += run_seconds(s, 1, 0)
        key = warm_state.cache_key(status_quo, warm_state.stream_root(seed)) if cache else len(burn_ins)
        if key in burn_ins:
            continue
        burn_ins.add(key)
        if cache and warm_state.is_cached(s, seed, checksum=False):    # verified when loaded, not twice
            cached.add(key)
        else:
            seconds += run_seconds(s, 0, 1)
    parallel = 1 if workers <= 1 or scheduler else min(workers, max(len(todo), 1))
    seconds = seconds / parallel + (WORKER_START * (parallel > 1))
    return Plan(runs=len(design.run_ids()), todo=len(todo), burn_ins=len(burn_ins), cached=len(cached),
                days=first.run.days if first else 0, consumers=first.population.consumers if first else 0,
                seconds=seconds, workers=workers, scheduler=scheduler, cache=cache, points=design.points)


def run_seconds(scenario, runs: int, burn_ins: int) -> float:
    """One core's seconds for `runs` runs of `scenario`, `burn_ins` of them simulating their burn-in."""
    n, days, burn_in = scenario.population.consumers, scenario.run.days, scenario.run.burn_in_days
    return runs * (RUN_OVERHEAD + n * BUILD + days * (DAY + n / SPEED)) + \
        burn_ins * (BURN_IN_START * (burn_in > 0) + burn_in * (DAY + n / SPEED))


def calibration_text(base, trials: int, reps: int, workers: int, confirm: int = 0, confirm_reps: int = 0,
                     at_size=None) -> str:
    """What a calibration runs at most: every trial's replications simulate their own burn-in (its
    parameters make a status quo of its own, so the warm-state cache is not used), then the confirmation."""
    seconds = run_seconds(base, trials * reps, trials * reps)
    text = f"{trials:,} trial(s) x {reps} replication(s), each {base.run.days:,} days x " \
           f"{base.population.consumers:,} consumers, every one simulating its {base.run.burn_in_days:,}-day burn-in"
    if confirm:
        at_size = at_size or base
        seconds += run_seconds(at_size, confirm * confirm_reps, confirm * confirm_reps)
        text += f", then {confirm} x {confirm_reps} confirmation run(s) of {at_size.population.consumers:,} consumers"
    parallel = max(1, min(workers, trials))
    return f"{text}: at most roughly {duration(seconds / parallel + WORKER_START * (parallel > 1))} on {workers} " \
           f"worker{'s' if workers > 1 else ''}"
