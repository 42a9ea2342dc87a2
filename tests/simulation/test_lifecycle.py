"""Lifecycle ladder (UCMV), taoqi, who may join 88VIP, and the purchase history."""

import numpy as np
from conftest import small

from ptsim import PrivateTrafficModel
from ptsim.orders import Channel, Level, Orders, Stage
from ptsim.submodels import lifecycle as lc


def test_taoqi_grows_with_spend_and_is_capped():
    t = lc.taoqi_score(np.array([0.0, 10_000.0, 1e9]), 400, 0.05, 2500)
    assert list(t) == [400, 900, 2500]


def test_tiers():
    orders = np.array([0, 3, 3, 3])
    member = np.array([False, False, True, True])
    vip = np.array([False, False, False, True])
    assert list(lc.lifecycle_tier(orders, member, vip, 2)) == [Stage.U, Stage.C, Stage.M, Stage.V]
    assert lc.TIER_NAMES == ("U", "C", "M", "V")


def test_only_eligible_consumers_join_88vip():
    rng = np.random.default_rng(0)
    joins = lc.vip_joins(rng, np.array([999.0, 1000.0, 1500.0]), np.zeros(3, bool), 1000, 1.0)
    assert list(joins) == [False, True, True]
    assert not lc.vip_joins(rng, np.array([1500.0]), np.ones(1, bool), 1000, 1.0).any()   # already a member


def test_purchase_history_marks_repeats_and_counts_only_on_platform_spend():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=1, create_agents=False)
    c = m.consumers
    c.orders[:2] = [0, 5]
    spend0 = c.spend_365[:2].copy()
    orders = Orders(buyers=np.array([0, 1]), stores=np.array([3, 4]), category=np.zeros(2, np.int64),
                    level=np.full(2, Level.VISITOR, np.int8), price=np.ones(2), depth=np.zeros(2),
                    insider=np.zeros(2, bool), channel=np.array([Channel.PUBLIC, Channel.OFFPLATFORM]),
                    slot=np.zeros(2, np.int64))
    orders.value = np.array([100.0, 100.0])
    lc.on_purchase(m, orders)
    assert list(orders.repeat) == [False, True] and list(c.orders[:2]) == [1, 6]
    assert np.isclose(c.spend_365[0] - spend0[0], 100.0) and c.spend_365[1] == spend0[1]
    assert (c.last_day[:2] == m.day).all()
