"""WeChat: purchase routes by regime, friction on the way, and the monthly diversion decision."""

import numpy as np
from conftest import small

from ptsim import PrivateTrafficModel
from ptsim.orders import Channel, Level, Orders, Prompt, Route
from ptsim.submodels import wechat


def test_wechat_purchase_route_by_regime():
    route = wechat.purchase_route(np.array([True, False, False]), np.array([False, True, False]))
    assert list(route) == [Route.DIVERTED, Route.IN_WECHAT, Route.APP_SWITCH]


def test_diversion_gain_is_commission_saved_less_the_margin_on_public_sales_lost_and_the_hassle():
    community = np.array([100.0, 100.0, 10.0, 0.0])
    public = np.array([200.0, 200.0, 200.0, 200.0])
    loss = np.array([0.2, 0.4, 0.2, 0.2])          # public GMV lost to ranking weight per yuan moved
    # expected penalty 0.05 per yuan of public GMV: 0.1 per yuan moved at store 0 (public twice its community)
    gain = wechat.diversion_gain(0.05, community, public, 0.05, loss, 0.25, 0.02)
    assert np.allclose(gain[:3], [0.05 - 0.25 * (0.1 + 0.2) - 0.02, 0.05 - 0.25 * (0.1 + 0.4) - 0.02,
                                  0.05 - 0.25 * (1.0 + 0.2) - 0.02])
    assert gain[3] == -np.inf                       # nothing to move
    # each yuan of commission saved is a yuan of gain, per store (rebates differ by store)
    more = wechat.diversion_gain(np.array([0.10, 0.05, 0.05, 0.05]), community, public, 0.05, loss, 0.25, 0.02)
    assert np.isclose(more[0] - gain[0], 0.05) and np.allclose(more[1:3], gain[1:3])
    # without enforcement only the ranking weight and the hassle weigh against it
    assert np.allclose(wechat.diversion_gain(0.05, community, public, 0.0, loss, 0.25, 0.0)[:3],
                       0.05 - 0.25 * loss[:3])


def test_diversion_target_is_the_logistic_of_the_gain_and_none_in_wechat_direct():
    gain = np.array([0.0, 0.05 * np.log(3), -np.inf, 0.0])
    direct = np.array([False, False, False, True])
    assert np.allclose(wechat.diversion_target(gain, 0.05, direct), [0.5, 0.75, 0.0, 0.0])


def test_stores_move_toward_a_higher_target_with_their_propensity_and_stop_at_once_above_it():
    share = np.array([0.0, 0.5, 0.5, 0.5])
    target = np.array([0.5, 0.9, 0.5, 0.1])
    assert np.allclose(wechat.diversion_update(share, np.full(4, 0.2), target), [0.1, 0.58, 0.5, 0.1])


def wechat_orders(m, n=400):
    """WeChat-prompted orders of the first n consumers at store 0 (a fan tie, slot 0)."""
    buyers = np.arange(n)
    return Orders(buyers=buyers, stores=np.zeros(n, np.int64), category=np.zeros(n, np.int64),
                  level=np.full(n, Level.FAN, np.int8), price=np.ones(n), depth=np.zeros(n),
                  insider=np.zeros(n, bool), channel=np.full(n, Channel.PRIVATE), slot=np.zeros(n, np.int64),
                  prompt=Prompt.WECHAT_TOUCH)


def test_route_sends_orders_the_way_the_regime_allows():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0, "wechat.app_switch_friction": 1.0}), rng=1,
                            create_agents=False)
    assert not any(p.name == "wechat_direct" for p in m.policies)
    m.merchants.wechat_direct[:] = False
    m.merchants.diversion_share[:] = 0.0
    assert len(wechat.route(m, wechat_orders(m))) == 0             # every app switch lost at friction 1
    m.merchants.diversion_share[0] = 1.0
    out = wechat.route(m, wechat_orders(m))                        # a fully diverting store loses nothing
    assert len(out) == 400 and (out.channel == Channel.OFFPLATFORM).all() and not out.on_platform.any()
    m.merchants.diversion_share[0] = 0.5                           # half diverted, the rest lost to friction
    out = wechat.route(m, wechat_orders(m, 4000))
    assert abs(len(out) / 4000 - 0.5) < 4 * np.sqrt(0.25 / 4000) and (out.channel == Channel.OFFPLATFORM).all()


def test_wechat_direct_buys_inside_wechat_without_friction():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0, "wechat.app_switch_friction": 1.0,
                                     "policies.wechat_direct.mode": "open"}), rng=1, create_agents=False)
    m.merchants.diversion_share[:] = 0.0
    m.merchants.wechat_direct[:] = True
    out = wechat.route(m, wechat_orders(m))
    assert len(out) == 400 and (out.channel == Channel.DIRECT).all() and out.on_platform.all()


def test_divert_moves_only_community_orders_of_diverting_stores_off_platform():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=1, create_agents=False)
    orders = wechat_orders(m, 4)
    orders.slot = np.array([0, 0, 0, -1])
    m.consumers.rel_wechat[:4, 0] = [True, False, True, True]
    m.merchants.diversion_share[:] = 1.0
    wechat.divert(m, orders)
    assert list(orders.channel) == [Channel.OFFPLATFORM, Channel.PRIVATE, Channel.OFFPLATFORM, Channel.PRIVATE]
