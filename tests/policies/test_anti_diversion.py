"""Anti-diversion: caught stores stop diverting and lose weight; stores weigh the expected penalty."""

import numpy as np

from ptsim import PrivateTrafficModel
from ptsim.submodels import ranking, wechat

from conftest import policy, small


def model(**overrides):
    return PrivateTrafficModel(small(**{"run.burn_in_days": 0, **overrides}), rng=1, create_agents=False)


def test_caught_stores_stop_diverting_and_lose_weight_for_the_penalty_days():
    m = model(**{"policies.anti_diversion.detection_rate": 1.0, "policies.anti_diversion.penalty": 0.5,
                 "policies.anti_diversion.penalty_days": 10})
    ad = policy(m, "anti_diversion")
    m.merchants.diverting[:] = True
    m.merchants.diverting[0] = False
    ad.start_day(m)                                        # monthly detection 1 is daily detection 1
    assert ad.stops_diversion(m)[1:].all() and not ad.stops_diversion(m)[0]
    assert np.allclose(ad.weight_multiplier(m), np.where(np.arange(m.merchants.n) > 0, 0.5, 1.0))
    wechat.update_regime(m)
    assert not m.merchants.diverting.any()
    ranking.rank_stores(m)                                 # the cut reaches the ranking weight
    plain = ranking.ranking_weight(m.merchants.trailing_gmv, m.prior_weight, m.config.ranking.exponent,
                                   1.0 + m.config.ranking.lead_effect * m.merchants.lead)
    others = 1.0
    for p in m.policies:
        if p is not ad:
            others = others * p.weight_multiplier(m)
    assert np.allclose(m.merchants.weight, plain * others * ad.weight_multiplier(m))
    m.day += 10                                            # the penalty has run out
    ad.start_day(m)
    assert not ad.stops_diversion(m).any() and np.all(ad.weight_multiplier(m) == 1.0)


def test_expected_penalty_is_detection_times_cut_times_months():
    m = model(**{"policies.anti_diversion.detection_rate": 0.1, "policies.anti_diversion.penalty": 0.5,
                 "policies.anti_diversion.penalty_days": 60})
    assert np.isclose(policy(m, "anti_diversion").expected_diversion_penalty(m), 0.1 * 0.5 * 2)


def test_disabled_is_not_built_and_diversion_goes_unchecked():
    m = model(**{"policies.anti_diversion.enabled": False})
    assert policy(m, "anti_diversion") is None
    m.merchants.diverting[:] = True
    wechat.update_regime(m)
    assert m.merchants.diverting.all()
