"""Social sharing over WeChat ties: share-to-unlock coupons spread like a Bass diffusion (Bass 1969).

A WeChat-direct buyer shares the store's coupon with probability `share_prob`; each of her WeChat
contacts adopts (ties to the store and joins its WeChat community) with probability `share_adopt_prob`.
In a fully mixed population where adopters share with k random contacts each, a non-adopter receives
about Poisson(k F) shares, so adoption follows the discrete Bass model with hazard
1 - (1 - p) exp(-q F), q = k x adopt probability (docking check in tests); for small q this is the
classic p + q F.
"""

from __future__ import annotations

import numpy as np

from ..orders import Channel, Orders
from . import relationships


def random_ties(rng: np.random.Generator, users: np.ndarray, k: int) -> np.ndarray:
    """k random WeChat contacts for each user (a random directed graph over users); -1 if none."""
    ties = np.full((users.size, k), -1, dtype=np.int64)
    if users.size > 1 and k > 0:
        ties[:] = users[rng.integers(0, users.size, size=(users.size, k))]
    return ties


def adopters(rng: np.random.Generator, contacts: np.ndarray, adopt_prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Contacts (rows: one sharer each, -1 padded) who adopt: (consumer, sharer row), each consumer once."""
    rows = np.repeat(np.arange(contacts.shape[0]), contacts.shape[1])
    flat = contacts.ravel()
    adopt = (flat >= 0) & (rng.random(flat.size) < adopt_prob)
    who, first = np.unique(flat[adopt], return_index=True)
    return who, rows[adopt][first]


def share_to_unlock(model, orders: Orders) -> None:
    """WeChat-direct buyers pass share-to-unlock coupons to contacts, who may tie to the store."""
    if not any(policy.share_to_unlock(model) for policy in model.policies):
        return
    direct = orders.channel == Channel.DIRECT
    if not direct.any():
        return
    c, wc, rng = model.consumers, model.config.wechat, model.stream("social_sharing")
    buyers, stores = orders.buyers[direct], orders.stores[direct]
    sharing = rng.random(buyers.size) < wc.share_prob
    if not sharing.any():
        return
    who, row = adopters(rng, c.wechat_ties[buyers[sharing]], wc.share_adopt_prob)
    if who.size == 0:
        return
    slot = relationships.tie_to(model, who, stores[sharing][row])
    c.rel_wechat[who, slot] = True


def bass_recursion(p: float, q: float, steps: int) -> np.ndarray:
    """Expected adopted share after each step, F(0) = 0, with hazard 1 - (1 - p) exp(-q F)."""
    f = np.zeros(steps + 1)
    for k in range(steps):
        f[k + 1] = f[k] + (1 - (1 - p) * np.exp(-q * f[k])) * (1 - f[k])
    return f
