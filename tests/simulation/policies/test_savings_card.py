"""Savings card: off by default; holders are non-88VIP consumers who pay less and need more often."""

import numpy as np
from conftest import policy, small

from ptsim import PrivateTrafficModel
from ptsim.orders import Level
from ptsim.submodels import pricing, purchase_timing


def test_off_by_default():
    assert policy(PrivateTrafficModel(small(), rng=1, create_agents=False), "savings_card") is None


def test_holders_are_non_vip_and_save_on_every_order():
    s = small(**{"run.burn_in_days": 0, "policies.savings_card.enabled": True,
                 "policies.savings_card.uptake": 0.5, "policies.savings_card.coupon": 0.1,
                 "policies.savings_card.rate_uplift": 0.2, "policies.vip_programme.enabled": False})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    card = policy(m, "savings_card")
    n = m.consumers.n
    assert abs(card.holder.mean() - 0.5) < 4 * np.sqrt(0.25 / n)
    buyers = np.array([np.flatnonzero(card.holder)[0], np.flatnonzero(~card.holder)[0]])
    paid, _, _ = pricing.price(m, buyers, np.array([4, 4]), np.full(2, Level.VISITOR), np.zeros(2, bool))
    assert np.isclose(paid[0] / paid[1], 0.9)
    assert np.allclose(purchase_timing.need_rate(m, buyers) / m.consumers.lam[buyers], [1.2, 1.0])


def test_88vip_members_do_not_take_the_card():
    s = small(**{"run.burn_in_days": 0, "policies.savings_card.enabled": True,
                 "policies.savings_card.uptake": 1.0})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    vip = m.consumers.vip_until > m.day
    assert vip.any() and not policy(m, "savings_card").holder[vip].any()
    assert policy(m, "savings_card").holder[~vip].all()
