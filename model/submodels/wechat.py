"""WeChat communities and diversion (seed 002).

WeChat-using fans and members may join a store's WeChat community (package inserts, service chats),
with a chance rising with the store's WeChat effort. Community messages bring purchases whose channel
depends on the regime: a diverting store sells to its community off-platform (saves commission, loses
weight and is invisible to the platform), whatever prompted the purchase; under WeChat direct the
member buys inside WeChat, on-platform and without switching apps; otherwise she must switch to the
Tmall app and some purchases are lost to friction.

A store agent stands for many real stores, so diversion is a share: the share of the agent's
community buying that goes off-platform (the real stores it stands for that divert). Each month a store
weighs what diverting a yuan of its community's buying brings: the commission it saves (net of the
rebates it expects) against the margin on the public sales it expects to lose, to the enforcement
penalty and to the ranking weight the moved sales no longer earn, and the net hassle of selling
off-platform (`diversion_gain`). The real stores behind an agent differ in that hassle, so the share for
which diverting pays is a logistic of the gain (`diversion_target`); stores not yet diverting move toward
it with their propensity, diverters above it stop at once; enforcement catches a share of the diverters
each day. Leakage then follows the expected share instead of one agent's yes or no, which would make it
depend on the number of store agents.
"""

from __future__ import annotations

import numpy as np

from ..orders import Channel, Level, Orders, Route, Touches
from . import ranking, relationships

TREND_SMOOTHING = 1 / 3       # weight of the latest month in the GMV trend a store's diversion decision reads


def purchase_route(diverted: np.ndarray, direct: np.ndarray) -> np.ndarray:
    """Route of each WeChat-prompted purchase: diverted, inside WeChat or app switch."""
    return np.where(diverted, Route.DIVERTED, np.where(direct, Route.IN_WECHAT, Route.APP_SWITCH))


def diversion_gain(commission: np.ndarray | float, community_gmv: np.ndarray, public_gmv: np.ndarray,
                   expected_penalty: float, public_loss: np.ndarray, margin: float, hassle: float) -> np.ndarray:
    """Net gain per yuan of its WeChat community's monthly buying a store moves off-platform: the commission
    it saves (per yuan, net of the rebates it expects), less its margin on the public sales it expects to
    lose, to the enforcement penalty (`expected_penalty` per yuan of monthly public GMV: detection x weight
    cut x its duration, on all its public GMV) and to the ranking weight the moved sales no longer earn
    (`public_loss` per yuan moved, `ranking.public_loss_per_yuan`), less the net hassle of selling
    off-platform. Minus infinity for a store without a community."""
    with np.errstate(divide="ignore", invalid="ignore"):
        penalty = np.where(community_gmv > 0, expected_penalty * public_gmv / community_gmv, np.inf)
    return commission - margin * (penalty + public_loss) - hassle


def diversion_target(gain: np.ndarray, spread: float, direct: np.ndarray) -> np.ndarray:
    """Share of the real stores behind each store agent for which diverting pays: their hassle is spread
    logistically with scale `spread` around the mean, so the share is the logistic of gain / spread.
    None in WeChat direct: buying there is counted and frictionless."""
    with np.errstate(invalid="ignore"):
        share = 0.5 * (1.0 + np.tanh(0.5 * gain / spread))
    return np.where(direct, 0.0, share)


def diversion_update(share: np.ndarray, propensity: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Next month's diversion share: below the share for which diverting pays, the stores not yet diverting
    move toward it with their propensity; above it, the diverters for which it no longer pays stop at once."""
    return np.where(target > share, share + propensity * (target - share), target)


def update_regime(model) -> None:
    """Today's regime from the policies: stores in WeChat direct (which stop diverting at once), stores
    made to stop diverting."""
    m = model.merchants
    m.wechat_direct = np.zeros(m.n, dtype=bool)
    for policy in model.policies:
        direct = policy.direct_stores(model)
        if direct is not None:
            m.wechat_direct |= direct
    m.diversion_share[m.wechat_direct] = 0.0   # a store in WeChat direct sells to its community inside WeChat
    _stop_diversion(model)


def _stop_diversion(model) -> None:
    """The share of each store the policies stop from diverting (caught, or under penalty) stops."""
    m = model.merchants
    for policy in model.policies:
        stopped = policy.stops_diversion(model)
        if stopped is not None:
            m.diversion_share = np.minimum(m.diversion_share, 1.0 - stopped)


def community_messages(model) -> Touches:
    """WeChat community messages: the community ties touched today (the purchases they prompt go the way
    the regime allows: `route`)."""
    if not model.modulated:
        return Touches.none()
    c, m, wc = model.consumers, model.merchants, model.config.wechat
    flag, merchant = c.rel_wechat.ravel(), c.rel_merchant.ravel()
    if not flag.any():
        return Touches.none()

    def rate_of(k):
        return flag[k] * wc.touch_rate * m.wechat_effort[np.maximum(merchant[k], 0)]

    slots = relationships.draw_touches(model.stream("wechat"), np.flatnonzero(flag),
                                       wc.touch_rate * float(m.wechat_effort.max()), rate_of)
    return Touches(*np.divmod(slots, c.rel_merchant.shape[1]))


def route(model, orders: Orders) -> Orders:
    """WeChat-prompted orders: off-platform at a diverting store, inside WeChat under WeChat direct,
    else after an app switch; some are lost to friction on the way."""
    m, friction = model.merchants, model.config.wechat.app_switch_friction
    direct_friction = friction
    for policy in model.policies:
        direct_friction = policy.direct_friction(model, direct_friction)
    rng = model.stream("wechat")
    way = purchase_route(rng.random(len(orders)) < m.diversion_share[orders.stores], m.wechat_direct[orders.stores])
    lost = rng.random(len(orders)) < np.where(way == Route.APP_SWITCH, friction,   # np.select's choice, quicker
                                              np.where(way == Route.IN_WECHAT, direct_friction, 0.0))
    orders, way = orders.take(~lost), way[~lost]
    orders.channel = np.where(way == Route.DIVERTED, Channel.OFFPLATFORM,
                              np.where(way == Route.IN_WECHAT, Channel.DIRECT, orders.channel))
    return orders


def divert(model, orders: Orders) -> None:
    """A diverting store's WeChat community buys off-platform, whatever prompted the need (for a share
    `diversion_share` of the store's community)."""
    c, share = model.consumers, model.merchants.diversion_share
    community = (orders.slot >= 0) & c.rel_wechat[orders.buyers, np.maximum(orders.slot, 0)]
    if not (community & (share[orders.stores] > 0)).any():
        return
    diverted = community & (model.stream("wechat").random(len(orders)) < share[orders.stores])
    orders.channel = np.where(diverted, Channel.OFFPLATFORM, orders.channel)


def on_purchase(model, orders: Orders) -> None:
    """WeChat-using fans and members may join the store's community; the month's GMV by channel feeds
    the diversion decision."""
    c, m, wc = model.consumers, model.merchants, model.config.wechat
    buyers, slot, stores = orders.buyers, orders.slot, orders.stores
    if model.modulated:
        tie = buyers * c.rel_merchant.shape[1] + slot              # the ties' cells by flat index (slots >= 0)
        joins = (c.wechat_user[buyers] & (c.rel_level.ravel()[tie] >= Level.FAN) & ~c.rel_wechat.ravel()[tie]
                 & (model.stream("wechat").random(buyers.size)
                    < wc.join_prob * m.wechat_effort[stores] * c.join_weight[buyers]))
        c.rel_wechat.ravel()[tie[joins]] = True
    if orders.community.any():
        community = orders.community
        m.month_wechat_gmv += np.bincount(stores[community], weights=orders.value[community], minlength=m.n)
    public = orders.channel == Channel.PUBLIC
    m.month_public_gmv += np.bincount(stores[public], weights=orders.value[public], minlength=m.n)


def decide_diversion(model) -> None:
    """Monthly: stores weigh diversion's gain (commission saved) against its expected costs (enforcement,
    ranking weight, hassle) on their smoothed monthly GMV (a store judges its trend, not one month's luck)."""
    m, s = model.merchants, model.config
    w = TREND_SMOOTHING
    m.wechat_gmv_trend = (1 - w) * m.wechat_gmv_trend + w * m.month_wechat_gmv
    m.public_gmv_trend = (1 - w) * m.public_gmv_trend + w * m.month_public_gmv
    penalty = sum(policy.expected_diversion_penalty(model) for policy in model.policies)
    commission = sum(policy.commission_rate(model) for policy in model.policies)
    rk = s.ranking
    loss = ranking.public_loss_per_yuan(m.public_gmv_trend, m.trailing_gmv, model.prior_weight, rk.exponent,
                                        rk.memory_days)
    gain = diversion_gain(commission, m.wechat_gmv_trend, m.public_gmv_trend, penalty, loss, s.merchants.margin,
                          s.wechat.diversion_hassle)
    target = diversion_target(gain, s.wechat.diversion_spread, m.wechat_direct)
    m.diversion_share = diversion_update(m.diversion_share, m.diversion_propensity, target)
    _stop_diversion(model)
    m.month_wechat_gmv[:] = 0
    m.month_public_gmv[:] = 0
