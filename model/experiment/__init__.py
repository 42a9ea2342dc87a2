"""Experiments: replications, policy comparisons and parameter sweeps, serially, on local processes
or on a Dask cluster, with common random numbers and resumable, tidy Parquet storage.

    from ptsim.experiment import compare, sweep, load_experiment

    c = compare(["scenarios/baseline.yaml", "scenarios/wechat_open.yaml"], reps=8, workers=2)
    c.summary, c.differences            # mean and 95% interval; paired differences vs the first
    c.plot_timeseries(); c.plot_differences()

    s = sweep("scenarios/baseline.yaml", params={"ranking.exponent": (0.5, 1.0)}, method="sobol",
              samples=64, reps=2, out="results/sobol-ranking")
    s.table, s.indices                  # mean response per point; Sobol S1/ST with 95% intervals

    exp = load_experiment("results/sobol-ranking")   # manifest, points, runs, timeseries

See docs/experiments.md for designs, seeds, the folder layout, resuming and Dask clusters.
"""

from .compare import Comparison, compare
from .design import Design, compare_design, grid_design, sampled_design
from .runner import ScenarioModel, SerialExecutor, executor_for, run_design, run_experiment
from .storage import Experiment, load_experiment
from .sweep import SweepResult, sweep

__all__ = ["compare", "Comparison", "sweep", "SweepResult", "run_experiment", "run_design", "load_experiment",
           "Experiment", "Design", "compare_design", "grid_design", "sampled_design", "ScenarioModel",
           "SerialExecutor", "executor_for"]
