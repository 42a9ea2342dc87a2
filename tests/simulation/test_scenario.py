"""Scenario files: inheritance, overrides, and one-line errors (exit 2) for every malformed input."""

import subprocess

import numpy as np
import pytest
from conftest import ROOT, ptsim_cmd

from ptsim import ScenarioError, load_scenario
from ptsim.scenario import parse_set_options


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_defaults_and_baseline():
    s = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert s.population.consumers == 100_000 and s.population.merchants == 1_000 and s.run.days == 365
    assert (s.population.scale is None
            and s.population.agent_scale == s.population.real_consumers / s.population.consumers)


def test_extends_inherits_and_overrides(tmp_path):
    write(tmp_path, "parent.yaml", "population:\n  consumers: 5000\n  merchants: 50\nrun:\n  days: 30\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nrun:\n  days: 10\n")
    s = load_scenario(child, {"ranking.exponent": 1.0})
    assert (s.population.consumers, s.population.merchants, s.run.days) == (5000, 50, 10)
    assert s.ranking.exponent == 1.0
    assert s.name == "child"


def test_set_parses_yaml_scalars():
    assert parse_set_options(["a.b=3", "c=0.5", "d=true", "e=[1, 2]", "f=text"]) == \
        {"a.b": 3, "c": 0.5, "d": True, "e": [1, 2], "f": "text"}


BAD_FILES = {
    "yaml_syntax": ("run:\n  days: [1, 2\n", "YAML syntax error"),
    "unknown_key": ("population:\n  consumerz: 10\n", "population.consumerz: unknown key"),
    "wrong_type": ("run:\n  days: many\n", "run.days"),
    "out_of_range": ("population:\n  consumers: -5\n", "population.consumers"),
    "missing_extends": ("extends: nowhere.yaml\n", "not found"),
    "bad_list": ("merchants:\n  tier_shares: [0.5, 0.6, 0.1]\n", "merchants.tier_shares"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_malformed_file_raises_one_line(tmp_path, case):
    text, expected = BAD_FILES[case]
    p = write(tmp_path, f"{case}.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert expected in msg and "\n" not in msg
    assert str(p) in msg or case == "missing_extends" and "extends" in msg


def test_out_of_range_names_allowed_range(tmp_path):
    p = write(tmp_path, "r.yaml", "population:\n  consumers: 5\n")
    with pytest.raises(ScenarioError, match=r"population\.consumers.*>= 10"):
        load_scenario(p)


def test_error_in_parent_names_parent_file(tmp_path):
    write(tmp_path, "parent.yaml", "ranking:\n  exponent: 99\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\n")
    with pytest.raises(ScenarioError, match="parent.yaml: ranking.exponent"):
        load_scenario(child)


@pytest.mark.parametrize("override,expected", [
    ({"population.consumerz": 1}, "unknown field 'consumerz'"),
    ({"nope.x": 1}, "unknown field 'nope'"),
    ({"run.days.x": 1}, "is a value, not a block"),
    ({"run.days": "abc"}, "--set: run.days"),
    ({"relationships.touch_rate.3": 0.1},
     r"has 3 items; allowed: relationships.touch_rate.0 to relationships.touch_rate.2"),
    ({"relationships.touch_rate.fan": 0.1}, "has 3 items"),
    ({"relationships.touch_rate.1": 99}, r"relationships.touch_rate\[1\].*<= 10"),
])
def test_bad_overrides(override, expected):
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(ROOT / "scenarios" / "baseline.yaml", override)


def test_list_item_override_sets_one_item():
    """`field.k` sets item k of a list field (for --set, --grid and calibrate's --param), the rest kept."""
    from ptsim.experiment.design import field_type
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    s = load_scenario(ROOT / "scenarios" / "baseline.yaml", {"relationships.touch_rate.1": 0.3})
    assert s.relationships.touch_rate == [base.relationships.touch_rate[0], 0.3, base.relationships.touch_rate[2]]
    assert s.with_overrides({"relationships.touch_rate.2": 0.4}).relationships.touch_rate[1:] == [0.3, 0.4]
    assert field_type("relationships.touch_rate.1") is float


CLI_CASES = [
    ("yaml_syntax", []), ("unknown_key", []), ("wrong_type", []), ("out_of_range", []),
    ("missing_extends", []), (None, ["--set", "population.nope=3"]), (None, ["--set", "noequals"]),
]


@pytest.mark.parametrize("case,extra", CLI_CASES)
def test_cli_exits_2_with_one_line(tmp_path, case, extra):
    if case is None:
        path = ROOT / "scenarios" / "baseline.yaml"
    else:
        path = write(tmp_path, f"{case}.yaml", BAD_FILES[case][0])
    out = tmp_path / "out"
    proc = subprocess.run(ptsim_cmd("run", path, "--out", out, *extra), capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_cli_missing_scenario_file(tmp_path):
    proc = subprocess.run(ptsim_cmd("run", tmp_path / "absent.yaml"), capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "not found" in proc.stderr and "Traceback" not in proc.stderr


def test_scenario_docs_up_to_date():
    from ptsim.scenario.docs import render
    assert (ROOT / "docs" / "scenarios.md").read_text() == render(), "run `make docs`"


@pytest.mark.parametrize("args", [["run", "scenarios/baseline.yaml", "--days", "0"],
                                  ["run", "scenarios/baseline.yaml", "--reps", "0"],
                                  ["compare", "scenarios/baseline.yaml", "--workers", "0"],
                                  ["sweep", "scenarios/baseline.yaml", "--sobol", "--param", "ranking.exponent=0.5:1",
                                   "--samples", "1"]])
def test_numeric_options_out_of_range_exit_2_with_one_line(args):
    proc = subprocess.run(ptsim_cmd(*args), capture_output=True, text=True, cwd=ROOT, timeout=120)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "must be >=" in lines[0], proc.stderr


def test_result_files_get_ordinary_permissions(tmp_path):
    """Atomic writes go through mkstemp (0600); every results file ends 0644 (tests/test_figures_and_outputs.py
    checks whole experiment folders)."""
    from ptsim.results import atomic_write_bytes
    atomic_write_bytes(tmp_path / "x.json", b"{}")
    assert (tmp_path / "x.json").stat().st_mode & 0o777 == 0o644


# ---- retired fields: policies.exclusivity moved to the submodels that use its thresholds ----

MOVED = [("insider_threshold", 0.3, "insider.eligibility_threshold"),
         ("group_entry", "none", "groups.entry"),
         ("vip_taoqi_threshold", 900, "policies.vip_programme.taoqi_threshold")]


@pytest.mark.parametrize("old,value,new", MOVED)
def test_retired_exclusivity_field_in_a_file_names_its_new_place(tmp_path, old, value, new):
    p = write(tmp_path, "old.yaml", f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
                                    f"policies:\n  exclusivity:\n    {old}: {value}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert "\n" not in msg and str(p) in msg
    assert f"policies.exclusivity.{old}: this field moved; use {new}" in msg


@pytest.mark.parametrize("old,value,new", MOVED)
def test_retired_exclusivity_field_in_set_names_its_new_place(old, value, new):
    with pytest.raises(ScenarioError) as info:
        load_scenario(ROOT / "scenarios" / "baseline.yaml", {f"policies.exclusivity.{old}": value})
    msg = str(info.value)
    assert "\n" not in msg and msg == f"--set: policies.exclusivity.{old}: this field moved; use {new}"


def test_retired_exclusivity_block_lists_where_its_fields_went():
    with pytest.raises(ScenarioError) as info:
        load_scenario(ROOT / "scenarios" / "baseline.yaml", {"policies.exclusivity.other": 1})
    msg = str(info.value)
    assert "\n" not in msg and "insider_threshold -> insider.eligibility_threshold" in msg


def test_retired_diversion_gain_says_what_replaced_it(tmp_path):
    p = write(tmp_path, "old.yaml", f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
                                    "wechat:\n  diversion_gain: 0.12\n")
    for attempt, where in ((lambda: load_scenario(p), str(p)),
                           (lambda: load_scenario(ROOT / "scenarios" / "baseline.yaml",
                                                  {"wechat.diversion_gain": 0.12}), "--set")):
        with pytest.raises(ScenarioError) as info:
            attempt()
        msg = str(info.value)
        assert "\n" not in msg and msg.startswith(where)
        assert "wechat.diversion_gain: this field was retired" in msg
        assert "policies.commission.rate" in msg and "wechat.diversion_hassle" in msg


@pytest.mark.parametrize("path", ["relationships.member_basket", "relationships.fan_basket", "wechat.basket"])
def test_retired_basket_multipliers_say_order_value_now_comes_from_spend_and_selection(tmp_path, path):
    block, field = path.split(".")
    p = write(tmp_path, "old.yaml", f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\n{block}:\n  {field}: 2.4\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(p)) and f"{path}: this field was retired" in msg
    assert "relationships.spend_selection" in msg and "spend.q" in msg


def test_the_moved_fields_load_where_they_now_live():
    s = load_scenario(ROOT / "scenarios" / "baseline.yaml",
                      {"insider.eligibility_threshold": 0.3, "groups.entry": "none",
                       "policies.vip_programme.taoqi_threshold": 900})
    assert (s.insider.eligibility_threshold, s.groups.entry, s.policies.vip_programme.taoqi_threshold) == \
        (0.3, "none", 900)


# ---- the scenario library: every file runs and opens what it means to ----

LIBRARY = ["baseline", "closed_2023", "wechat_beta_2025", "wechat_open", "weight_bonus_none", "weight_bonus_full",
           "insider_loose", "insider_strict", "group_entry_open", "group_entry_purchased", "strategy_2025"]


def test_the_library_list_is_complete():
    assert set(LIBRARY) <= {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}


@pytest.mark.parametrize("name", LIBRARY)
def test_library_scenarios_run_and_open_what_they_mean_to(name):
    from conftest import LEVER

    from ptsim import PrivateTrafficModel
    s = load_scenario(ROOT / "scenarios" / f"{name}.yaml", LEVER)
    assert s.description.strip(), "each scenario says which question it serves"
    r = PrivateTrafficModel(s, rng=3, create_agents=False).run().summary()
    assert all(np.isfinite(v) for v in r.values())
    assert r["gmv_total"] > 0 and r["gmv_public"] > 0 and r["gmv_private"] > 0
    assert r["n_group_members"] > 0 and r["n_wechat_community"] > 0 and r["n_vip"] > 0
    if s.policies.wechat_direct.mode != "off":
        assert r["gmv_wechat_direct"] > 0
    if s.insider.eligibility_threshold < 1:
        assert r["gmv_insider"] > 0


EXTREMES = [
    {"insider.eligibility_threshold": 0.0}, {"insider.eligibility_threshold": 1.0},
    {"policies.vip_programme.taoqi_threshold": 0.0}, {"policies.vip_programme.taoqi_threshold": 10000.0},
    {"policies.weight_bonus.share": 0.0}, {"policies.weight_bonus.share": 10.0},
    {"policies.wechat_direct.mode": "beta", "policies.wechat_direct.beta_share": 0.0},
    {"policies.wechat_direct.mode": "beta", "policies.wechat_direct.beta_share": 1.0},
    {"groups.entry": "interest", "groups.interest_threshold": 1.0},
    {"policies.anti_diversion.enabled": False}, {"policies.commission.rate": 0.0},
    {"policies.commission.rebate_share": 1.0, "policies.commission.rebate_rounds": 12},
    {"policies.new_product_window.days": 365, "policies.new_product_window.boost": 10.0},
    {"policies.savings_card.enabled": True, "policies.savings_card.uptake": 1.0},
    {"merchants.adaptation_rate": 1.0}, {"insider.frequency": 120.0, "insider.depth": 0.95},
]


@pytest.mark.parametrize("overrides", EXTREMES, ids=[",".join(f"{k.split('.')[-1]}={v}" for k, v in o.items())
                                                      for o in EXTREMES])
def test_extreme_lever_values_run_without_nan(overrides):
    from conftest import LEVER

    from ptsim import PrivateTrafficModel
    s = load_scenario(ROOT / "scenarios" / "baseline.yaml",
                      {**LEVER, "population.consumers": 1500, "population.merchants": 40, "run.days": 40,
                       "run.burn_in_days": 20, **overrides})
    ts = PrivateTrafficModel(s, rng=1, create_agents=False).run().timeseries()
    assert np.isfinite(ts.to_numpy()).all()
    assert np.allclose(ts["gmv_public"] + ts["gmv_private"] + ts["gmv_wechat_direct"], ts["gmv_total"])


def test_every_library_scenario_runs_with_ptsim_run(tmp_path):
    """`ptsim run` (in process) on every scenario file, tiny, writes its run folder."""
    from typer.testing import CliRunner

    from ptsim.cli import app
    runner = CliRunner()
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        out = tmp_path / path.stem
        result = runner.invoke(app, ["run", str(path), "--days", "15", "--set", "population.consumers=800",
                                     "--set", "population.merchants=30", "--set", "run.burn_in_days=10",
                                     "--no-figures", "--out", str(out)])
        assert result.exit_code == 0, (path.name, result.output)
        assert (out / "runs.parquet").is_file() and (out / "timeseries.parquet").is_file()
