"""Parameter sweeps: a grid, Latin hypercube, Sobol or Morris design over scenario fields (or the
inputs of any model function), the mean response of each outcome per point, and sensitivity."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import results
from ..outcomes import HEADLINE, OUTCOME_NAMES
from ..scenario import Run, Scenario, ScenarioError
from . import sensitivity
from .compare import check_outcomes, outcome_columns
from .design import MAX_RUNS, SAMPLED, Design, grid_design, sampled_design
from .runner import ScenarioModel, resolve_scenarios, run_design
from .storage import Experiment, ExperimentView, load_experiment


def responses(experiment: Experiment) -> pd.DataFrame:
    """One row per point: its parameters, finished replications `n`, and each outcome's mean with the
    95% confidence interval of the mean over replications (`<outcome>_low`, `<outcome>_high`; the
    mean itself for one replication, as `stats.summarise`)."""
    from scipy import stats
    ok = experiment.ok
    names = outcome_columns(experiment.runs)
    groups = ok.groupby("point")[names]
    means, n = groups.mean(), ok.groupby("point").size().rename("n")
    t = pd.Series(stats.t.ppf(0.975, np.maximum(n - 1, 1)), index=n.index)
    half = groups.sem().mul(t, axis=0).fillna(0.0)
    table = pd.concat([means, (means - half).add_suffix("_low"), (means + half).add_suffix("_high")], axis=1)
    table = table[[f"{name}{end}" for name in names for end in ("", "_low", "_high")]]
    return experiment.points.join(n, on="point").join(table, on="point").fillna({"n": 0}).astype({"n": int})


def interval_columns(names) -> dict[str, tuple[str, str]]:
    """Units and descriptions of responses' interval columns, for the Parquet schema."""
    from .compare import unit_of
    return {f"{name}_{end}": (unit_of(name) or "-", f"{'Lower' if end == 'low' else 'Upper'} end of the 95% "
                              f"confidence interval of the mean of {name} over the point's replications.")
            for name in names for end in ("low", "high")}


class SweepResult(ExperimentView):
    """A sweep: `table` (mean response per point), `indices` (sensitivity, for sampled designs),
    `runs`, `points` and `timeseries`. Build one with `sweep(...)` or `SweepResult.load(folder)`.

    >>> s = sweep("scenarios/baseline.yaml", params={"ranking.exponent": (0.5, 1.0),
    ...           "choice.deal_utility": (0.5, 3.0)}, method="sobol", samples=64)   # doctest: +SKIP
    >>> s.indices                                                                    # doctest: +SKIP
    >>> s.plot_sensitivity("gmv_total")                                               # doctest: +SKIP
    """

    def __init__(self, experiment: Experiment, design: Design, outcomes=None):
        self.experiment, self.design, self.method = experiment, design, design.method
        self.parameters = design.parameters
        self.outcomes = list(outcomes) if outcomes else outcome_columns(experiment.runs)
        self.table = responses(experiment)
        self.indices = sensitivity.indices(design, self.table, self.outcomes) if self.method in SAMPLED \
            else None

    @classmethod
    def load(cls, folder, outcomes=None) -> "SweepResult":
        """The sweep stored in an experiment folder (its design is rebuilt from the manifest)."""
        exp = load_experiment(folder)
        d = exp.manifest["design"]
        seeds = [int(s) for s in d["seeds"]]
        if d["method"] in SAMPLED:
            design = stored_sample(exp)
            design.points, design.seeds = exp.points, seeds
        else:
            design = Design(d["method"], exp.points, seeds, d["spec"])
        return cls(exp, design, outcomes or exp.manifest.get("outcomes"))

    def plot_sensitivity(self, outcome: str):
        """Bars of the indices of one outcome (Sobol S1/ST, Morris mu*/sigma, RBD-FAST S1)."""
        from ..plots import sensitivity_figure
        if self.indices is None:
            raise ScenarioError("a grid sweep has no sensitivity indices; use plot_response")
        return sensitivity_figure(self.indices, outcome, "morris" if self.method == "morris" else "sobol")

    def plot_response(self, parameter: str | None = None, outcomes=None):
        """Outcome means and 95% intervals against one grid parameter (lines by the other
        parameter when the grid has two)."""
        from ..plots import response_figure
        parameter = parameter or self.parameters[0]
        others = [p for p in self.parameters if p != parameter]
        table = self.experiment.ok.merge(self.points.drop(columns="scenario"), on="point")
        return response_figure(table, parameter, outcomes or self.outcomes,
                               by=others[0] if len(others) == 1 else None)

    def save(self, folder, figures: bool = True) -> list[Path]:
        """Write responses and sensitivity (CSV and Parquet) and the figures into `folder`."""
        folder, paths = Path(folder), []
        results.atomic_write_bytes(folder / "responses.csv", self.table.to_csv(index=False).encode())
        results.atomic_write_parquet(self.table, folder / "responses.parquet",
                                     interval_columns(outcome_columns(self.runs)))
        paths += [folder / "responses.csv", folder / "responses.parquet"]
        if self.indices is not None:
            results.atomic_write_bytes(folder / "sensitivity.csv", self.indices.to_csv(index=False).encode())
            results.atomic_write_parquet(self.indices, folder / "sensitivity.parquet")
            paths += [folder / "sensitivity.csv", folder / "sensitivity.parquet"]
        if not figures or not len(self.experiment.ok):
            return paths
        figs = {}
        if self.indices is not None:
            for o in self.outcomes:
                if self.indices.loc[self.indices["outcome"] == o].drop(columns=["outcome", "parameter"]) \
                        .notna().any().any():
                    figs[f"fig_sensitivity_{o}"] = lambda o=o: self.plot_sensitivity(o)
        elif all(isinstance(v, (int, float)) for p in self.parameters for v in self.points[p]):
            for p in self.parameters:
                figs[f"fig_response_{p.replace('.', '_')}"] = lambda p=p: self.plot_response(p)
        return paths + list(results.write_figures(folder, figs).values())


def stored_sample(exp: Experiment) -> Design:
    """A sampled design drawn again from its folder, its parameters in the order given: the manifest's
    list or, in folders written before it was kept (ranges by name, sorted), points.parquet's columns.
    The sample must be the one in points.parquet, so indices never go under another parameter's name."""
    d = exp.manifest["design"]
    spec, columns = d["spec"], [c for c in exp.points.columns if c not in ("point", "scenario")]
    ranges = spec["params"]
    if isinstance(ranges, dict):
        ranges = [[name, *ranges[name]] for name in columns if name in ranges]
    params = {name: (lo, hi) for name, lo, hi in ranges}
    design = sampled_design(d["method"], params, spec["samples"], 1, spec["sample_seed"], max_runs=None)
    drawn, stored = design.points, exp.points
    same = len(drawn) == len(stored) and set(params) == set(columns) and all(
        np.allclose(drawn[p].round() if pd.api.types.is_integer_dtype(stored[p]) else drawn[p], stored[p],
                    rtol=1e-9, atol=0) for p in params)
    if not same:
        raise ScenarioError(f"{exp.folder}: the {d['method']} sample drawn again from manifest.json in the order "
                            f"of the parameters ({', '.join(params)}) is not the one in points.parquet, so its "
                            "indices cannot be recomputed under the right names; those computed when it ran are "
                            "in sensitivity.csv")
    return design


def sweep(scenario: Scenario | str | Path | Callable, grid: dict[str, list] | None = None,
          params: dict[str, tuple[float, float]] | None = None, method: str | None = None,
          samples: int = 64, reps: int | None = None, *, seed: int | None = None,
          overrides: dict | None = None, outcomes=None, out=None, resume: bool = False, workers: int = 1,
          backend: str = "processes", scheduler: str | None = None, figures: bool = False,
          progress=None, cache: bool = True, max_runs: int | None = MAX_RUNS, orders: bool = False,
          on_plan=None, dry_run: bool = False) -> SweepResult:
    """Sweep a scenario's fields, or the inputs of a model function, and analyse the responses.

    `scenario` is a `Scenario`, a YAML path, or any function `model(params: dict, seed) -> dict` of
    outcomes (or a `RunResult`). Give `grid` (field -> values, full factorial) or `params`
    (field -> (lo, hi)) with `method` "lhs", "sobol" (default) or "morris" and `samples` (LHS size,
    Sobol base N, Morris trajectories). Replication k of every point shares a seed. A design of more
    than `max_runs` runs (points x replications) is refused before it is drawn; None lifts the limit.
    `orders=True` logs every order of every run of ptsim's model (out/orders/<run_id>.parquet; in memory
    without `out`); `.orders()` reads them. `dry_run=True` returns the `Plan` (runs, burn-ins already
    cached, rough duration) without running; `on_plan(plan)` hears it before the runs start.

    >>> from ptsim.experiment import sweep
    >>> s = sweep("scenarios/baseline.yaml", grid={"ranking.exponent": [0.5, 0.75, 1.0]}, reps=4,
    ...           overrides={"population.consumers": 20_000, "run.days": 120})       # doctest: +SKIP
    >>> s.table[["ranking.exponent", "gmv_total", "gini_merchant_gmv"]]               # doctest: +SKIP
    >>> import math
    >>> def ishigami(p, seed):
    ...     return {"y": math.sin(p["x1"]) + 7 * math.sin(p["x2"]) ** 2 + 0.1 * p["x3"] ** 4 * math.sin(p["x1"])}
    >>> s = sweep(ishigami, params={f"x{i}": (-math.pi, math.pi) for i in (1, 2, 3)}, samples=1024)
    >>> s.indices[["parameter", "S1", "ST"]].round(2).values.tolist()
    [['x1', 0.32, 0.57], ['x2', 0.44, 0.44], ['x3', 0.0, 0.24]]
    """
    if grid is not None and params is not None:
        raise ScenarioError("give either grid (--grid) or params (--param) ranges, not both")
    method = "grid" if grid is not None else (method or "sobol")
    if method == "grid" and params is not None:
        raise ScenarioError("--param ranges need --lhs, --sobol or --morris; a grid takes --grid field=v1,v2")
    if method not in ("grid",) + SAMPLED:
        raise ScenarioError(f"method {method!r}: expected grid, lhs, sobol or morris")
    if callable(scenario) and not isinstance(scenario, (Scenario, str, Path)):
        model, base, scenarios, known = scenario, None, {}, None
        root, reps = Run().seed if seed is None else seed, reps or 1
    else:
        named = resolve_scenarios(scenario, overrides)
        base = next(iter(named.values()))
        model, scenarios, known = ScenarioModel(named, cache=cache), named, OUTCOME_NAMES
        root, reps = base.run.seed if seed is None else seed, reps or base.run.reps
    if outcomes and known:
        outcomes = check_outcomes(outcomes, known)
    elif not outcomes and known:
        outcomes = list(HEADLINE)
    if method == "grid":
        design = grid_design(grid or {}, reps, root, base, max_runs=max_runs)
    else:
        design = sampled_design(method, params or {}, samples, reps, root, base, max_runs=max_runs)
    exp = run_design(design, model, scenarios=scenarios, out=out, resume=resume, workers=workers,
                     backend=backend, scheduler=scheduler, progress=progress, command="sweep",
                     extra={"outcomes": outcomes}, orders=orders, on_plan=on_plan, dry_run=dry_run)
    if dry_run:
        return exp                                  # the plan (runs, burn-ins cached, duration), nothing run
    result = SweepResult(exp, design, outcomes)
    if out is not None:
        result.save(out, figures=figures)
    return result
