"""ABC-SMC with pyabc: the posterior of the world parameters given the facts as data.

pyabc's `ABCSMC` with a `StochasticAcceptor`, a temperature schedule and the measurement model as its
kernel (`likelihood.py`) targets the exact posterior of that measurement model, not an epsilon-approximation
(Wilkinson 2013; Schaelte & Hasenauer 2020): the last generation, at temperature 1, is a weighted sample of
it. The parameters live on the unit cube of the priors (uniform priors, so the box is the prior). The
simulator is any function of a unit-cube point returning each statement's value: the emulator with its
predictive variance (`EmulatedModel`), or a toy model in the tests. The run is stored in pyabc's
SQLite history (`DIR/abc.db`), so a killed run continues where it stopped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .likelihood import Statement


@dataclass
class Sample:
    """A weighted posterior sample on the unit cube, with pyabc's diagnostics."""
    unit: np.ndarray                  # rows: particles
    weight: np.ndarray                # normalised
    generations: int
    simulations: int
    final_temperature: float
    ess: float                        # Kish's effective sample size of the last generation
    temperatures: list[float]

    @property
    def reached_posterior(self) -> bool:
        """The last generation ran at temperature 1 (before that, a tempered approximation)."""
        return abs(self.final_temperature - 1.0) < 1e-9


VAR = "__var"          # suffix of a summary's extra variance (the emulator's uncertainty about it)


class EmulatedModel:
    """The simulator as its emulator: each statement's expected value at the point and, under `name__var`,
    the emulator's variance of it, which the kernel adds to the measurement error (the Gaussian and probit
    likelihoods integrate a Gaussian uncertainty exactly, so the emulator's doubt widens the posterior
    without making the acceptance noisy). A class, not a closure, so worker processes can receive it."""

    def __init__(self, emulator, names: list[str]):
        self.emulator, self.names = emulator, list(names)

    def __call__(self, u: np.ndarray) -> dict:
        out = {}
        for name in self.names:
            m, sd = self.emulator.targets[name].predict(u[None, :])
            out[name], out[name + VAR] = float(m[0]), float(sd[0] ** 2)
        return out


TARGET_ACCEPTANCE = 0.1


MIN_ACCEPTANCE = 1e-3
DECAY = 0.5


def schedule(pyabc):
    """Each generation's temperature: the lower of the one at which about a tenth of proposals would be
    accepted and half the last, down to 1 (the posterior); never forced to 1 early, which would leave a last
    generation that accepts almost nothing."""
    return pyabc.Temperature(schemes=[pyabc.epsilon.AcceptanceRateScheme(target_rate=TARGET_ACCEPTANCE),
                                      pyabc.epsilon.ExpDecayFixedRatioScheme(alpha=DECAY)],
                             enforce_exact_final_temperature=False)


def finished(history) -> bool:
    """The stored run already reached temperature 1."""
    pops = history.get_all_populations()
    return bool(len(pops) and abs(float(pops["epsilon"].iloc[-1]) - 1.0) < 1e-9)


def run_abc(model: Callable[[np.ndarray], dict], dim: int, stmts: list[Statement], observed: dict | None = None,
            *, population: int = 400, generations: int = 25, seed: int = 0, db: str | Path | None = None,
            resume: bool = False, extra_var: dict | None = None) -> Sample:
    """ABC-SMC over the unit cube of `dim` parameters; `observed` (name -> datum) replaces the published
    data (the coverage check's synthetic data); `extra_var` adds variance to a statement's error. Stops
    at temperature 1, after `generations`, or when fewer than 1 in 1,000 proposals are accepted (then
    `Sample.reached_posterior` is False: a tempered approximation)."""
    import pyabc
    logging.getLogger("ABC").setLevel(logging.WARNING)
    for name in ("ABC.Sampler", "ABC.History", "ABC.Acceptor", "ABC.Epsilon", "ABC.Distance", "ABC.Transition",
                 "ABC.Population", "ABC.Predictor", "ABC.Adaptation"):
        logging.getLogger(name).setLevel(logging.WARNING)
    extra = extra_var or {}
    obs = {s.name: float(s.observed if observed is None else observed[s.name]) for s in stmts}
    use = [Statement(s.name, s.kind, s.bound, s.sd, obs[s.name]) for s in stmts]
    pdf_max = sum(s.max_log_likelihood(extra.get(s.name, 0.0)) for s in use)

    def kernel(x, x_0, t=None, par=None):
        return sum(s.log_likelihood(x[s.name], extra.get(s.name, 0.0) + x.get(s.name + VAR, 0.0)) for s in use)

    keys = [f"p{i}" for i in range(dim)]
    prior = pyabc.Distribution(**{k: pyabc.RV("uniform", 0, 1) for k in keys})
    np.random.seed(seed)
    abc = pyabc.ABCSMC(lambda par: model(np.array([par[k] for k in keys])), prior,
                       pyabc.distance.FunctionKernel(kernel, ret_scale="SCALE_LOG", pdf_max=pdf_max),
                       population_size=population, eps=schedule(pyabc), acceptor=pyabc.StochasticAcceptor(),
                       sampler=pyabc.SingleCoreSampler())
    path = Path(db) if db is not None else None
    url = f"sqlite:///{path}" if path is not None else "sqlite://"
    if resume and path is not None and path.is_file():
        abc.load(url, 1)
        done = abc.history.max_t + 1
    else:
        if path is not None and path.exists():
            path.unlink()
        abc.new(url, obs)
        done = 0
    history = abc.history if done >= generations or finished(abc.history) else \
        abc.run(minimum_epsilon=1.0, max_nr_populations=generations - done, min_acceptance_rate=MIN_ACCEPTANCE)
    frame, w = history.get_distribution()
    pops = history.get_all_populations()
    temps = [float(e) for e in pops.loc[pops["t"] >= 0, "epsilon"]]
    w = np.asarray(w, float) / np.sum(w)
    return Sample(frame[keys].to_numpy(float), w, int(history.max_t + 1), int(history.total_nr_simulations),
                  temps[-1] if temps else float("nan"), float(1.0 / np.sum(w ** 2)), temps)
