"""How long the answers take: the runs and burn-ins of each layer at a size, timed with the experiments' cost
model (experiment/plan.py), and scaled by what this run measured against the same model."""

from __future__ import annotations

import resource
from pathlib import Path

from ..experiment.plan import WORKER_START, run_seconds
from .questions import arms, effect_arms, scenarios
from .uncertainties import UNCERTAINTIES


def status_quos(names, size) -> int:
    """Distinct burn-ins a seed needs for these arms: arms that change a world field (not only levers) have
    their own (insider_loose's insider.frequency, for one)."""
    from ..warm_state import cache_key, stream_root
    root = stream_root(0)
    return len({cache_key(s.status_quo(), root) for s in scenarios(names, size).values()})


def stages(size, q2_pairs: int, posterior: bool) -> dict[str, tuple[int, int]]:
    """Layer -> (runs, burn-ins to simulate) at `size`, with question 2 run to `q2_pairs` pairs."""
    points = size.trajectories * (len(UNCERTAINTIES) + 1)
    every, effect = status_quos(arms(), size), status_quos(effect_arms(), size)
    draws = size.draws * size.per_draw
    return {"replications": (len(arms()) * size.reps, every * size.reps),
            "question 2": (2 * q2_pairs, q2_pairs - size.reps) if q2_pairs > size.reps else (0, 0),
            "posterior": (len(arms()) * draws, every * draws) if posterior else (0, 0),
            "assumptions": (points * len(effect_arms()), effect * points)}


def measured(result) -> dict[str, tuple[int, int]]:
    """Layer -> (runs, burn-ins simulated, not loaded from the cache) of a finished answers run."""
    one, two, three = result["layer1"], result["layer2"], result["layer3"]
    tables = {"replications": one["main"], "question 2": one["q2"] if one["q2"] is not one["main"] else None,
              "posterior": None if two is None else two["runs"], "assumptions": three["runs"]}
    out = {}
    for name, runs in tables.items():
        if runs is None:
            out[name] = (0, 0)
        else:
            cold = (~runs["burn_in_cached"].fillna(True).astype(bool)).sum() if "burn_in_cached" in runs else 0
            out[name] = (len(runs), int(cold))
    return out


def seconds(size, counts: dict[str, tuple[int, int]], workers: int) -> float:
    """Wall seconds for these runs and burn-ins on `workers` cores of the reference machine (plan.py's speeds)."""
    from ..scenario import load_scenario
    base = load_scenario("baseline", size.overrides())
    total = sum(run_seconds(base, runs, burn) for runs, burn in counts.values())
    pools = sum(runs > 0 for runs, _ in counts.values())
    return total / max(1, workers) + WORKER_START * (workers > 1) * pools


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished worker processes."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Clock:
    """Wall and CPU time of an answers run, kept in its work folder (timing.json) layer by layer, so a run
    interrupted and finished later (or a report rendered again from finished runs) reports the time of all."""

    def __init__(self, work=None):
        import json
        import time
        self.path = None if work is None else Path(work) / "timing.json"
        self.totals = {"seconds": 0.0, "cpu_seconds": 0.0, "invocations": 1}
        if self.path is not None and self.path.is_file():
            try:
                old = json.loads(self.path.read_text())
                self.totals = {"seconds": float(old["seconds"]), "cpu_seconds": float(old["cpu_seconds"]),
                               "invocations": int(old["invocations"]) + 1}
            except (ValueError, KeyError, TypeError, OSError):
                pass                      # an unreadable file: time this invocation alone
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()

    def lap(self) -> dict:
        """Add the time since the last lap to the totals (and the file); return them."""
        import time

        from ..results import atomic_write_json
        wall, cpu = time.perf_counter(), cpu_seconds()
        self.totals["seconds"] += wall - self.wall
        self.totals["cpu_seconds"] += cpu - self.cpu
        self.wall, self.cpu = wall, cpu
        if self.path is not None and self.path.parent.is_dir():
            atomic_write_json(self.totals, self.path)
        return dict(self.totals)
