"""The price probe measures a negative own-price elasticity that grows with consumers' price weight,
and leaves the model's state and random stream untouched."""

import numpy as np

from ptsim import PrivateTrafficModel
from ptsim.probe import price_elasticity

from conftest import small


def test_elasticity_is_negative_and_follows_price_weight():
    m = PrivateTrafficModel(small(**{"population.consumers": 4000}), rng=2, create_agents=False).run(20)
    base = price_elasticity(m, n_needs=4000)
    m.consumers.price_weight *= 2.0
    steeper = price_elasticity(m, n_needs=4000)
    assert base < 0 and steeper < base


def test_probe_does_not_disturb_the_run():
    s = small(**{"run.days": 30})
    a = PrivateTrafficModel(s, rng=5, create_agents=False).run(10)
    b = PrivateTrafficModel(s, rng=5, create_agents=False).run(10)
    price_elasticity(a, n_needs=2000)
    a.run(20)
    b.run(20)
    assert a.timeseries().equals(b.timeseries())
