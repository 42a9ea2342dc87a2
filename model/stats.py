"""Numbers about numbers: summaries over replications, intervals, ratios, concentration, and numbers as text.

The ground floor: numpy and scipy only, nothing of the simulation, so figures, reports and the
calibration can share them.
"""

import math

import numpy as np


# ------------------------------------------------------------------------------ summaries, intervals
def summarise(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t-interval of replications (interval collapses to the mean for one run)."""
    from scipy import stats
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if values.size < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    return mean, mean - half, mean + half


def interval(values) -> tuple[float, float, float]:
    """Mean and 95% t-interval over replications (`summarise`)."""
    return summarise(np.asarray(values, dtype=float))


# ------------------------------------------------------------------------------ ratios, concentration
def concentration(values: np.ndarray) -> tuple[float, float, float]:
    """HHI, Gini and top-1% share of a non-negative vector (zeros if it sums to zero)."""
    total = values.sum()
    if total <= 0:
        return 0.0, 0.0, 0.0
    share = values / total
    hhi = float(np.square(share).sum())
    x = np.sort(values)
    n = x.size
    gini = float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))
    k = max(1, int(np.ceil(0.01 * n)))
    top = float(x[-k:].sum() / total)
    return hhi, gini, top


def ratio(*parts: float) -> float:
    """a / b, or (a / b) / (c / d); 0 where a denominator is 0."""
    if len(parts) == 2:
        a, b = parts
        return float(a / b) if b > 0 else 0.0
    a, b, c, d = parts
    inner = ratio(c, d)
    return ratio(a, b) / inner if inner > 0 else 0.0


# ------------------------------------------------------------------------------ numbers as text
MISSING = "–"           # a number that does not exist (a difference in % of a reference mean of 0)
BELOW_ZERO = "†"        # marks an interval of a non-negative outcome that reaches below zero
BELOW_ZERO_NOTE = f"{BELOW_ZERO} interval reaches below 0, which the outcome cannot: too few replications"


def fmt(mean: float, low: float | None = None, high: float | None = None, kind: str = "x") -> str:
    """'mean [low, high]' in display units: kind 'pct' (fractions shown in %), 'M' (millions),
    'bn' (billions), 'x' (a plain number)."""
    factor, suffix = {"pct": (100.0, "%"), "M": (1e-6, "M"), "bn": (1e-9, " bn"), "x": (1.0, "")}[kind]
    if mean is None or not math.isfinite(mean):
        return "undefined (a zero denominator)" if mean is not None and math.isnan(mean) else str(mean)
    vals = [v * factor if v is not None else None for v in (mean, low, high)]
    half = (vals[2] - vals[1]) / 2 if vals[1] is not None and vals[2] is not None else 0.0
    ref = abs(half) if half > 0 else abs(vals[0])
    digits = (3 if not math.isfinite(ref) or ref == 0
              else int(min(5, max(0, -math.floor(math.log10(ref)) + (1 if half > 0 else 2)))))
    text = f"{vals[0]:,.{digits}f}{suffix}"
    if vals[1] is not None and half > 0:
        text += f" [{vals[1]:,.{digits}f}, {vals[2]:,.{digits}f}]"
    return text


def _decimals(mean: float, half: float, digits: int) -> int:
    """Decimals that show an interval's half-width to about two significant digits (or the mean
    to `digits` significant digits when there is no interval)."""
    ref = abs(half) if np.isfinite(half) and half > 0 else abs(mean)
    if not np.isfinite(ref) or ref == 0:
        return 0
    return int(min(6, max(0, -np.floor(np.log10(ref)) + (1 if half > 0 else digits - 1))))


def interval_text(mean: float, low: float, high: float, n: int = 2, digits: int = 3, sign: bool = False,
                  bounded: bool = False) -> str:
    """'mean [low, high]' rounded to the interval's precision, the mean alone for fewer than two
    replications, `MISSING` for no number. `sign` writes + on positive numbers; `bounded` (a
    non-negative outcome) marks an interval reaching below 0 with `BELOW_ZERO`."""
    if not np.isfinite(mean):
        return MISSING
    interval = n > 1 and np.isfinite(low) and np.isfinite(high)
    k = _decimals(mean, (high - low) / 2 if interval else 0.0, digits)
    spec = f"{'+' if sign else ''},.{k}f"
    text = f"{mean:{spec}}"
    if not interval:
        return text
    return f"{text} [{low:{spec}}, {high:{spec}}]" + (BELOW_ZERO if bounded and low < 0 else "")
