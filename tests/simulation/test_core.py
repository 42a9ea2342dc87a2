"""The rebuilt core: a random stream per mechanism, Mesa's conventions (rng, seed, DataCollector,
batch_run), the horizon, and the import name. (tests/test_model.py covers the model as a whole.)"""

import subprocess
import sys

import mesa
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, policy, small

from ptsim import PrivateTrafficModel

TINY = {"population.consumers": 800, "population.merchants": 20, "run.days": 10, "run.burn_in_days": 5}


def shared_stream(monkeypatch):
    """Control: every mechanism draws from the model's one generator (the design before the rebuild)."""
    monkeypatch.setattr(PrivateTrafficModel, "stream", lambda self, mechanism: self.rng)


# ---- random streams ----

def savings_card_switch():
    """Enabling a savings card nobody takes adds one draw per consumer in the savings card's stream and
    changes nothing else."""
    runs = {}
    for enabled in (False, True):
        s = small(**{"policies.savings_card.enabled": enabled, "policies.savings_card.uptake": 0.0})
        m = PrivateTrafficModel(s, rng=5, create_agents=False)
        assert (policy(m, "savings_card") is not None) == enabled
        runs[enabled] = m.run().timeseries()
    return runs


def test_draws_in_one_mechanism_leave_the_others_unchanged():
    runs = savings_card_switch()
    pd.testing.assert_frame_equal(runs[False], runs[True])


def test_control_with_one_shared_stream_the_same_switch_changes_the_run(monkeypatch):
    shared_stream(monkeypatch)
    runs = savings_card_switch()
    assert not runs[False].equals(runs[True])


def first_day(boost):
    s = small(**{"run.burn_in_days": 0, "merchants.launch_rate": 36.5, "policies.new_product_window.boost": boost})
    m = PrivateTrafficModel(s, rng=5, create_agents=False)
    lam = m.consumers.lam.copy()
    m.step()
    return m, lam


def test_a_lever_acting_through_ranking_leaves_the_days_deals_and_the_population_alone():
    """The new-product window draws launches each morning and reweights ranking; the day's deals (drawn
    after the launches) and the population (drawn before) are the same with and without it."""
    (on, lam_on), (off, lam_off) = first_day(2.0), first_day(0.0)
    assert policy(on, "new_product_window") is not None and policy(off, "new_product_window") is None
    assert not np.allclose(on.merchants.weight, off.merchants.weight)           # the lever acted
    assert np.array_equal(on.merchants.discount, off.merchants.discount)
    assert np.array_equal(lam_on, lam_off) and np.array_equal(on.merchants.quality, off.merchants.quality)


def test_control_with_one_shared_stream_the_launch_draws_shift_the_days_deals(monkeypatch):
    shared_stream(monkeypatch)
    (on, _), (off, _) = first_day(2.0), first_day(0.0)
    assert not np.array_equal(on.merchants.discount, off.merchants.discount)


def test_each_mechanism_has_its_own_stream_derived_from_the_seed():
    a = PrivateTrafficModel(small(**TINY), rng=3, create_agents=False)
    b = PrivateTrafficModel(small(**TINY), rng=3, create_agents=False)
    assert a.stream("choice") is a.stream("choice") and a.stream("choice") is not a.stream("pricing")
    x = a.stream("choice").random(4)
    assert not np.allclose(x, a.stream("pricing").random(4))
    assert np.array_equal(x, b.stream("choice").random(4))


# ---- Mesa conventions ----

def test_same_int_rng_gives_identical_summaries_and_another_differs():
    s = small(**TINY)
    a, b, c = (PrivateTrafficModel(s, rng=r, create_agents=False).run().summary() for r in (11, 11, 12))
    assert a == b and a != c


def test_rng_none_draws_fresh_entropy_recorded_in_seed():
    s = small(**TINY)
    m1, m2 = PrivateTrafficModel(s, create_agents=False), PrivateTrafficModel(s, create_agents=False)
    assert isinstance(m1.seed, int) and m1.seed != m2.seed
    r1 = m1.run().summary()
    again = PrivateTrafficModel(s, rng=m1.seed, create_agents=False)
    assert again.seed == m1.seed and again.run().summary() == r1
    assert m2.run().summary() != r1


def test_batch_run_with_three_fresh_seeds_gives_three_different_runs():
    rows = mesa.batch_run(PrivateTrafficModel,
                          {"scenario": str(ROOT / "scenarios" / "baseline.yaml"), "overrides": [TINY]},
                          rng=[None] * 3, display_progress=False)
    assert len(rows) == 3
    assert all(r["Step"] == TINY["run.days"] for r in rows)
    assert len({r["gmv_total"] for r in rows}) == 3 and all(r["gmv_total"] > 0 for r in rows)


def test_datacollector_reports_the_daily_outcomes():
    m = PrivateTrafficModel(small(**TINY), rng=2)
    assert isinstance(m.datacollector, mesa.DataCollector)
    m.run()
    frame = m.datacollector.get_model_vars_dataframe()
    ts = m.timeseries()
    assert len(frame) == len(ts) == TINY["run.days"]
    assert np.allclose(frame["gmv_total"].to_numpy(), ts["gmv_total"].to_numpy())


def test_stepping_past_the_horizon_is_a_clear_error_every_time():
    """Also the second time: an error raised inside Mesa's scheduled step would stop Mesa rescheduling
    steps, and later calls would silently do nothing."""
    m = PrivateTrafficModel(small(**TINY), rng=2, create_agents=False).run()
    assert not m.running and len(m.timeseries()) == TINY["run.days"]
    with pytest.raises(RuntimeError, match=r"run\.days = 10"):
        m.step()
    with pytest.raises(RuntimeError, match="run is over"):
        m.step()
    with pytest.raises(RuntimeError, match="run is over"):
        m.run(1)
    assert len(m.timeseries()) == m.steps == m.time == TINY["run.days"]


def test_the_scenario_attribute_is_config_not_mesas_scenario():
    s = small(**TINY)
    m = PrivateTrafficModel(s, rng=2, create_agents=False)
    assert m.config is s and getattr(m, "scenario", None) is not s


def test_import_as_ptsim_beside_a_users_own_model_py(tmp_path):
    """Mesa's examples keep their model in model.py; ptsim must import regardless."""
    (tmp_path / "model.py").write_text("raise ImportError('the user model was imported')\n")
    code = ("from ptsim import PrivateTrafficModel, load_scenario; import ptsim; "
            "print(PrivateTrafficModel.__module__, load_scenario.__module__)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ptsim.model", "ptsim.scenario.extends"]
