"""Commission: the platform takes its rate of on-platform GMV every day; growth rebates give some back."""

import numpy as np

from ptsim import PrivateTrafficModel

from conftest import policy, small


def test_commission_is_the_rate_times_on_platform_gmv_each_day():
    """Leakage (off-platform) pays no commission; WeChat-direct sales do."""
    beta = {"policies.wechat_direct.mode": "beta", "policies.wechat_direct.beta_share": 0.3,
            "policies.wechat_direct.min_community": 0, "policies.wechat_direct.authorisation_rate": 1.0}
    for overrides, channel in (({}, "gmv_offplatform"), (beta, "gmv_wechat_direct")):
        s = small(**{"policies.commission.rate": 0.05, **overrides})
        ts = PrivateTrafficModel(s, rng=1, create_agents=False).run().timeseries()
        assert (ts[channel] > 0).any()
        assert np.allclose(ts["platform_commission"], 0.05 * ts["gmv_total"])


def test_rebates_return_commission_to_stores_that_beat_their_target():
    """Rebates of a whole round's commission to every store that kept a tenth of its sales at the end of
    each monthly round after the first: on those days commission turns negative, and the run's total falls."""
    base = {"policies.commission.rebate_rounds": 12, "policies.commission.growth_target": -0.9,
            "run.burn_in_days": 0, "run.days": 90}
    without = PrivateTrafficModel(small(**base), rng=1, create_agents=False).run().timeseries()
    m = PrivateTrafficModel(small(**base, **{"policies.commission.rebate_share": 1.0}), rng=1, create_agents=False)
    assert policy(m, "commission").round_days == 30
    ts = m.run().timeseries()
    pd_days = np.flatnonzero(ts["platform_commission"].to_numpy() < 0)
    assert list(pd_days) == [59, 89]                      # the ends of the second and third rounds
    assert ts["platform_commission"].sum() < 0.5 * without["platform_commission"].sum()
    assert np.allclose(ts["gmv_total"], without["gmv_total"])                   # rebates change no behaviour
