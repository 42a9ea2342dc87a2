"""Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari & Gelman 2018): does the inference
cover the truth as often as it says?

Parameters are drawn from the prior, data simulated from them through the measurement model, the inference
run on each, and the truth's rank in its posterior recorded (the posterior weight below the true value, a
number in [0, 1] that is uniform when the inference is calibrated). The central 50% and 90% intervals must
cover the truth at their nominal rates: the check passes when the coverage over all parameters and truths
lies within 2.58 standard errors of nominal at both levels, the standard error counted over truths only (a
truth's parameters share its data, so they are not independent draws).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .abc import run_abc
from .likelihood import Statement

LEVELS = (0.5, 0.9)
Z = 2.58


@dataclass
class Coverage:
    """Ranks of the truths (rows: truths, columns: parameters) and the verdict."""
    names: tuple[str, ...]
    ranks: np.ndarray

    def covered(self, level: float) -> np.ndarray:
        lo = (1 - level) / 2
        return (self.ranks > lo) & (self.ranks < 1 - lo)

    def table(self) -> pd.DataFrame:
        """Coverage per parameter and over all, at each level, with the tolerance."""
        rows = []
        for j, name in enumerate(self.names + ("all",)):
            row = {"parameter": name}
            for level in LEVELS:
                c = self.covered(level)
                row[f"covered_{int(level * 100)}"] = float(c.mean() if name == "all" else c[:, j].mean())
            rows.append(row)
        return pd.DataFrame(rows)

    def tolerance(self, level: float) -> float:
        return Z * float(np.sqrt(level * (1 - level) / len(self.ranks)))

    @property
    def passed(self) -> bool:
        return all(abs(self.covered(level).mean() - level) <= self.tolerance(level) for level in LEVELS)


def weighted_rank(unit: np.ndarray, weight: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Posterior weight below the truth, per parameter (ties split in half)."""
    below = (unit < truth).astype(float) + 0.5 * (unit == truth)
    return weight @ below


def _one(args) -> np.ndarray:
    model, dim, stmts, truth, values, seed, population, generations, extra_var, truth_stmts = args
    rng = np.random.default_rng(seed)
    data = {s.name: s.simulate(values[s.name], rng, (extra_var or {}).get(s.name, 0.0)) for s in truth_stmts}
    sample = run_abc(model, dim, stmts, data, population=population, generations=generations, seed=seed,
                     extra_var=extra_var)
    return weighted_rank(sample.unit, sample.weight, truth)


def check_coverage(model, names: tuple[str, ...], stmts: list[Statement], truths: np.ndarray, values: list[dict],
                   *, seed: int = 0, population: int = 200, generations: int = 25, extra_var: dict | None = None,
                   workers: int = 1, progress=None, truth_stmts: list[Statement] | None = None) -> Coverage:
    """Run the inference on synthetic data from each truth (unit-cube rows `truths`, the model's values there
    `values`); `extra_var` (name -> variance) is noise in `values` beyond the measurement error (one
    replication's noise, when the values are simulator runs), which the inference is told about;
    `truth_stmts`: the measurement model that makes the data, if not the one the inference assumes (to show
    that the check catches a misspecified, overconfident inference)."""
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(len(truths))]
    jobs = [(model, len(names), stmts, truths[i], values[i], seeds[i], population, generations, extra_var,
             truth_stmts or stmts)
            for i in range(len(truths))]
    ranks = []
    if workers <= 1:
        for job in jobs:
            ranks.append(_one(job))
            if progress:
                progress(len(ranks), len(jobs))
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for r in pool.map(_one, jobs):
                ranks.append(r)
                if progress:
                    progress(len(ranks), len(jobs))
    return Coverage(tuple(names), np.array(ranks))
