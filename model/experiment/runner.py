"""Running a design's runs on any `concurrent.futures` executor: in-process, local processes or Dask.

Each run is a call `model(params, seed)` on a worker; the parent only submits, receives one run's
result at a time, stores it and lets it go, so memory does not grow with the number of runs. A run
that raises is recorded as failed with its traceback and the others go on. The seed of a run depends
only on its replication, never on the backend or the order runs finish in, so every backend gives
identical results.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
import time
import traceback
import warnings
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from .. import results, warm_state
from ..outcomes import OUTCOME_NAMES
from ..runs import RunResult, run_one
from ..scenario import Scenario, ScenarioError
from .design import MAX_RUNS, Design, compare_design
from .plan import Plan, plan
from .storage import Experiment, FolderStore, MemoryStore

BACKENDS = ("processes", "dask")     # the first is the default for workers > 1


@dataclass
class ScenarioModel:
    """The simulation as a model function: `params` are dotted-field overrides of a base scenario,
    plus `scenario` naming which base scenario (for comparisons of several)."""
    scenarios: dict[str, Scenario]
    on_day: Callable[[float], None] | None = None     # in-process runs: called with the share of days done
    cache: bool = True                                # reuse warm states after the burn-in (warm_state.py)
    by_seed: dict[int, dict] | None = None            # overrides per replication seed (a posterior's vectors)
    orders: str | bool | None = None                  # the folder each run logs its orders to, or True: keep them
    outcomes = OUTCOME_NAMES

    def check_cache(self) -> None:
        """Before runs start, in the parent: an unusable cache is one warning here and off in every run
        (rather than a warning per worker run)."""
        if self.cache:
            self.cache = warm_state.usable()

    def scenario_for(self, params: dict, seed: int) -> Scenario:
        """The scenario a run with these design parameters and replication seed simulates."""
        params = {**(self.by_seed or {}).get(int(seed), {}), **params}
        base = self.scenarios[params.pop("scenario", next(iter(self.scenarios)))]
        return base.with_overrides(params, source="design") if params else base

    def __call__(self, params: dict, seed: int, run_id: str = "") -> RunResult:
        scenario = self.scenario_for(params, seed)
        days, on_day = scenario.run.days, self.on_day
        orders = self.orders
        if isinstance(orders, (str, Path)):             # written here, on the worker, as the run goes
            if not run_id:
                raise ValueError("ScenarioModel.orders is a folder: each run needs its run_id to name its file")
            if not Path(orders).is_dir():               # said before the run, not after it
                raise results.OutputError(f"{orders}: no such folder here to write the order log into (with a Dask "
                                          "cluster on other machines, --out must be a folder the workers share)")
            orders = Path(orders) / f"{run_id}.parquet"
        return run_one(scenario, seed, progress=None if on_day is None else lambda d: on_day(d / days),
                       cache=self.cache, orders=orders or None, run_id=run_id)


class SerialExecutor(cf.Executor):
    """Runs each submitted call at once in this process (the `concurrent.futures` interface)."""

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:            # noqa: BLE001 - handed to the caller via the future
            future.set_exception(exc)
        return future


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system says, else the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                   # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def executor_for(workers: int = 1, backend: str = "processes", scheduler: str | None = None):
    """Yield (executor, slots): serial for one worker; for more, a process pool (`backend="processes"`,
    the default: it starts in about a second) or a Dask LocalCluster (`backend="dask"`); or the Dask
    cluster at `scheduler` (tcp://host:port), whatever the backend; `workers="auto"`: one per core
    available. `slots` bounds runs in flight."""
    if workers == "auto":
        workers = available_cores()
    if backend not in BACKENDS:
        raise ScenarioError(f"--backend {backend}: expected one of {', '.join(BACKENDS)}")
    if not scheduler and workers > 1:
        check_main_guard()
    if scheduler:
        from distributed import Client
        check_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ScenarioError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        with client:
            yield client.get_executor(pure=False), 2 * max(1, sum(client.nthreads().values()))
    elif workers <= 1:
        yield SerialExecutor(), 1
    elif backend == "processes":
        with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_exit_with_parent, initargs=(os.getpid(),)) as ex:
            yield ex, 2 * workers
    else:
        import logging

        import dask
        from distributed import Client, LocalCluster
        # no dashboard, so no use for the workers' statistical profiler; and glibc trimming memory
        # after every free (Dask's default for workers) slows the model's many temporary arrays
        quiet = {"distributed.worker.profile.enabled": False,
                 "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
        with dask.config.set(quiet), \
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                             dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            yield client.get_executor(pure=False), 2 * workers


MAIN_GUARD = ("with workers > 1, ptsim starts worker processes that import your script again, so its runs "
              "must sit under `if __name__ == \"__main__\":` (see the README, Python API)")


def check_main_guard() -> None:
    """Refuse to start a pool from a worker that is importing the user's script: the script's top level
    asked for workers without the `__main__` guard, and would otherwise fork a pool in every worker."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):     # the check multiprocessing makes
        raise RuntimeError(MAIN_GUARD)


def check_scheduler(address: str, timeout: float = 3.0) -> None:
    """A one-line error for a Dask scheduler address that is malformed or where nothing listens,
    before a Client is built (a Client given a bad address leaves a thread that hangs at exit)."""
    import socket

    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend
    try:
        scheme, location = parse_address(address, strict=True)
        get_backend(scheme)
        if scheme == "inproc":
            raise ValueError("an in-process address names no cluster")
        host, port = parse_host_port(location)
        if not 0 < int(port) < 65536:
            raise ValueError(f"port {port} out of range")
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"--scheduler {address}: not a Dask scheduler address like tcp://host:8786 "
                            f"({str(exc).splitlines()[0]})") from None
    if scheme == "ucx":
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ScenarioError(f"--scheduler {address}: cannot connect ({exc.strerror or exc})") from None


def _exit_with_parent(parent: int) -> None:
    """In a pool worker: exit as soon as the parent is gone (killed), not after the current run."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def execute(model: Callable, params: dict, seed: int, run_id: str = "") -> tuple[dict, pd.DataFrame | None, object]:
    """One run on a worker: the model's summary, daily outcomes and kept orders (an Arrow table, or None),
    or the error and traceback. ptsim's model logging orders gets the `run_id` (its order log is named by it)."""
    t0 = time.perf_counter()
    try:
        logs = isinstance(model, ScenarioModel) and model.orders
        out = model(params, seed, run_id=run_id) if logs else model(params, seed)
    except Exception as exc:                      # noqa: BLE001 - recorded, the experiment goes on
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
                "traceback": traceback.format_exc(), "elapsed_s": time.perf_counter() - t0}, None, None
    summary, ts = (out.summary, out.timeseries) if isinstance(out, RunResult) else (out, None)
    summary = {str(k): float(v) for k, v in summary.items()}
    record = {"status": "ok", "summary": summary, "elapsed_s": time.perf_counter() - t0}
    if isinstance(out, RunResult) and out.burn_in_cached is not None:
        record["burn_in_cached"] = out.burn_in_cached
    return record, ts, out.orders if isinstance(out, RunResult) else None


def model_id(model: Callable) -> str:
    if isinstance(model, ScenarioModel):
        return "ptsim"
    return f"{getattr(model, '__module__', '?')}.{getattr(model, '__qualname__', type(model).__name__)}"


def run_design(design: Design, model: Callable, *, scenarios: dict[str, Scenario] | None = None,
               out: str | Path | None = None, resume: bool = False, workers: int = 1,
               backend: str = "processes", scheduler: str | None = None, executor: cf.Executor | None = None,
               progress: Callable[[int, int], None] | None = None, command: str = "experiment",
               extra: dict | None = None, orders: bool = False, on_plan: Callable[[Plan], None] | None = None,
               dry_run: bool = False) -> Experiment | Plan:
    """Run every (point, replication) of `design` not yet stored under `out` and return the tables.

    `progress(done, total)` is called as runs finish (and, for runs in this process, daily with a
    fractional `done`); `on_plan(plan)` once before the first run starts, with what is to run and a
    rough duration (plan.py). `dry_run` returns that plan without running or writing anything. Pass
    `executor` to use your own pool. `orders`: every run of ptsim's model logs its orders, each worker
    writing out/orders/<run_id>.parquet as its run goes (without `out`, they are kept in memory);
    `Experiment.orders()` reads them.
    """
    scenarios = scenarios or {}
    if orders and not isinstance(model, ScenarioModel):
        raise ScenarioError("orders: only ptsim's own model logs orders, not a model function")
    identity = {**design.identity(), "model": model_id(model),
                "scenarios": {k: s.digest() for k, s in scenarios.items()}}
    manifest = results.manifest(scenarios, design.seeds, command=command, design=identity,
                                replications=design.reps, **(extra or {}), **({"orders": True} if orders else {}))
    store = FolderStore(out) if out is not None else MemoryStore()
    store.check(resume)                      # before a cluster starts: a bad --out fails at once
    drop = {"point"} if scenarios else {"point", "scenario"}   # a model function sees only parameters
    params = {row["point"]: {k: v for k, v in row.items() if k not in drop}
              for row in design.points.to_dict("records")}

    if dry_run:
        done = store.finished(design) if resume else set()
        return plan(design, model, params, [r for r in design.run_ids() if r[0] not in done], workers, scheduler)

    if isinstance(model, ScenarioModel):
        model.check_cache()

    def record_of(run, outcome):
        rid, point, rep = run
        return {"run_id": rid, "point": int(point), "replication": rep, "seed": design.seeds[rep], **outcome}

    with (_given(executor) if executor is not None else executor_for(workers, backend, scheduler)) as (ex, slots), \
            _day_progress_off_at_exit(model, orders):
        # the folder is prepared once the executor is up, so a bad --scheduler leaves nothing behind
        done = store.prepare(design, manifest, resume)
        if orders:
            model.orders = True if store.folder is None else str(store.orders_dir.absolute())
        todo = warm_first([r for r in design.run_ids() if r[0] not in done])
        total, finished = len(design.run_ids()), len(design.run_ids()) - len(todo)
        if on_plan:
            on_plan(plan(design, model, params, todo, workers if executor is None else slots // 2, scheduler))
        if progress:
            progress(finished, total)
        if progress and isinstance(ex, SerialExecutor) and isinstance(model, ScenarioModel):
            model.on_day = lambda share: progress(finished + share, total)     # a long run shows its days
        pending: dict[cf.Future, tuple] = {}
        queue = iter(todo)
        while True:
            for run in queue:
                pending[ex.submit(execute, model, params[run[1]], design.seeds[run[2]], run[0])] = run
                if len(pending) >= slots:
                    break
            if not pending:
                break
            finished_now, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in finished_now:
                run = pending.pop(fut)
                try:
                    outcome, ts, kept = fut.result()
                except Exception as exc:          # noqa: BLE001 - a worker died or could not unpickle
                    hint = f" ({MAIN_GUARD})" if isinstance(exc, BrokenProcessPool) else ""
                    outcome, ts, kept = {"status": "failed", "error": f"{type(exc).__name__}: {exc}".splitlines()[0]
                                         + hint, "traceback": "".join(traceback.format_exception(exc))}, None, None
                store.save(record_of(run, outcome), ts, kept)
                finished += 1
                if progress:
                    progress(finished, total)
    exp = store.finish(design, getattr(model, "outcomes", ()))
    if len(exp.failed):
        first = exp.failed.iloc[0]
        warnings.warn(f"{len(exp.failed)} of {len(exp.runs)} run(s) failed, so their outcomes are missing (first: "
                      f"{first['run_id']}: {first['error']}); see .failed", RuntimeWarning, stacklevel=2)
    return exp


def warm_first(runs: list[tuple]) -> list[tuple]:
    """Submission order: the first point's replications first, then the rest replication by replication.
    Arms that share a status quo share each replication's burn-in (warm_state.py), so the first point
    computes the burn-ins in parallel and the other arms load them; submitted replication by replication
    from the start, two workers would wait on the same burn-in. Seeds do not depend on the order."""
    if not runs:
        return runs
    first = runs[0][1]
    return [r for r in runs if r[1] == first] + [r for r in runs if r[1] != first]


@contextmanager
def _day_progress_off_at_exit(model, orders: bool = False):
    try:
        yield
    finally:
        if isinstance(model, ScenarioModel):
            model.on_day = None
            if orders:
                model.orders = None


@contextmanager
def _given(executor: cf.Executor):
    yield executor, max(1, getattr(executor, "_max_workers", 1)) * 2


def run_experiment(scenarios, reps: int | None = None, *, seed: int | None = None,
                   out: str | Path | None = None, resume: bool = False, workers: int = 1,
                   backend: str = "processes", scheduler: str | None = None, progress=None,
                   command: str = "experiment", cache: bool = True, max_runs: int | None = MAX_RUNS,
                   posterior=None, draws: int | None = None, orders: bool = False, on_plan=None,
                   dry_run: bool = False) -> Experiment | Plan:
    """Run replications of one or more scenarios with common random numbers; return the tables.

    `scenarios` is a list of `Scenario`s or YAML paths (or a dict name -> Scenario). Replications
    and root seed default to the first scenario's `run.reps` and `run.seed`. `ptsim run` is this
    with one scenario; `command` names the caller in the manifest. Arms share each replication's
    burn-in through the warm-state cache; `cache=False` simulates it in every run (same results).
    More than `max_runs` runs (scenarios x replications) are refused before starting; None lifts the limit.
    `on_plan` and `dry_run` as in `run_design`: the plan is said before the runs, or returned instead.
    With a `posterior` (a `Posterior`, a posterior folder or its posterior.parquet), `draws` parameter
    vectors (default: one per replication) are drawn by weight and each runs `reps / draws` replications,
    the same vector for every arm (posterior.py). `orders=True` logs every order of every run's recorded
    days to out/orders/<run_id>.parquet (kept in memory without `out`); `Experiment.orders()` reads them.

    >>> from ptsim.experiment import run_experiment
    >>> exp = run_experiment(["scenarios/baseline.yaml"], reps=4, workers=2)   # doctest: +SKIP
    >>> exp.runs[["scenario", "replication", "gmv_total"]]                       # doctest: +SKIP
    """
    named = resolve_scenarios(scenarios)
    first = next(iter(named.values()))
    root = first.run.seed if seed is None else seed
    design = compare_design(named, reps or first.run.reps, root, max_runs)
    model, extra = ScenarioModel(named, cache=cache), None
    if posterior is not None:
        from .posterior import Posterior, plan
        posterior = posterior if isinstance(posterior, Posterior) else Posterior.load(posterior)
        for scenario in named.values():
            posterior.check(scenario)
        model.by_seed, record = plan(posterior, design.seeds, root, draws)
        design.spec["posterior"] = {k: record[k] for k in ("digest", "draws", "drawn")}
        extra = {"posterior": record}
    elif draws is not None:
        raise ScenarioError("--draws: only with --posterior (the number of parameter vectors to draw)")
    return run_design(design, model, scenarios=named, out=out, resume=resume, workers=workers, backend=backend,
                      scheduler=scheduler, progress=progress, command=command, extra=extra, orders=orders,
                      on_plan=on_plan, dry_run=dry_run)


def resolve_scenarios(scenarios, overrides: dict | None = None) -> dict[str, Scenario]:
    """Scenarios by name from Scenario objects, YAML paths or a dict; names must be distinct."""
    from ..scenario import load_scenario
    if isinstance(scenarios, (Scenario, str, Path)):
        scenarios = [scenarios]
    items = scenarios.items() if isinstance(scenarios, dict) else [(None, s) for s in scenarios]
    named: dict[str, Scenario] = {}
    for name, s in items:
        s = load_scenario(s, overrides) if isinstance(s, (str, Path)) else \
            (s.with_overrides(overrides) if overrides else s)
        name = name or s.name
        if name in named:
            raise ScenarioError(f"scenario name {name!r} appears twice; give each scenario a distinct name")
        named[name] = s
    if not named:
        raise ScenarioError("no scenarios given")
    return named
