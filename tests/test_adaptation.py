"""Merchant adaptation: orders are attributed to LINK+ levers; effort shifts toward levers that paid."""

import numpy as np

from ptsim import PrivateTrafficModel
from ptsim.orders import Channel, Level, Lever, Orders, Prompt
from ptsim.submodels import adaptation

from conftest import small


def test_adaptation_shifts_effort_toward_levers_that_paid():
    effort = np.full((1, 4), 0.5)
    gmv = np.array([[100.0, 10.0, 10.0, 10.0]])
    cost = np.ones((1, 4))
    new = adaptation.shift_effort(effort, gmv, cost, 0.2)
    assert new[0, 0] > 0.5 and (new[0, 1:] < 0.5).all() and ((new >= 0) & (new <= 1)).all()


def test_no_rate_or_no_return_leaves_effort_alone():
    effort = np.array([[0.2, 0.4, 0.6, 0.8]])
    assert np.allclose(adaptation.shift_effort(effort, np.ones((1, 4)), np.ones((1, 4)), 0.0), effort)
    assert np.allclose(adaptation.shift_effort(effort, np.zeros((1, 4)), np.ones((1, 4)), 0.5), effort)


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
