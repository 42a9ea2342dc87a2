"""Benchmark: one replication of the baseline, timed in a fresh process (peak memory is that
process's maximum resident set)."""

from __future__ import annotations

import json
import subprocess
import sys

_CHILD = r"""
import json, resource, sys, tempfile, time
from ptsim import load_scenario, PrivateTrafficModel
from ptsim.scenario import library
consumers, days, warm = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "warm"
s = load_scenario(library()["baseline"], {"population.consumers": consumers, "run.days": days})   # from any folder
cache = tempfile.mkdtemp(prefix="ptsim-bench-") if warm else False
if warm:
    PrivateTrafficModel(s, rng=1, create_agents=False, cache=cache)     # fills the cache, not timed
t0 = time.perf_counter()
m = PrivateTrafficModel(s, rng=1, cache=cache)
t1 = time.perf_counter()
m.run()
t2 = time.perf_counter()
print(json.dumps({"init_s": t1 - t0, "run_s": t2 - t1, "burn_in_days": s.run.burn_in_days,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_one(consumers: int, days: int, warm: bool = False) -> dict:
    """One run in a fresh process: burn-in simulated (cold) or loaded from a warm-state cache (warm)."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(consumers), str(days), "warm" if warm else "cold"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_baseline(consumers: int = 100_000, days: int = 365, repeat: int = 1):
    """Yield report lines: wall time of build + burn-in + run, consumer-days per second, peak RSS."""
    best = min((bench_one(consumers, days) for _ in range(repeat)), key=lambda r: r["init_s"] + r["run_s"])
    simulated = days + best["burn_in_days"]
    wall = best["init_s"] + best["run_s"]
    yield f"baseline: {consumers:,} consumers x {days} days (+{best['burn_in_days']} burn-in days)"
    yield f"  build + burn-in {best['init_s']:.2f} s, recorded days {best['run_s']:.2f} s, total {wall:.2f} s"
    yield f"  {consumers * simulated / wall / 1e6:.2f} M consumer-days per second (all simulated days)"
    yield f"  peak memory {best['peak_rss_mb']:.0f} MB"
    warm = min((bench_one(consumers, days, warm=True) for _ in range(repeat)), key=lambda r: r["init_s"] + r["run_s"])
    yield (f"  with the burn-in from the warm-state cache (other arms and reruns): build {warm['init_s']:.2f} s, "
           f"total {warm['init_s'] + warm['run_s']:.2f} s")
