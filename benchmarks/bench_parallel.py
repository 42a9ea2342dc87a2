"""Parallel speed-up of a realistic comparison: `ptsim compare` of three policy scenarios, serial against
`--workers 2` (process pool and Dask), each with a fresh warm-state cache (run by hand).

Each replication's status-quo burn-in is simulated once and shared by the three scenarios (issue 9), so
the design is 3 scenarios x `--reps` replications, with `--reps` burn-ins. Wall time is what a user waits;
CPU is that of `ptsim` and all its worker processes. The machine yardstick is the trivial Mesa agent step
of `ptsim.bench.yardstick`, measured in this process before and after.

    .venv/bin/python benchmarks/bench_parallel.py                       # 3 x 4 reps x 20,000 consumers x 365 days
    .venv/bin/python benchmarks/bench_parallel.py --reps 8 --consumers 50000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["scenarios/baseline.yaml", "scenarios/wechat_open.yaml", "scenarios/insider_strict.yaml"]
BACKENDS = {"serial": ["--workers", "1"], "processes": ["--workers", "2", "--backend", "processes"],
            "dask": ["--workers", "2", "--backend", "dask"]}


def yardstick() -> float:
    """Agent-steps per CPU second of a trivial Mesa model (10,000 agents x 100 steps; `ptsim.bench`)."""
    from ptsim.bench import yardstick as measure
    return measure(10_000, 100, seed=1)


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bench_backend(name: str, reps: int, consumers: int, days: int) -> dict:
    """One `ptsim compare` in a subprocess, with an empty cache and output folder of its own."""
    work = Path(tempfile.mkdtemp(prefix="ptsim-bench-parallel-"))
    env = {**os.environ, "PTSIM_CACHE": str(work / "cache")}
    cmd = [str(Path(sys.executable).with_name("ptsim")), "compare", *SCENARIOS, "--reps", str(reps),
           "--set", f"population.consumers={consumers}", "--days", str(days), "--no-figures",
           "--out", str(work / "out"), *BACKENDS[name]]
    cpu0, t0 = children_cpu(), time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    shutil.rmtree(work, ignore_errors=True)
    if out.returncode != 0:
        raise SystemExit(f"bench_parallel: {' '.join(cmd)} failed:\n{out.stderr.strip()}")
    return {"backend": name, "wall_s": wall, "cpu_s": cpu}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--consumers", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--backends", default="serial,processes,dask")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    before = yardstick()
    rows = [bench_backend(b, a.reps, a.consumers, a.days) for b in a.backends.split(",")]
    after = yardstick()
    serial = next((r["wall_s"] for r in rows if r["backend"] == "serial"), None)
    for r in rows:
        r["speed_up"] = serial / r["wall_s"] if serial else None
    result = {"design": f"{len(SCENARIOS)} scenarios x {a.reps} reps x {a.consumers:,} consumers x {a.days} days",
              "yardstick_agent_steps_per_s": (before + after) / 2, "rows": rows}
    if a.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{result['design']} (yardstick {result['yardstick_agent_steps_per_s'] / 1e6:.2f} M agent-steps/s)")
    for r in rows:
        speed = f"{r['speed_up']:.2f}x" if r["speed_up"] else "-"
        print(f"  {r['backend']:>9}: wall {r['wall_s']:6.1f} s, cpu {r['cpu_s']:6.1f} s, speed-up {speed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
