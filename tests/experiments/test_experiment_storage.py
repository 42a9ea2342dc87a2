"""Experiment storage: per-run files, failed runs recorded, kill and --resume, compaction."""

import json
import signal
import subprocess
import time

import pandas as pd
import pytest
from conftest import ROOT, ptsim_cmd

from ptsim import load_scenario
from ptsim.experiment import ScenarioModel, grid_design, load_experiment, run_design, sweep
from ptsim.scenario import ScenarioError

SMALL = {"population.consumers": 3000, "population.merchants": 60, "run.days": 40, "run.burn_in_days": 30}
GRID = {"ranking.exponent": [0.5, 0.75, 1.0], "choice.deal_utility": [0.0, 1.5]}
REPS = 2
SWEEP_ARGS = ["sweep", ROOT / "scenarios" / "baseline.yaml", "--grid", "ranking.exponent=0.5,0.75,1.0",
              "--grid", "choice.deal_utility=0.0,1.5", "--reps", str(REPS), "--no-figures",
              *[a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]]


def leftovers(folder):
    return [p for p in folder.rglob("*") if p.name.startswith(".") or p.name.endswith(".tmp")]


def test_killed_sweep_resumes_to_the_same_tables_as_an_uninterrupted_one(tmp_path):
    out = tmp_path / "killed"
    total = len(GRID["ranking.exponent"]) * len(GRID["choice.deal_utility"]) * REPS
    proc = subprocess.Popen(ptsim_cmd(*SWEEP_ARGS, "--out", out), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "runs").glob("*.parquet"))) < 3 and time.monotonic() < deadline:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    saved = len(list((out / "runs").glob("*.parquet")))
    assert 3 <= saved < total and not (out / "runs.parquet").exists()
    # a write interrupted half-way leaves a temporary file: resume must clear it
    (out / "runs" / ".p0005-r01.parquet.x1y2.tmp").write_bytes(b"partial")

    again = subprocess.run(ptsim_cmd(*SWEEP_ARGS, "--out", out, "--resume"), cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert leftovers(out) == []

    reference = sweep(load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL), grid=GRID, reps=REPS,
                      out=tmp_path / "reference")
    resumed = load_experiment(out)
    assert len(resumed.runs) == total and (resumed.runs["status"] == "ok").all()
    pd.testing.assert_frame_equal(*(r.drop(columns="burn_in_cached") for r in (resumed.runs, reference.runs)))
    pd.testing.assert_frame_equal(resumed.points, reference.points)
    pd.testing.assert_frame_equal(resumed.timeseries, pd.read_parquet(tmp_path / "reference" / "timeseries.parquet"))
    assert json.loads((out / "manifest.json").read_text())["resumed"]


def test_resume_refuses_a_folder_holding_a_different_design(tmp_path):
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL | {"run.days": 20})
    sweep(base, grid={"ranking.exponent": [0.5, 1.0]}, out=tmp_path)
    with pytest.raises(ScenarioError, match="different design"):
        sweep(base, grid={"ranking.exponent": [0.5, 0.9]}, out=tmp_path, resume=True)
    with pytest.raises(ScenarioError, match="already holds an experiment"):
        sweep(base, grid={"ranking.exponent": [0.5, 1.0]}, out=tmp_path)
    # the same design resumes with nothing left to run
    again = sweep(base, grid={"ranking.exponent": [0.5, 1.0]}, out=tmp_path, resume=True)
    assert (again.runs["status"] == "ok").all()


class FailsAtOnePoint(ScenarioModel):
    """The simulation, except that a steep ranking exponent raises (an injected failure)."""

    def __call__(self, params, seed):
        if params.get("ranking.exponent") == 1.0:
            raise RuntimeError("injected failure for the steep ranking point")
        return super().__call__(params, seed)


def test_a_failing_run_is_recorded_with_its_traceback_and_the_others_finish(tmp_path):
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL | {"run.days": 20})
    design = grid_design({"ranking.exponent": [0.5, 1.0, 0.75]}, 2, 7, base)
    with pytest.warns(RuntimeWarning, match=r"2 of 6 run\(s\) failed"):       # said, not silent
        exp = run_design(design, FailsAtOnePoint({base.name: base}), scenarios={base.name: base}, out=tmp_path)
    runs = exp.runs.set_index("run_id")
    failed = runs[runs["status"] == "failed"]
    assert list(failed.index) == ["p0001-r00", "p0001-r01"]
    assert failed["error"].str.contains("RuntimeError: injected failure").all()
    assert failed["gmv_total"].isna().all()
    assert (runs.drop(failed.index)["status"] == "ok").all() and runs.drop(failed.index)["gmv_total"].gt(0).all()
    record = json.loads((tmp_path / "runs" / "p0001-r00.error.json").read_text())
    assert "Traceback" in record["traceback"] and "injected failure" in record["traceback"]
    assert set(exp.timeseries["run_id"]) == set(runs.drop(failed.index).index)
    assert exp.manifest["status"] == {"ok": 4, "failed": 2}


def test_per_run_file_holds_the_summary_row_and_the_daily_outcomes(tmp_path):
    import pyarrow.parquet as pq
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL | {"run.days": 20})
    exp = sweep(base, grid={"ranking.exponent": [0.5]}, reps=1, out=tmp_path)
    path = tmp_path / "runs" / "p0000-r00.parquet"
    record = json.loads(pq.read_schema(path).metadata[b"ptsim.run"])
    daily = pd.read_parquet(path)
    assert len(daily) == 20 and record["summary"]["gmv_total"] == exp.runs["gmv_total"].iloc[0]
    assert record["seed"] == exp.runs["seed"].iloc[0]
    assert "ranking.exponent" not in exp.runs and "ranking.exponent" in exp.points   # no repeated parameters
