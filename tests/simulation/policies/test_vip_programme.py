"""88VIP: members at day 0 clear the taoqi threshold; a higher threshold shrinks 88VIP; members pay less."""

import numpy as np
from conftest import policy, small

from ptsim import PrivateTrafficModel
from ptsim.orders import Level
from ptsim.submodels import pricing


def test_vip_members_clear_threshold_at_day_zero_and_count_is_plausible():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=2, create_agents=False)
    c = m.consumers
    vip = c.vip_until > m.day
    assert (c.taoqi()[vip] >= 1000).all()
    assert 0.005 < vip.mean() < 0.15


def test_raising_the_threshold_shrinks_88vip():
    """The threshold is a lever: from record day 0 fewer consumers may join or renew."""
    joined = {}
    for thr in (800, 1400):
        m = PrivateTrafficModel(small(**{"policies.vip_programme.taoqi_threshold": thr}), rng=4,
                                create_agents=False).run()
        joined[thr] = int((m.consumers.vip_until >= m.burn_in + 365).sum())   # joined or renewed in the run
    assert joined[1400] < 0.5 * joined[800]


def test_members_pay_the_88vip_price_and_need_more_often():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=2, create_agents=False)
    vip = m.consumers.vip_until > m.day
    buyers = np.array([np.flatnonzero(vip)[0], np.flatnonzero(~vip)[0]])
    stores = np.array([5, 5])
    paid, _, _ = pricing.price(m, buyers, stores, np.full(2, Level.VISITOR), np.zeros(2, bool))
    params = policy(m, "vip_programme").params
    assert np.isclose(paid[0] / paid[1], 1 - params.discount)
    rate = policy(m, "vip_programme").rate_factor(m, buyers)
    assert np.allclose(rate, [1 + params.rate_uplift, 1.0])


def test_a_disabled_programme_is_not_built_and_has_no_members():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0, "policies.vip_programme.enabled": False}), rng=2,
                            create_agents=False)
    assert policy(m, "vip_programme") is None
    assert not (m.consumers.vip_until > m.day).any()
