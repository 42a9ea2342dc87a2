"""Cost of browsing (issue 22, `browsing.enabled`): seconds per recorded day of the baseline with browsing off
and on, in one process, in alternating blocks of days (run by hand).

Each size runs in a fresh process, which
1. measures the machine yardstick (a trivial Mesa agent step, `ptsim.bench.yardstick`, 10,000
   agents), before and after the timings;
2. builds two models of `scenarios/baseline.yaml` at the given number of consumers (1,000 stores, as in
   bench_scale.py), "off": `browsing.enabled=false` (the baseline before issue 22) and "on": the baseline
   (browsing on), each with its own
   short burn-in (`--burn-in` days, simulated: `cache=False`; browsing is not a lever, so it runs in the
   burn-in of the second model too, and its ties have settled for that long);
3. times the recorded days in CPU seconds (`time.process_time`), in `--repeat` rounds of `--block` days per
   model, in the order off, on / on, off / off, on ... so that a drift of the machine's speed falls on both.
A second fresh process (`--memory`, on by default) builds the browsing-on model alone, runs its burn-in and
`--block` recorded days, and reports its peak RSS (`resource.getrusage`): the peak of the first process holds
two models.

    taskset -c 0 .venv/bin/python benchmarks/bench_browsing.py                        # 100k and 1M
    taskset -c 0 .venv/bin/python benchmarks/bench_browsing.py --sizes 100000 --json
    taskset -c 0 .venv/bin/python benchmarks/bench_browsing.py --profile 100000       # cProfile of browse()
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import cProfile, importlib.util, json, pstats, resource, sys, time, warnings
consumers, burn_in, block, repeat = (int(x) for x in sys.argv[1:5])
mode = sys.argv[5]
spec = importlib.util.spec_from_file_location("bench_mesa_core", sys.argv[6])
mesa_core = sys.modules["bench_mesa_core"] = importlib.util.module_from_spec(spec); spec.loader.exec_module(mesa_core)
from ptsim import PrivateTrafficModel, load_scenario
def log(msg):
    print(f"  [{consumers:,}] {msg}", file=sys.stderr, flush=True)
BEFORE = {"browsing.enabled": False}     # the baseline before issue 22
def build(enabled):
    s = load_scenario(sys.argv[7], {"population.consumers": consumers, "run.burn_in_days": burn_in,
                                    "run.days": block * repeat + 2, "browsing.enabled": True,
                                    **({} if enabled else BEFORE)})
    t0 = time.process_time()
    m = PrivateTrafficModel(s, rng=1, cache=False, create_agents=False)
    log(f"built browsing {'on' if enabled else 'off'} with {burn_in} burn-in days: {time.process_time() - t0:.1f} s")
    return m, time.process_time() - t0
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with warnings.catch_warnings():
    warnings.simplefilter("ignore")          # a short burn-in is flagged as not yet steady
    if mode == "memory":
        m, build_s = build(True)
        t0 = time.process_time(); m.run(block); run_s = time.process_time() - t0
        print(json.dumps({"consumers": consumers, "build_cpu_s": build_s, "days": block,
                          "s_per_day": run_s / block, "peak_rss_mb": rss()}))
        sys.exit(0)
    if mode == "profile":
        m, _ = build(True)
        m.run(2)
        prof = cProfile.Profile(); prof.enable(); m.run(block * repeat); prof.disable()
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(60)
        sys.exit(0)
    yard0 = mesa_core.bench_yardstick(10_000, 100, seed=1)["agent_steps_per_s"]
    log(f"yardstick {yard0 / 1e6:.2f} M agent-steps/s")
    models = {"off": build(False)[0], "on": build(True)[0]}
    rss_built = rss()
    times = {"off": [], "on": []}
    for r in range(repeat):
        for arm in (("off", "on") if r % 2 == 0 else ("on", "off")):
            t0 = time.process_time(); models[arm].run(block); dt = time.process_time() - t0
            times[arm].append(dt / block)
            log(f"round {r + 1}/{repeat} browsing {arm}: {1e3 * dt / block:.1f} ms/day")
    yard1 = mesa_core.bench_yardstick(10_000, 100, seed=1)["agent_steps_per_s"]
    log(f"yardstick {yard1 / 1e6:.2f} M agent-steps/s")
    flows = models["on"].flows
print(json.dumps({"consumers": consumers, "burn_in_days": burn_in, "block_days": block, "repeat": repeat,
                  "s_per_day": times, "yardstick_agent_steps_per_s": [yard0, yard1],
                  "visits_last_day": flows.get("visits", 0), "peak_rss_mb_two_models": rss(),
                  "peak_rss_mb_after_build": rss_built}))
"""


def _child(consumers: int, burn_in: int, block: int, repeat: int, mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _CHILD, str(consumers), str(burn_in), str(block), str(repeat), mode,
                           str(ROOT / "benchmarks" / "bench_mesa_core.py"), str(ROOT / "scenarios" / "baseline.yaml")],
                          stdout=subprocess.PIPE, stderr=None, text=True, cwd=ROOT)


def bench_size(consumers: int, burn_in: int, block: int, repeat: int, memory: bool) -> dict:
    """One size: the A/B process, then (with `memory`) the browsing-on process alone for its peak RSS."""
    out = _child(consumers, burn_in, block, repeat, "ab")
    if out.returncode != 0:
        raise SystemExit(f"bench_browsing: the run at {consumers:,} consumers failed")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    off, on = (statistics.median(r["s_per_day"][arm]) for arm in ("off", "on"))
    # the ratio on/off round by round (each round holds one block of each, back to back)
    r["ratio_by_round"] = [b / a for a, b in zip(r["s_per_day"]["off"], r["s_per_day"]["on"])]
    r["off_s_per_day"], r["on_s_per_day"] = off, on
    r["ratio_on_off"] = statistics.median(r["ratio_by_round"])
    yard = statistics.mean(r["yardstick_agent_steps_per_s"])
    r["off_speed_over_yardstick"] = consumers / off / yard       # consumer-days per s over agent-steps per s
    r["on_speed_over_yardstick"] = consumers / on / yard
    if memory:
        out = _child(consumers, burn_in, block, 1, "memory")
        if out.returncode != 0:
            raise SystemExit(f"bench_browsing: the memory run at {consumers:,} consumers failed")
        mem = json.loads(out.stdout.strip().splitlines()[-1])
        r["peak_rss_mb_on_alone"] = mem["peak_rss_mb"]
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="consumer agents, comma-separated")
    ap.add_argument("--burn-in", type=int, default=90, help="burn-in days of each model (simulated, not cached)")
    ap.add_argument("--block", type=int, default=5, help="recorded days per model in a round")
    ap.add_argument("--repeat", type=int, default=4, help="rounds (each one block off and one block on)")
    ap.add_argument("--no-memory", dest="memory", action="store_false", help="skip the browsing-on process alone")
    ap.add_argument("--profile", type=int, metavar="CONSUMERS",
                    help="instead: cProfile block x repeat recorded days of the browsing-on model at this size")
    ap.add_argument("--json", action="store_true", help="print one JSON list instead of the table")
    a = ap.parse_args(argv)
    if a.profile:
        out = _child(a.profile, a.burn_in, a.block, a.repeat, "profile")
        print(out.stdout)
        return out.returncode
    rows = []
    if not a.json:
        print(f"{'consumers':>10} {'off s/day':>9} {'on s/day':>9} {'on/off':>7} {'rounds on/off':>28} "
              f"{'yardstick M/s':>13} {'off/yard':>8} {'on/yard':>8} {'RSS on MB':>9} {'RSS A/B MB':>10}", flush=True)
    for size in (int(x) for x in a.sizes.split(",")):
        print(f"... {size:,} consumers", file=sys.stderr, flush=True)
        r = bench_size(size, a.burn_in, a.block, a.repeat, a.memory)
        rows.append(r)
        if not a.json:
            rounds = " ".join(f"{x:.2f}" for x in r["ratio_by_round"])
            print(f"{size:>10,} {r['off_s_per_day']:>9.4f} {r['on_s_per_day']:>9.4f} {r['ratio_on_off']:>7.2f} "
                  f"{rounds:>28} {statistics.mean(r['yardstick_agent_steps_per_s']) / 1e6:>13.2f} "
                  f"{r['off_speed_over_yardstick']:>8.2f} {r['on_speed_over_yardstick']:>8.2f} "
                  f"{r.get('peak_rss_mb_on_alone', float('nan')):>9.0f} {r['peak_rss_mb_two_models']:>10.0f}",
                  flush=True)
    if a.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
