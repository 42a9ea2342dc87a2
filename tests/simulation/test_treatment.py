"""Treatments: which stores and consumers a scenario's instruments reach, chosen on record day 0 the same
way in every arm, their comparable units, and `compare`'s treatment effects: with no instrument yet, a
treated arm is its reference exactly, so effect and spillover are exactly 0 (an exact counterfactual)."""

import re
import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, ptsim_cmd

from ptsim import PrivateTrafficModel, load_scenario
from ptsim.experiment import Comparison, compare
from ptsim.orders import TIER_BY_NAME, Level
from ptsim.scenario import CATEGORIES, STAGE_NAMES, ScenarioError, Treatment
from ptsim.treatment import select
from ptsim.unit_outcomes import CONSUMER_OUTCOMES, STORE_OUTCOMES

BASE = ROOT / "scenarios" / "baseline.yaml"
# selection only needs record day 0: a short burn-in; effects need a settled one (conftest's sizes)
AT_DAY_0 = {"population.consumers": 3000, "population.merchants": 150, "run.days": 1, "run.burn_in_days": 30}
TINY = {"population.consumers": 3000, "population.merchants": 150, "run.days": 30, "run.burn_in_days": 150}


def treatment(**fields) -> Treatment:
    stores, consumers = fields.pop("stores", {}), fields.pop("consumers", {})
    return Treatment.model_validate({"enabled": True, "stores": stores, "consumers": consumers, **fields})


@pytest.fixture(scope="module")
def day0():
    """Models of the baseline on record day 0 for seeds 1 and 2 (selection reads them, never runs them)."""
    s = load_scenario(BASE, AT_DAY_0)
    return {seed: PrivateTrafficModel(s, rng=seed, create_agents=False) for seed in (1, 2)}


def test_every_arm_selects_the_same_units_and_another_seed_draws_others(day0):
    t = treatment(stores={"share": 0.5}, consumers={"relationship": "visitor", "share": 0.5})
    arm = load_scenario(BASE, {**AT_DAY_0, "name": "arm", "insider.eligibility_threshold": 0.2,
                               "treatment.enabled": True, "treatment.stores.share": 0.5,
                               "treatment.consumers.relationship": "visitor", "treatment.consumers.share": 0.5})
    treated_arm = PrivateTrafficModel(arm, rng=1, create_agents=False)
    ref = select(day0[1], t)
    assert np.array_equal(treated_arm.treated.stores, ref.stores)          # the arm's own selection
    assert np.array_equal(treated_arm.treated.consumers, ref.consumers)
    again = select(day0[1], t)
    assert np.array_equal(again.stores, ref.stores) and np.array_equal(again.consumers, ref.consumers)
    other = select(day0[2], t)
    assert ref.stores.sum() == other.stores.sum() == 75
    assert not np.array_equal(other.stores, ref.stores)                    # another seed, another draw


def test_store_filters_select_what_they_say(day0):
    m = day0[1]
    mer = m.merchants
    growth = mer.tier == TIER_BY_NAME["growth"]
    u = select(m, treatment(stores={"tier": ["growth"], "share": 0.5}))
    assert u.stores.sum() == round(0.5 * growth.sum()) and not (u.stores & ~growth).any()
    assert np.array_equal(u.comparable_stores, growth & ~u.stores)        # matching but untreated

    cat = CATEGORIES.index("apparel")
    u = select(m, treatment(stores={"category": ["apparel"], "count": 4}))
    assert u.stores.sum() == 4 and (mer.category[u.stores] == cat).all()
    assert np.array_equal(u.comparable_stores, (mer.category == cat) & ~u.stores)

    u = select(m, treatment(stores={"tier": ["growth"], "rank": [1, 5]}))
    top5 = np.flatnonzero(growth)[np.argsort(-mer.trailing_gmv[growth], kind="stable")[:5]]
    assert sorted(np.flatnonzero(u.stores)) == sorted(top5)
    # every matching store is treated: the comparable ones widen to the rest of its tier
    assert np.array_equal(u.comparable_stores, growth & ~u.stores)

    u = select(m, treatment(stores={"ids": [3, 7, 11]}))
    assert list(np.flatnonzero(u.stores)) == [3, 7, 11]
    assert np.array_equal(u.comparable_stores, ~u.stores)                  # no kind filter: every other store

    u = select(m, treatment(stores={"tier": ["growth"]}))                  # the whole tier: no store of its kind
    assert np.array_equal(u.stores, growth) and np.array_equal(u.comparable_stores, ~growth)
    assert u.consumers is None                                            # every consumer is reached


def test_consumers_are_selected_by_their_tie_to_treated_stores_and_their_stage(day0):
    m = day0[1]
    c = m.consumers
    u = select(m, treatment(stores={"share": 0.3}, consumers={"relationship": "fan"}))
    at_treated = np.append(u.stores, False)[c.rel_merchant]
    best = np.where(at_treated, c.rel_level, Level.NONE).max(axis=1)
    assert u.consumers.any() and (best[u.consumers] >= Level.FAN).all()
    assert np.array_equal(u.comparable_consumers, best < Level.FAN)       # widened: every consumer without one

    none = select(m, treatment(stores={"share": 0.3}, consumers={"relationship": "none", "share": 0.5}))
    assert np.array_equal(none.stores, u.stores)           # the stores' draw is keyed by `stores:` alone
    at_treated = np.append(none.stores, False)[c.rel_merchant]
    best = np.where(at_treated, c.rel_level, Level.NONE).max(axis=1)
    assert (best[none.consumers] == Level.NONE).all() and (best[none.comparable_consumers] == Level.NONE).all()
    assert abs(none.consumers.sum() - none.comparable_consumers.sum()) <= 1

    stages = c.tiers(m.day)
    u = select(m, treatment(consumers={"stage": ["C", "M"]}))
    wanted = np.isin(stages, [STAGE_NAMES.index("C"), STAGE_NAMES.index("M")])
    assert np.array_equal(u.consumers, wanted) and u.stores.all()


def test_a_selection_of_no_store_stops_the_run_with_a_scenario_error(day0):
    nothing = treatment(stores={"tier": ["top"], "rank": [1, 2], "ids": [
        int(np.flatnonzero(day0[1].merchants.tier != TIER_BY_NAME["top"])[0])]})
    with pytest.raises(ScenarioError, match="treatment.stores: selects no store"):
        select(day0[1], nothing)


@pytest.fixture(scope="module")
def two_treated_arms(tmp_path_factory):
    """baseline, a random half of the growth and sme stores, and 5 of the top 20 stores with their fans."""
    folder = tmp_path_factory.mktemp("treated")
    half = folder / "half.yaml"
    half.write_text(f"extends: {BASE}\nname: half\ntreatment:\n  enabled: true\n  stores:\n"
                    "    tier: [growth, sme]\n    share: 0.5\n")
    fans = folder / "fans.yaml"
    fans.write_text(f"extends: {BASE}\nname: fans\ntreatment:\n  enabled: true\n  stores:\n    rank: [1, 20]\n"
                    "    count: 5\n  consumers:\n    relationship: fan\n")
    out = folder / "cmp"
    return compare([BASE, half, fans], reps=2, overrides=TINY, out=out), out


def test_without_instruments_a_treated_arm_is_its_exact_counterfactual(two_treated_arms):
    c, _ = two_treated_arms
    te = c.treatment_effects
    assert set(te["scenario"]) == {"half", "fans"} and set(te["reference"]) == {"baseline"}
    assert set(te.loc[te["scenario"] == "fans", "units"]) == {"stores", "consumers"}
    assert set(te.loc[te["scenario"] == "half", "units"]) == {"stores"}
    numbers = te[np.isfinite(te["treated_reference"])]
    assert len(numbers) > 20
    # the same units, the same draws, no instrument: nothing differs, to the last bit
    assert (numbers["effect"] == 0).all()
    pct = numbers[np.isfinite(numbers["effect_pct"])]
    assert len(pct) > 20
    for k in ("effect_pct", "vs_comparable_pct", "spillover_pct"):
        assert (pct[k] == 0).all(), k                 # relative to the same units in the reference arm: 0
    assert (numbers["treated"] == numbers["treated_reference"]).all()
    assert (numbers["comparable"] == numbers["comparable_reference"]).all()
    # treated and comparable units are different units: they differ in the same world
    gmv = te.set_index(["scenario", "units", "outcome"])
    for arm in ("half", "fans"):
        assert gmv.loc[(arm, "stores", "gmv"), "treated"] != gmv.loc[(arm, "stores", "gmv"), "comparable"]
    assert gmv.loc[("fans", "consumers", "gmv"), "treated"] != gmv.loc[("fans", "consumers", "gmv"), "comparable"]
    assert gmv.loc[("half", "stores", "n"), "treated"] > 0 and gmv.loc[("fans", "stores", "n"), "treated"] == 5
    # the arms' headline outcomes are the baseline's too
    assert (c.differences["mean"].dropna() == 0).all()


def test_every_arm_tracks_every_treated_arms_units(two_treated_arms):
    c, _ = two_treated_arms
    runs = c.runs
    for arm in ("half", "fans"):
        cols = [f"units.{arm}.stores.{role}.gmv" for role in ("treated", "comparable")]
        assert runs[cols].notna().all().all(), arm                           # in every arm's runs
    n = runs.pivot(index="replication", columns="scenario", values="units.fans.stores.treated.n")
    assert (n == 5).all().all()
    assert "units.fans.consumers.treated.orders" in runs and "units.half.consumers.treated.orders" not in runs
    assert not any(o.startswith("units.") for o in c.outcomes)              # not among the headline outcomes


def test_treatment_effects_table_and_its_files(two_treated_arms):
    c, out = two_treated_arms
    te = c.treatment_effects
    contrasts = ["effect", "effect_low", "effect_high"] + [
        f"{k}_pct{end}" for k in ("effect", "vs_comparable", "spillover") for end in ("", "_low", "_high")]
    assert list(te.columns) == ["scenario", "reference", "units", "outcome", "unit", "n_pairs", "treated",
                                "treated_reference", "comparable", "comparable_reference", *contrasts]
    assert set(te.loc[te["units"] == "stores", "outcome"]) == set(STORE_OUTCOMES)
    assert set(te.loc[te["units"] == "consumers", "outcome"]) == set(CONSUMER_OUTCOMES)
    assert (te["n_pairs"] == 2).all()
    for name in ("treatment_effects.csv", "treatment_effects.parquet"):
        assert (out / name).is_file(), name
    pd.testing.assert_frame_equal(pd.read_parquet(out / "treatment_effects.parquet"), te)
    pd.testing.assert_frame_equal(Comparison.load(out).treatment_effects, te)
    # vs_comparable: treated over comparable units, over the same ratio in the reference arm, paired by seed
    row = te.set_index(["scenario", "units", "outcome"]).loc[("half", "stores", "gmv")]
    by = {arm: c.runs[c.runs["scenario"] == arm].set_index("replication") for arm in ("half", "baseline")}
    ratio = {arm: r["units.half.stores.treated.gmv"] / r["units.half.stores.comparable.gmv"] for arm, r in by.items()}
    assert np.isclose(row["vs_comparable_pct"], 100 * (ratio["half"] / ratio["baseline"] - 1).mean())
    assert row["vs_comparable_pct_low"] <= row["vs_comparable_pct"] <= row["vs_comparable_pct_high"]


def test_a_comparison_without_treatment_has_no_treatment_effects(two_treated_arms):
    from ptsim.experiment.compare import treatment_effects
    c, _ = two_treated_arms
    plain = c.runs[[k for k in c.runs.columns if not k.startswith("units.")]]
    assert treatment_effects(plain, "baseline").empty


def test_compare_prints_the_treated_arms_effects(tmp_path):
    arm = tmp_path / "half.yaml"
    arm.write_text(f"extends: {BASE}\nname: half\ntreatment:\n  enabled: true\n  stores:\n    share: 0.5\n")
    sizes = [x for k, v in {**TINY, "run.days": 10, "run.burn_in_days": 30}.items() for x in ("--set", f"{k}={v}")]
    done = subprocess.run(ptsim_cmd("compare", BASE, arm, "--reps", "2", "--no-figures", "--out", tmp_path / "c",
                                    "--outcomes", "gmv_total", *sizes), cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "treated stores" in done.stdout and "spillover" in done.stdout
    for outcome in ("gmv", "visits", "orders", "repurchase_rate", "old_customer_conversion", "new_fans"):
        assert re.search(rf"│ half +│ {outcome} ", done.stdout), outcome
    assert "treatment_effects.csv" in done.stdout and (tmp_path / "c" / "treatment_effects.csv").is_file()
    assert "units." not in done.stdout                                     # the unit columns stay in the files
    assert "Traceback" not in done.stderr + done.stdout


BAD_TREATMENTS = {
    "store index beyond the stores": ("ids: [3, 150]",
                                      "treatment.stores.ids: store 150 does not exist; allowed: 0 to 149"),
    "rank not [first, last]": ("rank: [5, 2]", "treatment.stores.rank: needs [first, last]"),
    "rank of one number": ("rank: [5]", "treatment.stores.rank: needs [first, last]"),
    "rank beyond the stores": ("rank: [151, 160]", "first must be <= population.merchants = 150"),
    "unknown tier": ("tier: [big]", "treatment.stores.tier[0]: Input should be 'top', 'growth' or 'sme'"),
    "unknown category": ("category: [food]", "treatment.stores.category[0]: Input should be 'fmcg'"),
    "share above 1": ("share: 1.5", "treatment.stores.share: Input should be less than or equal to 1"),
    "share 0": ("share: 0", "treatment.stores.share: 0 treats no store"),
    "unknown stage": ("count: 2\n  consumers:\n    stage: [X]", "treatment.consumers.stage[0]: Input should be 'U'"),
    "unknown relationship": ("count: 2\n  consumers:\n    relationship: friend", "treatment.consumers.relationship"),
}


@pytest.mark.parametrize("name", BAD_TREATMENTS)
def test_a_bad_treatment_exits_2_with_one_line_naming_file_and_field(name, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ptsim.cli import app
    body, expected = BAD_TREATMENTS[name]
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASE}\nname: bad\ntreatment:\n  enabled: true\n  stores:\n    {body}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["compare", str(BASE), str(bad), "--set", "population.merchants=150"])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {bad}: ") and expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout and not (tmp_path / "results").exists()


def test_a_treatment_that_selects_no_store_on_record_day_0_is_bad_input(tmp_path):
    """Which stores match is known only on record day 0: the runs stop there, and the CLI names the file
    of the treatment (also when the reference arm, which tracks it, stops first)."""
    empty = tmp_path / "empty.yaml"
    empty.write_text(f"extends: {BASE}\nname: empty\ntreatment:\n  enabled: true\n  stores:\n    tier: [top]\n"
                     "    ids: [0, 1, 2]\n    rank: [149, 150]\n")
    sizes = [x for k, v in {**AT_DAY_0, "run.burn_in_days": 20}.items() for x in ("--set", f"{k}={v}")]
    done = subprocess.run(ptsim_cmd("compare", BASE, empty, "--reps", "1", "--out", tmp_path / "c", *sizes),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {empty}: treatment.stores: selects no store on record day 0"), done.stderr
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr and "treated stores" not in done.stdout


def test_every_unit_outcome_is_documented():
    text = (ROOT / "docs" / "experiments.md").read_text()
    for kind, declared in (("Store", STORE_OUTCOMES), ("Consumer", CONSUMER_OUTCOMES)):
        section = text[text.index(f"### {kind} outcomes"):]
        section = section[:section.index("\n#", 1)]
        listed = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", section, re.M)
        assert listed == [(name, unit) for name, (unit, _) in declared.items()], kind
