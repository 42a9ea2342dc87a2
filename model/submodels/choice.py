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
    """Deterministic utility of each offer (buyers x offers arrays; per-buyer terms as columns)."""
    return (c.quality_weight * quality
            - price_weight[:, None] * np.log(price)
            + c.reference_weight * reference_gain(reference[:, None], price, c.loss_aversion)
            + c.deal_utility * deal_proneness[:, None] * on_deal
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


def offers(model, buyers: np.ndarray, cats: np.ndarray, rng: np.random.Generator, price_factor=None) -> dict:
    """The offers shown to buyers with needs in `cats`: their tied stores in the category and public
    stores drawn by weight; with prices, deal depth, insider flags and deterministic utilities.

    Reads the model's state without changing it (the price probe calls it with its own generator
    and a per-store price factor).
    """
    c, m, s = model.consumers, model.merchants, model.config
    tied = c.rel_merchant[buyers]
    tied_ok = (tied >= 0) & (m.category[np.maximum(tied, 0)] == cats[:, None])
    public = model.traffic.draw(rng, cats, s.ranking.public_slots)
    public_ok = (public >= 0) & ~(public[:, :, None] == tied[:, None, :]).any(axis=2)
    stores = np.concatenate([tied, public], axis=1)
    available = np.concatenate([tied_ok, public_ok], axis=1)
    no_tie = np.full(public.shape, Level.NONE, dtype=np.int8)
    level = np.concatenate([np.where(tied_ok, c.rel_level[buyers], Level.NONE), no_tie], axis=1)
    invited = np.concatenate([tied_ok & (c.rel_invited_until[buyers] >= model.day),
                              np.zeros(public.shape, bool)], axis=1)
    slighted = np.concatenate([tied_ok & (c.rel_slighted_until[buyers] >= model.day),
                               np.zeros(public.shape, bool)], axis=1)
    safe = np.maximum(stores, 0)
    paid, depth, insider = pricing.price(model, buyers, safe, level, invited)
    if price_factor is not None:
        paid = paid * price_factor[safe]
    ins = s.insider
    bonus = (np.concatenate([[0.0], s.choice.relationship_utility])[level + 1]
             + insider * insider_sales.exclusivity_value(ins.exclusivity_utility, ins.scarcity_utility,
                                                         m.invited_share[safe])
             - slighted * ins.left_out_penalty)
    util = offer_utility(m.quality[safe], paid, c.reference_price[buyers, cats], depth > 0, bonus,
                         c.price_weight[buyers], c.deal_proneness[buyers], s.choice)
    return dict(tied=tied, tied_ok=tied_ok, public=public, public_ok=public_ok, stores=stores,
                available=available, level=level, price=paid, depth=depth, insider=insider, util=util)


def serve(model, buyers: np.ndarray, cats: np.ndarray, allow_defer: bool) -> None:
    """Exposure, choice and purchase (or waiting for a sale) for buyers with a need in `cats`."""
    m = model.merchants
    rng = model.stream("choice")
    o = offers(model, buyers, cats, rng)
    m.impressions += np.bincount(o["public"][o["public_ok"]], minlength=m.n)
    pick = choose(rng, o["util"], o["available"])

    served = pick >= 0
    rows = np.flatnonzero(served)
    pick = pick[rows]
    tied = o["tied"][rows]
    orders = Orders(buyers=buyers[rows], stores=o["stores"][rows, pick], category=cats[rows],
                    level=o["level"][rows, pick], price=o["price"][rows, pick], depth=o["depth"][rows, pick],
                    insider=o["insider"][rows, pick], channel=np.zeros(rows.size, np.int64),
                    slot=np.where(pick < tied.shape[1], pick, -1))
    shown = o["tied_ok"][rows]
    relationships.visit_shown(model, orders.buyers, shown)
    keep = np.ones(len(orders), dtype=bool)
    if allow_defer:
        keep = ~price_sensitivity.defer(model, orders, tied, shown)
        orders, rows = orders.take(keep), rows[keep]
    groups.exposure_joins(model, orders, o["public"][rows, 0])
    orders.channel = np.where(orders.level >= Level.FAN, Channel.PRIVATE, Channel.PUBLIC)
    wechat.divert(model, orders)
    model.purchase(orders)
