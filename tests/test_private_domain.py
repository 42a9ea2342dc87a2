"""Private-domain submodels: store groups, insider sales, WeChat routing and diversion, adaptation."""

import numpy as np

from ptsim.submodels import adaptation, groups, insider_sales, wechat
from ptsim.submodels.relationships import FAN, GROUP, MEMBER, NONE, VISITOR


def test_group_entry_conditions_filter_who_may_join():
    level = np.array([NONE, VISITOR, FAN, MEMBER])
    orders = np.array([0, 0, 1, 3])
    interest = np.array([0.5, 0.1, 0.2, 0.4])
    assert groups.qualifies("none", level, orders, interest, 0.3).all()
    assert list(groups.qualifies("visited", level, orders, interest, 0.3)) == [False, True, True, True]
    assert list(groups.qualifies("favourited", level, orders, interest, 0.3)) == [False, False, True, True]
    assert list(groups.qualifies("purchased", level, orders, interest, 0.3)) == [False, False, True, True]
    assert list(groups.qualifies("interest", level, orders, interest, 0.3)) == [True, False, False, True]


def test_perks_raise_and_complex_flow_lowers_joining():
    p = groups.join_probability(0.1, np.array([0.0, 1.0, 1.0]), 1.0, np.array([False, False, True]), 0.6)
    assert p[1] > p[0] > p[2] * 0 and p[2] < p[1] and np.isclose(p[2], 0.1 * 2 * 0.4)


def test_over_messaging_makes_members_leave():
    leave = groups.leave_probability(np.array([0.05, 0.08, 0.16, 1.0]), 0.08, 0.5)
    assert leave[0] == 0 and leave[1] == 0 and 0 < leave[2] < leave[3] <= 1
    assert list(groups.leave(np.array([GROUP, MEMBER, FAN]))) == [MEMBER, MEMBER, FAN]


def test_insider_eligibility_threshold_bounds():
    score = np.array([0.0, 0.5, 0.99])
    level = np.array([VISITOR, FAN, MEMBER])
    assert insider_sales.eligible(score, level, 0.0).all()
    assert list(insider_sales.eligible(score, level, 0.5)) == [False, True, True]
    assert not insider_sales.eligible(score, level, 1.0).any()
    assert not insider_sales.eligible(np.array([1.0]), np.array([NONE]), 0.0).any()


def test_exclusivity_value_vanishes_when_everyone_is_invited():
    v = insider_sales.exclusivity_value(1.0, 0.0, np.array([0.1, 1.0]))
    assert v[0] == 0.9 and v[1] == 0.0


def test_frequent_sales_are_expected_sooner():
    p = insider_sales.expects_sale(insider_sales.sale_interval(12.0, np.array([1.0, 0.25, 0.0])), 14)
    assert p[0] > p[1] > p[2] == 0


def test_wechat_purchase_route_by_regime():
    route = wechat.purchase_route(np.array([True, False, False]), np.array([False, True, False]))
    assert list(route) == [wechat.OFFPLATFORM, wechat.DIRECT, wechat.APP_SWITCH]


def test_diversion_when_it_pays_and_never_in_wechat_direct():
    rng = np.random.default_rng(0)
    n = 4
    community = np.array([100.0, 100.0, 1.0, 100.0])
    public = np.array([10.0, 1000.0, 10.0, 10.0])
    direct = np.array([False, False, False, True])
    out = wechat.diversion_decision(rng, np.zeros(n, bool), np.ones(n), 0.1, community, public, 0.1, 0.5, 2.0,
                                    direct)
    assert list(out) == [True, False, False, False]
    # without enforcement diversion pays wherever there is a community
    out = wechat.diversion_decision(rng, np.zeros(n, bool), np.ones(n), 0.1, community, public, 0.0, 0.5, 2.0,
                                    direct)
    assert list(out) == [True, True, True, False]


def test_adaptation_shifts_effort_toward_levers_that_paid():
    effort = np.full((1, 4), 0.5)
    gmv = np.array([[100.0, 10.0, 10.0, 10.0]])
    cost = np.ones((1, 4))
    new = adaptation.shift_effort(effort, gmv, cost, 0.2)
    assert new[0, 0] > 0.5 and (new[0, 1:] < 0.5).all() and ((new >= 0) & (new <= 1)).all()
