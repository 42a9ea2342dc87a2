"""Merchant adaptation: each month, shift LINK+ effort toward the levers that paid off.

A store attributes last month's GMV to levers (LEAD: public sales; INTERLOCK: sales through fan and
member ties; ENGAGE: sales prompted by touches and messages; KEEP: insider sales and members' repeat
purchases), divides by each lever's cost, and moves each effort by `rate` times its return relative to
the store's average return, within [0, 1].
"""

from __future__ import annotations

import numpy as np

from ..orders import Lever, Level, Orders, Prompt
from . import insider_sales


def shift_effort(effort: np.ndarray, attributed_gmv: np.ndarray, cost: np.ndarray, rate: float) -> np.ndarray:
    """New effort (stores x 4 levers) from attributed GMV and cost over the last period."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = np.where(cost > 0, attributed_gmv / cost, 0.0)
    mean = ret.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(mean > 0, ret / mean - 1.0, 0.0)
    step = rate * np.clip(relative, -1.0, 1.0)
    return np.clip(effort * (1.0 + step) + 0.01 * (step > 0), 0.0, 1.0)


def on_purchase(model, orders: Orders) -> None:
    """Attribute each order to a lever: LEAD public sales, INTERLOCK ties, ENGAGE touches, KEEP insider
    sales and members' repeat purchases."""
    m = model.merchants
    kept = orders.insider | ((orders.level >= Level.MEMBER) & (orders.orders_before >= 1))
    if orders.prompt != Prompt.NEED:
        lever = np.where(kept, Lever.KEEP, Lever.ENGAGE)
    else:
        lever = np.where(kept, Lever.KEEP, np.where(orders.level >= Level.FAN, Lever.INTERLOCK, Lever.LEAD))
    k = len(Lever)
    m.lever_gmv += np.bincount(orders.stores * k + lever, weights=orders.value, minlength=k * m.n).reshape(m.n, k)


def adapt(model) -> None:
    """Monthly: shift LINK+ effort toward what paid off; stores whose KEEP changed reschedule sales."""
    m, rate = model.merchants, model.config.merchants.adaptation_rate
    if rate > 0:
        new = shift_effort(m.effort(), m.lever_gmv, m.lever_cost, rate)
        m.lead, m.interlock, m.engage, m.keep = (new[:, k].copy() for k in range(4))
        insider_sales.reschedule(model)
    m.lever_gmv[:] = 0
    m.lever_cost[:] = 0
