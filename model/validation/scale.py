"""Scale invariance: the same scenario at two numbers of consumer agents standing for the same real
population should give the same shares (95% intervals overlap) and the same GMV at real scale
(means within 3%), issue 9.

`size_checks` works on any two runs tables (one row per replication), so the verdict can be applied
to runs made elsewhere.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..outcomes import outcome
from ..stats import fmt, interval
from .core import BASELINE, Check, Context, load_scenario

SECTION = "scale"
SHARES = ("share_gmv_private", "leakage_ratio", "share_gmv_discounted", "active_share", "repurchase_rate_90d",
          "gini_merchant_gmv", "fan_return_visit_ratio", "member_aov_ratio")
GMV_TOLERANCE = 0.03


def welch(a, b) -> tuple[float, float]:
    """95% Welch interval of mean(b) - mean(a) (NaN with fewer than two values on a side)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size < 2 or b.size < 2:
        return float("nan"), float("nan")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    return float(ci.low), float(ci.high)


def _kind(name: str) -> str:
    return "pct" if outcome(name).unit == "share" else ("bn" if outcome(name).unit == "yuan" else "x")


def size_checks(small: pd.DataFrame, large: pd.DataFrame, labels: tuple[str, str], command: str,
                setting: str) -> list[Check]:
    """Verdicts on two runs tables of the same scenario at two agent counts: each share passes when
    the two 95% intervals overlap; gmv_total when the means agree within 3%."""
    rows = []
    for name in SHARES + ("gmv_total",):
        a, b = small[name].to_numpy(float), large[name].to_numpy(float)
        (ma, la, ha), (mb, lb, hb) = interval(a), interval(b)
        dlo, dhi = welch(a, b)
        kind = _kind(name)
        value = (f"{labels[0]}: {fmt(ma, la, ha, kind)}; {labels[1]}: {fmt(mb, lb, hb, kind)}; difference "
                 f"{fmt(mb - ma, dlo, dhi, kind)}")
        numbers = {"small": (ma, la, ha), "large": (mb, lb, hb), "difference": (mb - ma, dlo, dhi)}
        if name == "gmv_total":
            rel = mb / ma - 1.0 if ma else float("nan")
            value += f" ({fmt(rel, dlo / ma if ma else None, dhi / ma if ma else None, 'pct')})"
            numbers["relative"] = rel
            rows.append(Check(SECTION, name, f"means within {GMV_TOLERANCE:.0%} (issue 9)", value,
                              f"on-platform GMV at real scale over the recorded days, {labels[1]} vs {labels[0]} "
                              f"agents (relative difference with Welch 95% interval); {setting}",
                              bool(np.isfinite(rel) and abs(rel) < GMV_TOLERANCE), command, numbers))
        else:
            rows.append(Check(SECTION, name, "95% intervals overlap (issue 9)", value,
                              f"run summary of `{name}`, {labels[1]} minus {labels[0]} agents (Welch 95% "
                              f"interval); {setting}", bool(la <= hb and lb <= ha), command, numbers))
    return rows


def scale_figure(small: pd.DataFrame, large: pd.DataFrame, labels: tuple[str, str]):
    import matplotlib.pyplot as plt
    names = SHARES + ("gmv_total",)
    fig, axes = plt.subplots(3, 3, figsize=(10, 7))
    for ax, name in zip(axes.ravel(), names):
        factor = {"pct": 100.0, "bn": 1e-9, "x": 1.0}[_kind(name)]
        for i, runs in enumerate((small, large)):
            m, lo, hi = (v * factor for v in interval(runs[name]))
            ax.errorbar([i], [m], yerr=[[m - lo], [hi - m]], fmt="o", color=f"C{i}", capsize=4)
        ax.set_xticks([0, 1], [f"{labels[0]} agents", f"{labels[1]} agents"], fontsize=8)
        ax.set_xlim(-0.6, 1.6)
        unit = {"pct": "%", "bn": "bn yuan"}.get(_kind(name), outcome(name).unit)
        ax.set_title(f"{name} ({unit})", fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle("Scale invariance: mean and 95% interval over replications")
    fig.tight_layout()
    return fig


def scale(ctx: Context) -> list[Check]:
    s = ctx.size
    small_s = ctx.baseline()
    large_s = load_scenario(BASELINE, ctx.baseline_overrides(s.large_consumers))
    small = ctx.replications({"baseline": small_s}, s.reps, small_s.run.seed, share=(0.0, 0.25)).ok
    large = ctx.replications({"baseline": large_s}, s.reps, large_s.run.seed, share=(0.25, 1.0)).ok
    labels = (f"{s.consumers:,}", f"{s.large_consumers:,}")
    setting = (f"baseline at {labels[0]} and {labels[1]} consumer agents standing for the same 1 bn buyers, "
               f"{s.merchants:,} stores, {s.reps} replications each")
    ctx.figure(SECTION, "fig_scale", "Scale invariance: the eight shares and GMV at two numbers of agents",
               lambda: scale_figure(small, large, labels))
    return size_checks(small, large, labels, ctx.command("scale"), setting)
