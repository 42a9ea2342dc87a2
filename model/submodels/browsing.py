"""Browsing: store visits with and without a purchase, their funnel, and the ties they make (issue 22).

Four sources of visits, each a documented parameter (docs/ODD.md 7.16):
- public browsing: an active consumer browses on a day with chance `browse_rate`, higher
  (`1 + ahead_boost`) when her next need is due within `ahead_days`; one store of one of her categories,
  drawn by public weight as public traffic is;
- off-site content (the LEAD stage's Xiaohongshu, Douyin and Weibo, and the platform's partner
  platforms): a consumer's daily chance `offsite_rate` times her category's LEAD effort, the store drawn
  by LEAD x public weight ^ `offsite_size_exponent`;
- fans' and members' own return visits to their stores (`return_rate` by level x the store's ENGAGE);
- purchases: every order is a visit too.
A visit has page views (geometric, mean `depth_mean` x the tie level's `tie_depth`); each page view may
end in a favourite or an add-to-cart (`fav_per_pv`, `cart_per_pv`, Taobao UserBehavior). A browsing visit
makes a visitor tie where a slot is free or held by another tie made by browsing alone, refreshes the
tie's last visit, marks a favourite, and may let the visitor join the store's group (groups.on_browse).
Off by default (`browsing.enabled`; on in the baseline); draws from a stream of its own for each day
(`model.day_stream`), so runs under common random numbers stay paired.
"""

from __future__ import annotations

import numpy as np

from ..orders import Channel, Level, Lever, Orders
from . import groups, relationships
from .purchase_timing import draw_categories

SOURCES = ("public", "offsite", "return", "purchase")


def return_visits(model, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fans' and members' own visits to their stores today (consumer, tie slot): each fan, member or group
    tie of an active consumer with daily chance `return_rate` of its level x the store's ENGAGE effort."""
    c, m, b = model.consumers, model.merchants, model.config.browsing
    rates = np.asarray([0.0] + list(b.return_rate))          # visitor, fan, member, group
    engage = m.effort_of(Lever.ENGAGE)
    if rates.max() <= 0 or engage.max(initial=0) <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    level, merchant = c.rel_level.ravel(), c.rel_merchant.ravel()
    tied = np.flatnonzero(level >= Level.FAN)
    tied = tied[c.alive[tied // c.rel_merchant.shape[1]]]

    def rate_of(k):
        return rates[level[k]] * engage[np.maximum(merchant[k], 0)]

    slots = relationships.draw_touches(rng, tied, float(rates.max() * engage.max()), rate_of)
    return np.divmod(slots, c.rel_merchant.shape[1])


def offsite_weight(lead: np.ndarray, weight: np.ndarray, size_exponent: float) -> np.ndarray:
    """A store's share of its category's off-site content visits: LEAD effort x public weight ^ exponent."""
    return lead * np.power(np.maximum(weight, 0.0), size_exponent)


def category_lead(lead: np.ndarray, share_weight: np.ndarray, category: np.ndarray, n_categories: int) -> np.ndarray:
    """Each category's LEAD effort, its stores' efforts weighted by their off-site shares (0 without any)."""
    total = np.bincount(category, weights=share_weight, minlength=n_categories)
    led = np.bincount(category, weights=share_weight * lead, minlength=n_categories)
    return np.divide(led, total, out=np.zeros(n_categories), where=total > 0)


def offsite_visits(model, rng: np.random.Generator, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Today's off-site content visits (consumer, store): chance `offsite_rate` x her category's LEAD."""
    c, m, b = model.consumers, model.merchants, model.config.browsing
    effort = m.effort_of(Lever.LEAD)                      # off-site content may raise a store's LEAD
    if b.offsite_rate <= 0 or effort.max(initial=0) <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    share = offsite_weight(effort, m.weight, b.offsite_size_exponent)
    model.offsite_traffic.update(share)
    lead = np.minimum(category_lead(effort, share, m.category, model.n_categories), 1.0)
    who = alive[rng.choice(alive.size, rng.binomial(alive.size, min(b.offsite_rate, 1.0)), replace=False)]
    cats = draw_categories(rng, c.category_cdf.take(who, axis=0))
    keep = rng.random(who.size) < lead[cats]              # thinning: the chance at the category's LEAD
    who, stores = who[keep], model.offsite_traffic.draw(rng, cats[keep], 1)[:, 0]
    return with_store(who, stores)


def with_store(who: np.ndarray, stores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The visits that found a store (a category without stores draws -1)."""
    found = stores >= 0
    if found.all():
        return who, stores
    return who[found], stores[found]


def funnel(model, rng: np.random.Generator, level: np.ndarray, stores: np.ndarray, source: str) -> np.ndarray:
    """Page views, favourites and add-to-carts of visits at these tie levels, counted as flows by source,
    store tier and members; returns which visits ended in a favourite."""
    b, f = model.config.browsing, model.flows
    pages = rng.geometric(page_chance(b)[level + 1])
    favourites = rng.binomial(pages, b.fav_per_pv)
    member = level >= Level.MEMBER
    page_views = int(pages.sum())
    f["visits"] += level.size
    f[f"visits_{source}"] += level.size
    f["page_views"] += page_views
    f["member_visits"] += np.count_nonzero(member)
    f["member_page_views"] += int(pages[member].sum())
    f["favourites"] += int(favourites.sum())
    f["add_to_carts"] += int(rng.binomial(page_views, b.cart_per_pv))      # only their sum is used
    m = model.merchants
    counts = np.bincount(stores, minlength=m.n)
    m.visits += counts
    if source == "offsite":
        m.offsite_visits += counts
    top, growth, sme = np.bincount(m.tier[stores], minlength=3).tolist()
    f["visits_top"] += top
    f["visits_growth"] += growth
    f["visits_sme"] += sme
    return favourites > 0


_PAGE_CHANCE: dict = {}


def page_chance(b) -> np.ndarray:
    """Each tie level's chance a page view is a visit's last, indexed by level + 1 (Level.NONE first): one
    over the mean depth, `depth_mean` x the level's `tie_depth` (a visitor's without a tie), at least 1."""
    key = (b.depth_mean, tuple(b.tie_depth))
    if key not in _PAGE_CHANCE:
        levels = np.maximum(np.arange(Level.NONE, Level.GROUP + 1), Level.VISITOR)
        depth = b.depth_mean * np.asarray(b.tie_depth)[levels]
        _PAGE_CHANCE[key] = 1.0 / np.maximum(depth, 1.0)
    return _PAGE_CHANCE[key]


def visit_tied(model, rng: np.random.Generator, who: np.ndarray, slot: np.ndarray, source: str) -> None:
    """Visits to tied stores (slot of each): the funnel, the visit recorded, favourites marked, group joins."""
    c = model.consumers
    tie = who * c.rel_merchant.shape[1] + slot                 # the ties' cells by flat index
    level, stores, fav_before = c.rel_level.ravel()[tie], c.rel_merchant.ravel()[tie], c.rel_fav.ravel()[tie]
    favourite = funnel(model, rng, level, stores, source)
    c.rel_last.ravel()[tie] = model.day
    groups.on_browse(model, rng, who, slot, level, fav_before, stores)
    c.rel_fav.ravel()[tie[favourite]] = True


def visit(model, rng: np.random.Generator, who: np.ndarray, stores: np.ndarray, source: str) -> None:
    """Visits of unique consumers to stores, tied or not: a visit makes a visitor tie where there is room."""
    c = model.consumers
    slot, level = relationships.browse_tie(model, who, stores)
    tied = np.flatnonzero(slot >= 0)                           # one mask to indices, then takes: the same entries
    who_t, slot_t = who.take(tied), slot.take(tied)
    tie = who_t * c.rel_merchant.shape[1] + slot_t             # the ties' cells by flat index
    fav_before = c.rel_fav.ravel()[tie]
    favourite = funnel(model, rng, level, stores, source).take(tied)
    groups.on_browse(model, rng, who_t, slot_t, level.take(tied), fav_before, stores.take(tied))
    c.rel_fav.ravel()[tie[favourite]] = True


def browse(model) -> None:
    """Today's browsing visits: public browsing, off-site content, then fans' and members' own returns."""
    b = model.config.browsing
    if not (b.enabled and model.modulated):
        return
    c, rng = model.consumers, model.day_stream("browsing")
    soon = c.next_need < model.clock[model.day + 1] + b.ahead_days
    p = np.where(soon, min(b.browse_rate * (1.0 + b.ahead_boost), 1.0), min(b.browse_rate * 1.0, 1.0))
    who = np.flatnonzero(c.alive & (rng.random(c.n) < p))          # a draw per seat: aligned across runs
    alive = np.flatnonzero(c.alive)
    stores = model.traffic.draw(rng, draw_categories(rng, c.category_cdf.take(who, axis=0)), 1)[:, 0]
    visit(model, rng, *with_store(who, stores), "public")
    visit(model, rng, *offsite_visits(model, rng, alive), "offsite")
    who, slot = return_visits(model, rng)
    visit_tied(model, rng, who, slot, "return")


def on_purchase(model, orders: Orders) -> None:
    """Every on-platform order is a visit too: its page views, favourites and add-to-carts join the funnel
    (an order diverted to a store's own WeChat shop visits no Tmall store)."""
    if model.config.browsing.enabled and model.modulated:
        here = orders.channel != Channel.OFFPLATFORM
        funnel(model, model.stream("purchase_visits"), orders.level[here], orders.stores[here], "purchase")
