"""Steady state: with seasonality off (and without the baseline's timeline, the world's trends), the
baseline's relationship stocks and leakage share should not drift over the recorded year
(issue 9: less than 3% between the first and the last 90 days).

`relative_changes` and `drift_checks` work on any timeseries table (run_id, day, outcomes), so the
same verdict can be applied to runs made elsewhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import fmt, interval
from .core import Check, Context

SECTION = "steady_state"
STOCKS = ("n_fans", "n_members", "n_group_members", "n_wechat_community")
TOLERANCE = 0.03


def _leakage_share(t: pd.DataFrame) -> float:
    total = t["gmv_total"].sum()
    return float(t["gmv_offplatform"].sum() / total) if total > 0 else float("nan")


def _change(last: float, first: float) -> float:
    return last / first - 1.0 if first and np.isfinite(first) else float("nan")


def relative_changes(timeseries: pd.DataFrame, window: int = 90) -> pd.DataFrame:
    """Per run (index run_id): mean over the last `window` days over the mean over the first, minus 1,
    for each stock and n_vip; for `leakage_share` the ratio of the windows' sum of gmv_offplatform
    over sum of gmv_total."""
    rows = {}
    for rid, t in timeseries.groupby("run_id", sort=True):
        t = t.sort_values("day")
        if len(t) < 2 * window:
            raise ValueError(f"run {rid}: {len(t)} recorded days, need at least {2 * window} (two windows)")
        first, last = t.iloc[:window], t.iloc[-window:]
        row = {s: _change(float(last[s].mean()), float(first[s].mean())) for s in STOCKS + ("n_vip",)}
        row["leakage_share_first"], row["leakage_share_last"] = _leakage_share(first), _leakage_share(last)
        row["leakage_share"] = _change(row["leakage_share_last"], row["leakage_share_first"])
        for w, part in (("first", first), ("last", last)):
            row[f"offplatform_{w}"], row[f"total_{w}"] = part["gmv_offplatform"].sum(), part["gmv_total"].sum()
        rows[rid] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def pooled_leakage_change(changes: pd.DataFrame, seed: int = 0) -> tuple[float, float, float]:
    """Relative change of the leakage share pooled over replications (sum of leakage over sum of GMV in each
    window), with a 95% bootstrap interval over replications. Leakage rests on a few diverting stores, so
    one run's share can be near zero in a window; the pooled ratio does not blow up where a mean of
    per-run ratios does."""
    from scipy import stats
    cols = [changes[c].to_numpy(float) for c in ("offplatform_first", "total_first", "offplatform_last", "total_last")]

    def change(of, tf, ol, tl, axis=-1):
        with np.errstate(invalid="ignore", divide="ignore"):        # no leakage in a window: undefined
            return (ol.sum(axis) / tl.sum(axis)) / (of.sum(axis) / tf.sum(axis)) - 1.0

    point = float(change(*cols))
    if len(changes) < 3 or not np.isfinite(point):
        return point, float("nan"), float("nan")
    ci = stats.bootstrap(cols, change, paired=True, vectorized=True, n_resamples=2000, method="percentile",
                         random_state=seed).confidence_interval
    return point, float(ci.low), float(ci.high)


def drift_checks(changes: pd.DataFrame, command: str, setting: str, window: int = 90,
                 tolerance: float = TOLERANCE) -> list[Check]:
    """Verdicts from `relative_changes`: each stock and the leakage share pass when the mean relative
    change over replications is within ±`tolerance`; n_vip is shown without a verdict."""
    rows = []
    for name in STOCKS + ("leakage_share", "n_vip"):
        if name == "leakage_share" and "offplatform_first" in changes:
            mean, low, high = pooled_leakage_change(changes)
            definition = (f"relative change, last {window} recorded days vs first {window}, of the leakage share "
                          "pooled over replications (sum of gmv_offplatform / sum of gmv_total); 95% bootstrap "
                          f"interval over replications; {setting}")
        else:
            mean, low, high = interval(changes[name])
            what = ("sum of gmv_offplatform / sum of gmv_total over the window" if name == "leakage_share"
                    else f"mean of daily `{name}` over the window")
            definition = (f"relative change, last {window} recorded days vs first {window}, of the {what}; mean "
                          f"and 95% interval over replications; {setting}")
        if name == "n_vip":
            rows.append(Check(SECTION, name, "none here: 88VIP growth is an input, the baseline timeline's (facts)",
                              fmt(mean, low, high, "pct"), definition, None, command,
                              {"mean": mean, "low": low, "high": high}))
            continue
        inside = bool(np.isfinite(mean) and abs(mean) < tolerance)
        value = fmt(mean, low, high, "pct")
        if name == "leakage_share":              # a small share: show the levels beside the relative change
            levels = [interval(changes[f"leakage_share_{w}"]) for w in ("first", "last")]
            value += f" (level {fmt(*levels[0], 'pct')} in the first window, {fmt(*levels[1], 'pct')} in the last)"
        rows.append(Check(SECTION, name, f"|change| < {tolerance:.0%} (issue 9)", value,
                          definition, inside, command, {"mean": mean, "low": low, "high": high}))
    return rows


def normalised_paths(timeseries: pd.DataFrame, window: int = 90) -> pd.DataFrame:
    """Each stock's daily value over its run's first-window mean, averaged over runs (index: day)."""
    frames = []
    for _, t in timeseries.groupby("run_id"):
        t = t.sort_values("day").set_index("day")
        frames.append(t[list(STOCKS)] / t[list(STOCKS)].iloc[:window].mean())
    return pd.concat(frames).groupby(level=0).mean()


def steady_state_figure(timeseries: pd.DataFrame, window: int):
    import matplotlib.pyplot as plt
    paths = normalised_paths(timeseries, window)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name in STOCKS:
        ax.plot(paths.index, paths[name], label=name)
    days = paths.index
    ax.axhspan(1 - TOLERANCE, 1 + TOLERANCE, color="grey", alpha=0.15, label="±3%")
    for x in (days[0] + window, days[-1] - window):
        ax.axvline(x, color="grey", linestyle=":", linewidth=0.9)
    ax.set_xlabel("recorded day")
    ax.set_ylabel(f"stock / its first-{window}-day mean")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    daily = timeseries.groupby("day")[["gmv_offplatform", "gmv_total"]].sum()
    weekly = daily.rolling(7, 1).sum()
    bx.plot(weekly.index, 100 * weekly["gmv_offplatform"] / weekly["gmv_total"], color="C4")
    bx.set_xlabel("recorded day")
    bx.set_ylabel("leakage share, 7-day (%)")
    bx.grid(alpha=0.3)
    fig.suptitle("Baseline with seasonality off: mean over replications")
    fig.tight_layout()
    return fig


def steady_state(ctx: Context) -> list[Check]:
    s = ctx.size
    # without the baseline's timeline: its trends (88VIP's growth) are inputs, not drift of the status quo
    scenario = ctx.baseline({"seasonality.enabled": False, "timeline": {}})
    exp = ctx.replications({"baseline_flat": scenario}, s.steady_reps, scenario.run.seed)
    ts = exp.timeseries[exp.timeseries["run_id"].isin(exp.ok["run_id"])]
    setting = ("baseline with `seasonality.enabled: false` and without its timeline, "
               f"{s.consumers:,} consumer agents, {s.merchants:,} "
               f"stores, {scenario.run.burn_in_days}-day burn-in, {s.days} recorded days, {s.steady_reps} replications")
    ctx.figure(SECTION, "fig_steady_state", f"Steady state: relationship stocks over their first-{s.window}-day "
               "mean (dotted lines: the compared windows) and the leakage share, seasonality off",
               lambda: steady_state_figure(ts, s.window))
    return drift_checks(relative_changes(ts, s.window), ctx.command("steady_state"), setting, s.window)
