"""`ptsim calibrate --method abc`: the posterior of the world parameters given the published facts.

Steps, each resumable from DIR: a Latin-hypercube design of simulator runs over the priors (`design.py`);
Gaussian-process emulators of every target (`emulator.py`), checked on held-out runs; ABC-SMC with pyabc on
the emulators, with the facts as data through the measurement model (`abc.py`, `likelihood.py`); optionally
the coverage check on held-out runs as truths (`coverage.py`). Outputs: `posterior.parquet` (the last
generation's particles and weights, which `ptsim compare --posterior` draws from), `posterior.csv`,
`fit.csv`, `emulator.csv`, `coverage.csv`, `calibrated.yaml` (the posterior medians) and `calibration.json`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario import ScenarioError, load_scenario
from .abc import EmulatedModel, Sample, run_abc
from .coverage import Coverage, check_coverage
from .design import run_design
from .emulator import Emulator, held_out_check
from .likelihood import left_out, statements
from .priors import Priors
from .targets import TargetSet

MANIFEST = "calibration.json"
METHOD = "abc-smc"


FOLDS = 5


def min_design(n_params: int) -> int:
    """The fewest design runs whose emulators can be fitted and checked on held-out folds (each fold trains
    on 4/5 of the runs and needs 2 x parameters + 2)."""
    return math.ceil((2 * n_params + 2) * FOLDS / (FOLDS - 1)) + 1


@dataclass
class PosteriorFit:
    """What `--method abc` wrote."""
    folder: Path
    posterior: pd.DataFrame                       # parameters and weight, one row per particle
    summary: pd.DataFrame                         # per parameter: prior range, mean, sd, 5/50/95% quantiles
    fit: pd.DataFrame                             # per target: band, posterior predictive expected value
    emulator_checks: pd.DataFrame
    sample: Sample
    coverage: Coverage | None = None
    seconds: dict = field(default_factory=dict)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order]) - 0.5 * w[order]
    return float(np.interp(q, cw / cw[-1], x[order]))


def summary_table(priors: Priors, theta: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    rows = []
    for j, name in enumerate(priors.names):
        x = theta[:, j]
        mean = float(w @ x)
        rows.append({"parameter": name, "prior_low": priors.low[j], "prior_high": priors.high[j], "mean": mean,
                     "sd": float(np.sqrt(w @ (x - mean) ** 2)), "q05": weighted_quantile(x, w, 0.05),
                     "median": weighted_quantile(x, w, 0.5), "q95": weighted_quantile(x, w, 0.95),
                     "source": priors.sources[j] if priors.sources else ""})
    return pd.DataFrame(rows)


def fit_table(targets: TargetSet, emulator: Emulator, unit: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    """Each target's expected value under the posterior (the emulator's mean over the particles)."""
    data = {s.name for s in statements(targets)}
    out_reason = left_out(targets)
    means, _ = emulator.predict(unit)
    rows = []
    for t in targets.targets:
        if t.name not in means:
            continue
        m = means[t.name]
        mean = float(w @ m)
        rows.append({"target": t.name, "label": t.label or t.name, "band": t.band.text, "value": t.value,
                     "posterior_mean": mean, "q05": weighted_quantile(m, w, 0.05), "q95": weighted_quantile(m, w, 0.95),
                     "in_band": bool(t.band.contains(mean)), "display": t.display,
                     "role": "data" if t.name in data else out_reason.get(t.name, "")})
    return pd.DataFrame(rows)


def _config(scenario, overrides, priors: Priors, targets: TargetSet, design: int, seed: int, population: int,
            generations: int) -> dict:
    return {"method": METHOD, "scenario": load_scenario(scenario, overrides).digest(), "overrides": overrides or {},
            "priors": {n: list(r) for n, r in priors.ranges.items()}, "targets": targets.digest(),
            "design": design, "seed": seed, "population": population, "generations": generations}


def fit_posterior(scenario, targets: TargetSet, priors: Priors, *, design: int = 240, seed: int | None = None,
                  overrides: dict | None = None, workers: int = 1, out: str | Path, resume: bool = False,
                  population: int = 400, generations: int = 25, coverage: int = 0,
                  coverage_population: int | None = None, coverage_generations: int | None = None,
                  progress=None) -> PosteriorFit:
    """Run (or continue) the design, fit the emulators, run ABC-SMC, write the outputs; `coverage` > 0 also
    runs the coverage check with that many design runs held out as truths, by default with the posterior's own
    particles and generations (the check then tests the inference that is reported)."""
    coverage_population = population if coverage_population is None else coverage_population
    coverage_generations = generations if coverage_generations is None else coverage_generations
    base = load_scenario(scenario, overrides)
    priors.check(base)
    if design < min_design(len(priors.names)):
        raise ScenarioError(f"--design {design}: the emulators of {len(priors.names)} parameters need at least "
                            f"{min_design(len(priors.names))} runs (about 25 per parameter give a good fit)")
    if coverage and (coverage > design // 3 or design - coverage < 2 * len(priors.names) + 2):
        raise ScenarioError(f"--coverage {coverage}: at most a third of --design ({design // 3}), leaving at least "
                            f"{2 * len(priors.names) + 2} runs to refit the emulators on")
    seed = int(base.run.seed if seed is None else seed)
    folder = Path(out)
    config = _config(scenario, overrides, priors, targets, design, seed, population, generations)
    manifest = folder / MANIFEST
    if manifest.is_file():
        old = json.loads(manifest.read_text()).get("config")
        if not resume:
            raise ScenarioError(f"{folder}: already holds a calibration; pass --resume to continue it, or choose "
                                "another --out")
        if old != config:
            diff = sorted(k for k in config if (old or {}).get(k) != config[k])
            raise ScenarioError(f"{folder}: --resume: the calibration there differs in {', '.join(diff)}; use the "
                                "same options or another --out")
    elif folder.exists() and any(p for p in folder.iterdir() if not p.name.startswith(".")) and not resume:
        raise ScenarioError(f"{folder}: folder exists and is not empty; choose another --out")
    folder.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"config": config, "state": "running"}, indent=1))
    say = progress or (lambda stage, done, total: None)
    seconds = {}

    t0 = time.perf_counter()
    runs = run_design(folder, base, priors, targets, design, seed, workers,
                      progress=lambda d, n: say("design", d, n))
    seconds["design"] = time.perf_counter() - t0
    stmts = statements(targets)
    names = [s.name for s in stmts]
    readable = [t.name for t in targets.targets if t.name in runs.columns]
    unit = priors.unit(runs[list(priors.names)].to_numpy(float))
    values = {n: runs[n].to_numpy(float) for n in readable}

    held = np.zeros(len(runs), bool)
    if coverage:
        held[np.random.default_rng([seed, 1]).choice(len(runs), size=min(coverage, len(runs) // 3),
                                                     replace=False)] = True
    t0 = time.perf_counter()
    say("emulator", 0, 1)
    emulator = Emulator.fit(unit, values, seed)
    checks = held_out_check(emulator, unit, values, folds=FOLDS, seed=seed)
    seconds["emulator"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say("abc", 0, 1)
    sample = run_abc(EmulatedModel(emulator, names), len(priors.names), stmts, population=population,
                     generations=generations, seed=seed, db=folder / "abc.db", resume=resume)
    seconds["abc"] = time.perf_counter() - t0
    theta = priors.scale(sample.unit)
    posterior = pd.DataFrame(theta, columns=list(priors.names)).assign(weight=sample.weight)
    summary = summary_table(priors, theta, sample.weight)
    fit = fit_table(targets, emulator, sample.unit, sample.weight)

    cov = None
    if coverage:
        t0 = time.perf_counter()
        train = Emulator.fit(unit[~held], {n: v[~held] for n, v in values.items()}, seed, like=emulator)
        truths = unit[held]
        truth_values = [{n: float(values[n][i]) for n in names} for i in np.flatnonzero(held)]
        extra = {n: train.targets[n].replication_sd ** 2 for n in names}
        ok = [i for i, v in enumerate(truth_values) if all(np.isfinite(list(v.values())))]
        cov = check_coverage(EmulatedModel(train, names), tuple(priors.names), stmts, truths[ok],
                             [truth_values[i] for i in ok], seed=seed, population=coverage_population,
                             generations=coverage_generations, extra_var=extra, workers=workers,
                             progress=lambda d, n: say("coverage", d, n))
        cov.table().to_csv(folder / "coverage.csv", index=False)
        seconds["coverage"] = time.perf_counter() - t0

    posterior.to_parquet(folder / "posterior.parquet", index=False)
    summary.to_csv(folder / "posterior.csv", index=False)
    fit.to_csv(folder / "fit.csv", index=False)
    checks_table = pd.DataFrame([{"target": n, **c} for n, c in checks.items()])
    checks_table.to_csv(folder / "emulator.csv", index=False)
    from .study_outputs import calibrated_yaml
    medians = {r.parameter: float(r.median) for r in summary.itertuples()}
    from ..scenario import extends_ref
    extends = extends_ref(scenario, folder)
    (folder / "calibrated.yaml").write_text(calibrated_yaml(
        extends, base, medians, f"posterior medians of ABC-SMC on an emulator of {len(runs)} runs", overrides,
        what="the posterior medians of the calibrated parameters"))
    import pyabc
    import sklearn
    manifest.write_text(json.dumps({
        "config": config, "state": "done", "method": f"ABC-SMC (pyabc {pyabc.__version__}, stochastic acceptor, "
        f"temperature schedule) on Gaussian-process emulators (scikit-learn {sklearn.__version__})",
        "data": names, "left_out": left_out(targets), "design_runs": len(runs),
        "abc": {"generations": sample.generations, "emulator_simulations": sample.simulations,
                "temperatures": sample.temperatures, "reached_posterior": sample.reached_posterior,
                "effective_sample_size": sample.ess, "particles": len(sample.weight)},
        "coverage": None if cov is None else {"truths": len(cov.ranks), "passed": cov.passed,
                                              "particles": coverage_population,
                                              "generations": coverage_generations,
                                              "table": cov.table().to_dict(orient="records")},
        "seconds": seconds}, indent=1, default=float))
    return PosteriorFit(folder, posterior, summary, fit, checks_table, sample, cov, seconds)
