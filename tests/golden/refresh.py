"""The golden runs and the script that refreshes their pinned summaries, on purpose only.

    .venv/bin/python tests/golden/refresh.py

Run it in the commit that changes behaviour, and say in the commit message why the numbers moved. A commit
that should change nothing (a move, a rename) leaves summary.json as it is: tests/test_golden.py fails on it.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "summary.json"
SEED = 20

# three small worlds that between them run every source of purchases: touches, insider invitations,
# WeChat messages and diversion (baseline), WeChat direct and share-to-unlock (wechat_open), group joins
# from exposure (group_entry_open); the recorded days start on 28 October, so Double 11 (deferred needs,
# festival reactivation) and two month ends (adaptation, diversion decisions) fall inside them
SIZE = {"population.consumers": 3000, "population.merchants": 60, "run.days": 60, "run.burn_in_days": 60,
        "run.start_day_of_year": 300}
SCENARIOS = ("baseline", "wechat_open", "group_entry_open")


def summaries() -> dict[str, dict[str, float]]:
    """Each golden scenario's `summary()`, simulated afresh (no warm-state cache)."""
    from ptsim import PrivateTrafficModel, load_scenario
    from ptsim.scenario import library

    out = {}
    for name in SCENARIOS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")         # a 60-day burn-in is not steady; that is not the point here
            model = PrivateTrafficModel(load_scenario(library()[name], SIZE), rng=SEED, cache=False,
                                        create_agents=False)
            model.run()
        out[name] = {k: float(v) for k, v in model.summary().items()}
    return out


def pinned() -> dict[str, dict[str, float]]:
    """The summaries pinned in summary.json."""
    return json.loads(GOLDEN.read_text())["summaries"]


def same(a: float, b: float) -> bool:
    """Exactly equal, NaN equal to NaN."""
    return a == b or (math.isnan(a) and math.isnan(b))


def main() -> None:
    old = pinned() if GOLDEN.exists() else {}
    new = summaries()
    GOLDEN.write_text(json.dumps({"seed": SEED, "size": SIZE, "summaries": new}, indent=1) + "\n")
    for name, outcomes in new.items():
        if name not in old:
            print(f"{name}: {len(outcomes)} outcomes pinned")
            continue
        moved = [k for k, v in outcomes.items() if k not in old[name] or not same(old[name][k], v)]
        print(f"{name}: {len(moved)} of {len(outcomes)} outcomes changed" + (f" ({', '.join(moved)})" if moved else ""))
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
