"""Store groups: entry conditions, joining, leaving on over-messaging; precise entry gives smaller,
more active groups."""

import numpy as np
from conftest import lever_runs, paired_interval
from scipy import stats

from ptsim.orders import Level
from ptsim.submodels import groups


def test_group_entry_conditions_filter_who_may_join():
    level = np.array([Level.NONE, Level.VISITOR, Level.FAN, Level.MEMBER])
    orders = np.array([0, 0, 1, 3])
    interest = np.array([0.5, 0.1, 0.2, 0.4])
    assert groups.qualifies("none", level, orders, interest, 0.3).all()
    assert list(groups.qualifies("visited", level, orders, interest, 0.3)) == [False, True, True, True]
    assert list(groups.qualifies("favourited", level, orders, interest, 0.3)) == [False, False, True, True]
    assert list(groups.qualifies("purchased", level, orders, interest, 0.3)) == [False, False, True, True]
    assert list(groups.qualifies("interest", level, orders, interest, 0.3)) == [True, False, False, True]


def test_perks_raise_and_complex_flow_lowers_joining():
    p = groups.join_probability(0.1, np.array([0.0, 1.0, 1.0]), 1.0, np.array([False, False, True]), 0.6)
    assert p[1] > p[0] and p[2] < p[1] and np.isclose(p[2], 0.1 * 2 * 0.4)


def test_over_messaging_makes_members_leave():
    leave = groups.leave_probability(np.array([0.05, 0.08, 0.16, 1.0]), 0.08, 0.5)
    assert leave[0] == 0 and leave[1] == 0 and 0 < leave[2] < leave[3] <= 1
    out = groups.leave(np.array([Level.GROUP, Level.MEMBER, Level.FAN], np.int8))
    assert list(out) == [Level.MEMBER, Level.MEMBER, Level.FAN] and out.dtype == np.int8


def test_precise_group_entry_gives_smaller_more_active_groups():
    # 8 replications: GMV per group member carries the spread of members' spend levels (spend.py)
    open_, precise = lever_runs("group_entry_open.yaml", reps=8), lever_runs("group_entry_purchased.yaml", reps=8)
    lo, hi = paired_interval(precise, open_, "n_group_members")
    assert lo > 0, ("open entry gives larger groups", lo, hi)
    act_open = [r["gmv_group"] / r["n_group_members"] for r in open_]
    act_precise = [r["gmv_group"] / r["n_group_members"] for r in precise]
    d = np.array(act_precise) - np.array(act_open)
    assert d.mean() - stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size) > 0


def test_a_buyer_meeting_the_entry_condition_joins_at_the_purchase():
    from conftest import small

    from ptsim import PrivateTrafficModel
    from ptsim.orders import Channel, Orders
    s = small(**{"run.burn_in_days": 0, "groups.entry": "purchased", "groups.join_prob": 1.0,
                 "groups.complex_flow_penalty": 0.0})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    c = m.consumers
    c.rel_merchant[:3, 0], c.rel_level[:3, 0] = 9, Level.FAN
    orders = Orders(buyers=np.arange(3), stores=np.full(3, 9), category=np.zeros(3, np.int64),
                    level=np.full(3, Level.FAN, np.int8), price=np.ones(3), depth=np.zeros(3),
                    insider=np.zeros(3, bool), channel=np.full(3, Channel.PRIVATE), slot=np.zeros(3, np.int64))
    orders.orders_before = np.array([0, 1, 5])            # the first buys here for the first time
    groups.on_purchase(m, orders)
    assert list(c.rel_level[:3, 0]) == [Level.FAN, Level.GROUP, Level.GROUP]


def test_over_messaged_members_leave_and_the_rest_stay():
    from conftest import small

    from ptsim import PrivateTrafficModel
    s = small(**{"run.burn_in_days": 0, "groups.tolerable_rate": 0.01, "groups.leave_per_excess": 1.0})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    c = m.consumers
    m.merchants.message_rate[:] = 0.0
    m.merchants.message_rate[9] = 0.5                     # 50 x the tolerable rate: every member leaves
    c.rel_merchant[:4, 0] = [9, 9, 8, 8]
    c.rel_level[:4, 0] = [Level.GROUP, Level.MEMBER, Level.GROUP, Level.FAN]
    stay = groups.leave_on_messages(m, np.arange(4), np.zeros(4, np.int64))
    assert list(stay) == [False, True, True, True]
    assert list(c.rel_level[:4, 0]) == [Level.MEMBER, Level.MEMBER, Level.GROUP, Level.FAN]
