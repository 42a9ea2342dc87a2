"""`ptsim.simulate`: one run as a function of keywords (for EMA Workbench, Optuna, SALib, own loops),
and `ptsim.ema`: an EMA Workbench model with common random numbers, tested when EMA is installed."""

import pickle

import numpy as np
import pytest
from conftest import ROOT

TINY = dict(population__consumers=500, population__merchants=40, days=5, run__burn_in_days=0)
TINY_FIELDS = {"population.consumers": 500, "population.merchants": 40, "run.days": 5, "run.burn_in_days": 0}


def test_simulate_returns_the_runs_summary_outcomes(tmp_path, monkeypatch):
    from ptsim import PrivateTrafficModel, load_scenario, simulate
    from ptsim.outcomes import OUTCOME_NAMES
    from ptsim.runs import replication_seeds
    monkeypatch.chdir(tmp_path)                                  # the library by name, from any folder
    every = simulate("baseline", seed=5, **TINY)
    assert list(every) == list(OUTCOME_NAMES) and all(isinstance(v, float) for v in every.values())
    m = PrivateTrafficModel(load_scenario(ROOT / "scenarios" / "baseline.yaml", TINY_FIELDS), rng=5)
    m.run()
    assert every == {k: float(v) for k, v in m.summary().items()}           # the same run as the model's
    some = simulate(seed=5, outcomes=["gmv_total", "active_share"], **TINY)
    assert some == {k: every[k] for k in ("gmv_total", "active_share")}
    # fields by dotted name in a mapping are the same as keywords; the default seed is `ptsim run`'s first
    assert simulate(seed=5, fields=TINY_FIELDS, outcomes="gmv_total") == {"gmv_total": every["gmv_total"]}
    first = replication_seeds(load_scenario("baseline").run.seed, 1)[0]
    assert simulate(outcomes=["gmv_total"], **TINY) == simulate(seed=first, outcomes=["gmv_total"], **TINY)
    lever = simulate("wechat_open", seed=5, fields={"policies.weight_bonus.share": 0.5}, outcomes=["gmv_total"],
                     **{**TINY, "population__consumers": 2000, "days": 20})
    assert np.isfinite(lever["gmv_total"]) and lever["gmv_total"] > 0


@pytest.mark.parametrize("kwargs,expected", [
    (dict(outcomes=["gmv_totl"]), "unknown outcome 'gmv_totl'"),
    (dict(population__consumer=500), "unknown field 'consumer' in population"),
    (dict(fields={"policies.weight_bonus.share": -1}), "policies.weight_bonus.share"),
    (dict(fields={"population.consumers": 600}, population__consumers=500), "given twice"),
    (dict(scenario="no_such_scenario"), "not found"),
])
def test_simulate_refuses_bad_input_in_one_line(kwargs, expected):
    from ptsim import ScenarioError, simulate
    with pytest.raises(ScenarioError) as err:
        simulate(**{"days": 1, **kwargs})
    assert expected in str(err.value) and "\n" not in str(err.value)


# ---------------------------------------------------------------- EMA Workbench (optional extra)
def ema():
    return pytest.importorskip("ema_workbench", reason="EMA Workbench is an optional extra "
                               "(pip install -c constraints.txt -e '.[ema]'); not installed here")


def test_ema_parameters_follow_the_scenario_schema():
    ema_workbench = ema()
    from ptsim import ScenarioError
    from ptsim.ema import parameters
    made = parameters({"population.merchants": (40, 80), "ranking.exponent": (0.5, 1.0),
                       "policies.wechat_direct.mode": ["off", "beta", "open"],
                       "policies.savings_card.enabled": [False, True]})
    kinds = [type(p).__name__ for p in made]
    assert kinds == ["IntegerParameter", "RealParameter", "CategoricalParameter", "BooleanParameter"]
    assert [p.name for p in made] == ["population__merchants", "ranking__exponent", "policies__wechat_direct__mode",
                                      "policies__savings_card__enabled"]        # EMA wants identifiers
    passed = ema_workbench.RealParameter("choice__deal_utility", 0.5, 3.0)
    assert parameters([passed])[0] is passed
    for bad, expected in [({"ranking.exponnt": (0.5, 1)}, "unknown field"),
                          ({"ranking.exponent": (1, 0.5)}, "lo must be below hi"),
                          ({"ranking.exponent": (0.5, 99)}, "allowed"),
                          ({"policies.wechat_direct.mode": ["off", "shut"]}, "policies.wechat_direct.mode"),
                          ({"ranking.exponent": 0.5}, "expected (lo, hi)")]:
        with pytest.raises(ScenarioError, match=expected.replace("(", r"\(").replace(")", r"\)")) as err:
            parameters(bad)
        assert "\n" not in str(err.value)


@pytest.mark.timeout(120)
def test_ema_perform_experiments_on_two_processes_with_common_random_numbers():
    """4 experiments x 2 replications on EMA's MultiprocessingEvaluator: every experiment runs the same
    replication seeds, and each value is the run `simulate` gives for that experiment and seed."""
    ema()
    from ema_workbench import MultiprocessingEvaluator

    from ptsim import load_scenario, simulate
    from ptsim.ema import ema_model
    from ptsim.runs import replication_seeds
    outcomes = ["gmv_total", "mean_deal_proneness"]
    model = ema_model(uncertainties={"price_sensitivity.deal_learning": (0.2, 1.2)},
                      levers={"policies.weight_bonus.share": (0.0, 2.0)}, outcomes=outcomes, replications=2,
                      statistic=None, seed=11, **TINY)
    seeds = replication_seeds(11, 2)
    assert [r["seed"] for r in model.replications] == seeds
    again = pickle.loads(pickle.dumps(model))          # spawned workers (MPI, forkserver) get a pickled model
    assert again.function == model.function and [r["seed"] for r in again.replications] == seeds
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, results = evaluator.perform_experiments(scenarios=2, policies=2,
                                                             uncertainty_sampling_kwargs={"rng": 1},
                                                             lever_sampling_kwargs={"rng": 2})
    assert len(experiments) == 4 and results["gmv_total_reps"].shape == (4, 2)
    base = load_scenario("baseline")
    for i in (0, 3):
        row = experiments.iloc[i]
        fields = {k.replace("__", "."): float(row[k])
                  for k in ("price_sensitivity__deal_learning", "policies__weight_bonus__share")}
        for k, seed in enumerate(seeds):
            again = simulate(base, seed=seed, outcomes=outcomes, fields=fields, **TINY)
            assert [results[f"{o}_reps"][i, k] for o in outcomes] == [again[o] for o in outcomes]
    # the default statistic, the mean over the replications, is what scenario discovery (PRIM) uses
    from ema_workbench import perform_experiments
    mean_model = ema_model(uncertainties={"price_sensitivity.deal_learning": (0.2, 1.2)},
                           levers={"policies.weight_bonus.share": (0.0, 2.0)}, outcomes=["gmv_total"],
                           replications=2, seed=11, **TINY)
    points, means = perform_experiments(mean_model, scenarios=1, policies=1, uncertainty_sampling_kwargs={"rng": 1},
                                        lever_sampling_kwargs={"rng": 2})
    fields = {k.replace("__", "."): float(points.iloc[0][k])
              for k in ("price_sensitivity__deal_learning", "policies__weight_bonus__share")}
    runs = [simulate(base, seed=s, outcomes=["gmv_total"], fields=fields, **TINY)["gmv_total"] for s in seeds]
    assert means["gmv_total"].shape == (1,) and means["gmv_total"][0] == pytest.approx(np.mean(runs), rel=1e-12)
