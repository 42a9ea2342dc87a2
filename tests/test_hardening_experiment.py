"""Experiment folders read back as written (issue 19): a sampled sweep's indices stay under the
parameters in the order they were given."""

import json
import math
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from ptsim.cli import app
from ptsim.experiment import SweepResult, load_experiment, sweep
from ptsim.scenario import ScenarioError

from conftest import ROOT

BASE = ROOT / "scenarios" / "baseline.yaml"
TINY = ["--set", "population.consumers=500", "--set", "population.merchants=40", "--days", "5",
        "--set", "run.burn_in_days=0", "--no-figures"]
# two numeric fields given in reverse alphabetical order (as in the README's Morris example)
MORRIS = ["sweep", BASE, "--morris", "--param", "price_sensitivity.deal_learning=0.2:1.2",
          "--param", "insider.frequency=2:16", "--samples", "2", "--reps", "1", *TINY]


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def by_parameter(indices: pd.DataFrame) -> dict:
    """(outcome, parameter) -> the row's indices, NaN as None (comparable with ==)."""
    cols = [c for c in indices.columns if c not in ("outcome", "parameter")]
    return {(r["outcome"], r["parameter"]): [None if math.isnan(r[c]) else round(r[c], 9) for c in cols]
            for _, r in indices.iterrows()}


def make_old(folder):
    """Rewrite the manifest as written before the design's order was kept: ranges as a dict (the JSON
    file's keys sorted), no list."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    spec = manifest["design"]["spec"]
    spec["params"] = {name: [lo, hi] for name, lo, hi in spec["params"]}
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True))


# ---------------------------------------------------------------- indices under the right names

def steep_in_b(p, seed):
    return {"y": 10 * p["b"] + 0.01 * p["a"]}


@pytest.mark.parametrize("method", ["morris", "sobol", "lhs"])
def test_a_reloaded_sampled_sweep_keeps_its_indices_under_the_parameters_in_the_order_given(method, tmp_path):
    s = sweep(steep_in_b, params={"b": (0, 1), "a": (0, 1)}, method=method,
              samples={"morris": 4, "sobol": 16, "lhs": 16}[method], out=tmp_path)
    first = "mu_star" if method == "morris" else "S1"
    assert s.indices.set_index("parameter")[first].idxmax() == "b"
    loaded = SweepResult.load(tmp_path)
    assert by_parameter(loaded.indices) == by_parameter(s.indices) \
        == by_parameter(pd.read_csv(tmp_path / "sensitivity.csv"))
    assert loaded.parameters == loaded.design.problem()["names"] == ["b", "a"]
    assert list(pd.read_parquet(tmp_path / "points.parquet").columns) == ["point", "scenario", "b", "a"]
    assert json.loads((tmp_path / "manifest.json").read_text())["design"]["spec"]["params"] == \
        [["b", 0.0, 1.0], ["a", 0.0, 1.0]]


def test_a_morris_sweep_of_fields_in_reverse_order_reloads_as_its_sensitivity_csv(tmp_path):
    out = tmp_path / "m"
    assert cli(*MORRIS, "--out", out).exit_code == 0
    written = by_parameter(pd.read_csv(out / "sensitivity.csv"))
    rows = {(o, p): v for (o, p), v in written.items() if o == "gmv_total"}
    assert rows[("gmv_total", "price_sensitivity.deal_learning")] != rows[("gmv_total", "insider.frequency")]
    loaded = SweepResult.load(out)
    assert by_parameter(loaded.indices) == written
    assert loaded.parameters == ["price_sensitivity.deal_learning", "insider.frequency"]
    assert list(load_experiment(out).points.columns)[2:] == loaded.parameters


def test_a_folder_written_before_the_order_was_kept_loads_in_its_points_order_and_resumes(tmp_path):
    out = tmp_path / "m"
    assert cli(*MORRIS, "--out", out).exit_code == 0
    written = by_parameter(pd.read_csv(out / "sensitivity.csv"))
    make_old(out)
    assert by_parameter(SweepResult.load(out).indices) == written
    # an unfinished one resumes: only its missing run is redone
    (out / "runs.parquet").unlink()
    (out / "runs" / "p0003-r00.parquet").unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert cli(*MORRIS, "--out", out, "--resume").exit_code == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir() if p.name in kept} == kept
    assert by_parameter(SweepResult.load(out).indices) == written
    assert [p[0] for p in json.loads((out / "manifest.json").read_text())["design"]["spec"]["params"]] == \
        ["price_sensitivity.deal_learning", "insider.frequency"]


def test_an_old_folder_whose_points_do_not_confirm_the_order_is_refused_not_misnamed(tmp_path):
    out = tmp_path / "m"
    assert cli(*MORRIS, "--out", out).exit_code == 0
    make_old(out)
    points = pd.read_parquet(out / "points.parquet")
    points[["point", "scenario", "insider.frequency", "price_sensitivity.deal_learning"]].to_parquet(
        out / "points.parquet")
    with pytest.raises(ScenarioError, match="order of the parameters") as err:
        SweepResult.load(out)
    assert "\n" not in str(err.value) and "sensitivity.csv" in str(err.value)
