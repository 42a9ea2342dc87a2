"""Question 2's precision: the paired replications a pilot says are needed to resolve an effect (its 95%
interval excludes 0) or to bound it below one point, and which of the two the final interval achieves."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

LEVEL, POWER = 0.95, 0.80


def needed(values, bound: float = 1.0) -> dict:
    """From pilot paired differences (points): pairs for an 80% chance that the 95% interval excludes 0 (`resolve`)
    or lies within +-bound (`bound`) were the pilot's mean and sd the truth; `n` the smaller, `aim` which."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    m, s = float(abs(v.mean())), float(v.std(ddof=1))
    z = stats.norm.ppf(0.5 + LEVEL / 2) + stats.norm.ppf(POWER)

    def pairs(margin: float) -> float:
        if margin <= 0:
            return math.inf
        return float(max(2, math.ceil((z * s / margin) ** 2))) if s > 0 else 2.0
    out = {"pilot_pairs": int(v.size), "pilot_mean": float(v.mean()), "pilot_sd": s,
           "resolve": pairs(m), "bound": pairs(bound - m)}
    out["aim"] = "resolve" if out["resolve"] <= out["bound"] else "bound"
    out["n"] = min(out["resolve"], out["bound"])
    return out


def verdict(mean: float, low: float, high: float, bound: float = 1.0) -> tuple[str, str]:
    """('resolved' | 'bounded' | 'neither', a sentence) for a 95% interval in points (or pp)."""
    below = f"within +-{bound:g} point" if -bound < low and high < bound else ""
    edge = max(abs(low), abs(high))
    if low > 0 or high < 0:
        extra = f" and below {bound:g} point in size (|effect| < {edge:.2f})" if below else ""
        return "resolved", f"resolved: the 95% interval [{low:+.2f}, {high:+.2f}] excludes 0{extra}"
    if below:
        return "bounded", (f"bounded below {bound:g} point: not resolved from 0, but the 95% interval "
                           f"[{low:+.2f}, {high:+.2f}] puts |effect| below {edge:.2f}")
    return "neither", (f"neither resolved nor bounded below {bound:g} point: the 95% interval [{low:+.2f}, "
                       f"{high:+.2f}] crosses 0 and reaches beyond +-{bound:g}")
