"""Store ties: slots, conversion by INTERLOCK, touches by ENGAGE (thinning), lapsing."""

import numpy as np
from conftest import small

from ptsim import PrivateTrafficModel
from ptsim.orders import Channel, Level, Orders
from ptsim.submodels import relationships as rel

NONE, VISITOR, FAN, MEMBER = Level.NONE, Level.VISITOR, Level.FAN, Level.MEMBER


def slots(n, R):
    return (np.full((n, R), -1, np.int32), np.full((n, R), NONE, np.int8), np.full((n, R), -100, np.int32))


def test_purchase_creates_visitor_tie_and_reuses_existing():
    m, lv, last = slots(2, 3)
    s, new = rel.find_or_assign_slot(m, lv, last, np.array([0, 1]), np.array([7, 8]), day=5)
    assert new.all() and m[0, s[0]] == 7 and lv[1, s[1]] == VISITOR and last[0, s[0]] == 5
    s2, new2 = rel.find_or_assign_slot(m, lv, last, np.array([0]), np.array([7]), day=6)
    assert not new2.any() and s2[0] == s[0] and (m[0] == 7).sum() == 1


def test_full_slots_evict_lowest_level_then_least_recent():
    m = np.array([[1, 2, 3]], np.int32)
    lv = np.array([[MEMBER, VISITOR, VISITOR]], np.int8)
    last = np.array([[0, 10, 5]], np.int32)
    s, _ = rel.find_or_assign_slot(m, lv, last, np.array([0]), np.array([9]), day=20)
    assert s[0] == 2 and m[0, 2] == 9 and m[0, 0] == 1


def test_interlock_effort_drives_conversion():
    rng = np.random.default_rng(1)
    n = 50_000
    vis = np.full(n, VISITOR, np.int8)
    for effort in (0.0, 1.0):
        out = rel.convert(rng, vis, np.full(n, effort), 0.2, 0.1)
        assert abs((out == FAN).mean() - 0.2 * effort) < 4 * np.sqrt(0.04 / n) + 1e-12
    fans = rel.convert(rng, np.full(n, FAN, np.int8), np.ones(n), 0.2, 0.1)
    assert abs((fans == MEMBER).mean() - 0.1) < 4 * np.sqrt(0.09 / n)


def test_touch_thinning_gives_each_slot_its_rate():
    rng = np.random.default_rng(2)
    n = 400_000
    level = np.repeat(np.array([NONE, VISITOR, FAN, MEMBER], np.int8), n // 4)
    merchant = np.where(level == NONE, -1, 0).astype(np.int32)
    rate_by_level = np.array([0.0, 0.02, 0.06, 0.0])     # visitor, fan, member, NONE
    engage = np.array([0.5])

    def rate_of(k):
        return rate_by_level[level[k]] * engage[np.maximum(merchant[k], 0)]

    expected = np.array([0.0, 0.0, 0.01, 0.03]) * n / 4
    for slots in (np.arange(level.size), np.flatnonzero(level >= FAN)):   # all slots, or the touchable only
        touched = rel.draw_touches(rng, slots, 0.06 * 0.5, rate_of)
        counts = np.bincount(level[touched] + 1, minlength=4)
        assert counts[0] == 0 and counts[1] == 0
        assert np.all(np.abs(counts[2:] - expected[2:]) < 4 * np.sqrt(expected[2:]))


def test_neglected_ties_lapse_one_level_at_a_time():
    m = np.array([[4, 5]], np.int32)
    lv = np.array([[MEMBER, VISITOR]], np.int8)
    last = np.array([[0, 0]], np.int32)
    rel.lapse(m, lv, last, day=200, lapse_days=180)
    assert lv[0, 0] == FAN and lv[0, 1] == NONE and m[0, 1] == -1 and m[0, 0] == 4


def test_tie_makes_untied_buyers_visitors_and_records_earlier_orders():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=1, create_agents=False)
    c = m.consumers
    c.rel_merchant[:2] = -1
    c.rel_level[:2] = NONE
    c.rel_merchant[1, 2], c.rel_level[1, 2], c.rel_orders[1, 2] = 7, MEMBER, 4     # buyer 1 is tied to store 7
    orders = Orders(buyers=np.array([0, 1]), stores=np.array([5, 7]), category=np.zeros(2, np.int64),
                    level=np.array([NONE, MEMBER], np.int8), price=np.ones(2), depth=np.zeros(2),
                    insider=np.zeros(2, bool), channel=np.full(2, Channel.PUBLIC), slot=np.array([-1, 2]))
    orders = rel.tie(m, orders)
    assert c.rel_merchant[0, orders.slot[0]] == 5 and c.rel_level[0, orders.slot[0]] == VISITOR
    assert orders.slot[1] == 2 and list(orders.orders_before) == [0, 4]
    assert (c.rel_last[[0, 1], orders.slot] == m.day).all()
