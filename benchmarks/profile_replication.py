"""Where a replication's time goes (run by hand, one core): the build split into the ranking spin-up and the
rest (reference prices and the burn-in), the recorded days, and cProfile's top functions of the recorded days.

    taskset -c 0 .venv/bin/python benchmarks/profile_replication.py --consumers 20000
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
import warnings

from ptsim import PrivateTrafficModel, load_scenario
from ptsim.submodels import ranking


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--consumers", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--top", type=int, default=30, help="cProfile rows (cumulative time)")
    a = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    s = load_scenario("baseline", {"population.consumers": a.consumers, "run.days": a.days})
    spun = {}
    original = ranking.spin_up

    def timed(model, cls):
        t = time.process_time()
        original(model, cls)
        spun["s"] = time.process_time() - t

    ranking.spin_up = timed
    t0 = time.process_time()
    m = PrivateTrafficModel(s, rng=1, cache=False, create_agents=False)
    t1 = time.process_time()
    ranking.spin_up = original
    profile = cProfile.Profile()
    profile.enable()
    m.run()
    profile.disable()
    t2 = time.process_time()
    print(f"{a.consumers:,} consumers: build {t1 - t0:.2f} CPU s (ranking spin-up {spun.get('s', 0):.2f} s, "
          f"reference prices and the {s.run.burn_in_days}-day burn-in {t1 - t0 - spun.get('s', 0):.2f} s); "
          f"{a.days} recorded days {t2 - t1:.2f} s ({(t2 - t1) / a.days * 1000:.2f} ms a day); total {t2 - t0:.2f} s")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(a.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
