"""Exclusive insider sales (seed 000): calendars, invitations, exclusivity and being left out.

Each store runs sales at `frequency x KEEP` per year, each lasting `window_days`, with stock for
`quantity_cap` units per invitee. At a sale's start the store invites tied consumers whose value
score clears the eligibility threshold: a score in [0, 1) of what the customer is worth to the store,
from her platform spending, her orders at the store, how recently she visited it and her tie level
(`value_score`), so that any threshold below 1 invites some customers of every tie level and a
stricter one fewer, more valuable ones. Invitees see the store at the insider price, below daily and
festival prices, plus an exclusivity value that shrinks as more of the store's consumers are invited (an
invitation everyone gets is worth nothing special) and a scarcity value. Relationship users left out may notice, and a
consumer who noticed values the store less for a while (Newman et al. 2019). Invitees who know a
store's sales come often may wait for the next one (frequent sales train deal-waiting).
"""

from __future__ import annotations

import numpy as np

from ..orders import Level, Orders, Touches
from . import relationships


def sale_interval(frequency: float, keep: np.ndarray) -> np.ndarray:
    """Days between a store's insider sales (infinite for a store that runs none)."""
    with np.errstate(divide="ignore"):
        return np.where(frequency * keep > 0, 365.0 / (frequency * keep), np.inf)


def value_score(spend_percentile: np.ndarray, orders: np.ndarray, days_since: np.ndarray, level: np.ndarray,
                weights=(1.0, 1.0, 1.0, 1.0), orders_ref: float = 5.0, recency_days: float = 30.0) -> np.ndarray:
    """A consumer's value to a store, in [0, 1): the logistic of the weighted mean of four log-odds, each 0
    for a customer neutral on it (an RFM score with tie level; seed 000 selects by spend, purchase
    frequency, browsing and loyalty):

    - spend: her platform spending percentile, taken at the middle of its 1% bin (0.005 to 0.995);
    - frequency: (orders at the store + 0.5) / `orders_ref`;
    - recency: `recency_days` / (days since her last visit to the store + 1);
    - tie level: visitor 1/4, fan 2/3, member 3/2, group member 4 (the odds of (level + 1) / 5).

    A score s means the weighted mean log-odds is ln(s / (1 - s)): 0.5 a customer neutral on average,
    0.7 one 0.85 above neutral, 0.85 one 1.73 above. With one weight alone the score is that component
    ((level + 1) / 5 for the tie level). Frequency has no upper bound, so a customer of any tie level
    reaches any threshold below 1 with enough orders at the store."""
    w = np.asarray(weights, dtype=np.float64)
    p = np.asarray(spend_percentile, dtype=np.float64)
    lv = np.clip(np.asarray(level, dtype=np.float64), 0, Level.GROUP)
    z = (w[0] * np.log((p + 0.005) / (0.995 - p))
         + w[1] * np.log((np.asarray(orders, dtype=np.float64) + 0.5) / orders_ref)
         + w[2] * np.log(recency_days / (np.maximum(np.asarray(days_since, dtype=np.float64), 0.0) + 1.0))
         + w[3] * np.log((lv + 1.0) / (Level.GROUP + 1.0 - lv))) / w.sum()
    return 1.0 / (1.0 + np.exp(-z))


def eligible(score: np.ndarray, level: np.ndarray, threshold: float) -> np.ndarray:
    """Tied consumers whose score clears the threshold (0 invites all tied consumers, 1 nobody)."""
    return (level > Level.NONE) & (score >= threshold) & (threshold < 1.0)


def exclusivity_value(exclusivity_utility: float, scarcity_utility: float, invited_share: np.ndarray):
    """Utility of holding an invitation: exclusivity falls to zero when everyone is invited."""
    return exclusivity_utility * (1.0 - invited_share) + scarcity_utility


def expects_sale(interval_days: np.ndarray, horizon_days: float) -> np.ndarray:
    """Chance a store's next sale falls within the horizon, for someone who knows its rhythm."""
    if interval_days.all():                         # no 0 to divide by: no errstate (it costs more than the rest)
        return np.where(np.isfinite(interval_days), np.minimum(horizon_days / interval_days, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(interval_days), np.minimum(horizon_days / interval_days, 1.0), 0.0)


def start_sales(model) -> Touches:
    """Sales starting today invite eligible tied consumers; relationship users left out may notice.
    Returns the invitations (an invitation acts as a touch)."""
    m, c, ins = model.merchants, model.consumers, model.config.insider
    starting = m.next_sale_day == model.day
    if not (model.modulated and starting.any()):
        return Touches.none()
    rng, day = model.stream("insider_sales"), model.day
    jitter = rng.uniform(0.75, 1.25, int(starting.sum()))
    m.next_sale_day[starting] += np.maximum(1, np.round(m.insider_interval[starting] * jitter)).astype(np.int64)
    who, k = customers(model, starting)
    level = c.rel_level[who, k]
    score = value_score(c.spend_percentile[who], c.rel_orders[who, k], day - c.rel_last[who, k], level,
                        ins.score_weights, ins.score_orders, ins.score_recency_days)
    invited = eligible(score, level, ins.eligibility_threshold)
    open_sales(model, starting, who, k, invited, ins.window_days)
    left = (~invited) & (level >= Level.FAN) & (rng.random(who.size) < ins.notice_prob)
    c.rel_slighted_until[who[left], k[left]] = day + ins.slight_days
    c.left_out_day[who[left]] = day
    return Touches(who[invited], k[invited])


def customers(model, stores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tie slots (consumer, slot) at these stores (a mask) that a sale may invite: not mere browsers."""
    c = model.consumers
    slots = np.flatnonzero(np.append(stores, False).take(c.rel_merchant.ravel()))   # empty slots (-1) read the False
    slots = slots[~relationships.browsed_only(c.rel_level.ravel()[slots], c.rel_orders.ravel()[slots],
                                              c.rel_fav.ravel()[slots])]     # a store cannot invite mere browsers
    return np.divmod(slots, c.rel_merchant.shape[1])


def open_sales(model, starting: np.ndarray, who: np.ndarray, k: np.ndarray, invited: np.ndarray,
               window_days: int) -> None:
    """Sales open today at the `starting` stores for `window_days`: the invited tie slots among (who, k)
    hold an invitation until the end, and each sale's stock is `quantity_cap` per invitee."""
    m, c, ins, day = model.merchants, model.consumers, model.config.insider, model.day
    m.sale_end_day[starting] = day + window_days - 1
    c.rel_invited_until[who[invited], k[invited]] = day + window_days - 1
    stores = c.rel_merchant[who, k]
    n_tied = np.bincount(stores, minlength=m.n)
    n_invited = np.bincount(stores[invited], minlength=m.n)
    m.insider_stock[starting] = ins.quantity_cap * n_invited[starting]
    m.invited_share[starting] = n_invited[starting] / np.maximum(n_tied[starting], 1)


def on_purchase(model, orders: Orders) -> None:
    """Insider purchases use up the sale's stock."""
    if orders.insider.any():
        model.merchants.insider_stock -= np.bincount(orders.stores[orders.insider], minlength=model.merchants.n)


def reschedule(model) -> None:
    """After KEEP effort changed: stores that now run sales get a first date, others stop."""
    m = model.merchants
    interval = sale_interval(model.config.insider.frequency, m.keep)
    newly = np.isfinite(interval) & (m.next_sale_day < 0)
    first = np.floor(model.stream("insider_sales").random(int(newly.sum())) * interval[newly])
    m.next_sale_day[newly] = model.day + 1 + first
    m.next_sale_day[~np.isfinite(interval)] = -1
    m.insider_interval = interval
