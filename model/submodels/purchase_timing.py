"""Purchase timing and dropout: a BG/NBD process (Fader, Hardie & Lee 2005) on a seasonal clock.

Each consumer has a latent need rate `lam` (per day, Gamma(r, alpha) across consumers) and a
dropout probability `p_drop` (Beta(a, b)). While alive, needs arrive as a Poisson process; after
each repeat purchase the consumer turns dormant with probability `p_drop`. Time is measured on a
seasonal clock whose daily increment is the day's demand multiplier, so festivals raise the need
rate for everyone without per-consumer work. Needs are scheduled as the clock time of the next
need; the daily work is a comparison over all consumers and then work only on those due.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, hyp2f1


def draw_rates(rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float):
    """Heterogeneous need rates (per day) and dropout probabilities."""
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p_drop = rng.beta(a, b, size=n).astype(np.float32)
    return lam, p_drop


def next_need_clock(rng: np.random.Generator, start_clock: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Clock time of the next need after `start_clock` for consumers with rates `lam`."""
    with np.errstate(divide="ignore"):
        return start_clock + rng.standard_exponential(lam.shape[0]) / lam


def dropout(rng: np.random.Generator, p_drop: np.ndarray, repeat: np.ndarray) -> np.ndarray:
    """Which buyers turn dormant after this purchase (only repeat purchases can end a customer)."""
    return repeat & (rng.random(p_drop.shape[0]) < p_drop)


def seasonal_clock(multipliers: np.ndarray) -> np.ndarray:
    """Cumulative clock at the start of each day (length days + 1)."""
    return np.concatenate([[0.0], np.cumsum(multipliers, dtype=np.float64)])


# ---- closed forms used for docking (weeks or days, any unit consistent with alpha) ----

def bgnbd_expected_repeats(t: float, r: float, alpha: float, a: float, b: float) -> float:
    """E[X(t)]: expected repeat purchases in (0, t] for a new customer (FHL 2005, eq. 9)."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def bgnbd_pmf(x: int, t: float, r: float, alpha: float, a: float, b: float) -> float:
    """P(X(t) = x) for the BG/NBD (FHL 2005, eq. 8)."""
    from scipy.special import betaln
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
