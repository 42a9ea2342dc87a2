"""Scale series: one replication of the baseline at 10k, 100k, 300k and 1M consumer agents (run by hand).

Each size runs in a fresh process (so peak memory is that run's own) and measures, in CPU seconds of
that process: a machine yardstick (a trivial Mesa agent step, `ptsim.bench.yardstick`, at a
fixed 10,000 agents), then the build (population, ranking spin-up, reference prices, `--burn-in` days of
the status quo, simulated: no warm-state cache) and the `--days` recorded days of `scenarios/baseline.yaml`.
Consumer-days per second count every simulated day, burn-in included.

    taskset -c 0 .venv/bin/python benchmarks/bench_scale.py                 # 10k, 100k, 300k, 1M x (365 + 365)
    taskset -c 0 .venv/bin/python benchmarks/bench_scale.py --sizes 100000 --json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import importlib.util, json, resource, sys, time, warnings
consumers, burn_in, days = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
spec = importlib.util.spec_from_file_location("bench_mesa_core", sys.argv[4])
mesa_core = sys.modules["bench_mesa_core"] = importlib.util.module_from_spec(spec); spec.loader.exec_module(mesa_core)
yard = mesa_core.bench_yardstick(10_000, 100, seed=1)
from ptsim import PrivateTrafficModel, load_scenario
s = load_scenario(sys.argv[5], {"population.consumers": consumers, "run.burn_in_days": burn_in, "run.days": days})
with warnings.catch_warnings():
    warnings.simplefilter("ignore")          # a one-year burn-in may be flagged as not yet steady
    t0 = time.process_time()
    m = PrivateTrafficModel(s, rng=1, cache=False)
    t1 = time.process_time()
    m.run()
    t2 = time.process_time()
print(json.dumps({"consumers": consumers, "burn_in_days": burn_in, "days": days, "build_cpu_s": t1 - t0,
                  "run_cpu_s": t2 - t1, "yardstick_agent_steps_per_s": yard["agent_steps_per_s"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_size(consumers: int, burn_in: int, days: int) -> dict:
    """One size in a fresh process; adds consumer-days per second and the ratio to the yardstick."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(consumers), str(burn_in), str(days),
                          str(ROOT / "benchmarks" / "bench_mesa_core.py"), str(ROOT / "scenarios" / "baseline.yaml")],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"bench_scale: the run at {consumers:,} consumers failed:\n{out.stderr.strip()}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    cpu = r["build_cpu_s"] + r["run_cpu_s"]
    r["total_cpu_s"] = cpu
    r["consumer_days_per_s"] = consumers * (burn_in + days) / cpu
    r["us_per_consumer_day"] = 1e6 / r["consumer_days_per_s"]
    r["ratio_to_yardstick"] = r["consumer_days_per_s"] / r["yardstick_agent_steps_per_s"]
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,300000,1000000", help="consumer agents, comma-separated")
    ap.add_argument("--burn-in", type=int, default=365, help="burn-in days (simulated, not cached)")
    ap.add_argument("--days", type=int, default=365, help="recorded days")
    ap.add_argument("--json", action="store_true", help="print one JSON list instead of the table")
    a = ap.parse_args(argv)
    rows = []
    if not a.json:
        print(f"{'consumers':>10} {'build s':>8} {'run s':>8} {'total s':>8} {'M c-d/s':>8} {'us/c-d':>7} "
              f"{'yardstick M/s':>13} {'ratio':>6} {'peak MB':>8}")
    for size in (int(x) for x in a.sizes.split(",")):
        r = bench_size(size, a.burn_in, a.days)
        rows.append(r)
        if not a.json:
            print(f"{size:>10,} {r['build_cpu_s']:>8.1f} {r['run_cpu_s']:>8.1f} {r['total_cpu_s']:>8.1f} "
                  f"{r['consumer_days_per_s'] / 1e6:>8.2f} {r['us_per_consumer_day']:>7.3f} "
                  f"{r['yardstick_agent_steps_per_s'] / 1e6:>13.2f} {r['ratio_to_yardstick']:>6.2f} "
                  f"{r['peak_rss_mb']:>8.0f}", flush=True)
    if a.json:
        print(json.dumps(rows, indent=1))
    elif len(rows) > 1:
        small = min(rows, key=lambda r: abs(r["consumers"] - 100_000))
        large = max(rows, key=lambda r: r["consumers"])
        print(f"cost per consumer-day at {large['consumers']:,} over that at {small['consumers']:,}: "
              f"{large['us_per_consumer_day'] / small['us_per_consumer_day']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
