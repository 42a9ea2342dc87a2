"""Social sharing over WeChat ties: share-to-unlock spreads like a Bass diffusion (Bass 1969).

A consumer adopts (visits and ties to the store) through her own exposure with probability p per step
(innovation) or through shares from adopted contacts with probability q times the share of her
contacts who adopted (imitation). In a fully mixed population the expected adoption follows the
discrete Bass recursion F(k+1) = F(k) + (p + q F(k)) (1 - F(k)) (docking check in tests).
"""

from __future__ import annotations

import numpy as np


def random_ties(rng: np.random.Generator, users: np.ndarray, k: int) -> np.ndarray:
    """k random WeChat contacts for each user (a random directed graph over users); -1 if none."""
    ties = np.full((users.size, k), -1, dtype=np.int64)
    if users.size > 1 and k > 0:
        ties[:] = users[rng.integers(0, users.size, size=(users.size, k))]
    return ties


def bass_step(rng: np.random.Generator, adopted: np.ndarray, p: float, q: float,
              contact_share: np.ndarray | float) -> np.ndarray:
    """One step of adoption; `contact_share` is each consumer's share of adopted contacts."""
    hazard = np.clip(p + q * contact_share, 0.0, 1.0)
    return adopted | (rng.random(adopted.shape[0]) < hazard)


def bass_recursion(p: float, q: float, steps: int) -> np.ndarray:
    """Expected adopted share after each step of the discrete Bass model, F(0) = 0."""
    f = np.zeros(steps + 1)
    for k in range(steps):
        f[k + 1] = f[k] + (p + q * f[k]) * (1 - f[k])
    return f
