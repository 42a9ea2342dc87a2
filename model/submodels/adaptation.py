"""Merchant adaptation: each month, stores move LINK+ effort toward what each lever now returns.

A store attributes last month's GMV to levers (LEAD: public sales; INTERLOCK: sales through fan and
member ties; ENGAGE: sales prompted by touches and messages; KEEP: insider sales and members' repeat
purchases) and divides by each lever's cost, pooled over its peers (stores of its tier in the same
WeChat regime), as merchants read industry benchmarks rather than one month of their own noisy sales;
pooling also keeps the response the same at any number of agents. The status quo is taken as the merchants' equilibrium:
their scenario efforts are what they chose for it, and the return each lever earned at the end of the
burn-in is the status-quo return. After that a store's target effort is its status-quo effort scaled
by the lever's return relative to its status-quo return, and effort moves a share `rate` of the way
there each month. Under the status quo efforts stay near the scenario's; a policy that changes what
a lever returns moves them.
"""

from __future__ import annotations

import numpy as np

from ..orders import Level, Lever, Orders, Prompt

RETURN_SMOOTHING = 1 / 3      # weight of the latest month in each lever's smoothed return
PROMPTED = (Prompt.TOUCH, Prompt.WECHAT_TOUCH, Prompt.INVITATION)   # ENGAGE's sales; a deferred need is a need


def lever_returns(attributed_gmv: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """GMV per yuan of effort of each store and lever (NaN where the lever cost nothing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cost > 0, attributed_gmv / cost, np.nan)


def peer_groups(merchants) -> np.ndarray:
    """Each store's peer group: its tier, split by whether it sells through WeChat direct."""
    return merchants.tier.astype(np.int64) * 2 + merchants.wechat_direct


def pooled(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per store and lever, the sum of `values` over the store's peer group."""
    n_groups = int(group.max(initial=0)) + 1
    sums = np.stack([np.bincount(group, weights=values[:, k], minlength=n_groups) for k in range(values.shape[1])],
                    axis=1)
    return sums[group]


def target_effort(status_quo: np.ndarray, returns: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Effort a store aims at: its status-quo effort times the lever's return over its status-quo return."""
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where((reference > 0) & np.isfinite(returns), returns / reference, 1.0)
    return np.clip(status_quo * relative, 0.0, 1.0)


def shift_effort(effort: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """Effort after one month of partial adjustment toward the target."""
    return effort + rate * (target - effort)


def on_purchase(model, orders: Orders) -> None:
    """Attribute each order to a lever: LEAD public sales, INTERLOCK ties, ENGAGE touches, KEEP insider
    sales and members' repeat purchases."""
    m = model.merchants
    kept = orders.insider | ((orders.level >= Level.MEMBER) & (orders.orders_before >= 1))
    if orders.prompt in PROMPTED:
        lever = np.where(kept, Lever.KEEP, Lever.ENGAGE)
    else:
        lever = np.where(kept, Lever.KEEP, np.where(orders.level >= Level.FAN, Lever.INTERLOCK, Lever.LEAD))
    k = len(Lever)
    m.lever_gmv += np.bincount(orders.stores * k + lever, weights=orders.value, minlength=k * m.n).reshape(m.n, k)


def adapt(model) -> bool:
    """Monthly: smooth each lever's return; from day 0 on, move effort toward the target it implies.
    Returns whether effort moved (insider sale calendars then follow KEEP: `insider_sales.reschedule`)."""
    m, rate = model.merchants, model.config.merchants.adaptation_rate
    moved = model.record_day >= 0 and rate > 0
    group = peer_groups(m)
    month = lever_returns(pooled(m.lever_gmv, group), pooled(m.lever_cost, group))
    seen = np.isfinite(month)
    m.lever_return = np.where(seen & np.isfinite(m.lever_return),
                              (1 - RETURN_SMOOTHING) * m.lever_return + RETURN_SMOOTHING * month,
                              np.where(seen, month, m.lever_return))
    if model.record_day < 0:
        m.status_quo_return = m.lever_return.copy()
    elif moved:
        target = target_effort(m.status_quo_effort, m.lever_return, m.status_quo_return)
        new = shift_effort(m.effort(), target, rate)
        m.lead, m.interlock, m.engage, m.keep = (new[:, k].copy() for k in range(4))
    m.lever_gmv[:] = 0
    m.lever_cost[:] = 0
    return moved
