"""Golden numbers: three small runs give exactly the summaries pinned in tests/golden/summary.json.

A refactor that should change nothing leaves them as they are. A commit that changes behaviour refreshes
them on purpose (`.venv/bin/python tests/golden/refresh.py`) and says why in its message.
"""

from golden.refresh import GOLDEN, pinned, same, summaries


def test_small_runs_give_the_pinned_summaries():
    golden, now = pinned(), summaries()
    assert sorted(now) == sorted(golden), f"golden scenarios changed: {sorted(golden)} -> {sorted(now)}"
    problems = []
    for name in golden:
        added, removed = sorted(set(now[name]) - set(golden[name])), sorted(set(golden[name]) - set(now[name]))
        if added or removed:
            problems.append(f"{name}: outcomes added {added}, removed {removed} "
                            f"({len(golden[name])} pinned, {len(now[name])} now)")
        for k in sorted(set(now[name]) & set(golden[name])):
            a, b = golden[name][k], now[name][k]
            if not same(a, b):
                rel = (b - a) / abs(a) if a else float("inf")
                problems.append(f"{name}.{k}: pinned {a!r}, now {b!r} ({rel:+.3g} relative)")
    assert not problems, (f"{len(problems)} outcomes moved from {GOLDEN.name}; if the change is meant, refresh it "
                          "(.venv/bin/python tests/golden/refresh.py) and say why in the commit message:\n"
                          + "\n".join(problems))
