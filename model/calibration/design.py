"""The simulator runs an emulator learns from: a Latin hypercube over the priors, one replication each.

`DIR/design.jsonl` gets one line per finished point (its index, parameters, seed, every target's value,
seconds), appended as points finish, so a killed design keeps its points and `resume` runs only the missing
ones. Points are stratified draws from the uniform priors (`scipy.stats.qmc.LatinHypercube`), each with its
own replication seed: the emulator then learns the expected value and the replication noise separately.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ..runs import replication_seeds
from ..scenario import Scenario
from .priors import Priors
from .targets import TargetSet

DESIGN = "design.jsonl"


def design_points(priors: Priors, n: int, seed: int) -> np.ndarray:
    """`n` Latin-hypercube points over the priors' box (rows: points, columns: parameters)."""
    return priors.scale(qmc.LatinHypercube(d=len(priors.names), seed=seed).random(n))


def _params(priors: Priors, row: np.ndarray) -> dict:
    return {name: float(v) for name, v in zip(priors.names, row)}


def run_point(base: Scenario, params: dict, seed: int, targets: TargetSet) -> dict:
    """One design point: the scenario at `params`, one replication, every target's value (None if undefined)."""
    from .study import replicate
    t0 = time.perf_counter()
    values = replicate(base.with_overrides(params, source="design"), seed, targets)
    return {"values": {k: (float(v) if v is not None and math.isfinite(v) else None) for k, v in values.items()},
            "seconds": time.perf_counter() - t0}


def read_design(folder: str | Path) -> pd.DataFrame:
    """The finished points: index, seed, seconds, one column per parameter and per target (a half-written last
    line, from a kill, is skipped)."""
    path = Path(folder) / DESIGN
    rows = []
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            rows.append({"point": r["point"], "seed": r["seed"], "seconds": r["seconds"], **r["params"],
                         **{k: (np.nan if v is None else v) for k, v in r["values"].items()}})
    return pd.DataFrame(rows).sort_values("point").reset_index(drop=True) if rows else pd.DataFrame()


def run_design(folder: str | Path, base: Scenario, priors: Priors, targets: TargetSet, n: int, seed: int,
               workers: int = 1, progress: Callable[[int, int], None] | None = None,
               runner: Callable = run_point) -> pd.DataFrame:
    """Run the design's missing points on `workers` processes, appending each to DIR/design.jsonl as it
    finishes; returns every finished point. `runner(base, params, seed, targets)` runs one point."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    points = design_points(priors, n, seed)
    seeds = replication_seeds(seed, n)
    done = set(read_design(folder).get("point", pd.Series(dtype=int)).astype(int))
    todo = [i for i in range(n) if i not in done]
    path = folder / DESIGN
    if path.is_file() and path.stat().st_size and not path.read_text().endswith("\n"):
        with path.open("a") as f:               # a kill mid-line: end it, read_design skips it
            f.write("\n")

    def record(i: int, result: dict) -> None:
        with path.open("a") as f:
            f.write(json.dumps({"point": i, "seed": seeds[i], "params": _params(priors, points[i]), **result}) + "\n")
        done.add(i)
        if progress:
            progress(len(done), n)

    if workers <= 1:
        for i in todo:
            record(i, runner(base, _params(priors, points[i]), seeds[i], targets))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            pending = {pool.submit(runner, base, _params(priors, points[i]), seeds[i], targets): i for i in todo}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    record(pending.pop(fut), fut.result())
    return read_design(folder)
