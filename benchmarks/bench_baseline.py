"""Benchmark one replication of the baseline (run by hand: `python benchmarks/bench_baseline.py`,
or `ptsim bench`). Prints wall time, consumer-days per second and peak memory."""

import argparse

from ptsim.bench import bench_baseline

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--consumers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    for line in bench_baseline(a.consumers, a.days, a.repeat):
        print(line)
