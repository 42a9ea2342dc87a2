"""The lifecycle ladder (UCMV), taoqi score and the 88VIP tier.

U = new user (fewer than `mature_orders` orders), C = mature consumer, M = member of at least one
store, V = 88VIP member. Taoqi score grows with spending over the trailing year up to a cap; 88VIP
is open from the taoqi threshold (1000, seed 003), and eligible buyers join with a small chance at
each purchase, more during the Double 11 window (seed 003: the 42M -> 49M rise came mostly then).
"""

from __future__ import annotations

import numpy as np

from ..orders import Orders, Stage

TIER_NAMES = tuple(stage.name for stage in Stage)


def taoqi_score(spend_365: np.ndarray, base: float, per_yuan: float, cap: float) -> np.ndarray:
    return np.minimum(base + per_yuan * spend_365, cap)


def lifecycle_tier(orders: np.ndarray, is_member: np.ndarray, is_vip: np.ndarray, mature_orders: int):
    tier = np.where(orders >= mature_orders, Stage.C, Stage.U).astype(np.int8)
    tier[is_member & (tier == Stage.C)] = Stage.M
    tier[is_vip] = Stage.V
    return tier


def vip_joins(rng: np.random.Generator, taoqi: np.ndarray, is_vip: np.ndarray, threshold: float,
              join_prob: float) -> np.ndarray:
    """Which buyers join 88VIP at this purchase."""
    return (~is_vip) & (taoqi >= threshold) & (rng.random(taoqi.shape[0]) < join_prob)


def on_purchase(model, orders: Orders) -> None:
    """Purchase history: orders, trailing spend (taoqi), last purchase day and this week's activity.
    Marks which orders are repeat purchases (the buyer had bought before)."""
    c, buyers = model.consumers, orders.buyers
    spend = np.where(orders.on_platform, orders.value, 0.0)
    orders.repeat = c.orders[buyers] >= 1
    c.orders[buyers] += 1
    c.run_orders[buyers] += 1
    c.spend_365[buyers] += spend.astype(np.float32)
    c.last_day[buyers] = model.day
    c.active_weeks[buyers] |= np.uint32(1)


def end_day(model) -> None:
    """Trailing-year spending fades; weekly, the activity window moves on and spend percentiles update."""
    c = model.consumers
    c.spend_365 *= np.float32(np.exp(-1.0 / 365.0))
    if model.calendar.week_ends(model.day):
        c.active_weeks <<= np.uint32(1)
        c.active_weeks &= c.WEEKS_MASK
        c.update_spend_percentile(model.stream("lifecycle"))
