"""The burn-in's stationarity check and the ranking spin-up that shortens the way to the steady state."""

import warnings

import numpy as np
import pytest
from conftest import ROOT

from ptsim import PrivateTrafficModel, load_scenario
from ptsim.stationarity import NotSteadyWarning, trend, year_over_year
from ptsim.submodels import ranking

rng = np.random.default_rng(0)


def test_trend_and_year_over_year_see_growth_and_not_noise():
    weeks = np.arange(60) * 7.0
    growing = 1000 * (1 + 0.2 * weeks / 365) + rng.normal(0, 5, 60)        # +20% a year
    flat = 1000 + rng.normal(0, 5, 60)
    t, se = trend(weeks, growing)
    assert 0.15 < t < 0.22 and t > 2 * se             # per year, relative to the window's mean
    t, se = year_over_year(growing)
    assert t > 0.15 and t > 2 * se
    for f in (trend(weeks, flat), year_over_year(flat)):
        assert abs(f[0]) < 2 * f[1] + 0.01


def small(burn, **extra):
    over = {"population.consumers": 1500, "population.merchants": 40, "run.days": 10, "run.burn_in_days": burn}
    over.update(extra)
    return load_scenario(ROOT / "scenarios" / "baseline.yaml", over)


def test_a_burn_in_far_too_short_warns_and_names_the_field():
    # without forgetting, member and group ties only accumulate: the old model's years-long drift
    with pytest.warns(NotSteadyWarning, match="run.burn_in_days = 200"):
        m = PrivateTrafficModel(small(200, **{"relationships.tie_life_days": 0}), rng=1, create_agents=False,
                                cache=False)
    assert any(not v["steady"] for v in m.burn_in_trends.values())


def test_spin_up_settles_the_ranking_loop_reproducibly_and_through_the_cache(tmp_path):
    s = small(365)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotSteadyWarning)
        a = PrivateTrafficModel(s, rng=4, create_agents=False, cache=False)
        b = PrivateTrafficModel(s, rng=4, create_agents=False, cache=tmp_path)
        c = PrivateTrafficModel(s, rng=4, create_agents=False, cache=tmp_path)
        plain = PrivateTrafficModel(s, rng=4, create_agents=False, cache=False, spin_up=False)
    assert a.spin_up and not plain.spin_up and c.warm_from_cache
    assert np.array_equal(a.merchants.trailing_gmv, b.merchants.trailing_gmv)
    assert np.array_equal(a.merchants.trailing_gmv, c.merchants.trailing_gmv)
    assert not np.array_equal(a.merchants.trailing_gmv, plain.merchants.trailing_gmv)
    assert a.burn_in_trends == c.burn_in_trends


def test_short_burn_ins_skip_the_spin_up():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotSteadyWarning)       # tiny and short: not steady, and not the point
        m = PrivateTrafficModel(small(ranking.SPIN_UP_MIN_BURN_IN - 1), rng=1, create_agents=False, cache=False)
    assert not m.spin_up
