"""Experiment folders read back as written (issue 19): a sampled sweep's indices stay under the
parameters in the order they were given, and damaged files in a folder being resumed or loaded are
named in one line saying what to do, with every intact run kept."""

import json
import math
import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import ROOT
from test_hardening import one_error_line
from typer.testing import CliRunner

from ptsim.cli import app
from ptsim.experiment import SweepResult, load_experiment, sweep
from ptsim.scenario import ScenarioError

BASE = ROOT / "scenarios" / "baseline.yaml"
TINY = ["--set", "population.consumers=500", "--set", "population.merchants=40", "--days", "5",
        "--set", "run.burn_in_days=0", "--no-figures"]
# two numeric fields given in reverse alphabetical order (as in the README's Morris example)
MORRIS = ["sweep", BASE, "--morris", "--param", "price_sensitivity.deal_learning=0.2:1.2",
          "--param", "insider.frequency=2:16", "--samples", "2", "--reps", "1", *TINY]
GRID = ["sweep", BASE, "--grid", "ranking.exponent=0.5,1.0", "--reps", "2", *TINY]


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


# ---------------------------------------------------------------- damaged files on --resume

@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished grid sweep: 2 points x 2 replications."""
    out = tmp_path_factory.mktemp("grid") / "g"
    assert cli(*GRID, "--out", out).exit_code == 0
    return out


def runs_files(folder):
    return {p.name: p.read_bytes() for p in sorted((folder / "runs").iterdir())}


def garbage(path):
    path.write_bytes(b"\x00not a parquet file\xff" * 40)


def truncated(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def empty(path):
    path.write_bytes(b"")


def without_record(path):
    pd.DataFrame({"day": [0, 1]}).to_parquet(path)


def another_run(path):
    shutil.copyfile(path.with_name("p0001-r01.parquet"), path)


@pytest.mark.parametrize("damage", [garbage, truncated, empty, without_record, another_run])
@pytest.mark.parametrize("finished_before", [True, False])
def test_resume_names_a_damaged_run_file_and_keeps_every_run(damage, finished_before, finished, tmp_path):
    out = tmp_path / "g"
    shutil.copytree(finished, out)
    if not finished_before:
        (out / "runs.parquet").unlink()
    damage(out / "runs" / "p0000-r01.parquet")
    before = runs_files(out)
    one_error_line(cli(*GRID, "--out", out, "--resume"), f"{out}/runs/p0000-r01.parquet: cannot be read",
                   "remove it to have that run redone", "another --out")
    assert runs_files(out) == before
    with pytest.raises(ScenarioError, match="p0000-r01.parquet: cannot be read"):
        sweep(BASE, grid={"ranking.exponent": [0.5, 1.0]}, reps=2, out=out, resume=True,
              overrides={"population.consumers": 500, "population.merchants": 40, "run.days": 5,
                         "run.burn_in_days": 0})
    # as advised: remove it, and --resume redoes that run alone
    (out / "runs" / "p0000-r01.parquet").unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert cli(*GRID, "--out", out, "--resume").exit_code == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir() if p.name in kept} == kept
    resumed, whole = (load_experiment(f).runs.drop(columns="burn_in_cached") for f in (out, finished))
    pd.testing.assert_frame_equal(resumed, whole)


def test_a_run_file_whose_data_is_damaged_is_named_when_the_tables_are_compacted(finished, tmp_path):
    out = tmp_path / "g"
    shutil.copytree(finished, out)
    path = out / "runs" / "p0001-r00.parquet"
    data = bytearray(path.read_bytes())
    first_column = pq.ParquetFile(path).metadata.row_group(0).column(1)
    start = first_column.data_page_offset
    data[start:start + first_column.total_compressed_size] = b"\xff" * first_column.total_compressed_size
    path.write_bytes(bytes(data))
    before = runs_files(out)
    one_error_line(cli(*GRID, "--out", out, "--resume"), f"{path}: cannot be read", "remove it", started=True)
    assert runs_files(out) == before


@pytest.mark.parametrize("text", ["not json {", '{"design": {"method": "grid"', "[1, 2]", ""])
def test_resume_names_a_manifest_that_is_not_an_experiments_json(text, finished, tmp_path):
    out = tmp_path / "g"
    shutil.copytree(finished, out)
    (out / "manifest.json").write_text(text)
    before = runs_files(out)
    one_error_line(cli(*GRID, "--out", out, "--resume"), f"{out}/manifest.json: cannot be read",
                   "another --out")
    assert runs_files(out) == before
    with pytest.raises(ScenarioError, match="manifest.json: cannot be read"):
        load_experiment(out)


@pytest.mark.parametrize("name", ["points.parquet", "runs.parquet", "timeseries.parquet"])
def test_resume_rebuilds_a_damaged_table_from_the_runs_without_redoing_them(name, finished, tmp_path):
    out = tmp_path / "g"
    shutil.copytree(finished, out)
    garbage(out / name)
    with pytest.raises(ScenarioError, match=f"{name}: cannot be read.*--resume") as err:
        load_experiment(out).timeseries
    assert "\n" not in str(err.value)
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert cli(*GRID, "--out", out, "--resume").exit_code == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == kept
    again, original = load_experiment(out), load_experiment(finished)
    pd.testing.assert_frame_equal(again.runs, original.runs)
    pd.testing.assert_frame_equal(again.points, original.points)
    pd.testing.assert_frame_equal(again.timeseries, original.timeseries)
