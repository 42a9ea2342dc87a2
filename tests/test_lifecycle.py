"""Lifecycle ladder, taoqi and 88VIP eligibility."""

import numpy as np

from ptsim import PrivateTrafficModel
from ptsim.submodels import lifecycle as lc

from conftest import small


def test_taoqi_grows_with_spend_and_is_capped():
    t = lc.taoqi_score(np.array([0.0, 10_000.0, 1e9]), 400, 0.05, 2500)
    assert list(t) == [400, 900, 2500]


def test_tiers():
    orders = np.array([0, 3, 3, 3])
    member = np.array([False, False, True, True])
    vip = np.array([False, False, False, True])
    assert list(lc.lifecycle_tier(orders, member, vip, 2)) == [lc.U, lc.C, lc.M, lc.V]


def test_only_eligible_consumers_join_88vip():
    rng = np.random.default_rng(0)
    joins = lc.vip_joins(rng, np.array([999.0, 1000.0, 1500.0]), np.zeros(3, bool), 1000, 1.0)
    assert list(joins) == [False, True, True]


def test_vip_members_clear_threshold_at_day_zero_and_count_is_plausible():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=2, create_agents=False)
    c = m.consumers
    vip = c.vip_until > m.day
    assert (c.taoqi()[vip] >= 1000).all()
    assert 0.005 < vip.mean() < 0.15


def test_raising_the_threshold_shrinks_88vip():
    n = {}
    for thr in (800, 1400):
        s = small(**{"policies.vip_programme.taoqi_threshold": thr})
        n[thr] = PrivateTrafficModel(s, rng=4, create_agents=False).run().summary()["n_vip"]
    assert n[1400] < 0.5 * n[800]
