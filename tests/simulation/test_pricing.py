"""Prices: daily deals and the festival floor, member and insider prices, order values."""

import numpy as np
from conftest import small

from ptsim import PrivateTrafficModel
from ptsim.orders import Channel, Level, Orders, Prompt
from ptsim.submodels import pricing


def model(**overrides):
    return PrivateTrafficModel(small(**{"run.burn_in_days": 0, **overrides}), rng=1, create_agents=False)


def test_deals_and_the_festival_floor():
    for rate in (0.0, 1.0):
        m = model(**{"merchants.deal_rate": rate})
        m.flows = {"merchant_effort_cost": 0.0}
        for day in (0, int(np.argmax(m.calendar.festival_discount))):   # an ordinary day and a festival day
            m.day = day
            pricing.set_prices(m)
            floor = m.calendar.festival_discount[day]
            expected = max(m.config.merchants.deal_depth, floor) if rate else floor
            assert np.allclose(m.merchants.discount, expected), (rate, day)
    assert m.calendar.festival_discount.max() > 0


def test_effort_costs_are_charged_to_levers_and_reported():
    m = model()
    m.flows = {"merchant_effort_cost": 0.0}
    m.merchants.lever_cost[:] = 0
    pricing.set_prices(m)
    assert (m.merchants.lever_cost >= 0).all() and m.merchants.lever_cost.sum() > 0
    assert np.isclose(m.flows["merchant_effort_cost"], m.merchants.lever_cost.sum())


def test_members_pay_the_keep_price_and_invitees_the_insider_price():
    m = model(**{"policies.vip_programme.enabled": False})
    mm, s = m.merchants, m.config
    mm.discount[:] = 0.0
    stores = np.array([1, 1, 2, 2])
    buyers = np.arange(4)
    level = np.array([Level.FAN, Level.MEMBER, Level.VISITOR, Level.VISITOR])
    mm.sale_end_day[2], mm.insider_stock[2] = m.day, 5
    invited = np.array([False, False, False, True])
    paid, depth, insider = pricing.price(m, buyers, stores, level, invited)
    assert np.isclose(paid[1] / paid[0], 1 - s.relationships.member_discount * mm.keep[1])
    assert list(insider) == [False, False, False, True] and depth[3] == s.insider.depth
    assert np.isclose(paid[3] / paid[2], 1 - s.insider.depth)
    mm.insider_stock[2] = 0                                            # sold out: no insider price
    assert not pricing.price(m, buyers, stores, level, invited)[2].any()


def test_offers_grid_prices_each_buyer_with_her_own_policy_factor():
    """Per buyer and offer (as choice asks): row i holds buyer i's prices, 88VIP members' rows lower."""
    m = model()
    vip = m.consumers.vip_until > m.day
    buyers = np.array([np.flatnonzero(vip)[0], np.flatnonzero(~vip)[0]])
    stores = np.array([[1, 2, 3], [1, 2, 3]])
    level = np.full((2, 3), Level.VISITOR)
    paid, _, _ = pricing.price(m, buyers, stores, level, np.zeros((2, 3), bool))
    for i in range(2):
        row, _, _ = pricing.price(m, np.repeat(buyers[i], 3), stores[i], level[i], np.zeros(3, bool))
        assert np.allclose(paid[i], row)
    assert np.allclose(paid[0] / paid[1], 1 - m.config.policies.vip_programme.discount)


def test_order_value_is_base_price_times_price_times_the_buyers_spend_level_whatever_her_tie():
    """With no spread around a consumer's mean (spend.p huge), an order's value is base price x price x
    her spend level, for every tie level and prompt: joining and WeChat carry no basket multiplier."""
    m = model(**{"spend.p": 1e4})
    n = 5
    level = np.array([Level.NONE, Level.VISITOR, Level.FAN, Level.MEMBER, Level.GROUP], np.int8)
    cats = np.arange(n) % m.n_categories
    price = np.linspace(0.5, 1.0, n)
    for prompt in (Prompt.NEED, Prompt.WECHAT_TOUCH):
        orders = Orders(buyers=np.arange(n), stores=np.zeros(n, np.int64), category=cats, level=level,
                        price=price, depth=np.zeros(n), insider=np.zeros(n, bool),
                        channel=np.full(n, Channel.PUBLIC), slot=np.zeros(n, np.int64), prompt=prompt)
        value = pricing.value_orders(m, orders).value
        expected = m.base_price[cats] * price * m.consumers.spend_level[:n]
        assert np.allclose(value, expected, rtol=0.05)          # 5 sd of Gamma(1e4) noise
