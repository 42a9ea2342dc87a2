"""Anti-diversion: caught stores stop diverting and lose weight; stores weigh the expected penalty."""

import numpy as np
from conftest import policy, small

from ptsim import PrivateTrafficModel
from ptsim.submodels import ranking, wechat


def model(**overrides):
    return PrivateTrafficModel(small(**{"run.burn_in_days": 0, **overrides}), rng=1, create_agents=False)


def test_caught_stores_stop_diverting_and_lose_weight_while_penalised():
    m = model(**{"policies.anti_diversion.detection_rate": 1.0, "policies.anti_diversion.penalty": 0.5,
                 "policies.anti_diversion.penalty_days": 10})
    ad = policy(m, "anti_diversion")
    m.merchants.diversion_share[:] = 1.0
    m.merchants.diversion_share[0] = 0.0
    ad.start_day(m)                                        # monthly detection 1 is daily detection 1
    assert np.allclose(ad.stops_diversion(m), np.where(np.arange(m.merchants.n) > 0, 1.0, 0.0))
    assert np.allclose(ad.weight_multiplier(m), np.where(np.arange(m.merchants.n) > 0, 0.5, 1.0))
    wechat.update_regime(m)
    assert not m.merchants.diversion_share.any()
    ranking.rank_stores(m)                                 # the cut reaches the ranking weight
    plain = ranking.ranking_weight(m.merchants.trailing_gmv, m.prior_weight, m.config.ranking.exponent,
                                   1.0 + m.config.ranking.lead_effect * m.merchants.lead)
    others = 1.0
    for p in m.policies:
        if p is not ad:
            others = others * p.weight_multiplier(m)
    assert np.allclose(m.merchants.weight, plain * others * ad.weight_multiplier(m))
    for _ in range(31):                                    # penalties run out (mean 10 days)
        ad.start_day(m)
    assert ad.stops_diversion(m).max() < np.exp(-3) and (ad.weight_multiplier(m) > 1 - 0.5 * np.exp(-3)).all()


def test_a_monthly_detection_rate_catches_that_share_of_diversion_in_a_month():
    m = model(**{"policies.anti_diversion.detection_rate": 0.2})
    ad = policy(m, "anti_diversion")
    m.merchants.diversion_share[:] = 1.0
    for _ in range(30):
        ad.start_day(m)
    assert np.allclose(m.merchants.diversion_share, 0.8)


def test_expected_penalty_is_detection_times_cut_times_months():
    m = model(**{"policies.anti_diversion.detection_rate": 0.1, "policies.anti_diversion.penalty": 0.5,
                 "policies.anti_diversion.penalty_days": 60})
    assert np.isclose(policy(m, "anti_diversion").expected_diversion_penalty(m), 0.1 * 0.5 * 2)


def test_disabled_is_not_built_and_diversion_goes_unchecked():
    m = model(**{"policies.anti_diversion.enabled": False})
    assert policy(m, "anti_diversion") is None
    m.merchants.diversion_share[:] = 1.0
    wechat.update_regime(m)
    assert (m.merchants.diversion_share == 1.0).all()
