"""Order value and who joins: each consumer's persistent spend level (Gamma-Gamma), and the selection it
drives into follows and memberships.

Gamma-Gamma (Fader, Hardie & Lee 2005; Fader & Hardie 2013): the values of a consumer's orders are
Gamma(p, nu) with nu ~ Gamma(q, gamma) across consumers. Here order values are relative to the
category's base price, so gamma drops out: a consumer's spend level (her mean order value over the
population's) is (q - 1) / G with G ~ Gamma(q, 1), of mean 1, and an order's basket is the spend level
times a Gamma(p, 1/p) draw, of mean 1. Joining a store does not change a buyer's orders; heavier
spenders are likelier to follow and join (`join_weights`), so members' larger orders are selection.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln


def draw_levels(rng: np.random.Generator, n: int, q: float) -> np.ndarray:
    """Each consumer's spend level: her mean order value over the population's (inverse gamma, mean 1)."""
    return (q - 1.0) / rng.gamma(q, 1.0, n)


def mean_power(beta: float, q: float) -> float:
    """E[s^beta] of the spend level s = (q - 1) / Gamma(q, 1), finite for beta < q."""
    return float(np.exp(beta * np.log(q - 1.0) + gammaln(q - beta) - gammaln(q)))


def join_weights(level: np.ndarray, beta: float, q: float) -> np.ndarray:
    """Factor on each consumer's chance to follow or join: level^beta over its population mean, so the
    mean chance is that of the scenario's rate and heavier spenders join more (beta > 0)."""
    return (level ** beta / mean_power(beta, q)).astype(np.float32)


def baskets(rng: np.random.Generator, level: np.ndarray, p: float) -> np.ndarray:
    """Each order's basket (its value over base price x price paid): the buyer's level x Gamma(p, 1/p)."""
    return level * rng.gamma(p, 1.0 / p, level.size)
