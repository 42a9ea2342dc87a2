"""How close the duration said before runs start (model/experiment/plan.py) comes to the wall time.

Runs a few commands as whole processes (a fresh cache each, so cold and cached burn-ins both occur) and
prints each one's estimate, its measured wall time and their ratio. The ratio is the figure to read: the
machine's speed cancels out of neither, so a busy machine shows ratios above 1.

    .venv/bin/python benchmarks/bench_estimate.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time

SMALL = ["--set", "population.consumers=2000", "--days", "30"]
CASES = [
    ("run, 2 cold burn-ins", ["run", "baseline", *SMALL, "--reps", "2"]),
    ("compare, 2 of 3 burn-ins cached", ["compare", "baseline", "wechat_open", *SMALL, "--reps", "3"]),
    ("run, 20,000 consumers x 120 days", ["run", "baseline", "--set", "population.consumers=20000", "--days", "120"]),
    ("compare, 5,000 x 60 days x 4 reps, 2 workers", ["compare", "baseline", "wechat_open", "--set",
                                                    "population.consumers=5000", "--days", "60", "--reps", "4",
                                                    "--workers", "2"]),
]
UNITS = {"s": 1, "min": 60, "h": 3600}


def main() -> None:
    env = {**os.environ, "PTSIM_CACHE": tempfile.mkdtemp(prefix="ptsim-bench-estimate-")}
    print(f"{'case':48} {'estimate':>9} {'measured':>9} {'ratio':>6}")
    for label, args in CASES:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "ptsim", *args, "--no-figures", "--out", f"{out}/x"],
                                  capture_output=True, text=True, env=env, check=True)
            wall = time.perf_counter() - start
        said = re.search(r"roughly (\d+) (s|min|h)", done.stderr)
        estimate = int(said.group(1)) * UNITS[said.group(2)]
        print(f"{label:48} {estimate:>8} s {wall:>8.1f} s {wall / estimate:>6.2f}")


if __name__ == "__main__":
    main()
