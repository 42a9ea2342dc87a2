"""Prices: merchants' daily deals and festival discounts, the price each buyer pays, order values,
and what LINK+ effort costs a store.

A store runs an ordinary deal on a day with probability `deal_rate` at `deal_depth`; in festival
windows every store offers at least the festival discount. An invited consumer pays the insider
price while the sale runs and stock lasts; members get the KEEP member price; policies (88VIP, the
savings card) cut the price for their holders. An order's value is the category base price times
the price index times a basket drawn around the buyer's own spend level (spend.py), whatever her tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..orders import Level, Orders
from . import spend


def set_prices(model) -> None:
    """Today's discount per store, and today's cost of LINK+ effort (proportional to store size)."""
    m, ms = model.merchants, model.config.merchants
    deal = model.stream("pricing").random(m.n) < ms.deal_rate if model.modulated else np.zeros(m.n, bool)
    m.discount = np.maximum(np.where(deal, ms.deal_depth, 0.0), model.calendar.festival_discount[model.day])
    daily_gmv = m.trailing_gmv / model.config.ranking.memory_days
    spend = m.effort() * np.asarray(ms.effort_cost) * daily_gmv[:, None]
    m.lever_cost += spend
    model.flows["merchant_effort_cost"] += float(spend.sum())


def buyer_factor(model, buyers: np.ndarray):
    """Factor on the price each buyer pays from the policies (88VIP, the savings card): 1.0 or per buyer."""
    factor = 1.0
    for policy in model.policies:
        f = policy.price_factor(model, buyers)
        if not (type(f) is float and f == 1.0):     # a factor of 1 leaves the product as it is
            factor = factor * f
    return factor


def price(model, buyers, stores, level, invited):
    """Price index each buyer pays at each store, the deal depth, and whether it is an insider price.

    `stores`, `level` and `invited` are per buyer (1-d) or per buyer and offer (2-d).
    """
    m, rs, ins = model.merchants, model.config.relationships, model.config.insider
    depth = m.discount[stores]
    insider = invited & (m.sale_end_day[stores] >= model.day) & (m.insider_stock[stores] > 0)
    depth = np.where(insider, np.maximum(depth, ins.depth), depth)
    paid = m.price_level[stores] * (1.0 - depth)
    paid = paid * np.where(level >= Level.MEMBER, 1.0 - rs.member_discount * m.keep[stores], 1.0)
    factor = buyer_factor(model, buyers)
    if np.ndim(factor) and stores.ndim == 2:
        factor = factor[:, None]
    at_store = offer_factor(model, buyers if stores.ndim == 1 else np.broadcast_to(buyers[:, None], stores.shape),
                            stores)
    if at_store is not None:
        factor = factor * at_store
    return paid * factor, depth, insider


def offer_factor(model, who: np.ndarray, stores: np.ndarray):
    """Factor on the price of each consumer's offer at each store from the policies that price particular
    offers (coupons, store credit), or None when none does."""
    factor = None
    for policy in model.policies:
        if policy.prices_offers:
            f = policy.offer_price_factor(model, who, stores)
            factor = f if factor is None else factor * f
    return factor


@dataclass
class LogPrices:
    """Today's prices as logs of their factors, per store (and per buyer for the policies' factor), the
    way choice reads them: log price = level + deal (ordinary or insider) + member price + buyer factor."""

    level: np.ndarray            # log price_level
    deal: np.ndarray             # log(1 - today's discount)
    insider_deal: np.ndarray     # log(1 - the insider depth or today's discount if deeper)
    member: np.ndarray           # log(1 - member discount x KEEP)
    on_deal: np.ndarray          # today's discount > 0
    insider_on_deal: np.ndarray  # insider price is a deal
    insider_open: np.ndarray     # a sale runs and stock lasts


def log_prices(model) -> LogPrices:
    """Today's log prices. A day's needs are shopped for in several batches: the logs are kept for the day
    while the arrays they come from are the same objects (the day replaces discounts and KEEP, and changes
    none in place) and the parameters equal; whether a sale is open is read anew (stock sells out)."""
    m, rs, ins = model.merchants, model.config.relationships, model.config.insider
    key = (model.day, m.price_level, m.discount, m.keep, ins.depth, rs.member_discount)
    held = getattr(model, "_log_prices", None)
    if held is None or not all(a is b if isinstance(a, np.ndarray) else a == b for a, b in zip(held[0], key)):
        insider_depth = np.maximum(m.discount, ins.depth)
        held = key, dict(level=np.log(m.price_level), deal=np.log1p(-m.discount), insider_deal=np.log1p(-insider_depth),
                         member=np.log1p(-rs.member_discount * m.keep), on_deal=m.discount > 0,
                         insider_on_deal=insider_depth > 0)
        model._log_prices = held
    return LogPrices(**held[1], insider_open=(m.sale_end_day >= model.day) & (m.insider_stock > 0))


def log_buyer_factor(model, buyers: np.ndarray) -> np.ndarray:
    """log of each buyer's policy price factor."""
    factor = np.asarray(buyer_factor(model, buyers), dtype=np.float64)
    return np.log(factor if factor.shape == buyers.shape else np.broadcast_to(factor, buyers.shape))


def value_orders(model, orders: Orders) -> Orders:
    """Each order's value in yuan: base price x price index x basket, the basket drawn around the buyer's
    own spend level (Gamma-Gamma; the tie and the channel leave it unchanged)."""
    level = model.consumers.spend_level[orders.buyers]
    basket = spend.baskets(model.stream("pricing"), level, model.config.spend.p)
    orders.value = model.base_price[orders.category] * orders.price * basket
    return orders
