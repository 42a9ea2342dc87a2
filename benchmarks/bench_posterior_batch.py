"""A posterior-style batch: replications that each have their own parameter vector, hence their own
burn-in (a new vector cannot reuse a cached warm state), serial against 2 workers (process pool and
Dask), each with a fresh cache (run by hand; issue 24's fourth figure).

The batch is `ptsim sweep baseline --grid choice.deal_utility=v1,...,vN --reps 1` with N distinct values
close to the baseline's, so every run simulates its own spin-up and burn-in. Wall time is what a user
waits; the speed-up is serial wall over parallel wall; the yardstick (a trivial Mesa agent step, measured
in this process before and after) puts the serial speed on the machine's scale.

    .venv/bin/python benchmarks/bench_posterior_batch.py                  # 200 runs x 20,000 consumers (hours)
    .venv/bin/python benchmarks/bench_posterior_batch.py --runs 6         # a few minutes
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ptsim.bench import yardstick

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = {"serial": ["--workers", "1"], "processes": ["--workers", "2", "--backend", "processes"],
            "dask": ["--workers", "2", "--backend", "dask"]}


def run_batch(backend: str, runs: int, consumers: int, days: int) -> float:
    """Wall seconds of one batch on `backend`, with a fresh warm-state cache and output folder."""
    values = ",".join(f"{1.5 + 0.001 * i:.3f}" for i in range(runs))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PTSIM_CACHE": str(Path(tmp) / "cache"), "PYTHONWARNINGS": "ignore"}
        cmd = [sys.executable, "-m", "ptsim", "sweep", "baseline", "--grid", f"choice.deal_utility={values}",
               "--reps", "1", "--set", f"population.consumers={consumers}", "--set", f"run.days={days}",
               "--out", str(Path(tmp) / "out"), *BACKENDS[backend]]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
        return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--consumers", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--backends", default="serial,processes,dask")
    a = ap.parse_args(argv)
    yard0 = yardstick()
    wall = {b: run_batch(b, a.runs, a.consumers, a.days) for b in a.backends.split(",")}
    yard1 = yardstick()
    out = {"runs": a.runs, "consumers": a.consumers, "days": a.days, "wall_s": wall,
           "yardstick_agent_steps_per_s": (yard0 + yard1) / 2,
           "speedup": {b: wall["serial"] / w for b, w in wall.items() if "serial" in wall}}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
