"""BG/NBD and Gamma-Gamma fitted by maximum likelihood on the log scale, with standard errors from the
Hessian (the delta method)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, gammaln

from ...bgnbd import (
    gamma_gamma_loglik,
)
from .log import (
    BGNBD_PARAMS,
    GG_PARAMS,
    HESSIAN_STEP,
    LOG_BOUND,
)


# --------------------------------------------------------------------------------------- BG/NBD
@dataclass
class MLFit:
    """A maximum-likelihood fit: estimates, standard errors (delta method from the log scale), the
    covariance of the log-parameters, the log-likelihood and how the optimiser ended."""
    names: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    cov_log: np.ndarray | None
    loglik: float
    n: int
    converged: bool
    message: str
    at_bound: list[str]

    def __getitem__(self, name: str) -> float:
        return float(self.estimate[self.names.index(name)])

    def se_of(self, name: str) -> float:
        return float(self.se[self.names.index(name)])

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in zip(self.names, self.estimate)}


def _hessian(grad, theta: np.ndarray, h: float = HESSIAN_STEP) -> np.ndarray:
    """Hessian at theta by central finite differences of the analytic gradient, symmetrised."""
    e = np.eye(theta.size) * h
    H = np.column_stack([(grad(theta + e[i]) - grad(theta - e[i])) / (2 * h) for i in range(theta.size)])
    return (H + H.T) / 2


def _ml_fit(names, negll, starts, n: int) -> MLFit:
    """Minimise a total negative log-likelihood over log-parameters (`negll(theta)` returns the value
    and its gradient) from several starts with L-BFGS-B; standard errors from the inverse Hessian."""
    from scipy.optimize import minimize
    scale = 1.0 / max(n, 1)

    def scaled(theta):
        value, grad = negll(theta)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros_like(theta)
        return value * scale, grad * scale

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
    best = None
    for start in starts:
        res = minimize(scaled, np.log(start), jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
        if best is None or res.fun < best.fun:
            best = res
    theta = best.x
    at_bound = [nm for nm, v in zip(names, theta) if abs(v) > LOG_BOUND - 1e-3]
    estimate = np.exp(theta)
    cov, se = None, np.full(len(names), np.nan)
    if not at_bound:
        H = _hessian(lambda t: negll(t)[1], theta)
        try:
            np.linalg.cholesky(H)
            cov = np.linalg.inv(H)
            se = estimate * np.sqrt(np.diag(cov))
        except np.linalg.LinAlgError:
            cov = None
    return MLFit(tuple(names), estimate, se, cov, float(-negll(theta)[0]), n, bool(best.success),
                 str(best.message), at_bound)


def _bgnbd_negll(theta, x, t_x, T, weight, counts=None):
    """Total negative log-likelihood (eq. 6) and its gradient in the log-parameters. `counts` =
    np.unique(x, return_inverse=True): the special functions of x are computed once per distinct x."""
    from scipy.special import digamma
    r, alpha, a, b = np.exp(theta)
    ux, at = counts if counts is not None else np.unique(x, return_inverse=True)
    ub1 = b + np.maximum(ux, 1) - 1
    # eq. 6 as in bgnbd_loglik, exp(common) (exp(alive) + exp(gone)), keeping each term's share
    common = (gammaln(r + ux) - gammaln(r) + r * np.log(alpha) - betaln(a, b))[at]
    beta_alive, beta_gone = betaln(a, b + ux)[at], np.where(ux > 0, betaln(a + 1, ub1), -np.inf)[at]
    log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    alive = beta_alive - (r + x) * log_aT
    gone = beta_gone - (r + x) * log_atx
    top = np.maximum(alive, gone)
    w_alive, w_gone = np.exp(alive - top), np.exp(gone - top)
    total = w_alive + w_gone
    ll = common + top + np.log(total)
    w_alive, w_gone = w_alive / total, w_gone / total
    d_abx = digamma(a + b + ux)
    d_r = (digamma(r + ux) - digamma(r) + np.log(alpha))[at] - w_alive * log_aT - w_gone * log_atx
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + T) + w_gone / (alpha + t_x))
    d_a = (digamma(a + b) - digamma(a) + w_alive * (digamma(a) - d_abx)[at]
           + w_gone * (digamma(a + 1) - d_abx)[at])
    d_b = (digamma(a + b) - digamma(b) + w_alive * (digamma(b + ux) - d_abx)[at]
           + w_gone * np.where(ux > 0, digamma(ub1) - d_abx, 0.0)[at])
    grad = np.array([weight @ d for d in (d_r, d_alpha, d_a, d_b)]) * np.exp(theta)
    return -float(weight @ ll), -grad


def fit_bgnbd(x, t_x, T) -> MLFit:
    """BG/NBD by maximum likelihood (FHL 2005a, eq. 6) on customers' (x, t_x, T), in the time unit of
    t_x and T. Customers with the same summary are counted once with a weight."""
    data = np.column_stack([np.asarray(v, dtype=float) for v in (x, t_x, T)])
    if not len(data) or not (data[:, 0] > 0).any():
        raise ValueError("no repeat transactions: the BG/NBD needs customers who bought on at least two days")
    rows, weight = np.unique(data, axis=0, return_counts=True)
    ux, ut, uT = rows.T
    weight = weight.astype(float)
    rate = max(data[:, 0].sum() / max(data[:, 2].sum(), 1e-9), 1e-6)     # repeats per unit of time
    starts = [(1.0, 1.0 / rate, 1.0, 3.0), (0.3, 0.3 / rate, 0.5, 10.0)]
    counts = np.unique(ux, return_inverse=True)
    return _ml_fit(BGNBD_PARAMS, lambda theta: _bgnbd_negll(theta, ux, ut, uT, weight, counts), starts,
                   len(data))


# ---------------------------------------------------------------------------------- Gamma-Gamma
def _gamma_gamma_negll(theta, x, m):
    """Total negative log-likelihood of the Gamma-Gamma model and its gradient in the log-parameters."""
    from scipy.special import digamma
    p, q, g = np.exp(theta)
    ll = gamma_gamma_loglik(p, q, g, x, m)
    d_pxq, log_gmx = digamma(p * x + q), np.log(g + m * x)
    d_p = x * (d_pxq - digamma(p * x) + np.log(m) + np.log(x) - log_gmx)
    d_q = d_pxq - digamma(q) + np.log(g) - log_gmx
    d_g = q / g - (p * x + q) / (g + m * x)
    grad = np.array([d.sum() for d in (d_p, d_q, d_g)]) * np.exp(theta)
    return -float(ll.sum()), -grad


def fit_gamma_gamma(x, m) -> MLFit:
    """Gamma-Gamma spend by maximum likelihood on customers with x > 0 repeat transactions of mean m > 0."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x > 0) & np.isfinite(m) & (m > 0)
    x, m = x[keep], m[keep]
    if not len(x):
        raise ValueError("no customers with repeat transactions of positive amount")
    mean = float(np.average(m, weights=x))
    return _ml_fit(GG_PARAMS, lambda theta: _gamma_gamma_negll(theta, x, m),
                   [(2.0, 3.0, mean), (1.0, 10.0, 4.5 * mean)], len(x))
