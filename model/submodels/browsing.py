"""Browsing: visits to stores without a purchase (issue 22, first step: the events and their funnel).

An active consumer browses on a day with chance `browse_rate`, higher (`1 + ahead_boost`) when her next
need is due within `ahead_days` (browsing ahead of a need). She browses one of her categories (drawn as
for a need) and visits one store of it, drawn by public weight as public traffic is. A visit has a depth
in page views, geometric with mean `depth_mean` times the factor of her tie to the store
(`tie_depth`). Fans and members also visit their stores on their own (`return_rate` by level, times the
store's ENGAGE effort); each page view may end in a favourite or an add-to-cart (`fav_per_pv`, `cart_per_pv`,
from the Taobao UserBehavior data). The visits are counted and change nothing else yet: ties, group
entry and the return-visit cohort read them in the next steps (docs/issue22_design.md). Off by default
(`browsing.enabled`); it draws from its own stream, so switching it on leaves every other number alone.
"""

from __future__ import annotations

import numpy as np

from ..orders import Level
from . import relationships
from .purchase_timing import draw_categories


def tie_levels(rel_merchant: np.ndarray, rel_level: np.ndarray, who: np.ndarray, stores: np.ndarray) -> np.ndarray:
    """Each visitor's tie level to the store she visits (Level.NONE without a tie)."""
    held = rel_merchant[who] == stores[:, None]
    return np.where(held.any(axis=1), rel_level[who, held.argmax(axis=1)], Level.NONE)


def return_visits(model, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fans' and members' own visits to their stores today (consumer, tie slot): each fan, member or group
    tie of an active consumer with daily chance `return_rate` of its level x the store's ENGAGE effort."""
    c, m, b = model.consumers, model.merchants, model.config.browsing
    rates = np.asarray([0.0] + list(b.return_rate))          # visitor, fan, member, group
    if rates.max() <= 0 or m.engage.max(initial=0) <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    level, merchant = c.rel_level.ravel(), c.rel_merchant.ravel()
    tied = np.flatnonzero(level >= Level.FAN)
    tied = tied[c.alive[tied // c.rel_merchant.shape[1]]]

    def rate_of(k):
        return rates[level[k]] * m.engage[np.maximum(merchant[k], 0)]

    slots = relationships.draw_touches(rng, tied, float(rates.max() * m.engage.max()), rate_of)
    return np.divmod(slots, c.rel_merchant.shape[1])


def count(model, rng: np.random.Generator, level: np.ndarray) -> None:
    """Page views, favourites and add-to-carts of visits by consumers with these tie levels (flows)."""
    b = model.config.browsing
    depth = b.depth_mean * np.asarray(b.tie_depth)[np.maximum(level, Level.VISITOR)]
    pages = rng.geometric(1.0 / np.maximum(depth, 1.0))
    f = model.flows
    f["visits"] += level.size
    f["page_views"] += int(pages.sum())
    f["favourites"] += int(rng.binomial(pages, b.fav_per_pv).sum())
    f["add_to_carts"] += int(rng.binomial(pages, b.cart_per_pv).sum())


def browse(model) -> None:
    """Today's browsing visits (public browsing, then fans' and members' own return visits), counted."""
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
    count(model, rng, tie_levels(c.rel_merchant, c.rel_level, who, stores))
    who, slot = return_visits(model, rng)
    model.flows["return_visits"] += who.size
    count(model, rng, c.rel_level[who, slot])
