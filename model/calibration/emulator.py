"""Gaussian-process emulators of the targets' expected values over the prior box (one per target).

A replication of the simulator costs about 10 CPU seconds even in a small world (docs/performance.md), so
likelihood-free inference runs on an emulator trained on a design of simulator runs (`design.py`), as in
Wilkinson 2014 (Accelerating ABC using Gaussian processes) and BOLFI (Gutmann & Corander 2016). Each target
gets scikit-learn's `GaussianProcessRegressor` on the unit cube with a Matern-5/2 kernel with one length
scale per parameter plus a white-noise term: the white noise learns the replication noise, the rest the
expected value, whose predictive spread (the emulator's own uncertainty) the likelihood carries.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import cho_solve

NU = 2.5


@dataclass
class TargetEmulator:
    """One target's fitted process: what predicting needs, in plain arrays (fast for one point at a time)."""
    name: str
    x: np.ndarray                # training points, unit cube
    alpha: np.ndarray            # K^-1 (y - mean) / y_sd, K with the white noise
    chol: np.ndarray             # lower Cholesky factor of K
    signal: float                # the Matern part's variance (standardised units)
    length: np.ndarray           # length scale per parameter
    noise: float                 # white-noise variance (standardised units): the replication noise
    y_mean: float
    y_sd: float

    def _cross(self, u: np.ndarray) -> np.ndarray:
        d = np.sqrt((((u[:, None, :] - self.x[None, :, :]) / self.length) ** 2).sum(-1)) * np.sqrt(5.0)
        return self.signal * (1.0 + d + d * d / 3.0) * np.exp(-d)

    def predict(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of the expected value (not of one replication) at unit-cube rows `u`."""
        k = self._cross(np.atleast_2d(u))
        mean = k @ self.alpha
        v = cho_solve((self.chol, True), k.T)
        var = np.maximum(self.signal - np.einsum("ij,ji->i", k, v), 0.0)
        return self.y_mean + self.y_sd * mean, self.y_sd * np.sqrt(var)

    @property
    def replication_sd(self) -> float:
        """The replication noise the white-noise term learned, in the target's units."""
        return float(self.y_sd * np.sqrt(self.noise))


def fit_target(name: str, u: np.ndarray, y: np.ndarray, seed: int = 0,
               like: TargetEmulator | None = None) -> TargetEmulator:
    """Fit one target's process by maximum marginal likelihood (scikit-learn), rows with NaN left out;
    `like`: keep that emulator's kernel parameters (a cheap refit on other runs, for held-out checks)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    ok = np.isfinite(y)
    u, y = u[ok], y[ok]
    if len(y) < 2 * u.shape[1] + 2:
        raise ValueError(f"{name}: {len(y)} finite design values; an emulator of {u.shape[1]} parameters needs at "
                         f"least {2 * u.shape[1] + 2}")
    y_mean, y_sd = float(y.mean()), float(y.std()) or 1.0
    if like is None:
        kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(np.full(u.shape[1], 0.5), (1e-2, 1e2), nu=NU) \
            + WhiteKernel(0.1, (1e-6, 1.0))
        gp = GaussianProcessRegressor(kernel, n_restarts_optimizer=2, random_state=seed)
    else:
        kernel = ConstantKernel(like.signal, "fixed") * Matern(like.length, "fixed", nu=NU) \
            + WhiteKernel(like.noise, "fixed")
        gp = GaussianProcessRegressor(kernel, optimizer=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(u, (y - y_mean) / y_sd)
    k = gp.kernel_
    return TargetEmulator(name, u, gp.alpha_.ravel(), gp.L_, float(k.k1.k1.constant_value),
                          np.atleast_1d(k.k1.k2.length_scale).astype(float), float(k.k2.noise_level), y_mean, y_sd)


@dataclass
class Emulator:
    """Emulators of several targets over the same prior box."""
    targets: dict[str, TargetEmulator] = field(default_factory=dict)

    @classmethod
    def fit(cls, u: np.ndarray, values: dict[str, np.ndarray], seed: int = 0, like: "Emulator | None" = None
            ) -> "Emulator":
        """One process per target; `like`: keep another emulator's kernel parameters (no optimisation)."""
        return cls({name: fit_target(name, u, np.asarray(y, float), seed, like.targets[name] if like else None)
                    for name, y in values.items()})

    def predict(self, u: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        means, sds = {}, {}
        for name, t in self.targets.items():
            means[name], sds[name] = t.predict(u)
        return means, sds


def held_out_check(emulator: Emulator, u: np.ndarray, values: dict[str, np.ndarray], folds: int = 5,
                   seed: int = 0) -> dict[str, dict]:
    """K-fold check of each target's emulator: the share of held-out runs within the 95% predictive interval
    (the expected value's spread plus the replication noise; about 0.95 if the emulator is honest) and the
    variance of the runs it explains (1 - residual variance / variance); kernel parameters as fitted on all runs."""
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(u)) % folds
    out = {}
    for name, y in values.items():
        y = np.asarray(y, float)
        inside, resid = [], []
        for k in range(folds):
            train, test = fold != k, (fold == k) & np.isfinite(y)
            t = fit_target(name, u[train], y[train], seed, emulator.targets[name])
            m, s = t.predict(u[test])
            total = np.sqrt(s ** 2 + t.replication_sd ** 2)
            inside.extend(np.abs(y[test] - m) <= 1.96 * total)
            resid.extend(y[test] - m)
        finite = y[np.isfinite(y)]
        spread = float(np.var(finite))
        out[name] = {"coverage_95": float(np.mean(inside)),
                     "explained": float(1 - np.var(resid) / spread) if spread > 0 else float("nan"),
                     "n": int(len(finite))}
    return out
