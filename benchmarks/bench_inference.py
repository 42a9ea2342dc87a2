"""Choosing a likelihood-free inference method by measurement (issue 25, first step; run by hand).

A synthetic problem with a known posterior, shaped like ptsim's calibration: three parameters with
uniform priors on [0, 1] (as the cited ranges of mechanism parameters, rescaled), and six summaries,
each a smooth nonlinear function of the parameters observed with Gaussian error whose standard
deviation is a published band's half-width over two (as targets/published.yaml's bands). The exact
posterior is computed by importance sampling from the prior with the Gaussian likelihood (2 million
draws). Each method is scored on the simulations it needs and on how far its posterior means and
standard deviations are from the exact ones (in units of the exact standard deviation).

    .venv/bin/python -m pip install pyabc sbi        # not ptsim dependencies (yet); sbi brings torch
    .venv/bin/python benchmarks/bench_inference.py --method pyabc --population 300 --generations 10
    .venv/bin/python benchmarks/bench_inference.py --method sbi --simulations 2000
    .venv/bin/python benchmarks/bench_inference.py --method emulated --design 150 --population 300 --generations 10
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np

TRUTH = np.array([0.3, 0.6, 0.45])
SIGMA = np.array([0.05, 0.05, 0.08, 0.04, 0.06, 0.05])


def summaries(theta: np.ndarray) -> np.ndarray:
    """Six smooth functions of three parameters (rows of `theta`), like ptsim's outcome ratios."""
    t = np.atleast_2d(theta)
    a, b, c = t[:, 0], t[:, 1], t[:, 2]
    return np.stack([a + 0.5 * b, b * (1 + c), np.exp(a - c), a * b + c, np.sqrt(b + 0.1) - 0.3 * a,
                     c ** 2 + 0.4 * a], axis=1)


def observed(seed: int = 0) -> np.ndarray:
    return summaries(TRUTH)[0] + np.random.default_rng(seed).normal(0, SIGMA)


def exact_posterior(y: np.ndarray, draws: int = 2_000_000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and standard deviation by importance sampling from the prior."""
    theta = np.random.default_rng(seed).random((draws, 3))
    logw = -0.5 * (((summaries(theta) - y) / SIGMA) ** 2).sum(axis=1)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    mean = w @ theta
    return mean, np.sqrt(w @ (theta - mean) ** 2)


def run_pyabc(y: np.ndarray, population: int, generations: int, seed: int) -> dict:
    """ABC-SMC (pyabc) with a stochastic acceptor: the Gaussian error is the likelihood, so the target is
    the exact posterior, not an epsilon-approximation."""
    import pyabc
    np.random.seed(seed)
    prior = pyabc.Distribution(**{k: pyabc.RV("uniform", 0, 1) for k in "abc"})
    kernel = pyabc.IndependentNormalKernel(var=SIGMA ** 2, keys=[f"s{j}" for j in range(len(SIGMA))])
    abc = pyabc.ABCSMC(lambda p: {f"s{j}": v for j, v in enumerate(summaries(np.array([p["a"], p["b"], p["c"]]))[0])},
                       prior, kernel, population_size=population, eps=pyabc.Temperature(),
                       acceptor=pyabc.StochasticAcceptor(), sampler=pyabc.SingleCoreSampler())
    db = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "abc.db")
    abc.new(db, {f"s{j}": v for j, v in enumerate(y)})
    t0 = time.perf_counter()
    history = abc.run(max_nr_populations=generations)
    seconds = time.perf_counter() - t0
    df, w = history.get_distribution()
    theta = df[["a", "b", "c"]].to_numpy()
    mean = w @ theta
    return {"simulations": int(history.total_nr_simulations), "seconds": seconds, "mean": mean.tolist(),
            "sd": np.sqrt(w @ (theta - mean) ** 2).tolist(), "ess": float(1 / (w ** 2).sum())}


def run_emulated(y: np.ndarray, design: int, population: int, generations: int, seed: int,
                 noise: float = 0.02) -> dict:
    """ptsim's method (`ptsim calibrate --method abc`): `design` simulator runs on a Latin hypercube (each with
    replication noise of sd `noise`), Gaussian-process emulators of the summaries, then pyabc's ABC-SMC on
    the emulators with their predictive spread drawn; the simulations counted are the design's."""
    from scipy.stats import qmc

    from ptsim.calibration.abc import EmulatedModel, run_abc
    from ptsim.calibration.emulator import Emulator
    from ptsim.calibration.likelihood import Statement
    u = qmc.LatinHypercube(d=3, seed=seed).random(design)
    x = summaries(u) + np.random.default_rng(seed).normal(0, noise, (design, len(SIGMA)))
    names = [f"s{j}" for j in range(len(SIGMA))]
    stmts = [Statement(n, "value", float("nan"), float(SIGMA[j]), float(y[j])) for j, n in enumerate(names)]
    t0 = time.perf_counter()
    em = Emulator.fit(u, {n: x[:, j] for j, n in enumerate(names)}, seed)
    s = run_abc(EmulatedModel(em, names), 3, stmts, population=population, generations=generations, seed=seed)
    mean = s.weight @ s.unit
    return {"simulations": design, "seconds": time.perf_counter() - t0, "mean": mean.tolist(),
            "sd": np.sqrt(s.weight @ (s.unit - mean) ** 2).tolist(), "ess": s.ess}


def run_sbi(y: np.ndarray, simulations: int, seed: int) -> dict:
    """Neural posterior estimation (sbi, torch): `simulations` draws from the prior, one network trained,
    then the posterior sampled at the observed summaries (amortised: other data need no new simulations)."""
    import torch
    from sbi.inference import NPE
    from sbi.utils import BoxUniform
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    theta = rng.random((simulations, 3))
    x = summaries(theta) + rng.normal(0, SIGMA, (simulations, len(SIGMA)))
    prior = BoxUniform(low=torch.zeros(3), high=torch.ones(3))
    t0 = time.perf_counter()
    npe = NPE(prior=prior)
    npe.append_simulations(torch.tensor(theta, dtype=torch.float32), torch.tensor(x, dtype=torch.float32))
    posterior = npe.build_posterior(npe.train(show_train_summary=False))
    draws = posterior.sample((20_000,), x=torch.tensor(y, dtype=torch.float32), show_progress_bars=False).numpy()
    seconds = time.perf_counter() - t0
    return {"simulations": simulations, "seconds": seconds, "mean": draws.mean(axis=0).tolist(),
            "sd": draws.std(axis=0).tolist()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="pyabc", choices=["pyabc", "sbi", "emulated"])
    ap.add_argument("--design", type=int, default=150, help="emulated: simulator runs the emulators learn from")
    ap.add_argument("--simulations", type=int, default=2000, help="sbi: simulations from the prior")
    ap.add_argument("--population", type=int, default=500)
    ap.add_argument("--generations", type=int, default=12)
    ap.add_argument("--seed", type=int, default=2)
    a = ap.parse_args(argv)
    y = observed()
    mean, sd = exact_posterior(y)
    r = run_pyabc(y, a.population, a.generations, a.seed) if a.method == "pyabc" else \
        run_emulated(y, a.design, a.population, a.generations, a.seed) if a.method == "emulated" else \
        run_sbi(y, a.simulations, a.seed)
    r["exact_mean"], r["exact_sd"] = mean.tolist(), sd.tolist()
    r["mean_error_in_sd"] = ((np.array(r["mean"]) - mean) / sd).round(3).tolist()
    r["sd_ratio"] = (np.array(r["sd"]) / sd).round(3).tolist()
    print(json.dumps(r, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
