"""BG/NBD and Gamma-Gamma closed forms (Fader, Hardie & Lee 2005a, 2005b): the expected repeats and their
distribution that the docking checks compare the simulation with, and the likelihood and conditional
expectation that `ptsim fit-consumers` fits with. Time in any unit consistent with alpha.

The ground floor: numpy and scipy only.
"""

import numpy as np
from scipy.special import betaln, gammaln, hyp2f1


def bgnbd_expected_repeats(t: float, r: float, alpha: float, a: float, b: float) -> float:
    """E[X(t)]: expected repeat purchases in (0, t] for a new customer (FHL 2005, eq. 9)."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def bgnbd_pmf(x: int, t: float, r: float, alpha: float, a: float, b: float) -> float:
    """P(X(t) = x) for the BG/NBD (FHL 2005, eq. 8)."""
    lb = betaln(a, b + x) - betaln(a, b)
    term1 = np.exp(lb + gammaln(r + x) - gammaln(r) - gammaln(x + 1)
                   + r * np.log(alpha / (alpha + t)) + x * np.log(t / (alpha + t)))
    if x == 0:
        return float(term1)
    lb2 = betaln(a + 1, b + x - 1) - betaln(a, b)
    js = np.arange(x)
    tail = np.exp(gammaln(r + js) - gammaln(r) - gammaln(js + 1)
                  + r * np.log(alpha / (alpha + t)) + js * np.log(t / (alpha + t))).sum()
    return float(term1 + np.exp(lb2) * (1 - tail))


def bgnbd_loglik(r, alpha, a, b, x, t_x, T) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under the BG/NBD (Fader, Hardie & Lee 2005a, eq. 6):

    L = B(a, b+x)/B(a, b) Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    alive = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    gone = np.where(x > 0, betaln(a + 1, b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return common + np.logaddexp(alive, gone)


def bgnbd_conditional_expected(t, r, alpha, a, b, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in (T, T+t] of a customer with history (x, t_x, T)
    (Fader, Hardie & Lee 2005a, eq. 10)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    z = t / (alpha + T + t)
    top = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                                       * hyp2f1(r + x, b + x, a + b + x - 1, z))
    bottom = 1 + np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return top / bottom


def gamma_gamma_loglik(p, q, gamma, x, m) -> np.ndarray:
    """Log-likelihood of each customer's mean spend m over x repeat transactions under the Gamma-Gamma
    model (Fader, Hardie & Lee 2005b; Fader & Hardie 2013, eq. 3):

    L = Gamma(px+q) / (Gamma(px) Gamma(q)) gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q)
    """
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma) + (px - 1) * np.log(m)
            + px * np.log(x) - (px + q) * np.log(gamma + m * x))
