"""Ranking weight and public traffic allocation: the rich-get-richer loop.

A store's weight grows with its trailing GMV (an exponentially decayed sum of daily sales) plus a
prior weight every store has; public traffic for a need in category c goes to stores of category c
with probability proportional to weight. With exponent 1 and infinite memory this is a Polya urn,
whose long-run shares are Dirichlet(prior, ..., prior) (docking check in tests).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..orders import Channel, Orders


def decay_trailing(trailing: np.ndarray, sales_today: np.ndarray, memory_days: float) -> np.ndarray:
    """Trailing GMV after one more day: old sales fade with time constant `memory_days`."""
    trailing *= np.exp(-1.0 / memory_days)
    trailing += sales_today
    return trailing


def ranking_weight(trailing: np.ndarray, prior: float, exponent: float,
                   multiplier: np.ndarray | float = 1.0) -> np.ndarray:
    """Store weight: (prior + trailing)^exponent, times policy and effort multipliers."""
    base = prior + trailing
    w = base if exponent == 1.0 else np.power(base, exponent)
    return w * multiplier


def public_loss_per_yuan(public_monthly: np.ndarray, trailing: np.ndarray, prior: float, exponent: float,
                         memory_days: float) -> np.ndarray:
    """Public GMV a store loses per yuan of monthly on-site sales it moves away, once trailing GMV has
    settled (the rich-get-richer loop seen from one store, to first order): moving D a month lowers
    trailing GMV by D x memory_days / 30, its weight by `exponent` times the relative fall of prior +
    trailing, and public traffic, hence public GMV, in proportion to weight."""
    return exponent * public_monthly * (memory_days / 30.0) / (prior + trailing)


class TrafficTable:
    """Per-category cumulative weights for drawing stores by weight in one vectorised call.

    Stores are laid out by category; within category c the cumulative weights are scaled to span
    [c, c + 1), so a draw u + c lands on a store of category c with probability proportional to its
    weight. Categories without stores (or with zero total weight) cannot be drawn from. A guide table
    (Chen & Asau 1974) gives each of `GUIDE_BINS` equal bins per store the first store whose edge lies
    past the bin's start, so a draw needs a step or two forward instead of a binary search; the result
    is the binary search's exactly.
    """

    GUIDE_BINS = 4

    def __init__(self, category: np.ndarray, n_categories: int):
        self.order = np.argsort(category, kind="stable")
        self.category_sorted = category[self.order]
        self.n_categories = n_categories
        self.has_stores = np.bincount(category, minlength=n_categories) > 0
        self.edges = np.zeros(len(category))
        self.bins = max(1, self.GUIDE_BINS * len(category))          # guide bins over [0, n_categories)
        self.guide = np.zeros(self.bins, dtype=np.int64)
        self.starts = np.arange(-1, self.bins - 1) * (self.n_categories / self.bins)   # a bin early: safe from rounding
        self.category_end = self.category_sorted + 1.0

    def update(self, weight: np.ndarray) -> None:
        w = weight[self.order].astype(np.float64)
        totals = np.bincount(self.category_sorted, weights=w, minlength=self.n_categories)
        cum = np.cumsum(w)
        before = np.concatenate([[0.0], np.cumsum(totals)])[self.category_sorted]
        if totals.all():                                  # errstate and nan_to_num only when needed: slow
            frac = (cum - before) / totals[self.category_sorted]
        else:                                             # a category without weight: 0 / 0
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = (cum - before) / totals[self.category_sorted]
        if not np.isfinite(frac).all():
            frac = np.nan_to_num(frac, nan=1.0)
        self.edges = np.maximum.accumulate(np.minimum(self.category_sorted + frac, self.category_end))
        self.has_stores = totals > 0
        # searchsorted(edges, starts, "right"), from the other side: a bin's count of edges at or before its
        # start, from each edge's first bin starting at or after it (fewer searches; the same comparisons)
        first_bin = np.searchsorted(self.starts, self.edges, side="left")
        self.guide = np.cumsum(np.bincount(first_bin, minlength=self.bins + 1)[:self.bins])

    def locate(self, u: np.ndarray) -> np.ndarray:
        """Index into the sorted stores of the first edge past each u: `searchsorted(edges, u, "right")`
        (capped at the last store), through the guide table."""
        last = len(self.edges) - 1
        pos = self.guide[np.minimum((u * (self.bins / self.n_categories)).astype(np.int64), self.bins - 1)]
        np.minimum(pos, last, out=pos)
        todo = np.flatnonzero((pos < last) & (self.edges[pos] <= u))
        while todo.size:
            pos[todo] += 1
            todo = todo[(pos[todo] < last) & (self.edges[pos[todo]] <= u[todo])]
        return pos

    def draw(self, rng: np.random.Generator, categories: np.ndarray, k: int) -> np.ndarray:
        """k stores per entry of `categories`, by weight; -1 where the category has no store."""
        u = rng.random((categories.shape[0], k)) + categories[:, None]
        stores = self.order[self.locate(u.ravel()).reshape(u.shape)]
        if not self.has_stores.all():
            stores[~self.has_stores[categories]] = -1
        return stores


def initial_trailing_gmv(model) -> None:
    """Stores start with trailing GMV proportional to size, at the level demand implies."""
    c, m, rk = model.consumers, model.merchants, model.config.ranking
    daily = (c.lam * c.alive) @ c.category_pref * model.base_price      # expected GMV per category per day
    size_by_cat = np.bincount(m.category, weights=m.size, minlength=model.n_categories)
    share = m.size / size_by_cat[m.category]
    m.trailing_gmv = share * daily[m.category] * min(rk.memory_days, 1e6)
    model.prior_weight = rk.prior_weight * max(m.trailing_gmv.mean(), 1e-9)


SPIN_UP_DAYS = 1460            # the ranking loop's GMV split between tiers settles over years
SPIN_UP_CONSUMERS = (4_000, 20_000)   # subsample of consumer agents for the spin-up: at least, at most
SPIN_UP_MIN_BURN_IN = 365      # shorter burn-ins (tests, docking) start from the size-based split


def spin_up(model, model_class) -> None:
    """Settle stores' trailing GMV before the burn-in: the ranking loop moves GMV between tiers over years
    (top brands' share falls from the size-based start), far slower than ties settle. A copy of the status
    quo with the same seed (hence the same stores) and a subsample of consumers runs `SPIN_UP_DAYS`; its
    trailing GMV, rescaled by the ratio of consumer agents, replaces the size-based start."""
    n = model.consumers.n
    lo, hi = SPIN_UP_CONSUMERS
    n_spin = min(n, max(lo, min(hi, n // 5)))
    config = model.status_quo.with_overrides({"population.consumers": n_spin,
                                              "population.scale": model.scale * n / n_spin,
                                              "run.burn_in_days": SPIN_UP_DAYS, "run.days": 1}, source="spin-up")
    entropy, key = model._stream_root                     # the same seed, so the same stores
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))
    with warnings.catch_warnings():                        # the subsample's own stationarity is not the question
        warnings.simplefilter("ignore")
        spun = model_class(config, rng=rng, create_agents=False, cache=False, spin_up=False)
    if not np.array_equal(spun.merchants.size, model.merchants.size):
        raise RuntimeError("spin-up built different stores")
    factor = n / n_spin
    m, s = model.merchants, spun.merchants
    m.trailing_gmv = s.trailing_gmv * factor
    m.trailing_wechat = s.trailing_wechat * factor
    model.prior_weight = spun.prior_weight * factor


def rank_stores(model) -> None:
    """Today's ranking weights (policies may change the GMV counted and the multiplier) and traffic table."""
    m, rk = model.merchants, model.config.ranking
    gmv = m.trailing_gmv
    multiplier = 1.0 + rk.lead_effect * m.lead
    for policy in model.policies:
        gmv = policy.ranking_gmv(model, gmv)
        multiplier = multiplier * policy.weight_multiplier(model)
    m.weight = ranking_weight(gmv, model.prior_weight, rk.exponent, multiplier)
    model.traffic.update(m.weight)


def on_purchase(model, orders: Orders) -> None:
    """Today's sales by store: on-site sales feed ranking, WeChat-direct sales the weight bonus."""
    m = model.merchants
    k = len(Channel)
    by_channel = np.bincount(orders.stores * k + orders.channel, weights=orders.value,
                             minlength=k * m.n).reshape(m.n, k)
    public, private = by_channel[:, Channel.PUBLIC], by_channel[:, Channel.PRIVATE]
    direct = by_channel[:, Channel.DIRECT]
    m.site_sales_today += public + private
    m.wechat_sales_today += direct
    m.sales_today += public + private + direct


def end_day(model) -> None:
    """Today's sales enter trailing GMV; older sales fade."""
    m, memory = model.merchants, model.config.ranking.memory_days
    decay_trailing(m.trailing_gmv, m.site_sales_today, memory)
    decay_trailing(m.trailing_wechat, m.wechat_sales_today, memory)
