"""Choice among exposed offers: a multinomial logit with reference prices and loss aversion.

Utility of offer j for consumer i:
    quality_weight * quality_j
  - price_weight_i * ln(price_ij)                         (price relative to the category base)
  + reference_weight * g       if g >= 0  (gain: paying less than the reference price)
  + reference_weight * L * g   if g < 0   (loss, weighted L ~ 2.5 times, Putler 1992)
  + deal_utility * deal_proneness_i * [offer on deal]
  + relationship utility of the consumer's tie to the store
  + Gumbel noise,
with g = ln(reference_ic / price_ij). The offer with the highest utility is chosen.
"""

from __future__ import annotations

import numpy as np

from ..orders import Channel, Level, Orders
from . import groups, insider_sales, price_sensitivity, pricing, relationships, wechat


def reference_gain(reference: np.ndarray, price: np.ndarray, loss_aversion: float) -> np.ndarray:
    """Reference-dependent value of a price: gains count once, losses `loss_aversion` times."""
    g = np.log(reference / price)
    return np.where(g >= 0, g, loss_aversion * g)


def offer_utility(quality, price, reference, on_deal, relationship_utility, price_weight,
                  deal_proneness, c) -> np.ndarray:
    """Deterministic utility of each offer; the per-buyer terms (`reference`, `price_weight`,
    `deal_proneness`) broadcast against the offers (columns for a buyers x offers grid)."""
    return (c.quality_weight * quality
            - price_weight * np.log(price)
            + c.reference_weight * reference_gain(reference, price, c.loss_aversion)
            + c.deal_utility * deal_proneness * on_deal
            + relationship_utility)


def choose(rng: np.random.Generator, utility: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Index of the chosen offer per row (Gumbel-max sampling of the logit); -1 if none available."""
    noisy = utility + rng.gumbel(size=utility.shape)
    noisy[~available] = -np.inf
    pick = noisy.argmax(axis=1)
    pick[~available.any(axis=1)] = -1
    return pick


def logit_shares(utility: np.ndarray) -> np.ndarray:
    """Expected choice shares of a logit (rows sum to 1); used by the price probe and tests."""
    z = utility - utility.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Offers:
    """The offers shown to a batch of needs (buyers unique), priced and valued.

    Public offers form a grid (buyer x public slot: `public`, `public_ok`, `pub_*`). Tied offers are kept
    flat, one entry per tie slot holding a store of the need's category (`row`, `slot`, `t_*`): most of a
    consumer's slots are empty or hold a store of another category, so a grid would mostly hold nothing.
    """

    def __init__(self, model, buyers: np.ndarray, cats: np.ndarray, rng: np.random.Generator, price_factor=None):
        c, m, s = model.consumers, model.merchants, model.config
        self.buyers, self.cats = buyers, cats
        self.tied = c.rel_merchant[buyers]
        self.tied_ok = (self.tied >= 0) & (m.category[np.maximum(self.tied, 0)] == cats[:, None])
        self.row, self.slot = np.nonzero(self.tied_ok)
        self.t_store = self.tied[self.row, self.slot]
        self.public = model.traffic.draw(rng, cats, s.ranking.public_slots)
        self.public_ok = self.public >= 0
        dup_offer, dup_col = np.nonzero(self.public[self.row] == self.t_store[:, None])   # a tied store drawn
        self.public_ok[self.row[dup_offer], dup_col] = False

        reference, price_weight = c.reference_price[buyers, cats], c.price_weight[buyers]
        deal_proneness = c.deal_proneness[buyers]
        pub = np.maximum(self.public, 0)
        self.pub_price, self.pub_depth, _ = pricing.price(model, buyers, pub, np.full(pub.shape, Level.NONE, np.int8),
                                                          np.zeros(pub.shape, bool))
        if price_factor is not None:
            self.pub_price = self.pub_price * price_factor[pub]
        self.pub_util = offer_utility(m.quality[pub], self.pub_price, reference[:, None], self.pub_depth > 0, 0.0,
                                      price_weight[:, None], deal_proneness[:, None], s.choice)

        who, k, ins, day = buyers[self.row], self.slot, s.insider, model.day
        self.t_level = c.rel_level[who, k]
        invited = c.rel_invited_until[who, k] >= day
        self.t_price, self.t_depth, self.t_insider = pricing.price(model, who, self.t_store, self.t_level, invited)
        if price_factor is not None:
            self.t_price = self.t_price * price_factor[self.t_store]
        bonus = (np.concatenate([[0.0], s.choice.relationship_utility])[self.t_level + 1]
                 + self.t_insider * insider_sales.exclusivity_value(ins.exclusivity_utility, ins.scarcity_utility,
                                                                    m.invited_share[self.t_store])
                 - (c.rel_slighted_until[who, k] >= day) * ins.left_out_penalty)
        self.t_util = offer_utility(m.quality[self.t_store], self.t_price, reference[self.row], self.t_depth > 0, bonus,
                                    price_weight[self.row], deal_proneness[self.row], s.choice)

    def choose(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gumbel-max choice of each buyer among her available offers (the logit). Returns the rows that
        chose, the public column chosen (-1 for a tied offer), and the index of the tied offer chosen
        (-1 for a public one)."""
        n = self.buyers.size
        noisy = self.pub_util + rng.gumbel(size=self.pub_util.shape)
        noisy[~self.public_ok] = -np.inf
        col = noisy.argmax(axis=1)
        best = noisy[np.arange(n), col]
        t_noisy = self.t_util + rng.gumbel(size=self.t_util.shape)
        t_best = np.full(n, -np.inf)
        np.maximum.at(t_best, self.row, t_noisy)
        top = np.flatnonzero(t_noisy == t_best[self.row])
        top = top[np.r_[True, self.row[top][1:] != self.row[top][:-1]]] if top.size else top   # one per row
        tied_pick = np.full(n, -1)
        wins = t_best[self.row[top]] > best[self.row[top]]
        tied_pick[self.row[top[wins]]] = top[wins]
        col[tied_pick >= 0] = -1
        rows = np.flatnonzero((tied_pick >= 0) | (best > -np.inf))
        return rows, col[rows], tied_pick[rows]

    def orders(self, rows: np.ndarray, col: np.ndarray, tied_pick: np.ndarray) -> Orders:
        """The chosen offers as a batch of orders (channel public for now)."""
        t = np.flatnonzero(tied_pick >= 0)
        f, p = tied_pick[t], np.maximum(col, 0)
        stores, level = self.public[rows, p], np.full(rows.size, Level.NONE, np.int8)
        price, depth = self.pub_price[rows, p], self.pub_depth[rows, p]
        insider, slot = np.zeros(rows.size, bool), np.full(rows.size, -1)
        stores[t], level[t], price[t], depth[t] = self.t_store[f], self.t_level[f], self.t_price[f], self.t_depth[f]
        insider[t], slot[t] = self.t_insider[f], self.slot[f]
        return Orders(buyers=self.buyers[rows], stores=stores, category=self.cats[rows], level=level, price=price,
                      depth=depth, insider=insider, channel=np.zeros(rows.size, np.int64), slot=slot)

    def expected_price(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows with any offer, and each one's expected price under the logit (choice shares x prices)."""
        n = self.buyers.size
        pub = np.where(self.public_ok, self.pub_util, -np.inf)
        top = pub.max(axis=1)
        np.maximum.at(top, self.row, self.t_util)
        rows = np.flatnonzero(top > -np.inf)
        shift = np.where(top > -np.inf, top, 0.0)
        e_pub, e_t = np.exp(pub - shift[:, None]), np.exp(self.t_util - shift[self.row])
        weight = e_pub.sum(axis=1) + np.bincount(self.row, e_t, minlength=n)
        paid = (e_pub * self.pub_price).sum(axis=1) + np.bincount(self.row, e_t * self.t_price, minlength=n)
        return rows, paid[rows] / weight[rows]

    def grid(self) -> dict:
        """Every offer on one buyers x (tie slots + public slots) grid, unavailable cells masked by
        `available` (for the price probe and the reference-price start)."""
        n, r = self.tied.shape
        stores = np.concatenate([self.tied, self.public], axis=1)
        available = np.concatenate([self.tied_ok, self.public_ok], axis=1)
        out = {"stores": stores, "available": available}
        for name, tied_values, public_values, empty in (("price", self.t_price, self.pub_price, 1.0),
                                                        ("depth", self.t_depth, self.pub_depth, 0.0),
                                                        ("util", self.t_util, self.pub_util, -np.inf)):
            grid = np.full(stores.shape, empty)
            grid[self.row, self.slot] = tied_values
            grid[:, r:] = public_values
            out[name] = grid
        return out


def offers(model, buyers: np.ndarray, cats: np.ndarray, rng: np.random.Generator, price_factor=None) -> dict:
    """The offers shown to buyers with needs in `cats` on one grid (`Offers.grid`). Reads the model's state
    without changing it (the price probe calls it with its own generator and a per-store price factor)."""
    return Offers(model, buyers, cats, rng, price_factor).grid()


def serve(model, buyers: np.ndarray, cats: np.ndarray, allow_defer: bool) -> None:
    """Exposure, choice and purchase (or waiting for a sale) for buyers with a need in `cats`."""
    m, rng = model.merchants, model.stream("choice")
    o = Offers(model, buyers, cats, rng)
    m.impressions += np.bincount(o.public[o.public_ok], minlength=m.n)
    rows, col, tied_pick = o.choose(rng)
    orders = o.orders(rows, col, tied_pick)
    relationships.visit_shown(model, buyers[o.row], o.slot)
    if allow_defer:
        keep = ~price_sensitivity.defer(model, orders, o.tied[rows], o.tied_ok[rows])
        orders, rows = orders.take(keep), rows[keep]
    groups.exposure_joins(model, orders, o.public[rows, 0])
    orders.channel = np.where(orders.level >= Level.FAN, Channel.PRIVATE, Channel.PUBLIC)
    wechat.divert(model, orders)
    model.purchase(orders)
