"""WeChat direct: who is eligible, and opening it creates direct GMV and cuts leakage."""

import numpy as np
from conftest import lever_runs, policy, small

from ptsim import PrivateTrafficModel
from ptsim.orders import Tier


def test_off_is_not_built():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=1, create_agents=False)
    assert policy(m, "wechat_direct") is None


def test_beta_admits_the_largest_stores_and_listed_tiers_from_the_start_day():
    s = small(**{"run.burn_in_days": 0, "policies.wechat_direct.mode": "beta",
                 "policies.wechat_direct.beta_share": 0.1, "policies.wechat_direct.beta_tiers": ["sme"],
                 "policies.wechat_direct.authorisation_rate": 1.0, "policies.wechat_direct.min_community": 0,
                 "policies.wechat_direct.start_day": 2})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    wd = policy(m, "wechat_direct")
    m.run(2)
    assert not wd.direct_stores(m).any() and not m.merchants.wechat_direct.any()     # before the start day
    largest = np.argsort(-m.merchants.trailing_gmv, kind="stable")[:6]                # as of the start day
    expected = np.zeros(m.merchants.n, bool)
    expected[largest] = True
    expected |= m.merchants.tier == Tier.SME
    m.step()
    assert (wd.direct_stores(m) == expected).all() and (m.merchants.wechat_direct == expected).all()
    assert wd.direct_friction(m, 0.4) == 0.0 and wd.share_to_unlock(m)


def test_wechat_direct_open_creates_direct_gmv_and_cuts_leakage():
    """Open to all and every store authorising: joined stores stop diverting within a month, so leakage
    falls in every paired replication (with partial authorisation the cut is smaller and noisier)."""
    full = {"policies.wechat_direct.authorisation_rate": 1.0, "policies.wechat_direct.min_community": 0}
    off, on = lever_runs("baseline.yaml", full), lever_runs("wechat_open.yaml", full)
    assert all(r["gmv_wechat_direct"] == 0 for r in off)
    assert all(r["gmv_wechat_direct"] > 0 for r in on)
    assert all(r["gmv_offplatform"] > 0 for r in off)
    assert all(b["gmv_offplatform"] < 0.5 * a["gmv_offplatform"] for a, b in zip(off, on))
    assert all(not b["_model"].merchants.diversion_share.any() for b in on)
