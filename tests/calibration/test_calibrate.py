"""`targets/published.yaml` and `ptsim calibrate`: the targets file validates (bad ones give one line),
the loss is zero inside the bands and grows outside, a tiny calibration writes calibrated.yaml,
trials.parquet and near_best.parquet, resumes after an interruption or a kill, and bad --param exits 2."""

import json
import math
import os
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, ptsim_cmd

from ptsim import load_scenario
from ptsim.calibration import TARGETS_FILE, TargetsError, load_targets
from ptsim.calibration.study_outputs import fit_table, near_best_table, near_best_threshold
from ptsim.calibration.targets import UNDEFINED, probe_column

BASE = ROOT / "scenarios" / "baseline.yaml"
TINY = {"population.consumers": 300, "population.merchants": 40, "run.burn_in_days": 10, "run.days": 8}
TINY_SET = [a for k, v in TINY.items() for a in ("--set", f"{k}={v}")]
PARAMS = ["--param", "choice.deal_utility=0.5:3", "--param", "relationships.tie_life_days=100:900"]


def invoke(args, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ptsim.cli import app
    monkeypatch.chdir(tmp_path)                 # a default results/ folder would land here
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, needle):
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.stderr + result.stdout
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout


# ----------------------------------------------------------------------------- the targets file
def test_published_targets_validate_and_feed_the_validation_report():
    import importlib

    from ptsim.validation.facts import FACTS
    elasticity = importlib.import_module("ptsim.validation.elasticity")   # the package exports a function of that name
    targets = load_targets()
    assert targets.path == str(TARGETS_FILE)
    assert targets.needs_probe
    by_title = {t.title: t for t in targets.targets}
    # the report's facts are the targets read from the runs, with the file's bands
    assert [f.name for f in FACTS] == [t.title for t in targets.targets if t.model.read != "price_probe"]
    for f in FACTS:
        t = by_title[f.name]
        assert (f.low, f.high, f.band, f.source) == (t.band.lo, t.band.hi, t.band.text, t.source.ref)
    # 88VIP 42M -> 49M and the emergent elasticity -2.62 (-3.0 to -2.2) are targets
    assert targets["n_vip_start"].value == 42e6 and targets["n_vip_end"].value == 49e6
    probe = targets["price_elasticity"]
    assert (probe.value, probe.band.low, probe.band.high) == (-2.62, -3.0, -2.2)
    # the elasticity section of the report keeps its own constants: they must agree with the file
    assert (elasticity.TARGET, elasticity.LOW, elasticity.HIGH) == (probe.value, probe.band.low, probe.band.high)
    category = targets["category_elasticity"]          # issue 21: the outside option's primary demand
    assert (category.value, category.band.low, category.band.high, category.model.level) == (-0.6, -1.0, -0.3,
                                                                                             "category")
    assert probe.model.level == "store" and probe_column(category) != probe_column(probe)
    assert (elasticity.CATEGORY_TARGET, elasticity.CATEGORY_LOW, elasticity.CATEGORY_HIGH) == (-0.6, -1.0, -0.3)
    for t in targets.targets:
        # weight 0 only for a ratio the model takes as an input, and its definition says so (issue 22)
        assert (t.weight > 0 or "weight 0" in t.definition) and t.definition and t.source.published
        assert t.source.seed is not None or t.source.citation
    # every target is a published fact but the leakage level, an assumption with its range (issue 21)
    assert [t.name for t in targets.targets if t.kind == "assumption"] == ["leakage_ratio"]
    leakage = targets["leakage_ratio"]
    assert (leakage.value, leakage.band.low, leakage.band.high, leakage.model.outcome) == \
        (0.03, 0.01, 0.08, "leakage_ratio")
    assert leakage.loss(0.05) == 0 and leakage.loss(0.104) > 0       # the former baseline's 10.4% is outside


def test_an_assumption_is_marked_in_the_fit_table(tmp_path):
    doc = json.loads(json.dumps(GOOD))
    doc["targets"].append({**doc["targets"][0], "name": "guess", "kind": "assumption",
                           "source": {"citation": "a guess", "published": "none; assumed 2.7x"}})
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    targets = load_targets(path)
    assert [t.kind for t in targets.targets] == ["published", "assumption"]
    fit = fit_table(targets, [{"aov": 2.7, "guess": 2.8}])
    assert list(fit["published"]) == ["2.7x", "assumption: none; assumed 2.7x"]


GOOD = {"targets": [{"name": "aov", "source": {"seed": "004", "published": "2.7x"}, "definition": "members' AOV",
                     "model": {"read": "summary", "outcome": "member_aov_ratio"}, "value": 2.7,
                     "band": {"low": 2.16, "high": 3.24}}]}


def _edit(path, value):
    doc = json.loads(json.dumps(GOOD))
    node = doc
    *parents, leaf = path
    for p in parents:
        node = node[p]
    if value is KeyError:
        del node[leaf]
    else:
        node[leaf] = value
    return yaml.safe_dump(doc, allow_unicode=True)


BAD_TARGETS = {
    "unknown key": (_edit(["targets", 0, "wieght"], 2), "targets[0] (aov).wieght: unknown key"),
    "unknown outcome": (_edit(["targets", 0, "model", "outcome"], "member_aov"), "not an outcome"),
    "value outside band": (_edit(["targets", 0, "value"], 5.0), "outside its band"),
    "one-sided without scale": (_edit(["targets", 0, "band"], {"low": 2.0, "high": None}), "scale: required"),
    "no bounds": (_edit(["targets", 0, "band"], {"low": None}), "give low, high or both"),
    "low above high": (_edit(["targets", 0, "band"], {"low": 3.0, "high": 2.0}), "low must be below high"),
    "negative weight": (_edit(["targets", 0, "weight"], -1), "weight"),
    "weight not a number": (_edit(["targets", 0, "weight"], "heavy"), "weight"),
    "not finite": (_edit(["targets", 0, "value"], float("nan")), "value"),
    "seed and citation": (_edit(["targets", 0, "source", "citation"], "x 2005"), "exactly one of seed"),
    "probe with outcome": (_edit(["targets", 0, "model"], {"read": "price_probe", "outcome": "n_vip"}),
                           "price_probe takes no outcome"),
    "level without probe": (_edit(["targets", 0, "model", "level"], "category"), "level: only for read: price_probe"),
    "unknown probe level": (_edit(["targets", 0, "model"], {"read": "price_probe", "level": "brand"}), "level"),
    "input with weight": (_edit(["targets", 0, "input"], "the timeline produces it"), "must have weight 0"),
    "bad name": (_edit(["targets", 0, "name"], "Member AOV"), "lower case"),
    "reserved name": (_edit(["targets", 0, "name"], "loss"), "reserved"),
    "missing definition": (_edit(["targets", 0, "definition"], KeyError), "definition: Field required"),
    "no targets": ("description: x\n", "targets: Field required"),
    "duplicate key": ("targets: []\ntargets: []\n", "duplicate key"),
    "yaml syntax": ("targets: [\n", "YAML syntax error"),
    "empty file": ("", "empty targets file"),
    "a list": ("- 1\n", "top level must be a mapping"),
    "all weights zero": (_edit(["targets", 0, "weight"], 0), "weight 0"),
    "unknown kind": (_edit(["targets", 0, "kind"], "guess"), "targets[0] (aov).kind"),
}


@pytest.mark.parametrize("case", BAD_TARGETS)
def test_bad_targets_file_gives_one_line_naming_file_and_field(case, tmp_path):
    text, needle = BAD_TARGETS[case]
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path)), message
    assert needle in message, message


def test_duplicate_target_names_are_refused(tmp_path):
    doc = json.loads(json.dumps(GOOD))
    doc["targets"].append(doc["targets"][0])
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(TargetsError, match="appears twice"):
        load_targets(path)


def test_bad_targets_file_exits_2_with_one_line(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text(_edit(["targets", 0, "band", "hihg"], 3))
    result = invoke(["calibrate", BASE, "--targets", bad, *PARAMS, "--out", tmp_path / "o", *TINY_SET],
                    tmp_path, monkeypatch)
    one_line_error(result, "band.hihg: unknown key")
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- the loss
def test_loss_is_zero_inside_the_bands_and_grows_outside():
    targets = load_targets()
    for t in targets.targets:
        lo, hi, u = t.band.lo, t.band.hi, t.unit
        inside = [t.value] + [x for x in (lo, hi) if math.isfinite(x)]
        assert all(t.loss(x) == 0 for x in inside), t.name
        # outside: weight x (distance / half-width)^2, on either side that has an end
        for edge, sign in ((lo, -1), (hi, 1)):
            if math.isfinite(edge):
                losses = [t.loss(edge + sign * k * u) for k in (0.5, 1, 2, 3)]
                assert np.allclose(losses, [t.weight * k ** 2 for k in (0.5, 1, 2, 3)]), t.name
                assert all(a < b for a, b in zip(losses, losses[1:])) or t.weight == 0
        assert t.loss(float("nan")) == t.weight * UNDEFINED ** 2
    # the two-sided bands' scale is the half-width; one-sided ones give their own
    assert targets["fan_return_visit_ratio"].unit == pytest.approx(0.5)
    assert targets["share_gmv_relationship"].unit == pytest.approx(0.12)
    # the set's loss sums the targets'; zero when every value is the published one
    assert targets.loss({t.name: t.value for t in targets.targets}) == 0
    off = {t.name: t.value for t in targets.targets} | {"member_aov_ratio": 1.62, "n_vip_growth": 0.017}
    assert targets.loss(off) == pytest.approx((0.54 / 0.54) ** 2)   # the 88VIP growth is an input: weight 0
    assert targets["n_vip_growth"].input and targets["n_vip_growth"].weight == 0


def test_near_best_rule_keeps_completed_trials_near_the_best_weighted_by_exp_minus_half_loss():
    table = pd.DataFrame({"trial": range(6), "state": ["complete", "complete", "complete", "pruned", "fail",
                                                       "complete"],
                          "loss": [1.0, 2.0, 1.0 + near_best_threshold(2) + 0.1, 0.5, np.nan, 3.0],
                          "a.x": np.arange(6.0), "b.y": np.arange(6.0) * 2})
    post = near_best_table(table, ["a.x", "b.y"])
    assert list(post.columns) == ["a.x", "b.y", "weight", "loss", "trial"]
    assert list(post["trial"]) == [0, 1, 5]                  # pruned, failed and too-far trials left out
    w = np.exp(-(np.array([1.0, 2.0, 3.0]) - 1.0) / 2)
    assert np.allclose(post["weight"], w / w.sum()) and post["weight"].sum() == pytest.approx(1.0)
    assert near_best_threshold(2) == pytest.approx(5.991, abs=1e-3)
    assert near_best_table(table.assign(state="pruned"), ["a.x"]).empty


# ----------------------------------------------------------------------------- the command
def test_calibrate_end_to_end_writes_scenario_tables_and_the_trials_near_the_best(tmp_path, monkeypatch):
    out = tmp_path / "cal"
    result = invoke(["calibrate", BASE, *PARAMS, "--trials", "4", "--reps", "2", "--workers", "1", "--out", out,
                     *TINY_SET], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.stderr + result.stdout
    assert "best trial" in result.stdout and "results written" in result.stdout
    targets = load_targets()
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 4 and set(trials["state"]) <= {"complete", "pruned"}
    params = ["choice.deal_utility", "relationships.tie_life_days"]
    for col in ["trial", "state", "loss", "reps", *params, *targets.names]:
        assert col in trials, col
    assert trials["choice.deal_utility"].between(0.5, 3).all()
    # the best trial's parameters are carried by calibrated.yaml, which extends the input scenario
    done = trials[trials["state"] == "complete"]
    best = done.loc[done["loss"].idxmin()]
    text = (out / "calibrated.yaml").read_text()
    assert "extends: baseline\n" in text                       # the library's file, by its library name
    s = load_scenario(out / "calibrated.yaml")
    assert s.choice.deal_utility == pytest.approx(best["choice.deal_utility"])
    assert s.relationships.tie_life_days == pytest.approx(best["relationships.tie_life_days"])
    assert s.population.consumers == load_scenario(BASE).population.consumers       # --set not carried over
    manifest = json.loads((out / "calibration.json").read_text())
    assert manifest["result"]["best_trial"] == int(best["trial"])
    # near_best: completed trials near the best, weights summing to 1; no table called a posterior
    near = pd.read_parquet(out / "near_best.parquet")
    assert list(near.columns) == [*params, "weight", "loss", "trial"]
    assert near["weight"].sum() == pytest.approx(1.0) and int(best["trial"]) in set(near["trial"])
    assert (near["loss"] <= best["loss"] + near_best_threshold(2) + 1e-9).all()
    assert not (out / "posterior.parquet").exists() and "near_best.parquet [" in " ".join(result.stdout.split())
    assert manifest["result"]["near_best"]["trials"] == len(near) and "posterior" not in manifest["result"]
    # the fit table (markdown and CSV): every target, its 95% interval over the best trial's replications
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit["target"]) == targets.names and (fit["reps"] == 2).all()
    assert {"model_mean", "model_low", "model_high", "met"} <= set(fit.columns)
    assert "| target | published | band | model (95% interval) | met |" in (out / "fit.md").read_text()
    imp = pd.read_csv(out / "importances.csv")                 # four completed trials: importances computed
    assert set(imp["parameter"]) == set(params) and imp["importance"].sum() == pytest.approx(1.0)


def _cheap_targets(tmp_path):
    doc = yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8"))
    doc["targets"] = [t for t in doc["targets"] if t["model"]["read"] != "price_probe"]
    path = tmp_path / "cheap.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_price_probe_runs_only_for_target_sets_that_need_it(tmp_path, monkeypatch):
    import ptsim.probe
    from ptsim.calibration import calibrate

    def no_probe(*args, **kwargs):
        raise AssertionError("the price probe ran for a target set without a probe target")
    monkeypatch.setattr(ptsim.probe, "price_elasticity", no_probe)
    cheap = load_targets(_cheap_targets(tmp_path))
    assert not cheap.needs_probe
    c = calibrate(BASE, cheap, {"choice.deal_utility": (0.5, 3)}, trials=2, reps=1, out=tmp_path / "a",
                  overrides=TINY)
    assert c.counts == {"complete": 2} and "price_elasticity" not in c.trials
    # with the probe target, the probe runs once per replication after the burn-in
    calls = []
    monkeypatch.setattr(ptsim.probe, "price_elasticity", lambda m, n_needs: calls.append(n_needs) or -2.5)
    c = calibrate(BASE, None, {"choice.deal_utility": (0.5, 3)}, trials=2, reps=1, out=tmp_path / "b",
                  overrides=TINY)
    assert calls == [20_000, 20_000] and (c.trials["price_elasticity"] == -2.5).all()
    assert c.fit.set_index("target").loc["price_elasticity", "met"]


def test_resume_continues_an_interrupted_study_to_n_trials(tmp_path, monkeypatch):
    import optuna

    from ptsim.calibration.study import STUDY, storage
    out = tmp_path / "cal"
    args = ["calibrate", BASE, *PARAMS, "--reps", "1", "--no-pruning", "--out", out, *TINY_SET]
    first = invoke([*args, "--trials", "2"], tmp_path, monkeypatch)
    assert first.exit_code == 0, first.stderr
    assert "not computed: 2 completed trial(s)" in first.stdout        # too few trials for importances
    # a kill leaves a trial running in the study
    study = optuna.load_study(study_name=STUDY, storage=storage(out))
    study.ask()
    (out / "near_best.parquet").rename(out / "posterior.parquet")      # the name an older ptsim gave the table
    # without --resume the folder is refused; with a different design too
    one_line_error(invoke([*args, "--trials", "4"], tmp_path, monkeypatch), "already holds a calibration")
    changed = [a.replace("0.5:3", "0.5:2") for a in map(str, args)]
    one_line_error(invoke([*changed, "--trials", "4", "--resume"], tmp_path, monkeypatch),
                   "differs in: params")
    again = invoke([*args, "--trials", "4", "--resume"], tmp_path, monkeypatch)
    assert again.exit_code == 0, again.stderr
    trials = pd.read_parquet(out / "trials.parquet")
    assert (trials["state"] == "complete").sum() == 4
    stale = trials[trials["state"] == "fail"]
    assert len(stale) == 1 and stale["error"].iloc[0] == "interrupted"
    assert json.loads((out / "calibration.json").read_text())["resumed"]
    assert (out / "importances.csv").is_file()
    assert (out / "near_best.parquet").is_file() and not (out / "posterior.parquet").exists()   # no longer so called


def test_a_library_scenario_by_name_is_extended_by_name(tmp_path, monkeypatch):
    from ptsim.calibration import calibrate
    monkeypatch.chdir(tmp_path)                                 # from any folder
    c = calibrate("baseline", None, {"choice.deal_utility": (0.5, 3)}, trials=1, reps=1, out="cal", overrides=TINY)
    assert "extends: baseline\n" in c.calibrated.read_text()
    s = load_scenario(c.calibrated)
    assert (s.name == "baseline-calibrated"
            and s.choice.deal_utility == pytest.approx(c.best_params["choice.deal_utility"]))


def test_a_scenario_outside_the_working_folder_is_extended_by_absolute_path(tmp_path, monkeypatch):
    """A relative path to a file outside the working folder breaks when the results move; an absolute
    one does not. A file inside it is written relative to the calibration folder (the project moves as
    a whole)."""
    from ptsim.calibration import calibrate
    project, shared = tmp_path / "project", tmp_path / "shared"
    project.mkdir(), shared.mkdir()
    (shared / "theirs.yaml").write_text("extends: baseline\nname: theirs\n")
    (project / "mine.yaml").write_text("extends: baseline\nname: mine\n")
    monkeypatch.chdir(project)
    theirs = calibrate(shared / "theirs.yaml", None, {"choice.deal_utility": (0.5, 3)}, trials=1, reps=1,
                       out="cal", overrides=TINY)
    mine = calibrate("mine.yaml", None, {"choice.deal_utility": (0.5, 3)}, trials=1, reps=1, out="runs/cal",
                     overrides=TINY)
    assert f"extends: {shared / 'theirs.yaml'}\n" in theirs.calibrated.read_text()
    assert "extends: ../../mine.yaml\n" in mine.calibrated.read_text()
    project.rename(tmp_path / "moved")
    assert load_scenario(tmp_path / "moved" / "cal" / "calibrated.yaml").name == "theirs-calibrated"
    assert load_scenario(tmp_path / "moved" / "runs" / "cal" / "calibrated.yaml").name == "mine-calibrated"


def test_pruned_trials_are_recorded_and_no_completed_trial_writes_no_scenario(tmp_path):
    import optuna

    from ptsim.calibration import calibrate
    c = calibrate(BASE, None, {"choice.deal_utility": (0.5, 3)}, trials=2, reps=2, out=tmp_path / "p",
                  overrides=TINY, pruner=optuna.pruners.ThresholdPruner(upper=-1.0))    # prunes every trial
    assert list(c.trials["state"]) == ["pruned", "pruned"] and (c.trials["reps"] == 1).all()
    assert np.isfinite(c.trials["loss"]).all()                 # the loss after the first replication
    assert c.best_trial is None and c.near_best.empty and not (tmp_path / "p" / "calibrated.yaml").exists()


def test_a_killed_parallel_calibration_resumes(tmp_path):
    """Two worker processes, killed with SIGKILL mid-study, then resumed to the requested count."""
    import optuna

    from ptsim.calibration.study import STUDY, storage
    out = tmp_path / "cal"
    args = ["calibrate", BASE, "--param", "choice.deal_utility=0.5:3", "--reps", "1", "--no-pruning",
            "--out", out, *TINY_SET]
    proc = subprocess.Popen(ptsim_cmd(*args, "--trials", "1000", "--workers", "2"), cwd=ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if (out / "study.journal").is_file():
                study = optuna.load_study(study_name=STUDY, storage=storage(out))
                if sum(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False)) >= 3:
                    break
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    time.sleep(1.5)                                             # workers notice their parent is gone
    study = optuna.load_study(study_name=STUDY, storage=storage(out))
    done = sum(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False))
    assert 3 <= done < 1000
    resumed = subprocess.run(ptsim_cmd(*args, "--trials", done + 2, "--resume"), cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    trials = pd.read_parquet(out / "trials.parquet")
    counted = trials[trials["error"].fillna("") != "interrupted"]
    assert len(counted) == done + 2 and (counted["state"] == "complete").all()
    assert (trials["state"] != "running").all()
    assert load_scenario(out / "calibrated.yaml").name == "baseline-calibrated"


BAD_OPTIONS = {
    "unknown field": (["--param", "choice.deal_utilty=0.5:3"], "choice.deal_utilty"),
    "lo above hi": (["--param", "choice.deal_utility=3:0.5"], "lo must be below hi"),
    "not a range": (["--param", "choice.deal_utility=0.5"], "expected field=lo:hi"),
    "outside the schema": (["--param", "ranking.exponent=0:9"], "<= 3"),
    "not numeric": (["--param", "purchase.modulations=0:1"], "only numeric fields"),
    "a run setting": (["--param", "population.consumers=100:200"], "not a model parameter"),
    "a policy lever": (["--param", "policies.weight_bonus.share=0:1"], "a policy lever"),
    "no --param": ([], "give at least one field=lo:hi"),
    "zero trials": (["--param", "choice.deal_utility=0.5:3", "--trials", "0"], "--trials: must be >= 1"),
    "resume without --out": (["--param", "choice.deal_utility=0.5:3", "--resume"], "--resume needs --out"),
    "missing targets": (["--param", "choice.deal_utility=0.5:3", "--targets", "nope.yaml"], "not found"),
    "near-best level": (["--param", "choice.deal_utility=0.5:3", "--near-best-level", "1.5"],
                        "--near-best-level: must lie between 0 and 1"),
    "negative confirm": (["--param", "choice.deal_utility=0.5:3", "--confirm", "-1"], "--confirm: must be >= 0"),
    "bad confirm size": (["--param", "choice.deal_utility=0.5:3", "--confirm", "2", "--confirm-set",
                          "population.consumers=3"], "--confirm-set: population.consumers"),
}


@pytest.mark.parametrize("case", BAD_OPTIONS)
def test_bad_options_exit_2_with_one_line(case, tmp_path, monkeypatch):
    extra, needle = BAD_OPTIONS[case]
    out = [] if "--resume" in extra else ["--out", tmp_path / "o"]
    result = invoke(["calibrate", BASE, *extra, *out, *TINY_SET], tmp_path, monkeypatch)
    one_line_error(result, needle)
    assert not (tmp_path / "o").exists() and not (tmp_path / "results").exists()


def test_bad_param_exits_2_with_one_line_from_the_shell(tmp_path):
    proc = subprocess.run(ptsim_cmd("calibrate", BASE, "--param", "choice.nope=0:1", "--out", tmp_path / "o"),
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: --param"), proc.stderr
    assert "choice.nope" in lines[0] and not (tmp_path / "o").exists()


def test_the_first_trial_is_the_input_scenarios_own_point(tmp_path, monkeypatch):
    """Trial 0 runs the scenario's values (those inside their ranges; a list item by index), so the study
    measures the starting fit itself; the others are sampled."""
    from ptsim.calibration import calibrate
    base = load_scenario(BASE)
    monkeypatch.setattr("ptsim.probe.price_elasticity", lambda m, n_needs: -2.5)
    params = {"choice.deal_utility": (0.1, 5.0), "relationships.touch_rate.1": (0.01, 0.5),
              "relationships.tie_life_days": (500, 900)}          # the baseline's 180 days lies outside
    c = calibrate(BASE, None, params, trials=2, reps=1, out=tmp_path / "s", overrides=TINY)
    first = c.trials.set_index("trial").loc[0]
    assert first["choice.deal_utility"] == base.choice.deal_utility
    assert first["relationships.touch_rate.1"] == base.relationships.touch_rate[1]
    assert 500 <= first["relationships.tie_life_days"] <= 900
    assert c.trials.set_index("trial").loc[1, "choice.deal_utility"] != base.choice.deal_utility


def test_confirmation_reruns_the_best_trials_and_keeps_the_one_meeting_most_targets(tmp_path, monkeypatch):
    """--confirm N re-runs the N best completed trials on more seeds at the size of use; confirm.csv
    lists them; the one meeting the most targets there (then the lowest loss) is calibrated.yaml."""
    from ptsim.calibration import calibrate
    monkeypatch.setattr("ptsim.probe.price_elasticity", lambda m, n_needs: -2.5)
    bigger = {**TINY, "population.consumers": 400}
    c = calibrate(BASE, None, {"choice.deal_utility": (0.5, 3)}, trials=4, reps=1, out=tmp_path / "c",
                  overrides=TINY, pruning=False, confirm=2, confirm_reps=2, confirm_overrides=bigger)
    table = pd.read_csv(tmp_path / "c" / "confirm.csv")
    study_best = c.trials[c.trials["state"] == "complete"].nsmallest(2, "loss")["trial"].tolist()
    assert sorted(table["trial"]) == sorted(study_best)
    top = table.sort_values(["met", "loss"], ascending=[False, True]).iloc[0]
    assert c.best_trial == int(top["trial"]) and c.fit["reps"].eq(2).all()
    assert int(c.fit["met"].sum()) == int(top["met"]) == table["met"].max()
    s = load_scenario(tmp_path / "c" / "calibrated.yaml")
    assert s.choice.deal_utility == pytest.approx(float(top["choice.deal_utility"]))
    manifest = json.loads((tmp_path / "c" / "calibration.json").read_text())
    assert manifest["result"]["confirmation"]["chosen"] == c.best_trial
    assert "400 consumers" in manifest["result"]["confirmation"]["size"]
