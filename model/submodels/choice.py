"""Choice among exposed offers: a multinomial logit with reference prices and loss aversion.

Utility of offer j for consumer i:
    quality_weight * quality_j
  - price_weight_i * ln(price_ij)                         (price relative to the category base)
  + reference_weight * g       if g >= 0  (gain: paying less than the reference price)
  + reference_weight * L * g   if g < 0   (loss, weighted L ~ 2.5 times, Putler 1992)
  + deal_utility * deal_proneness_i * [offer on deal]
  + relationship utility of the consumer's tie to the store
  + Gumbel noise,
with g = ln(reference_ic) - ln(price_ij). Deal-proneness scales the price weight (`deal_price_weight`):
deal-trained consumers respond more to price. Beside the offers each need has an outside option, not
buying now, of utility `outside_utility` + Gumbel noise (with modulations on): the highest utility wins,
and a need whose outside option wins is given up, so category demand responds to prices and deals. ln(price) is the
sum of the logs of its factors (pricing.LogPrices): a few logs per store and buyer instead of one per offer.
"""

from __future__ import annotations

import numpy as np

from ..orders import Level, Orders, Prompt
from . import insider_sales, pricing


def reference_gain(log_reference: np.ndarray, log_price: np.ndarray, loss_aversion: float) -> np.ndarray:
    """Reference-dependent value of a price: gains count once, losses `loss_aversion` times."""
    g = log_reference - log_price
    return np.where(g >= 0, g, loss_aversion * g)


def offer_utility(quality, log_price, log_reference, on_deal, relationship_utility, price_weight,
                  deal_proneness, c) -> np.ndarray:
    """Deterministic utility of each offer; the per-buyer terms (`log_reference`, `price_weight`,
    `deal_proneness`) broadcast against the offers (columns for a buyers x offers grid)."""
    return (c.quality_weight * quality
            - price_weight * log_price
            + c.reference_weight * reference_gain(log_reference, log_price, c.loss_aversion)
            + c.deal_utility * deal_proneness * on_deal
            + relationship_utility)


def logit_shares(utility: np.ndarray) -> np.ndarray:
    """Expected choice shares of a logit (rows sum to 1); used by the price probe and tests."""
    z = utility - utility.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def relationship_bonus(level, insider, slighted, store_exclusivity, s) -> np.ndarray:
    """Utility of a tie to the store: by level, plus an insider invitation's exclusivity, less the
    penalty for having been left out."""
    return (np.concatenate([[0.0], s.choice.relationship_utility])[level + 1]
            + insider * store_exclusivity - slighted * s.insider.left_out_penalty)


def store_exclusivity(model) -> np.ndarray:
    """Exclusivity and scarcity value of an invitation to each store's insider sale today."""
    ins = model.config.insider
    return insider_sales.exclusivity_value(ins.exclusivity_utility, ins.scarcity_utility, model.merchants.invited_share)


def offer_bonus(model, who: np.ndarray, stores: np.ndarray):
    """Extra utility of particular offers from the policies that value them (store credit held there)."""
    bonus = 0.0
    for policy in model.policies:
        if policy.values_offers:
            bonus = bonus + policy.offer_utility(model, who, stores)
    return bonus


def deal_scaled_weight(price_weight: np.ndarray, deal_proneness: np.ndarray, scale: float,
                       mean_proneness: float) -> np.ndarray:
    """Price weight of a consumer at her deal-proneness: x (1 + scale x (deal-proneness - the population's
    starting mean)), never below zero; the average consumer keeps her calibrated weight."""
    return price_weight * np.maximum(1.0 + scale * (deal_proneness - mean_proneness), 0.0)


def buyer_terms(model, buyers: np.ndarray, cats: np.ndarray):
    """Per-buyer terms of the utility (log reference price, log policy price factor, price weight at the
    buyer's deal-proneness, deal-proneness), in float64."""
    c, s = model.consumers, model.config
    deal_proneness = c.deal_proneness[buyers].astype(np.float64)
    weight = deal_scaled_weight(c.price_weight[buyers].astype(np.float64), deal_proneness,
                                s.choice.deal_price_weight, s.price_sensitivity.deal_proneness_mean)
    reference = c.reference_price.ravel()[buyers * c.reference_price.shape[1] + cats]      # (buyer, category) cells
    return (np.log(reference).astype(np.float64), pricing.log_buyer_factor(model, buyers),
            weight, deal_proneness)


def category_or_none(model) -> np.ndarray:
    """Each store's category with -1 appended, so a tie slot's store index (-1 when empty) reads its store's
    category or -1 by one take (the same cells as testing for an empty slot first); kept on the model while
    the category array is the same object."""
    category = model.merchants.category
    held = getattr(model, "_category_or_none", None)
    if held is None or held[0] is not category:
        held = category, np.append(category, -1)
        model._category_or_none = held
    return held[1]


class Offers:
    """The offers shown to a batch of needs (buyers unique), with their utilities.

    Public offers form a grid (buyer x public slot: `public`, `public_ok`, `pub_*`). Tied offers are kept
    flat, one entry per tie slot holding a store of the need's category (`row`, `slot`, `t_*`): most of a
    consumer's slots are empty or hold a store of another category, so a grid would mostly hold nothing.
    `price_factor` (per store) makes stores dearer, for the price probe. `outside` is the utility of not
    buying now (-inf: no outside option, as with modulations off); `choose` sets `given_up`, the needs
    with offers whose outside option won.
    """
    outside, given_up = -np.inf, 0

    def __init__(self, model, buyers: np.ndarray, cats: np.ndarray, rng: np.random.Generator, price_factor=None):
        c, m, s = model.consumers, model.merchants, model.config
        self.buyers, self.cats = buyers, cats
        tied = c.rel_merchant.take(buyers, axis=0)
        self.n_slots = tied.shape[1]
        tied_ok = category_or_none(model).take(tied) == cats[:, None]      # empty slots (-1) read -1: no category
        self.row, self.slot = np.nonzero(tied_ok)
        self.t_store = tied[self.row, self.slot]
        self.public = model.traffic.draw(rng, cats, s.ranking.public_slots)
        self.public_ok = self.public >= 0
        self.outside = s.choice.outside_utility if model.modulated else -np.inf
        # a tied store drawn as a public offer too
        dup_offer, dup_col = np.nonzero(self.public.take(self.row, axis=0) == self.t_store[:, None])
        self.public_ok[self.row[dup_offer], dup_col] = False

        lp, day = pricing.log_prices(model), model.day
        log_reference, log_buyer, price_weight, deal_proneness = buyer_terms(model, buyers, cats)
        pub = np.maximum(self.public, 0)
        self.pub_log_price = lp.level[pub] + lp.deal[pub] + log_buyer[:, None]
        who, k = buyers[self.row], self.slot
        tie = who * self.n_slots + k                  # the ties' cells by flat index: quicker than (who, k) pairs
        self.t_level = c.rel_level.ravel()[tie]
        invited = (c.rel_invited_until.ravel()[tie] >= day) & lp.insider_open[self.t_store]
        t = self.t_store
        self.t_log_price = (lp.level[t] + np.where(invited, lp.insider_deal[t], lp.deal[t])
                            + np.where(self.t_level >= Level.MEMBER, lp.member[t], 0.0) + log_buyer[self.row])
        if price_factor is not None:
            self.pub_log_price += np.log(price_factor)[pub]
            self.t_log_price += np.log(price_factor)[self.t_store]
        at_store = pricing.offer_factor(model, who, t)       # coupons, store credit: offers at tied stores
        if at_store is not None:
            self.t_log_price += np.log(at_store)
        self.pub_util = offer_utility(m.quality[pub], self.pub_log_price, log_reference[:, None], lp.on_deal[pub], 0.0,
                                      price_weight[:, None], deal_proneness[:, None], s.choice)
        unbought = c.rel_orders.ravel()[tie] == 0          # a tie without an order there carries no tie utility yet
        bonus = relationship_bonus(np.where(unbought, Level.NONE, self.t_level), invited,
                                   c.rel_slighted_until.ravel()[tie] >= day,
                                   store_exclusivity(model)[self.t_store], s) + offer_bonus(model, who, t)
        self.t_util = offer_utility(m.quality[self.t_store], self.t_log_price, log_reference[self.row],
                                    np.where(invited, lp.insider_on_deal[t], lp.on_deal[t]), bonus,
                                    price_weight[self.row], deal_proneness[self.row], s.choice)

    def choose(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gumbel-max choice of each buyer among her available offers and the outside option (the logit).
        Returns the rows that chose an offer, the public column chosen (-1 for a tied offer), and the index
        of the tied offer chosen (-1 for a public one)."""
        n = self.buyers.size
        noisy = self.pub_util + rng.gumbel(size=self.pub_util.shape)
        noisy[~self.public_ok] = -np.inf
        col = noisy.argmax(axis=1)
        best = noisy.ravel()[np.arange(0, noisy.size, noisy.shape[1]) + col]     # each row's chosen cell
        t_noisy = self.t_util + rng.gumbel(size=self.t_util.shape)
        t_best = np.full(n, -np.inf)
        np.maximum.at(t_best, self.row, t_noisy)
        top = np.flatnonzero(t_noisy == t_best[self.row])
        if top.size:                                    # one per row
            row = self.row[top]
            first = np.empty(top.size, bool)
            first[0] = True
            np.not_equal(row[1:], row[:-1], out=first[1:])
            top = top[first]
        tied_pick = np.full(n, -1)
        wins = t_best[self.row[top]] > best[self.row[top]]
        tied_pick[self.row[top[wins]]] = top[wins]
        col[tied_pick >= 0] = -1
        chose = (tied_pick >= 0) | (best > -np.inf)
        if self.outside > -np.inf:
            inside = np.maximum(best, t_best)
            stay_out = chose & (self.outside + rng.gumbel(size=n) > inside)
            self.given_up = np.count_nonzero(stay_out)
            chose &= ~stay_out
        rows = np.flatnonzero(chose)
        return rows, col[rows], tied_pick[rows]

    def tie_slots_shown(self) -> np.ndarray:
        """Buyers x tie slots: which of each buyer's ties were among her offers."""
        shown = np.zeros((self.buyers.size, self.n_slots), bool)
        shown[self.row, self.slot] = True
        return shown

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
        paid = (e_pub * np.exp(self.pub_log_price)).sum(axis=1) + np.bincount(self.row, e_t * np.exp(self.t_log_price),
                                                                             minlength=n)
        return rows, paid[rows] / weight[rows]

    def grid(self, model) -> dict:
        """Every offer on one buyers x (tie slots + public slots) grid, unavailable cells masked by
        `available`, and the utility of the outside option (for the price probe)."""
        r = model.consumers.rel_merchant.shape[1]
        n = self.buyers.size
        stores = np.concatenate([np.full((n, r), -1, self.public.dtype), self.public], axis=1)
        stores[self.row, self.slot] = self.t_store
        available = np.concatenate([np.zeros((n, r), bool), self.public_ok], axis=1)
        available[self.row, self.slot] = True
        util, price = np.full(stores.shape, -np.inf), np.ones(stores.shape)
        util[self.row, self.slot], price[self.row, self.slot] = self.t_util, np.exp(self.t_log_price)
        util[:, r:], price[:, r:] = self.pub_util, np.exp(self.pub_log_price)
        return {"stores": stores, "available": available, "util": util, "price": price, "outside": self.outside}


def chosen_orders(model, buyers: np.ndarray, cats: np.ndarray, shown: Offers, rows, col, tied_pick,
                  prompt: Prompt = Prompt.NEED) -> Orders:
    """The offers chosen, as a batch of orders priced by pricing.price (channel public for now)."""
    c = model.consumers
    t = np.flatnonzero(tied_pick >= 0)
    who, f = buyers[rows], tied_pick[t]
    stores = shown.public[rows, np.maximum(col, 0)]
    level, slot = np.full(rows.size, Level.NONE, np.int8), np.full(rows.size, -1)
    stores[t], slot[t] = shown.t_store[f], shown.slot[f]
    level[t] = c.rel_level[who[t], slot[t]]
    invited = np.zeros(rows.size, bool)
    invited[t] = c.rel_invited_until[who[t], slot[t]] >= model.day
    price, depth, insider = pricing.price(model, who, stores, level, invited)
    return Orders(buyers=who, stores=stores, category=cats[rows], level=level, price=price, depth=depth,
                  insider=insider, channel=np.zeros(rows.size, np.int64), slot=slot, prompt=prompt)


def offers(model, buyers: np.ndarray, cats: np.ndarray, rng: np.random.Generator, price_factor=None) -> dict:
    """The offers shown to buyers with needs in `cats` on one grid (`Offers.grid`). Reads the model's state
    without changing it (the price probe calls it with its own generator and a per-store price factor)."""
    return Offers(model, buyers, cats, rng, price_factor).grid(model)
