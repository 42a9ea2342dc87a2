"""New-product window: stores launching a product get a ranking boost for `days`; off when days or boost is 0."""

import numpy as np
from conftest import policy, small

from ptsim import PrivateTrafficModel


def test_launching_stores_are_boosted_for_the_window_only():
    s = small(**{"run.burn_in_days": 0, "merchants.launch_rate": 36.5,        # one launch per store per 10 days
                 "policies.new_product_window.days": 5, "policies.new_product_window.boost": 2.0})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    npw = policy(m, "new_product_window")
    m.run(20)
    launched = npw.last_launch >= 0
    assert launched.any() and not launched.all()
    in_window = m.day - npw.last_launch < 5
    assert np.array_equal(npw.weight_multiplier(m), np.where(in_window, 3.0, 1.0))
    assert in_window.any() and (launched & ~in_window).any()


def test_the_window_raises_launching_stores_ranking_weight():
    base = {"run.burn_in_days": 0, "merchants.launch_rate": 36.5}
    on = PrivateTrafficModel(small(**base, **{"policies.new_product_window.boost": 2.0}), rng=1,
                             create_agents=False)
    off = PrivateTrafficModel(small(**base, **{"policies.new_product_window.boost": 0.0}), rng=1,
                              create_agents=False)
    on.step(), off.step()                                  # ranked on day 0 from the same trailing GMV
    boosted = policy(on, "new_product_window").weight_multiplier(on) > 1
    assert boosted.any()
    ratio = on.merchants.weight / off.merchants.weight
    assert np.allclose(ratio[boosted], 3.0) and np.allclose(ratio[~boosted], 1.0)


def test_no_window_or_no_boost_is_not_built():
    for overrides in ({"policies.new_product_window.days": 0}, {"policies.new_product_window.boost": 0.0}):
        m = PrivateTrafficModel(small(**overrides), rng=1, create_agents=False)
        assert policy(m, "new_product_window") is None
