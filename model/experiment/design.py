"""Experiment designs: which points (lever and parameter settings) run, and with which seeds.

A design is a table of points times a list of replication seeds. Replication k of every point uses
`seeds[k]` (common random numbers), so differences between points are paired. Points come from a
list of scenarios (`compare`), a full-factorial grid, or a SALib sample (Latin hypercube, Sobol,
Morris) over numeric scenario fields or over the inputs of any model function.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..runs import replication_seeds
from ..scenario import MAX_RUNS, NotYAML, Scenario, ScenarioError, parse_yaml, schema_field

METHODS = ("compare", "grid", "lhs", "sobol", "morris")
SAMPLED = ("lhs", "sobol", "morris")
MORRIS_LEVELS = 4


@dataclass
class Design:
    """Points x replications. `points` has columns point, scenario and one per parameter.

    `spec` holds what the design was made from (method, grid or ranges, samples, sample seed); it is
    stored in the manifest and, with the seeds and scenario digests, identifies the design on resume.
    Grid and ranges are lists of [field, values] and [field, lo, hi] in the order given: the order of
    a SALib sample's columns, so the JSON file (written with sorted keys) keeps it.
    """
    method: str
    points: pd.DataFrame
    seeds: list[int]
    spec: dict = field(default_factory=dict)
    sample: np.ndarray | None = None          # raw SALib sample (before rounding integer fields)

    @property
    def reps(self) -> int:
        return len(self.seeds)

    @property
    def parameters(self) -> list[str]:
        return [c for c in self.points.columns if c not in ("point", "scenario")]

    def problem(self) -> dict:
        """The SALib problem of a sampled design (names and bounds of the varied parameters, in order)."""
        ranges = self.spec["params"]
        return {"num_vars": len(ranges), "names": [r[0] for r in ranges], "bounds": [list(r[1:]) for r in ranges]}

    def identity(self) -> dict:
        """What must match for `--resume` to continue this design in an existing folder."""
        records = json.dumps(self.points.to_dict("records"), sort_keys=True, default=str)
        return {"method": self.method, "spec": json.loads(json.dumps(self.spec, default=str)),
                "seeds": [str(s) for s in self.seeds], "points": len(self.points),
                "points_digest": hashlib.sha256(records.encode()).hexdigest()[:16]}

    def run_ids(self) -> list[tuple[str, int, int]]:
        """(run_id, point, replication) in execution order: replication-major, so a partial
        experiment covers every point."""
        wp = max(4, len(str(len(self.points) - 1)))
        wr = max(2, len(str(self.reps - 1)))
        return [(f"p{p:0{wp}d}-r{k:0{wr}d}", p, k) for k in range(self.reps) for p in self.points["point"]]


def _seeds(reps: int, seed: int) -> list[int]:
    if reps < 1:
        raise ScenarioError(f"reps: must be >= 1 (got {reps})")
    return replication_seeds(seed, reps)


def check_size(points: int, reps: int, max_runs: int | None) -> None:
    """Refuse a design of more than `max_runs` runs before its seeds or sample are drawn."""
    if max_runs is not None and points * reps > max_runs:
        raise ScenarioError(f"the design has {points:,} point(s) x {reps:,} replication(s) = {points * reps:,} "
                            f"runs, more than the limit of {max_runs:,}; to run it anyway pass --max-runs "
                            f"{points * reps} (max_runs= in Python)")


def compare_design(scenarios: dict[str, Scenario], reps: int, seed: int,
                   max_runs: int | None = MAX_RUNS) -> Design:
    """One point per scenario (the first is the reference for paired differences)."""
    check_size(len(scenarios), reps, max_runs)
    points = pd.DataFrame({"point": range(len(scenarios)), "scenario": list(scenarios)})
    return Design("compare", points, _seeds(reps, seed), {"scenarios": list(scenarios)})


def grid_design(grid: dict[str, list], reps: int, seed: int, base: Scenario | None = None,
                max_runs: int | None = MAX_RUNS) -> Design:
    """Full factorial over `grid` (field -> values); the first field varies slowest."""
    if not grid:
        raise ScenarioError("--grid: give at least one field=v1,v2,...")
    for name, values in grid.items():
        if not isinstance(values, (list, tuple)) or len(values) == 0:
            raise ScenarioError(f"--grid {name}: give at least one value, e.g. {name}=v1,v2")
    check_size(int(np.prod([len(v) for v in grid.values()], dtype=float)), reps, max_runs)
    for name, values in grid.items():
        if base is not None:
            for v in values:
                base.with_overrides({name: v}, source="--grid")
    rows = [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())]
    points = pd.DataFrame(rows)
    points.insert(0, "scenario", base.name if base is not None else "model")
    points.insert(0, "point", range(len(points)))
    return Design("grid", points, _seeds(reps, seed), {"grid": [[k, list(v)] for k, v in grid.items()]})


def sampled_design(method: str, params: dict[str, tuple[float, float]], samples: int, reps: int,
                   seed: int, base: Scenario | None = None, max_runs: int | None = MAX_RUNS) -> Design:
    """A SALib sample over `params` (field -> (lo, hi)): `samples` is the LHS size, the Sobol base
    sample N (N x (D + 2) points) or the number of Morris trajectories (N x (D + 1) points)."""
    if method not in SAMPLED:
        raise ScenarioError(f"method {method!r}: expected one of {', '.join(SAMPLED)}")
    if not params:
        raise ScenarioError(f"--{method}: give the ranges to sample with --param field=lo:hi")
    if samples < (8 if method == "lhs" else 2):
        raise ScenarioError(f"--samples {samples}: must be >= {8 if method == 'lhs' else 2} for --{method}")
    if method == "sobol" and samples & (samples - 1):
        raise ScenarioError(f"--samples {samples}: Sobol sampling needs a power of two (e.g. 64, 128, 256)")
    check_size(samples * {"lhs": 1, "sobol": len(params) + 2, "morris": len(params) + 1}[method], reps, max_runs)
    ints = []
    for name, bounds in params.items():
        lo, hi = check_range(name, bounds)
        if base is not None:
            kind = numeric_field(base, name, lo, "sampled", "; use --grid for it")
            for v in (lo, hi):
                base.with_overrides({name: int(round(v)) if kind is int else v}, source="--param")
            if kind is int:
                ints.append(name)
    problem = {"num_vars": len(params), "names": list(params),
               "bounds": [[float(lo), float(hi)] for lo, hi in params.values()]}
    from SALib.sample import latin, morris, sobol
    if method == "lhs":
        x = latin.sample(problem, samples, seed=seed)
    elif method == "sobol":
        x = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    else:
        x = morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
    points = pd.DataFrame(x, columns=list(params))
    for name in ints:
        points[name] = points[name].round().astype(int)
    points.insert(0, "scenario", base.name if base is not None else "model")
    points.insert(0, "point", range(len(points)))
    spec = {"params": [[k, float(lo), float(hi)] for k, (lo, hi) in params.items()], "samples": samples,
            "sample_seed": seed}
    return Design(method, points, _seeds(reps, seed), spec, sample=x)


def check_range(name: str, bounds) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ScenarioError(f"--param {name}: expected a range lo:hi of two numbers (got {bounds!r})") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise ScenarioError(f"--param {name}={lo:g}:{hi:g}: lo must be below hi (both finite)")
    return lo, hi


def numeric_field(base: Scenario, name: str, lo: float, verb: str, hint: str = "") -> type:
    """The type (int or float) of a dotted field that `--param` varies; one-line errors for an unknown
    or non-numeric field ('only numeric fields can be {verb}')."""
    kind = field_type(name)
    if kind is None:
        base.with_overrides({name: lo}, source="--param")          # names the unknown field
    if kind not in (int, float):
        raise ScenarioError(f"--param {name}: only numeric fields can be {verb} (this one is "
                            f"{getattr(kind, '__name__', kind)}){hint}")
    return kind


def field_type(path: str) -> Any:
    """The annotation of a dotted scenario field (int, float, bool, list[...], ...); `name.k` is an
    item of a list field (its item type)."""
    return schema_field(path)[0]


# ---------------------------------------------------------------- command-line strings
def parse_grid(items: list[str] | None) -> dict[str, list]:
    """`field=v1,v2,...` strings -> {field: [values]}; values are YAML (numbers, true/false, [lists])."""
    grid: dict[str, list] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise ScenarioError(f"--grid {item}: expected field=v1,v2,..., e.g. ranking.exponent=0.5,0.75,1")
        try:
            values = parse_yaml(f"[{text}]", f"--grid {name}")
        except NotYAML:
            raise ScenarioError(f"--grid {item}: cannot read the values as a comma-separated list") from None
        if name in grid:
            raise ScenarioError(f"--grid {name}: given twice; list all its values in one --grid")
        grid[name] = values
    return grid


def parse_params(items: list[str] | None) -> dict[str, tuple[float, float]]:
    """`field=lo:hi` strings -> {field: (lo, hi)}."""
    params: dict[str, tuple[float, float]] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        parts = text.split(":")
        if not sep or not name or len(parts) != 2:
            raise ScenarioError(f"--param {item}: expected field=lo:hi, e.g. ranking.exponent=0.5:1")
        try:
            lo, hi = float(parts[0]), float(parts[1])
        except ValueError:
            raise ScenarioError(f"--param {item}: lo and hi must be numbers") from None
        if name in params:
            raise ScenarioError(f"--param {name}: given twice")
        params[name] = check_range(name, (lo, hi))
    return params
