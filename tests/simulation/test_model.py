"""The model as a whole: agents, determinism, invariants under random parameters, CLI output."""

import subprocess

import numpy as np
import pandas as pd
from conftest import ROOT, ptsim_cmd, small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptsim import Consumer, Merchant, Platform, PrivateTrafficModel
from ptsim.experiment import load_experiment
from ptsim.outcomes import OUTCOME_NAMES
from ptsim.runs import replication_seeds, run_one

REQUIRED = ["gmv_total", "gmv_public", "gmv_private", "gmv_top", "gmv_growth", "gmv_sme", "orders", "aov",
            "hhi_merchant_gmv", "gini_merchant_gmv", "mean_deal_proneness", "share_gmv_discounted",
            "share_needs_deferred", "active_share", "repurchase_rate_90d", "repeat_buyer_share", "n_fans",
            "n_members", "n_vip"]


def test_every_consumer_and_merchant_is_an_agent_viewing_the_arrays(small_scenario):
    m = PrivateTrafficModel(small_scenario, rng=1)
    assert len(m._all_agents) == 1                       # only the platform, until someone looks
    consumers = m.agents_by_type[Consumer]
    assert len(m.agents) == m.consumers.n + m.merchants.n + 1
    assert len(consumers) == m.consumers.n and len(m.agents_by_type[Merchant]) == m.merchants.n
    assert len(m.agents_by_type[Platform]) == 1
    a = consumers[10]
    assert a.deal_proneness == m.consumers.deal_proneness[a.index]
    a.deal_proneness = 0.77
    assert np.isclose(m.consumers.deal_proneness[a.index], 0.77)
    assert a.tier in ("U", "C", "M", "V")
    shop = m.agents_by_type[Merchant][3]
    assert shop.category == m.merchants.category[shop.index]


def test_required_outcomes_are_collected(small_scenario):
    ts = PrivateTrafficModel(small_scenario, rng=1, create_agents=False).run().timeseries()
    assert set(REQUIRED) <= set(ts.columns) and len(ts) == small_scenario.run.days


def test_same_seed_same_numbers_different_seed_differs(small_scenario):
    a = run_one(small_scenario, 42).timeseries
    b = run_one(small_scenario, 42).timeseries
    c = run_one(small_scenario, 43).timeseries
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_replication_seeds_are_stable_and_distinct():
    s1, s2 = replication_seeds(5, 4), replication_seeds(5, 6)
    assert s1 == s2[:4] and len(set(s2)) == 6


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(exponent=st.floats(0.0, 2.0), prior=st.floats(0.0, 5.0), deal_rate=st.floats(0.0, 1.0),
       deal_depth=st.floats(0.0, 0.9), learning=st.floats(0.0, 5.0), touch=st.floats(0.0, 1.0),
       defer=st.floats(0.0, 1.0), modulations=st.booleans(), slots=st.integers(1, 6),
       mode=st.sampled_from(["off", "beta", "open"]), bonus=st.floats(0.0, 10.0),
       insider=st.floats(0.0, 1.0), entry=st.sampled_from(["none", "visited", "favourited", "purchased",
                                                            "interest"]),
       detection=st.floats(0.0, 1.0), seed=st.integers(0, 2**31))
def test_invariants_under_random_parameters(exponent, prior, deal_rate, deal_depth, learning, touch, defer,
                                            modulations, slots, mode, bonus, insider, entry, detection, seed):
    s = small(**{"population.consumers": 800, "population.merchants": 12, "run.days": 25,
                 "run.burn_in_days": 10, "ranking.exponent": exponent, "ranking.prior_weight": prior,
                 "merchants.deal_rate": deal_rate, "merchants.deal_depth": deal_depth,
                 "price_sensitivity.deal_learning": learning, "relationships.touch_rate": [0.0, touch, touch],
                 "price_sensitivity.defer_propensity": defer, "purchase.modulations": modulations,
                 "relationships.slots": slots, "policies.wechat_direct.mode": mode,
                 "policies.weight_bonus.share": bonus, "insider.eligibility_threshold": insider,
                 "groups.entry": entry, "policies.anti_diversion.detection_rate": detection})
    m = PrivateTrafficModel(s, rng=seed)
    m.run()
    ts = m.timeseries()
    assert not ts.isna().any().any() and np.isfinite(ts.to_numpy()).all()
    gmv = ts[[c for c in ts.columns if c.startswith("gmv_")]]
    assert (gmv >= 0).all().all()
    assert np.allclose(ts["gmv_public"] + ts["gmv_private"] + ts["gmv_wechat_direct"], ts["gmv_total"],
                       rtol=1e-9, atol=1e-6)
    assert np.allclose(ts["gmv_top"] + ts["gmv_growth"] + ts["gmv_sme"], ts["gmv_total"], rtol=1e-9, atol=1e-6)
    shares = [c for c in ts.columns if c.startswith("share_") or c.endswith("_share")] + \
        ["repurchase_rate_90d", "mean_deal_proneness", "hhi_merchant_gmv", "gini_merchant_gmv",
         "member_repurchase_share_top", "top1pct_share_gmv"]
    assert ((ts[shares] >= 0) & (ts[shares] <= 1 + 1e-12)).all().all()
    assert len(m.agents_by_type[Consumer]) == m.consumers.n == 800
    c = m.consumers
    assert c.alive.size == 800 and (c.rel_merchant[c.rel_level < 0] == -1).all()
    assert (c.orders >= c.run_orders).all()


def test_ptsim_run_writes_outputs_reproducibly(tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"r{k}"
        proc = subprocess.run(ptsim_cmd("run", ROOT / "scenarios" / "baseline.yaml", "--set",
                                        "population.consumers=1500", "--set", "population.merchants=30",
                                        "--set", "run.burn_in_days=10", "--days", "20", "--reps", "2",
                                        "--out", out), capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "gmv_total" in proc.stdout
        outs.append(out)
    for name in ("manifest.json", "runs.parquet", "timeseries.parquet", "fig_gmv_by_channel.png",
                 "fig_retention.png", "fig_price_sensitivity.png"):
        assert (outs[0] / name).is_file()
    a, b = (pd.read_parquet(o / "timeseries.parquet") for o in outs)
    pd.testing.assert_frame_equal(a, b)
    exp = load_experiment(outs[0])                 # the same folder format as compare and sweep
    runs = exp.runs
    assert len(runs) == 2 and runs["seed"].nunique() == 2 and (runs["status"] == "ok").all()
    assert set(OUTCOME_NAMES) <= set(runs.columns)
    assert set(a["run_id"]) == set(runs["run_id"])
    assert exp.manifest["command"] == "run"
    assert exp.manifest["seeds"] == [str(s) for s in runs["seed"]] and "baseline" in exp.manifest["scenarios"]


def test_arms_share_the_burn_in_and_the_cache_changes_no_number(tmp_path):
    """Policy arms with one seed reach record day 0 in the same state; a warm state from the cache gives
    the same numbers as simulating the burn-in."""
    from ptsim import load_scenario, warm_state
    from ptsim.experiment import run_experiment
    files = [ROOT / "scenarios" / f for f in ("baseline.yaml", "weight_bonus_full.yaml", "wechat_open.yaml")]
    over = {"population.consumers": 2000, "population.merchants": 40, "run.days": 30, "run.burn_in_days": 40}
    folder = warm_state.find_root(tmp_path / "cache", create=True)
    stale = folder / ("0" * 16)                              # a folder an older version of the code wrote
    stale.mkdir()
    (stale / warm_state.MARKER).write_text('{"ptsim_cache": "", "code": "0000000000000000"}')
    (stale / f"{'0' * 24}.npz").write_bytes(b"")
    models = [PrivateTrafficModel(load_scenario(f, over), rng=5, cache=folder) for f in files]
    assert [m.warm_from_cache for m in models] == [False, True, True]      # burn-in simulated once
    assert len(list(folder.rglob("*.npz"))) == 1
    assert not stale.exists()                               # an older version's states were pruned
    assert np.array_equal(models[0].consumers.rel_level, models[2].consumers.rel_level)
    scenarios = [load_scenario(f, over) for f in files]
    cold = run_experiment(scenarios, reps=2, cache=False).runs
    warm = run_experiment(scenarios, reps=2).runs
    assert warm["burn_in_cached"].iloc[2:].all() and not cold["burn_in_cached"].any()     # arms share point 0's
    cols = [c for c in cold.columns if c != "burn_in_cached"]
    pd.testing.assert_frame_equal(cold[cols], warm[cols])
    assert small().status_quo().policies == type(small().policies)()


def test_a_warm_state_from_the_cache_is_the_simulated_state_for_the_price_probe(tmp_path):
    """The probe reads the state on record day 0, before any day rebuilds derived state: the traffic
    table of a restored warm state must be the one the burn-in left (it was stale before issue 11)."""
    from ptsim import load_scenario
    from ptsim.probe import price_elasticity
    s = load_scenario(ROOT / "scenarios" / "baseline.yaml", {"population.consumers": 2000, "population.merchants": 60,
                                                             "run.days": 5, "run.burn_in_days": 60})
    fresh = PrivateTrafficModel(s, rng=3, cache=tmp_path / "c", create_agents=False)
    restored = PrivateTrafficModel(s, rng=3, cache=tmp_path / "c", create_agents=False)
    assert (fresh.warm_from_cache, restored.warm_from_cache) == (False, True)
    assert np.array_equal(fresh.traffic.edges, restored.traffic.edges)
    assert price_elasticity(fresh, n_needs=2000) == price_elasticity(restored, n_needs=2000)
