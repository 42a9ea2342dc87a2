"""`ptsim calibrate`: an Optuna study over scenario fields, fitted to a targets file.

Design (docs/calibration.md):

- **Storage.** The study lives in `DIR/study.journal`, Optuna's JournalStorage on a file (append-only,
  one JSON line per event, safe for several processes through a file lock). A killed calibration
  leaves every finished trial in it; `--resume` marks the trials that were running as failed
  (`interrupted`, not counted) and continues the same study up to `--trials`.
- **Parallelism.** K worker processes (spawned; one runs in this process when K is 1) share the
  study: each asks for a trial, runs its replications, tells the result. Asking happens under a
  lock shared by the workers, so exactly `--trials` trials are run. The sampler (TPE, with Optuna's
  constant liar for trials in flight) is seeded per session and worker.
- **Common random numbers.** Every trial runs the same replication seeds (spawned from the root
  seed), so two trials differ by their parameters, not by their luck.
- **Loss.** `TargetSet.loss` on the mean over the trial's replications: per target, weight x the
  squared distance outside its band in band half-widths (zero inside the band).
- **Pruning.** After each replication but the last, the trial reports the loss so far; a
  `PercentilePruner(75)` stops a trial whose loss is worse than three quarters of earlier trials'
  at the same replication (after 5 trials), so hopeless points cost one replication.
- **Outputs** (rewritten from the study at the end of every session): `calibrated.yaml`, `fit.md` and
  `fit.csv`, `importances.csv`, `trials.parquet`, `near_best.parquet`, `calibration.json`.

A study finds a best point. The trials near it, weighted by exp(-(loss - best)/2), are relative
likelihoods of the points an optimiser chose to try, not a posterior: `--method abc` (posterior_fit.py)
infers the posterior.

Beside this file: journal.py (the folder, its storage and lock), parameters.py (what may be fitted),
study_outputs.py (the tables and files a study writes).
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import results
from ..runs import replication_seeds
from ..scenario import Scenario, ScenarioError, load_scenario
from .journal import (
    JOURNAL,
    MANIFEST,
    STUDY,
    check_folder,
    counted,
    fail_interrupted,
    folder_lock,
    repair_journal,
    storage,
)
from .parameters import check_params, starting_point
from .study_outputs import (
    NEAR_BEST,
    NEAR_BEST_LEVEL,
    calibrated_yaml,
    fit_markdown,
    fit_table,
    importances,
    mean_values,
    near_best_table,
    near_best_threshold,
    trials_table,
)
from .targets import TargetSet, load_targets, probe_column, replication_values

PRUNE_PERCENTILE = 75.0         # prune a trial worse than this percentile of earlier trials ...
PRUNE_STARTUP = 5               # ... once this many trials have finished


class CalibrationError(RuntimeError):
    """The calibration ran but could not finish as asked (a worker died, no trial completed)."""


@dataclass
class Spec:
    """Everything a worker needs to run trials (picklable: it is sent to spawned processes)."""
    folder: str
    base: Scenario
    targets: TargetSet
    params: dict[str, tuple[float, float, bool]]      # name -> (low, high, integer)
    seeds: list[int]
    trials: int
    pruning: bool
    sampler_seed: int
    pruner: object = None                             # an Optuna pruner instead of the default


@dataclass
class Calibration:
    """What a calibration wrote: the best point, its fit, every trial, the trials near the best."""
    folder: Path
    trials: pd.DataFrame
    fit: pd.DataFrame
    near_best: pd.DataFrame
    best_trial: int | None
    best_loss: float
    best_params: dict
    importances: dict | None
    importance_note: str
    calibrated: Path | None
    counts: dict = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """Trials that failed with a model error (not those interrupted by a kill or Ctrl-C)."""
        return self.counts.get("fail", 0)


# ----------------------------------------------------------------------------- study and storage


def distributions(params: dict[str, tuple[float, float, bool]]) -> dict:
    from optuna.distributions import FloatDistribution, IntDistribution
    return {name: IntDistribution(int(lo), int(hi)) if integer else FloatDistribution(lo, hi)
            for name, (lo, hi, integer) in params.items()}


def default_pruner():
    import optuna
    return optuna.pruners.PercentilePruner(PRUNE_PERCENTILE, n_startup_trials=PRUNE_STARTUP, n_warmup_steps=0)


def _json_value(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def replicate(scenario: Scenario, seed: int, targets: TargetSet) -> dict[str, float]:
    """One replication: build the model (it simulates the burn-in: no warm-state cache, as every trial's
    status quo differs), probe prices if a target needs it, run the recorded days, read every target."""
    from .. import probe
    from ..model import PrivateTrafficModel
    m = PrivateTrafficModel(scenario, rng=seed, cache=False, create_agents=False)
    probes = {}
    for t in targets.targets:
        if t.model.read == "price_probe" and probe_column(t) not in probes:
            measure = probe.price_elasticity if t.model.level == "store" else probe.category_elasticity
            probes[probe_column(t)] = measure(m, n_needs=t.model.needs)
    m.run()
    return replication_values(targets, m.summary(), m.timeseries(), probes)


def evaluate(trial, spec: Spec) -> float:
    """Run a trial's replications with the common seeds; report the loss after each replication but
    the last (the pruner may stop the trial there); return the loss over all of them."""
    import optuna
    t0 = time.perf_counter()
    scenario = spec.base.with_overrides(dict(trial.params), source="calibrate")
    per_rep: list[dict] = []
    loss = math.nan
    for k, seed in enumerate(spec.seeds):
        values = replicate(scenario, seed, spec.targets)
        per_rep.append({name: _json_value(v) for name, v in values.items()})
        loss = spec.targets.loss(mean_values(per_rep))
        trial.set_user_attr("values", per_rep)
        trial.set_user_attr("loss", loss)
        trial.set_user_attr("seconds", time.perf_counter() - t0)
        if spec.pruning and k < len(spec.seeds) - 1:
            trial.report(loss, k)
            if trial.should_prune():
                raise optuna.TrialPruned()
    return loss


def work(spec: Spec, lock, worker: int = 0, on_trial: Callable[[], None] | None = None) -> None:
    """A worker: ask for trials (under `lock`, so exactly `spec.trials` count) and run them until
    the study has enough."""
    import optuna
    from optuna.trial import TrialState
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seed = int(np.random.SeedSequence([spec.sampler_seed, worker]).generate_state(1)[0])
    study = optuna.load_study(study_name=STUDY, storage=storage(spec.folder),
                              sampler=optuna.samplers.TPESampler(seed=seed),
                              pruner=spec.pruner if spec.pruner is not None else default_pruner())
    dists = distributions(spec.params)
    while True:
        with lock:
            if sum(counted(t) for t in study.get_trials(deepcopy=False)) >= spec.trials:
                return
            trial = study.ask(dists)
        try:
            loss = evaluate(trial, spec)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
        except KeyboardInterrupt:
            trial.set_user_attr("interrupted", True)
            study.tell(trial, state=TrialState.FAIL)
            raise
        except Exception as exc:              # noqa: BLE001 - a model error fails the trial, not the study
            trial.set_user_attr("error", f"{type(exc).__name__}: {exc}".splitlines()[0][:1000])
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, loss)
        if on_trial is not None:
            on_trial()


def _child(spec: Spec, lock, worker: int, parent: int) -> None:
    """A spawned worker process: exits as soon as the parent is gone; errors become one line."""
    import sys

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()
    try:
        work(spec, lock, worker)
    except KeyboardInterrupt:
        sys.exit(130)
    except BaseException as exc:              # noqa: BLE001 - reported by the parent
        print(f"calibration worker {worker}: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        sys.exit(3)


def progress_state(study) -> tuple[int, float | None, int | None]:
    """(trials finished and counted, best loss so far, its trial number)."""
    from optuna.trial import TrialState
    trials = study.get_trials(deepcopy=False)
    done = sum(counted(t) and t.state != TrialState.RUNNING for t in trials)
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    best = min(complete, key=lambda t: t.value, default=None)
    return done, (best.value if best else None), (best.number if best else None)


def run_workers(spec: Spec, workers: int, progress=None) -> None:
    """Run the study's remaining trials: in this process (one worker) or in `workers` spawned
    processes sharing the journal; `progress(done, total, best_loss, best_trial)` as trials finish."""
    import optuna
    study = optuna.load_study(study_name=STUDY, storage=storage(spec.folder))

    def report():
        if progress is not None:
            done, best, number = progress_state(study)
            progress(done, spec.trials, best, number)
    report()
    if workers <= 1:
        work(spec, contextlib.nullcontext(), 0, on_trial=report)
        return
    ctx = multiprocessing.get_context("spawn")
    lock = ctx.Lock()
    procs = [ctx.Process(target=_child, args=(spec, lock, i, os.getpid()), daemon=True) for i in range(workers)]
    for p in procs:
        p.start()
    try:
        while any(p.is_alive() for p in procs):
            report()
            for p in procs:
                p.join(timeout=0.5 / len(procs))
    except KeyboardInterrupt:
        for p in procs:                        # each marks its trial as interrupted and stops
            if p.is_alive():
                with contextlib.suppress(OSError):
                    os.kill(p.pid, 2)
        for p in procs:
            p.join(timeout=20)
            if p.is_alive():
                p.terminate()
        raise
    report()
    bad = [p.exitcode for p in procs if p.exitcode != 0]
    if bad:
        raise CalibrationError(f"{len(bad)} of {workers} calibration worker(s) stopped with an error (exit "
                               f"{bad[0]}); finished trials are saved: continue with --resume")


# ----------------------------------------------------------------------------- the calibration
def calibrate(scenario, targets=None, params: dict | None = None, *, trials: int = 50, reps: int = 4,
              seed: int | None = None, workers: int = 1, out: str | Path | None = None, resume: bool = False,
              pruning: bool = True, pruner=None, level: float = NEAR_BEST_LEVEL,
              overrides: dict | None = None, progress=None, confirm: int = 0, confirm_reps: int | None = None,
              confirm_overrides: dict | None = None) -> Calibration:
    """Fit `params` (dotted scenario field -> (low, high)) of `scenario` (a YAML path or Scenario) to
    `targets` (a TargetSet, a path, or None for targets/published.yaml) with an Optuna study of
    `trials` trials of `reps` replications each (common seeds from `seed`, default `run.seed`) on
    `workers` processes, stored in `out`. `resume` continues the study in `out`. `pruner` replaces the
    default `PercentilePruner(75)`. `progress(done, total, best_loss, best_trial)` is called as trials
    finish. Every trial simulates its own burn-in (its parameters change the status quo), so the
    warm-state cache is not used.

    `confirm` > 0 re-runs the `confirm` best completed trials with `confirm_reps` seeds (default twice
    `reps`, spawned from the scenario's `run.seed` as `ptsim validate` does) at `confirm_overrides`
    (default `overrides`: the same size; give the size the answer will be used at); the trial meeting
    the most targets there, then with the lowest loss, becomes calibrated.yaml and the fit table
    (`confirm.csv` lists every candidate). A study's loss over a few replications ranks close trials
    by noise; the confirmation ranks them on more seeds at the size of use.

    >>> c = calibrate("scenarios/baseline.yaml", None, {"choice.deal_utility": (0.5, 3)},
    ...               trials=40, reps=4, out="results/cal")                      # doctest: +SKIP
    >>> c.best_params, c.fit[["target", "model_mean", "met"]]                    # doctest: +SKIP
    """
    import optuna

    from ..scenario import extends_ref, scenario_path
    for name, value, minimum in (("trials", trials, 1), ("reps", reps, 1), ("workers", workers, 1),
                                 ("confirm", confirm, 0), ("confirm-reps", confirm_reps or 1, 1)):
        if value < minimum:
            raise ScenarioError(f"--{name}: must be >= {minimum} (got {value})")
    if not 0 < level < 1:
        raise ScenarioError(f"--near-best-level: must lie between 0 and 1 (got {level})")
    source = None
    if isinstance(scenario, (str, Path)):
        source = scenario_path(scenario)          # a file, or a library scenario's name ("baseline")
        base = load_scenario(scenario, overrides)
    else:
        base = scenario.with_overrides(overrides) if overrides else scenario
    targets = targets if isinstance(targets, TargetSet) else load_targets(targets)
    spec_params = check_params(base, params or {})
    root = base.run.seed if seed is None else seed
    seeds = replication_seeds(root, reps)
    folder = Path(out) if out is not None else results.default_out_dir(f"calibrate-{base.name}")
    check_folder(folder, resume)
    extends = None if source is None else extends_ref(source, folder)    # what calibrated.yaml extends

    identity = {"scenario": base.digest(), "targets": targets.digest(),
                "params": {k: [lo, hi, "int" if i else "float"] for k, (lo, hi, i) in spec_params.items()},
                "seeds": [str(s) for s in seeds], "pruning": pruning}
    with results.writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
    with folder_lock(folder):
        manifest_path = folder / MANIFEST
        if manifest_path.is_file():
            old = json.loads(manifest_path.read_text())
            diff = [k for k in identity if old.get("identity", {}).get(k) != identity[k]]
            if diff:
                raise ScenarioError(f"{folder}: --resume: the folder holds a different calibration (differs in: "
                                    f"{', '.join(diff)}); use the same scenario, --set, --targets, --param, "
                                    "--reps, --seed and pruning, or another --out")
            manifest = old
            manifest["resumed"] = old.get("resumed", []) + [time.strftime("%Y-%m-%dT%H:%M:%S%z")]
        else:
            manifest = results.manifest({base.name: base}, seeds, command="calibrate", identity=identity)
            manifest.update(scenario_file=str(source) if source else None, overrides=overrides or {},
                            targets_file=targets.path, params=identity["params"], reps=reps, root_seed=root,
                            storage=JOURNAL, study=STUDY)
        manifest.update(trials=trials, workers=workers)
        results.atomic_write_json(manifest, manifest_path)

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        repair_journal(folder / JOURNAL)
        with results.writing(folder / JOURNAL):
            study = optuna.create_study(study_name=STUDY, storage=storage(folder), direction="minimize",
                                        load_if_exists=True)
        interrupted = fail_interrupted(study)
        session = len(study.get_trials(deepcopy=False))
        if session == 0:
            start = starting_point(base, spec_params)
            if start:
                study.enqueue_trial(start)
        spec = Spec(str(folder), base, targets, spec_params, seeds, trials, pruning,
                    int(np.random.SeedSequence([root, session]).generate_state(1)[0]), pruner)
        try:
            run_workers(spec, workers, progress)
        finally:
            # whatever happened, the files reflect every trial finished so far
            result = write_outputs(folder, study, spec, extends, level, manifest, interrupted)
        if confirm and result.best_trial is not None:
            if isinstance(scenario, (str, Path)):
                at_size = load_scenario(scenario, confirm_overrides if confirm_overrides is not None else overrides)
            else:
                at_size = scenario.with_overrides(confirm_overrides) if confirm_overrides else base
            result = confirm_best(folder, study, spec, at_size, confirm, confirm_reps or 2 * reps, workers,
                                  extends, manifest, result)
    return result


def confirm_best(folder: Path, study, spec: Spec, at_size: Scenario, n: int, reps: int, workers: int,
                 extends: str | None, manifest: dict, result: Calibration) -> Calibration:
    """Re-run the `n` best completed trials at `at_size` with `reps` common seeds; the one meeting the
    most targets, then with the lowest loss, is written as calibrated.yaml and fit.md/csv."""
    from optuna.trial import TrialState

    from ..experiment.runner import executor_for
    targets = spec.targets
    complete = sorted((t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                       if t.value is not None), key=lambda t: (t.value, t.number))[:n]
    seeds = replication_seeds(at_size.run.seed, reps)
    runs = [(t, seed) for t in complete for seed in seeds]
    with executor_for(workers) as (ex, _):
        futures = [ex.submit(replicate, at_size.with_overrides(dict(t.params), source="calibrate"), seed, targets)
                   for t, seed in runs]
        values = [f.result() for f in futures]
    rows, fits = [], {}
    for k, t in enumerate(complete):
        fit = fit_table(targets, values[k * reps:(k + 1) * reps])
        fits[t.number] = fit
        rows.append({"trial": t.number, "study_loss": float(t.value), "loss": float(fit["loss"].sum()),
                     "met": int(fit["met"].sum()), **dict(zip(fit["target"], fit["model_mean"])),
                     **dict(t.params)})
    table = pd.DataFrame(rows)
    chosen = int(table.sort_values(["met", "loss"], ascending=[False, True]).iloc[0]["trial"])
    row = table.set_index("trial").loc[chosen]
    results.atomic_write_bytes(folder / "confirm.csv", table.to_csv(index=False).encode())
    size = (f"{at_size.population.consumers:,} consumers, {at_size.population.merchants:,} stores, {reps} "
            "replications")
    header = (f"trial {chosen} (study loss {row['study_loss']:.6g}), chosen among the {len(complete)} best trials "
              f"re-run at {size}: {int(row['met'])} of {len(targets.targets)} targets met, loss {row['loss']:.6g}")
    fit = fits[chosen]
    results.atomic_write_bytes(folder / "fit.csv", fit.to_csv(index=False).encode())
    results.atomic_write_bytes(folder / "fit.md", fit_markdown(fit, f"Calibration fit: {header}").encode())
    params = dict(next(t for t in complete if t.number == chosen).params)
    calibrated = folder / "calibrated.yaml"
    results.atomic_write_bytes(calibrated, calibrated_yaml(extends, spec.base, params, header,
                                                           manifest.get("overrides")).encode())
    load_scenario(calibrated)
    manifest["result"]["confirmation"] = {"trials": [t.number for t in complete], "reps": reps,
                                          "seeds": [str(s) for s in seeds], "size": size, "chosen": chosen,
                                          "met": int(row["met"]), "loss": float(row["loss"])}
    results.atomic_write_json(manifest, folder / MANIFEST)
    return replace(result, fit=fit, best_trial=chosen, best_loss=float(row["loss"]), best_params=params,
                   calibrated=calibrated)


def write_outputs(folder: Path, study, spec: Spec, extends: str | None, level: float, manifest: dict,
                  interrupted: int = 0) -> Calibration:
    """Write trials.parquet, near_best.parquet, calibrated.yaml, fit.md/csv, importances.csv and the
    manifest's result from the study as it stands."""
    from optuna.trial import TrialState
    targets, params = spec.targets, list(spec.params)
    table = trials_table(study, targets, spec.params)
    states = table["state"].where(table["error"].fillna("") != "interrupted", "interrupted")
    counts = {k: int(v) for k, v in states.value_counts().items()}
    described = {t.name: ("-", f"Target {t.name}, mean over the trial's replications: {t.definition}")
                 for t in targets.targets}
    results.atomic_write_parquet(table, folder / "trials.parquet", described)
    near_best = near_best_table(table, params, level)
    results.atomic_write_parquet(near_best, folder / NEAR_BEST, described)
    (folder / "posterior.parquet").unlink(missing_ok=True)     # an older ptsim's name for near_best.parquet
    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if t.value is not None]
    best = min(complete, key=lambda t: (t.value, t.number), default=None)
    imp, note = importances(study, len(complete))
    if imp is not None:
        results.atomic_write_bytes(folder / "importances.csv", pd.DataFrame(
            {"parameter": list(imp), "importance": list(imp.values())}).to_csv(index=False).encode())
    else:
        (folder / "importances.csv").unlink(missing_ok=True)
    calibrated, fit = None, pd.DataFrame()
    if best is not None:
        header = (f"best of {len(complete)} completed trials: trial {best.number}, loss {best.value:.6g}; "
                  f"{len(spec.seeds)} replication{'s' if len(spec.seeds) > 1 else ''} each")
        fit = fit_table(targets, best.user_attrs.get("values", []))
        results.atomic_write_bytes(folder / "fit.csv", fit.to_csv(index=False).encode())
        results.atomic_write_bytes(folder / "fit.md", fit_markdown(
            fit, f"Calibration fit: {header}").encode())
        calibrated = folder / "calibrated.yaml"
        results.atomic_write_bytes(calibrated, calibrated_yaml(extends, spec.base, dict(best.params), header,
                                                               manifest.get("overrides")).encode())
        load_scenario(calibrated)                       # it must load: a broken file is a bug, not bad input
    manifest["result"] = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "states": counts, "interrupted_marked": interrupted,
        "best_trial": best.number if best else None, "best_loss": best.value if best else None,
        "best_params": dict(best.params) if best else None,
        "near_best": {"rule": "completed trials with loss <= best + chi2.ppf(level, n_params), weight "
                              "exp(-(loss - best)/2), normalised: relative likelihoods of the points tried, "
                              "not a posterior", "level": level,
                      "threshold": near_best_threshold(len(params), level), "trials": len(near_best)},
        "importances": imp, "importance_note": note}
    results.atomic_write_json(manifest, folder / MANIFEST)
    return Calibration(folder, table, fit, near_best, best.number if best else None,
                       best.value if best else math.nan, dict(best.params) if best else {}, imp, note, calibrated,
                       counts)
