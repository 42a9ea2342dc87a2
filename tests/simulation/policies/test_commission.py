"""Commission: the platform takes its rate of on-platform GMV every day; growth rebates give some back;
what a store saves by diverting is the rate net of the rebate it expects, so a higher rate raises leakage."""

import numpy as np
from conftest import lever_runs, paired_interval, policy, small

from ptsim import PrivateTrafficModel


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
    """Rebates of a whole round's commission to every store that kept half its sales at the end of each
    monthly round after the first (most do, some do not): on those days commission turns negative, and the
    run's total falls."""
    base = {"policies.commission.rebate_rounds": 12, "policies.commission.growth_target": -0.5,
            "run.burn_in_days": 0, "run.days": 90}
    without = PrivateTrafficModel(small(**base), rng=1, create_agents=False).run().timeseries()
    m = PrivateTrafficModel(small(**base, **{"policies.commission.rebate_share": 1.0}), rng=1, create_agents=False)
    commission = policy(m, "commission")
    assert commission.round_days == 30
    assert np.all(commission.commission_rate(m) == 0.05)                 # nobody has earned a rebate yet
    ts = m.run().timeseries()
    pd_days = np.flatnonzero(ts["platform_commission"].to_numpy() < 0)
    assert list(pd_days) == [59, 89]                      # the ends of the second and third rounds
    assert ts["platform_commission"].sum() < 0.5 * without["platform_commission"].sum()
    # a store that earned the whole rebate in the last round expects to save nothing by diverting
    rate = commission.commission_rate(m)
    assert commission.earned.any() and (~commission.earned).any()
    assert np.all(rate[commission.earned] == 0.0) and np.all(rate[~commission.earned] == 0.05)


def test_rebates_leave_behaviour_alone_when_nobody_diverts():
    """Without a WeChat community to divert there is nothing the expected rebate could change."""
    base = {"policies.commission.rebate_rounds": 12, "policies.commission.growth_target": -0.9,
            "run.burn_in_days": 0, "run.days": 90, "wechat.effort": [0.0, 0.0, 0.0]}
    without = PrivateTrafficModel(small(**base), rng=1, create_agents=False).run().timeseries()
    ts = PrivateTrafficModel(small(**base, **{"policies.commission.rebate_share": 1.0}), rng=1,
                             create_agents=False).run().timeseries()
    assert np.allclose(ts["gmv_total"], without["gmv_total"])


def test_a_higher_commission_raises_leakage():
    """Commission 5% -> 10% from record day 0: more of each store's real stores find diverting pays, so the
    share of GMV that leaks off-platform rises (paired runs, common random numbers; eight pairs, since the
    rise rests on the few stores with large communities and varies between seeds from 0.1 to 0.6 points)."""
    low = lever_runs("baseline.yaml", {"policies.commission.rate": 0.05}, reps=8)
    high = lever_runs("baseline.yaml", {"policies.commission.rate": 0.10}, reps=8)
    lo, hi = paired_interval(low, high, "leakage_ratio")
    assert lo > 0, ("leakage_ratio", lo, hi)
