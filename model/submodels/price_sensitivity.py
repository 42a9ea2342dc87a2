"""Reference prices, deal-proneness and waiting for a deal.

Reference prices are exponentially smoothed past prices paid (Briesch et al. 1997), kept per
consumer and category as an index relative to the category's base price. Deal-proneness rises
after buying on deal, in proportion to the depth of the deal, and decays back to each consumer's
baseline without deals (Mela, Gupta & Lehmann 1997; Zhang et al. 2020 for Alibaba). A deal-prone
consumer with a need and no deal on the chosen offer may wait for an anticipated sale.
"""

from __future__ import annotations

import numpy as np

from ..orders import Orders
from . import choice, insider_sales


def update_reference(reference: np.ndarray, paid: np.ndarray, smoothing: float) -> np.ndarray:
    """New reference price index after paying `paid`."""
    return (1.0 - smoothing) * reference + smoothing * paid


def settle_reference_prices(model, rng: np.random.Generator, rounds: int = 2, batch: int = 10_000) -> None:
    """Start every consumer's reference price in each category where paying settles it: the expected
    price index she pays there (logit choice over her offers), less the average ordinary deal, iterated
    because her choices depend on the reference itself (a few rounds toward the fixed point)."""
    c, ms = model.consumers, model.config.merchants
    k = c.n_categories
    deal = 1.0 - ms.deal_rate * ms.deal_depth
    for _ in range(rounds):
        new = c.reference_price.copy()
        for start in range(0, c.n, batch):
            who = np.arange(start, min(start + batch, c.n))
            buyers, cats = np.repeat(who, k), np.tile(np.arange(k), who.size)
            rows, paid = choice.Offers(model, buyers, cats, rng).expected_price()
            new[buyers[rows], cats[rows]] = paid * deal
        c.reference_price[:] = new


def learn_from_deal(deal_proneness: np.ndarray, depth: np.ndarray, learning: float) -> np.ndarray:
    """Deal-proneness after buying at a discount of `depth` (0 = full price leaves it unchanged)."""
    return deal_proneness + np.minimum(learning * depth, 1.0) * (1.0 - deal_proneness)


def decay_toward_baseline(deal_proneness: np.ndarray, baseline: np.ndarray, decay_days: float) -> None:
    """One day of relaxation of deal-proneness toward each consumer's baseline (in place)."""
    keep = np.float32(np.exp(-1.0 / decay_days))
    deal_proneness -= baseline
    deal_proneness *= keep
    deal_proneness += baseline


def wait_for_deal(rng: np.random.Generator, deal_proneness: np.ndarray, on_deal: np.ndarray,
                  sale_ahead: np.ndarray, propensity: float) -> np.ndarray:
    """Which buyers defer their need: deal-prone, offer not on deal, a sale anticipated soon."""
    return (~on_deal) & sale_ahead & (rng.random(deal_proneness.shape[0]) < propensity * deal_proneness)


def deferred_due(model) -> tuple[np.ndarray, np.ndarray]:
    """The needs deferred to today's sale, as consumer and category (a consumer may have several, in the
    order she deferred them); their wait is over. Every other deferred need is kept."""
    c = model.consumers
    due = c.deferred_day == model.day
    who, cats = c.deferred_who[due].astype(np.int64), c.deferred_category[due].astype(np.int64)
    if who.size:
        c.deferred_who, c.deferred_day, c.deferred_category = (c.deferred_who[~due], c.deferred_day[~due],
                                                               c.deferred_category[~due])
    return who, cats


def defer(model, orders: Orders, shown: np.ndarray) -> np.ndarray:
    """Which chosen orders wait for an anticipated sale instead (a festival ahead, or the insider sale of
    a tied store shown that the buyer remembers); their needs are kept for the sale day, beside any the
    buyer already holds. `shown`: orders x tie slots, the buyer's ties shown with the need."""
    c, m, s = model.consumers, model.merchants, model.config
    rng, buyers, day = model.stream("price_sensitivity"), orders.buyers, model.day
    tied = c.rel_merchant.take(buyers, axis=0)                # rows by take: quicker than indexing
    remembered = shown & (c.rel_invited_until.take(buyers, axis=0) >= day - s.insider.anticipation_days)
    p_sale = np.where(remembered, insider_sales.expects_sale(
        m.insider_interval.take(np.maximum(tied, 0)), s.price_sensitivity.defer_horizon_days), 0.0)
    festival = bool(model.calendar.sale_ahead[day])
    p_ahead = np.maximum(p_sale.max(axis=1, initial=0.0), float(festival))
    wait = wait_for_deal(rng, c.deal_proneness[buyers], orders.depth > 0, p_ahead > 0,
                         s.price_sensitivity.defer_propensity)
    wait &= rng.random(buyers.size) < p_ahead
    if wait.any():
        w = np.flatnonzero(wait)
        store_sale = m.next_sale_day[np.maximum(tied[w, p_sale[w].argmax(axis=1)], 0)]
        sale_day = np.where(festival, day + model.calendar.days_to_sale[day],
                            np.clip(store_sale, day + 1, day + max(1, s.price_sensitivity.defer_horizon_days)))
        c.deferred_who = np.concatenate([c.deferred_who, buyers[w].astype(np.int32)])
        c.deferred_day = np.concatenate([c.deferred_day, sale_day.astype(np.int32)])
        c.deferred_category = np.concatenate([c.deferred_category, orders.category[w].astype(np.int8)])
        model.flows["needs_deferred"] += w.size
    return wait


def on_purchase(model, orders: Orders) -> None:
    """Reference prices learn from what was paid; buying on deal raises deal-proneness."""
    c, ps = model.consumers, model.config.price_sensitivity
    buyers, cats = orders.buyers, orders.category
    cell = buyers * c.reference_price.shape[1] + cats       # (buyer, category) cells by flat index
    c.reference_price.ravel()[cell] = update_reference(c.reference_price.ravel()[cell], orders.price,
                                                       ps.reference_smoothing)
    if model.modulated:
        on_deal = orders.depth > 0
        c.deal_proneness[buyers[on_deal]] = learn_from_deal(c.deal_proneness[buyers[on_deal]],
                                                            orders.depth[on_deal], ps.deal_learning)


def end_day(model) -> None:
    """Deal-proneness relaxes toward each consumer's baseline."""
    if model.modulated:
        c = model.consumers
        decay_toward_baseline(c.deal_proneness, c.deal_proneness_baseline,
                              model.config.price_sensitivity.decay_days)
