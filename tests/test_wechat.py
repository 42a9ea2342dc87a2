"""WeChat: purchase routes by regime, friction on the way, and the monthly diversion decision."""

import numpy as np

from ptsim import PrivateTrafficModel
from ptsim.orders import Channel, Level, Orders, Prompt, Route
from ptsim.submodels import wechat

from conftest import small


def test_wechat_purchase_route_by_regime():
    route = wechat.purchase_route(np.array([True, False, False]), np.array([False, True, False]))
    assert list(route) == [Route.DIVERTED, Route.IN_WECHAT, Route.APP_SWITCH]


def test_diversion_when_it_pays_and_never_in_wechat_direct():
    rng = np.random.default_rng(0)
    n = 4
    community = np.array([100.0, 100.0, 1.0, 100.0])
    public = np.array([10.0, 1000.0, 10.0, 10.0])
    direct = np.array([False, False, False, True])
    # expected penalty 0.1 per yuan of public GMV (detection 0.1 x weight cut 0.5 x two months)
    out = wechat.diversion_decision(rng, np.zeros(n, bool), np.ones(n), 0.1, community, public, 0.1, direct)
    assert list(out) == [True, False, False, False]
    # without enforcement diversion pays wherever there is a community
    out = wechat.diversion_decision(rng, np.zeros(n, bool), np.ones(n), 0.1, community, public, 0.0, direct)
    assert list(out) == [True, True, True, False]


def test_a_store_already_diverting_goes_on_and_others_start_with_their_propensity():
    rng = np.random.default_rng(1)
    n = 20_000
    ones = np.ones(n)
    out = wechat.diversion_decision(rng, np.arange(n) < n // 2, np.full(n, 0.2), 0.1, ones, ones, 0.0,
                                    np.zeros(n, bool))
    assert out[: n // 2].all()
    started = out[n // 2:].mean()
    assert abs(started - 0.2) < 4 * np.sqrt(0.2 * 0.8 / (n // 2))


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
    m.merchants.diverting[:] = False
    assert len(wechat.route(m, wechat_orders(m))) == 0             # every app switch lost at friction 1
    m.merchants.diverting[0] = True
    out = wechat.route(m, wechat_orders(m))                        # a diverting store loses nothing
    assert len(out) == 400 and (out.channel == Channel.OFFPLATFORM).all() and not out.on_platform.any()


def test_wechat_direct_buys_inside_wechat_without_friction():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0, "wechat.app_switch_friction": 1.0,
                                     "policies.wechat_direct.mode": "open"}), rng=1, create_agents=False)
    m.merchants.diverting[:] = False
    m.merchants.wechat_direct[:] = True
    out = wechat.route(m, wechat_orders(m))
    assert len(out) == 400 and (out.channel == Channel.DIRECT).all() and out.on_platform.all()


def test_divert_moves_only_community_orders_of_diverting_stores_off_platform():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=1, create_agents=False)
    orders = wechat_orders(m, 4)
    orders.slot = np.array([0, 0, 0, -1])
    m.consumers.rel_wechat[:4, 0] = [True, False, True, True]
    m.merchants.diverting[:] = True
    wechat.divert(m, orders)
    assert list(orders.channel) == [Channel.OFFPLATFORM, Channel.PRIVATE, Channel.OFFPLATFORM, Channel.PRIVATE]
