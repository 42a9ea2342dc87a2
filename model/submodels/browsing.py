"""Browsing: visits to stores without a purchase (issue 22, first step: the events and their funnel).

An active consumer browses on a day with chance `browse_rate`, higher (`1 + ahead_boost`) when her next
need is due within `ahead_days` (browsing ahead of a need). She browses one of her categories (drawn as
for a need) and visits one store of it, drawn by public weight as public traffic is. A visit has a depth
in page views, geometric with mean `depth_mean` times the factor of her tie to the store
(`tie_depth`); each page view may end in a favourite or an add-to-cart (`fav_per_pv`, `cart_per_pv`,
from the Taobao UserBehavior data). The visits are counted and change nothing else yet: ties, group
entry and the return-visit cohort read them in the next steps (docs/issue22_design.md). Off by default
(`browsing.enabled`); it draws from its own stream, so switching it on leaves every other number alone.
"""

from __future__ import annotations

import numpy as np

from ..orders import Level
from .purchase_timing import draw_categories


def tie_levels(rel_merchant: np.ndarray, rel_level: np.ndarray, who: np.ndarray, stores: np.ndarray) -> np.ndarray:
    """Each visitor's tie level to the store she visits (Level.NONE without a tie)."""
    held = rel_merchant[who] == stores[:, None]
    return np.where(held.any(axis=1), rel_level[who, held.argmax(axis=1)], Level.NONE)


def browse(model) -> None:
    """Today's browsing visits, their page views, favourites and add-to-carts (flows)."""
    b = model.config.browsing
    if not (b.enabled and model.modulated):
        return
    c, rng = model.consumers, model.stream("browsing")
    alive = np.flatnonzero(c.alive)
    soon = c.next_need[alive] < model.clock[model.day + 1] + b.ahead_days
    p = np.minimum(b.browse_rate * np.where(soon, 1.0 + b.ahead_boost, 1.0), 1.0)
    who = alive[rng.random(alive.size) < p]
    stores = model.traffic.draw(rng, draw_categories(rng, c.category_cdf[who]), 1)[:, 0]
    who, stores = who[stores >= 0], stores[stores >= 0]
    level = tie_levels(c.rel_merchant, c.rel_level, who, stores)
    depth = b.depth_mean * np.asarray(b.tie_depth)[np.maximum(level, Level.VISITOR)]
    pages = rng.geometric(1.0 / np.maximum(depth, 1.0))
    f = model.flows
    f["visits"] += who.size
    f["page_views"] += int(pages.sum())
    f["favourites"] += int(rng.binomial(pages, b.fav_per_pv).sum())
    f["add_to_carts"] += int(rng.binomial(pages, b.cart_per_pv).sum())
