"""Benchmarks: one replication of the baseline timed in a fresh process (`bench_baseline`), and the
speed figures the repository records (`FIGURES`), each measured in a fresh process as consumer-days per
CPU second over a yardstick run in the same process (a trivial Mesa agent step), so that machines of
different speed compare; `check` compares the current figures with the recorded ones (`ptsim bench
--check`, a guard to run by hand before a release, never a timed test)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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


# ----------------------------------------------------------------------------- recorded figures
FIGURES_FILE = Path(__file__).resolve().parent.parent / "benchmarks" / "figures.json"   # in a checkout
TOLERANCE = 1.5             # --check fails when a figure's ratio to the yardstick is this much worse


@dataclass(frozen=True)
class Figure:
    """One speed figure: a baseline run at `consumers` with a `burn_in`-day burn-in (its own spin-up when
    the scenario's rule gives one) and `days` recorded days, timed over `timed` (the whole replication,
    build and burn-in included, or the recorded days only)."""
    name: str
    what: str
    consumers: int
    burn_in: int | None          # None: the scenario's own (1,095 days, with the ranking spin-up)
    days: int
    timed: str                   # "replication" or "recorded"
    large: bool = False          # minutes and GB: only with --large


FIGURES = (
    Figure("replication_20k", "one 20,000-consumer replication of the baseline, its own burn-in (spin-up "
           "included) and 365 recorded days, cold cache", 20_000, None, 365, "replication"),
    Figure("recorded_100k", "recorded days at 100,000 consumers (60-day burn-in, 30 recorded days)",
           100_000, 60, 30, "recorded"),
    Figure("recorded_1m", "recorded days at 1,000,000 consumers (30-day burn-in, 10 recorded days)",
           1_000_000, 30, 10, "recorded", large=True),
)

_FIGURE_CHILD = r"""
import json, resource, sys, time, warnings
from ptsim import load_scenario, PrivateTrafficModel
from ptsim.bench import yardstick
from ptsim.scenario import library
consumers, burn_in, days, timed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
over = {"population.consumers": consumers, "run.days": days}
if burn_in != "own":
    over["run.burn_in_days"] = int(burn_in)
s = load_scenario(library()["baseline"], over)
yard0 = yardstick()
warnings.simplefilter("ignore")
t0 = time.process_time()
m = PrivateTrafficModel(s, rng=1, cache=False, create_agents=False)
t1 = time.process_time()
m.run()
t2 = time.process_time()
yard1 = yardstick()
simulated = s.run.burn_in_days + days if timed == "replication" else days
seconds = t2 - t0 if timed == "replication" else t2 - t1
print(json.dumps({"cpu_s": seconds, "consumer_days_per_s": consumers * simulated / seconds,
                  "yardstick_agent_steps_per_s": (yard0 + yard1) / 2, "burn_in_days": s.run.burn_in_days,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _trivial_model():
    """The yardstick's model class (Mesa imported on first use): N agents, each step adds one to a counter."""
    import mesa

    class Counter(mesa.Agent):
        def __init__(self, model):
            super().__init__(model)
            self.count = 0

        def step(self):
            self.count += 1

    class TrivialModel(mesa.Model):
        def __init__(self, n: int, rng=None):
            super().__init__(rng=rng)
            Counter.create_agents(self, n)

        def step(self):
            self.agents.shuffle_do("step")

    return TrivialModel


def yardstick_run(agents: int = 10_000, steps: int = 100, seed: int = 1) -> dict:
    """The machine's speed: a trivial Mesa model whose agents each add one to a counter per step (every
    agent stepped in random order, Mesa's `shuffle_do`); agent-steps per CPU second."""
    import time
    model = _trivial_model()(agents, rng=seed)
    t0 = time.process_time()
    for _ in range(steps):
        model.step()
    cpu = time.process_time() - t0
    assert sum(a.count for a in model.agents) == agents * steps
    return {"agents": agents, "steps": steps, "run_cpu_s": cpu, "agent_steps_per_s": agents * steps / cpu}


def yardstick(agents: int = 10_000, steps: int = 100, seed: int = 1) -> float:
    """Agent-steps per CPU second of the trivial Mesa model (`yardstick_run`)."""
    return yardstick_run(agents, steps, seed)["agent_steps_per_s"]


def measure(figure: Figure) -> dict:
    """One figure in a fresh process: CPU seconds, consumer-days per CPU second, the yardstick (the mean of
    one run before and one after), their ratio, peak RSS."""
    burn = "own" if figure.burn_in is None else str(figure.burn_in)
    out = subprocess.run([sys.executable, "-c", _FIGURE_CHILD, str(figure.consumers), burn, str(figure.days),
                          figure.timed], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["ratio"] = r["consumer_days_per_s"] / r["yardstick_agent_steps_per_s"]
    return r


def read_figures(path: Path | None = None) -> dict:
    """The recorded figures (`benchmarks/figures.json` of a checkout, or `path`)."""
    path = Path(path) if path else FIGURES_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no recorded speed figures (they live in the repository's "
                                "benchmarks/figures.json; give --figures PATH, or record them with --record)")
    try:
        doc = json.loads(path.read_text())
        return {name: float(f["ratio"]) for name, f in doc["figures"].items()} | {"_doc": doc}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a figures file (figures: {{name: {{ratio: number, ...}}}}): {exc}") from None


def compare_figures(current: dict[str, float], recorded: dict[str, float], tolerance: float = TOLERANCE):
    """Per figure measured now: (name, recorded ratio, current ratio, current / recorded, worse than the
    tolerance). A figure not recorded is reported without a verdict (None)."""
    rows = []
    for name, now in current.items():
        was = recorded.get(name)
        if was is None or not was:
            rows.append((name, None, now, None, None))
            continue
        rows.append((name, was, now, now / was, now * tolerance < was))
    return rows


def run_figures(large: bool = False, progress=None) -> dict[str, dict]:
    """Measure every figure (those marked large only with `large`)."""
    out = {}
    for f in FIGURES:
        if f.large and not large:
            continue
        if progress:
            progress(f)
        out[f.name] = measure(f)
    return out


def record(results: dict[str, dict], path: Path | None = None, command: str = "ptsim bench --record") -> Path:
    """Write the measured figures as the repository's record (with the date, command and commit)."""
    path = Path(path) if path else FIGURES_FILE
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parent).stdout.strip()
    except OSError:
        commit = ""
    old = json.loads(path.read_text()) if path.is_file() else {"figures": {}}
    figures = dict(old.get("figures", {}))
    for f in FIGURES:
        if f.name in results:
            figures[f.name] = {"what": f.what, **{k: round(v, 6) if isinstance(v, float) else v
                                                  for k, v in results[f.name].items()}}
    doc = {"about": "speed figures of the repository: consumer-days per CPU second over the yardstick (a "
                    "trivial Mesa agent step, agent-steps per CPU second, measured in the same process); "
                    "`ptsim bench --check` fails when a figure is more than 1.5x worse",
           "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "commit": commit, "command": command, "figures": figures}
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path
