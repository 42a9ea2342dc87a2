"""Lever timelines: `timeline:` changes levers on given record days (loading, merging, the run)."""

import warnings

import numpy as np
import pytest
from conftest import ROOT

from ptsim import PrivateTrafficModel, ScenarioError, load_scenario, warm_state

TINY = {"population.consumers": 2000, "population.merchants": 60, "run.days": 40, "run.burn_in_days": 20}


def write(tmp_path, text, name="arm.yaml"):
    path = tmp_path / name
    path.write_text(f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\n{text}")
    return path


def build(scenario, seed=5, **over):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")            # a 20-day burn-in is not steady; not the point here
        return PrivateTrafficModel(load_scenario(scenario, {**TINY, **over}), rng=seed, create_agents=False,
                                   cache=False)


@pytest.mark.parametrize("body, expected", [
    ("timeline: {5: {run.days: 30}}", r"arm\.yaml: timeline\.5\.run\.days: not a lever field; .*policies\.\*, "
     r"insider\.eligibility_threshold, groups\.entry"),
    ("timeline: {5: {purchase.r: 1.0}}", r"arm\.yaml: timeline\.5\.purchase\.r: not a lever field"),
    ("timeline: {5: {groups.entry: nobody}}", r"arm\.yaml: timeline\.5\.groups\.entry: Input should be 'none'"),
    ("timeline: {5: {policies.wechat_direct.beta_share: 2}}",
     r"arm\.yaml: timeline\.5\.policies\.wechat_direct\.beta_share: .*equal to 1 \(got 2\); allowed: >= 0 and <= 1"),
    ("timeline: {5: {policies.wechat_direct.bogus: 1}}",
     r"arm\.yaml: timeline\.5\.policies\.wechat_direct\.bogus: unknown field 'bogus'"),
    ("timeline: {4000: {groups.entry: none}}",
     r"arm\.yaml: timeline\.4000: not a record day; allowed: whole days 0 to 3649"),
    ("timeline: {-1: {groups.entry: none}}", r"arm\.yaml: timeline\.-1: not a record day"),
    ("timeline: {spring: {groups.entry: none}}", r"arm\.yaml: timeline\.'spring': not a record day"),
    ("timeline: {5: open}", r"arm\.yaml: timeline\.5: must be a mapping of lever field -> value"),
    ("timeline: {5: {}}", r"arm\.yaml: timeline\.5: must be a mapping of lever field -> value"),
    ("timeline: [90, 243]", r"arm\.yaml: timeline: must be a mapping of record day"),
])
def test_a_malformed_timeline_is_one_line_naming_file_and_field(tmp_path, body, expected):
    with pytest.raises(ScenarioError, match=expected) as info:
        load_scenario(write(tmp_path, body))
    assert "\n" not in str(info.value)


def test_a_bad_value_is_refused_as_the_scenario_stands_on_that_day(tmp_path):
    """Cross-field checks see the scenario with the earlier days applied (values are applied, not typed)."""
    path = write(tmp_path, "timeline: {10: {policies.wechat_direct.mode: beta},\n"
                           "           20: {policies.wechat_direct.beta_tiers: [giants]}}")
    with pytest.raises(ScenarioError, match=r"timeline\.20\.policies\.wechat_direct\.beta_tiers"):
        load_scenario(path)


def test_extends_merges_timelines_by_day_and_field(tmp_path):
    write(tmp_path, "timeline:\n  10: {policies.commission.rate: 0.04}\n  20: {groups.entry: none}\n",
          "parent.yaml")
    (tmp_path / "child.yaml").write_text("extends: parent.yaml\ntimeline:\n"
                                         "  10: {policies.weight_bonus.share: 0.5}\n  30: {groups.entry: purchased}\n")
    s = load_scenario(tmp_path / "child.yaml")
    base_days = set(load_scenario("baseline").timeline)
    assert set(s.timeline) == base_days | {10, 20, 30}
    assert s.timeline[10] == {"policies.commission.rate": 0.04, "policies.weight_bonus.share": 0.5}
    configs = s.with_overrides({"run.days": 365}).timeline_configs()
    assert configs[10].policies.commission.rate == 0.04 and configs[10].policies.weight_bonus.share == 0.5
    assert configs[10].groups.entry == "visited" and configs[20].groups.entry == "none"
    assert configs[30].groups.entry == "purchased" and configs[30].policies.commission.rate == 0.04


def test_an_entry_overrides_the_arms_own_value_from_its_day_on(tmp_path):
    s = load_scenario(write(tmp_path, "groups: {entry: purchased}\ntimeline: {12: {groups.entry: none}}"), TINY)
    assert s.groups.entry == "purchased" and s.timeline_configs()[12].groups.entry == "none"


def test_a_block_given_as_a_mapping_sets_only_the_fields_it_names(tmp_path):
    s = load_scenario(write(tmp_path, "policies: {wechat_direct: {authorisation_rate: 0.3}}\n"
                                      "timeline: {5: {policies.wechat_direct: {mode: open}}}"), TINY)
    day5 = s.timeline_configs()[5].policies.wechat_direct
    assert day5.mode == "open" and day5.authorisation_rate == 0.3


def test_the_lever_changes_on_its_day_and_not_before(tmp_path):
    m = build(write(tmp_path, "timeline: {7: {insider.eligibility_threshold: 0.2, groups.entry: none}}"))
    seen = []
    for _ in range(10):
        m.step()
        seen.append((m.config.insider.eligibility_threshold, m.config.groups.entry))
    assert seen[:7] == [(0.7, "visited")] * 7 and seen[7:] == [(0.2, "none")] * 3


def test_day_zero_of_the_timeline_applies_from_the_first_recorded_day(tmp_path):
    m = build(write(tmp_path, "timeline: {0: {policies.commission.rate: 0.03}}"))
    assert m.config.policies.commission.rate == 0.03
    assert next(p for p in m.policies if p.name == "commission").params.rate == 0.03


def test_the_burn_in_key_ignores_an_arms_timeline(tmp_path):
    plain = load_scenario("wechat_open", TINY)
    timed = load_scenario(write(tmp_path, "timeline: {10: {policies.wechat_direct.mode: open}}"), TINY)
    assert plain.digest() != timed.digest()
    root = warm_state.stream_root(3)
    assert warm_state.cache_key(timed.status_quo(), root) == warm_state.cache_key(plain.status_quo(), root)
    assert timed.status_quo().timeline == {}


def test_same_seed_same_numbers():
    a = build("wechat_rollout_2025", seed=9, **{"run.days": 100}).run().summary()
    b = build("wechat_rollout_2025", seed=9, **{"run.days": 100}).run().summary()
    assert a == b


def test_the_rollout_scenario_switches_regime_on_its_timeline_days():
    """wechat_rollout_2025: nothing eligible before spring, the beta's stores from day 90, every store after
    the autumn day (stores that authorised in the beta keep their authorisation)."""
    s = load_scenario("wechat_rollout_2025", TINY | {"run.days": 260})
    assert {90, 243} <= set(s.timeline_configs())
    m = build("wechat_rollout_2025", seed=4, **{"run.days": 260})
    wechat = {}
    for day in range(260):
        m.step()
        policy = next((p for p in m.policies if p.name == "wechat_direct"), None)
        wechat[day] = None if policy is None else (policy.eligible.copy(), policy.authorised.copy(),
                                                   m.config.policies.wechat_direct.mode)
    assert all(wechat[d] is None for d in range(90))
    beta_eligible, beta_authorised, mode = wechat[90]
    assert mode == "beta" and 0 < beta_eligible.sum() < m.merchants.n
    assert wechat[242][2] == "beta" and np.array_equal(wechat[242][0], beta_eligible)
    open_eligible, open_authorised, mode = wechat[243]
    assert mode == "open" and open_eligible.all()
    assert (open_authorised >= wechat[242][1]).all() and open_authorised.sum() > wechat[242][1].sum()
