"""Cost of the order log (issue 20, `--orders`): one replication of the baseline without the log and with
it (written to a Parquet file as the run goes), and optionally the same run in another version of the code
(`--before`, a folder holding that version's `model/`), each in a fresh process, in turns.

Each process loads the burn-in from a warm-state cache of its version (filled first, not timed), measures the
machine yardstick (a trivial Mesa agent step, `ptsim.bench.yardstick`), then the recorded days
in CPU seconds (`time.process_time`; with the log, its close included) and the process's peak RSS.

    git archive 685e4cd model | tar -x -C /tmp/ptsim-before      # the code before the order log
    taskset -c 0 .venv/bin/python benchmarks/bench_orders.py --before /tmp/ptsim-before
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import importlib.util, json, os, resource, sys, time, warnings
consumers, days, mode, cache, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
spec = importlib.util.spec_from_file_location("bench_mesa_core", sys.argv[6])
mesa_core = sys.modules["bench_mesa_core"] = importlib.util.module_from_spec(spec); spec.loader.exec_module(mesa_core)
from ptsim import PrivateTrafficModel, load_scenario
s = load_scenario(sys.argv[7], {"population.consumers": consumers, "run.days": days})
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    m = PrivateTrafficModel(s, rng=1, cache=cache, create_agents=False)
    if mode == "fill":
        print(json.dumps({"filled": True})); sys.exit(0)
    yard = mesa_core.bench_yardstick(10_000, 100, seed=1)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if mode == "on":
        from ptsim import order_log
        logger = order_log.attach(m, log, "p0000-r00")
    t0, w0 = time.process_time(), time.perf_counter()
    m.run()
    rows = size = 0
    if mode == "on":
        logger.close()
        rows, size = logger.rows, os.path.getsize(log)
    t1, w1 = time.process_time(), time.perf_counter()
print(json.dumps({"mode": mode, "run_cpu_s": t1 - t0, "run_wall_s": w1 - w0, "from_cache": bool(m.warm_from_cache),
                  "yardstick_agent_steps_per_s": yard["agent_steps_per_s"], "rss_before_run_mb": rss0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "orders": rows, "file_mb": size / 1e6, "gmv_total": m.summary()["gmv_total"],
                  "module": sys.modules["ptsim"].__file__}))
"""


def child(code: Path | None, mode: str, consumers: int, days: int, cache: str, log: str) -> dict:
    """One process of `mode` (fill, off, on) with the package at `code` (a folder with model/) or this checkout."""
    env = dict(os.environ)
    if code is not None:
        link = Path(tempfile.mkdtemp(prefix="ptsim-bench-path-"))
        (link / "ptsim").symlink_to(code / "model")
        env["PYTHONPATH"] = str(link)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(consumers), str(days), mode, cache, log,
                          str(ROOT / "benchmarks" / "bench_mesa_core.py"), str(ROOT / "scenarios" / "baseline.yaml")],
                         capture_output=True, text=True, cwd=tempfile.gettempdir(), env=env)
    if out.returncode != 0:
        raise SystemExit(f"bench_orders: {mode} failed:\n{out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--consumers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=3, help="turns of each mode")
    ap.add_argument("--before", type=Path, help="a folder holding another version's model/ (e.g. git archive)")
    ap.add_argument("--no-log", action="store_true", help="only the runs without the log (before and now)")
    a = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="ptsim-bench-orders-"))
    versions = {"before": a.before.resolve()} if a.before else {}
    versions["now"] = None
    caches = {v: str(work / f"cache-{v}") for v in versions}
    for v, code in versions.items():
        child(code, "fill", a.consumers, a.days, caches[v], "")
    modes = [("before", "off")] * bool(a.before) + [("now", "off")] + [("now", "on")] * (not a.no_log)
    results: dict[str, list[dict]] = {f"{v} {m}": [] for v, m in modes}
    for turn in range(a.repeat):
        for v, m in modes:
            log = str(work / f"orders-{turn}.parquet")
            r = child(versions[v], m, a.consumers, a.days, caches[v], log)
            r["cd_per_s_ratio"] = a.consumers * a.days / r["run_cpu_s"] / r["yardstick_agent_steps_per_s"]
            results[f"{v} {m}"].append(r)
            Path(log).unlink(missing_ok=True)
            print(json.dumps({"turn": turn, "version": v, **r}), flush=True)
    print(f"\n{a.consumers:,} consumers x {a.days} recorded days (burn-in from the cache), median of {a.repeat}:")
    if a.before:
        pairs = [n["cd_per_s_ratio"] / b["cd_per_s_ratio"] for b, n in zip(results["before off"], results["now off"])]
        print("now off / before, each turn (consumer-days per CPU second over the yardstick): "
              + ", ".join(f"{p:.3f}" for p in pairs) + f"; mean {statistics.mean(pairs):.3f}"
              + (f", sd {statistics.stdev(pairs):.3f}" if len(pairs) > 1 else ""))
    print(f"{'':>12} {'run cpu s':>10} {'yardstick M/s':>14} {'ratio':>7} {'peak MB':>8} {'orders':>11} {'file MB':>8}")
    for key, rs in results.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("run_cpu_s", "yardstick_agent_steps_per_s",
                                                                 "cd_per_s_ratio", "peak_rss_mb", "orders", "file_mb")}
        print(f"{key:>12} {med['run_cpu_s']:>10.2f} {med['yardstick_agent_steps_per_s'] / 1e6:>14.2f} "
              f"{med['cd_per_s_ratio']:>7.3f} {med['peak_rss_mb']:>8.0f} {med['orders']:>11,.0f} "
              f"{med['file_mb']:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
