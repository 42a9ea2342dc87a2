"""Serial, process-pool and Dask backends give identical results (and order logs) for the same seeds; a
real Dask cluster (scheduler and two workers as separate processes) runs a sweep through the CLI, its
workers writing the order logs."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, ptsim_cmd

from ptsim import load_scenario
from ptsim.experiment import load_experiment, sweep

SMALL = {"population.consumers": 2000, "population.merchants": 60, "run.days": 20, "run.burn_in_days": 20}
GRID = {"ranking.exponent": [0.5, 1.0]}


def small_sweep(**backend):
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml", SMALL)
    return sweep(base, grid=GRID, reps=2, orders=True, **backend)


def test_serial_process_and_dask_backends_give_identical_results():
    serial = small_sweep()
    for backend in (dict(workers=2, backend="processes"), dict(workers=2, backend="dask")):
        other = small_sweep(**backend)
        pd.testing.assert_frame_equal(*(r.drop(columns="burn_in_cached") for r in (serial.runs, other.runs)))
        pd.testing.assert_frame_equal(serial.experiment.timeseries, other.experiment.timeseries)
        pd.testing.assert_frame_equal(serial.orders(), other.orders())
    assert (serial.runs["status"] == "ok").all()
    # replication k of every point shares its seed (common random numbers)
    assert serial.runs.groupby("replication")["seed"].nunique().eq(1).all()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(180)
def test_sweep_on_a_real_dask_cluster_through_the_cli(tmp_path):
    from distributed import Client
    dask = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], **quiet)]
    try:
        procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                    "--no-dashboard"], **quiet) for _ in range(2)]
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        out = tmp_path / "cluster"
        args = ["sweep", ROOT / "scenarios" / "baseline.yaml", "--grid", "ranking.exponent=0.5,1.0",
                "--reps", "2", "--no-figures", "--scheduler", address, "--out", out, "--orders",
                *[a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]]
        done = subprocess.run(ptsim_cmd(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        on_cluster = load_experiment(out)
        serial = small_sweep()
        pd.testing.assert_frame_equal(*(r.drop(columns="burn_in_cached") for r in (on_cluster.runs, serial.runs)))
        pd.testing.assert_frame_equal(on_cluster.timeseries, serial.experiment.timeseries)
        pd.testing.assert_frame_equal(on_cluster.orders(), serial.orders())        # written by the workers
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_runs_in_this_process_report_progress_day_by_day():
    from ptsim.experiment.runner import run_experiment
    s = load_scenario(ROOT / "scenarios" / "baseline.yaml", {**SMALL, "run.days": 8, "run.reps": 2})
    seen = []
    run_experiment([s], progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    fractions = [d for d, _ in seen if d != int(d)]
    assert len(fractions) >= 2 * 7 and fractions == sorted(fractions)     # daily, and never backwards


def test_workers_start_a_process_pool_by_default():
    """--workers N starts a process pool (about a second) unless --backend dask asks for a LocalCluster."""
    import concurrent.futures as cf
    import inspect

    from ptsim import cli
    from ptsim.experiment import compare, run_experiment, sweep
    from ptsim.experiment.runner import executor_for, run_design
    with executor_for(2) as (executor, slots):
        assert isinstance(executor, cf.ProcessPoolExecutor) and slots == 4
    for function in (cli.run, cli.compare, cli.sweep, cli.validate, executor_for, run_design, run_experiment,
                     compare, sweep):
        assert inspect.signature(function).parameters["backend"].default == "processes", function.__name__
