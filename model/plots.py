"""Figures shared by the CLI and the notebooks: time series with bands, paired differences,
sweep response curves and sensitivity bars. Money is shown in real yuan (billions), shares in %."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .outcomes import outcome

_PERCENT_UNITS = {"share"}


def _scale_for(name: str) -> tuple[float, str]:
    """Factor and axis label for an outcome: yuan -> bn yuan, shares -> %, counts -> millions."""
    o = outcome(name)
    if o.unit == "yuan":
        return 1e-9, "bn yuan"
    if o.unit in _PERCENT_UNITS:
        return 100.0, "%"
    if o.unit in ("consumers", "orders", "needs"):
        return 1e-6, "million"
    return 1.0, o.unit


def label(name: str) -> str:
    _, unit = _scale_for(name)
    return f"{name.replace('_', ' ')} ({unit})"


def band(ts: pd.DataFrame, name: str, by: str = "scenario", smooth: int = 1) -> pd.DataFrame:
    """Mean and 95% interval across replications for each group and day (optionally smoothed)."""
    from scipy import stats
    factor, _ = _scale_for(name)
    df = ts[[by, "replication", "day", name]].copy()
    if smooth > 1:
        df[name] = df.groupby([by, "replication"])[name].transform(lambda s: s.rolling(smooth, 1).mean())
    g = df.groupby([by, "day"])[name]
    out = g.agg(["mean", "std", "count"]).reset_index()
    t = stats.t.ppf(0.975, np.maximum(out["count"] - 1, 1))
    half = np.where(out["count"] > 1, t * out["std"] / np.sqrt(out["count"]), 0.0)
    out["low"], out["high"] = (out["mean"] - half) * factor, (out["mean"] + half) * factor
    out["mean"] *= factor
    return out


def plot_band(ax, ts: pd.DataFrame, name: str, by: str = "scenario", smooth: int = 1, prefix: str = ""):
    """Draw one outcome over days, a line per group with its 95% band."""
    for key, d in band(ts, name, by, smooth).groupby(by, sort=False):
        line, = ax.plot(d["day"], d["mean"], label=f"{prefix}{key}")
        ax.fill_between(d["day"], d["low"], d["high"], color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel("day")
    ax.set_ylabel(label(name))
    ax.grid(alpha=0.3)


def timeseries_figure(ts: pd.DataFrame, names, title: str, by: str = "scenario", smooth: int = 7):
    """A grid of panels, one outcome each, lines per group with bands (flows smoothed over a week)."""
    names = list(names)
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.4 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        plot_band(ax, ts, name, by, smooth if outcome(name).summary in ("sum", "ratio") else 1)
        ax.set_title(name.replace("_", " "))
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if len(labels) > 1:
        fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06 if len(labels) > 1 else 0, 1, 1))
    return fig


def channel_figure(ts: pd.DataFrame, channels=("gmv_public", "gmv_private"), smooth: int = 7):
    """GMV by channel over the year (weekly mean of daily GMV), one panel per scenario."""
    groups = list(dict.fromkeys(ts["scenario"]))
    fig, axes = plt.subplots(1, len(groups), figsize=(5.2 * len(groups), 3.6), squeeze=False, sharey=True)
    for ax, key in zip(axes[0], groups):
        sub = ts[ts["scenario"] == key]
        for ch in channels:
            if ch not in sub:
                continue
            b = band(sub.assign(group=ch), ch, by="group", smooth=smooth)
            line, = ax.plot(b["day"], b["mean"], label=ch.replace("gmv_", ""))
            ax.fill_between(b["day"], b["low"], b["high"], color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_title(str(key))
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("GMV per day (bn yuan, real scale)")
    axes[0, 0].legend(frameon=False)
    fig.suptitle("GMV by channel (7-day mean, 95% band over replications)")
    fig.tight_layout()
    return fig


def run_figures(ts: pd.DataFrame, out: Path, scale: float | None = None) -> dict[str, Path]:
    """The standard figures of a run folder: GMV by channel, retention, price sensitivity."""
    out = Path(out)
    specs = {
        "fig_gmv_by_channel": lambda: channel_figure(ts),
        "fig_retention": lambda: timeseries_figure(
            ts, ["active_share", "repurchase_rate_90d", "dormant_share"], "Retention"),
        "fig_price_sensitivity": lambda: timeseries_figure(
            ts, ["mean_deal_proneness", "share_needs_deferred", "mean_reference_price"], "Price sensitivity"),
    }
    paths = {}
    for name, make in specs.items():
        fig = make()
        path = out / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths[name] = path
    return paths


def difference_figure(diff: pd.DataFrame, title: str = "Paired difference against the reference"):
    """Horizontal bars of paired differences (rows: outcome x scenario; columns mean, low, high, pct)."""
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(diff) + 1.2))
    y = np.arange(len(diff))
    ax.barh(y, diff["pct_mean"], xerr=[diff["pct_mean"] - diff["pct_low"], diff["pct_high"] - diff["pct_mean"]],
            color=np.where(diff["pct_mean"] >= 0, "tab:blue", "tab:red"), alpha=0.8, capsize=3)
    ax.set_yticks(y, [f"{r.outcome} | {r.scenario}" for r in diff.itertuples()])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("difference vs reference (% of reference mean, 95% interval)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def sensitivity_figure(indices: pd.DataFrame, outcome_name: str, kind: str = "sobol"):
    """Bars of Sobol S1/ST (or Morris mu*/sigma) per parameter with confidence intervals."""
    d = indices[indices["outcome"] == outcome_name]
    cols = ("S1", "ST") if kind == "sobol" else ("mu_star", "sigma")
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(d) + 1.5))
    y = np.arange(len(d))
    h = 0.38
    for k, col in enumerate(cols):
        conf = d.get(f"{col}_conf")
        ax.barh(y + (k - 0.5) * h, d[col], height=h, xerr=conf, label=col, capsize=3)
    ax.set_yticks(y, d["parameter"])
    ax.set_xlabel("index" if kind == "sobol" else "elementary effect")
    ax.set_title(f"{'Sobol' if kind == 'sobol' else 'Morris'} sensitivity of {outcome_name.replace('_', ' ')}")
    ax.legend(frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def response_figure(table: pd.DataFrame, parameter: str, names, by: str | None = None):
    """Sweep response curves: outcome mean and 95% interval against one parameter."""
    from .runs import summarise
    names = list(names)
    fig, axes = plt.subplots(1, len(names), figsize=(4.6 * len(names), 3.4), squeeze=False)
    for ax, name in zip(axes[0], names):
        factor, _ = _scale_for(name)
        groups = table.groupby(by) if by else [("", table)]
        for key, g in groups:
            rows = []
            for x, gg in g.groupby(parameter):
                m, lo, hi = summarise(gg[name].to_numpy())
                rows.append((x, m * factor, lo * factor, hi * factor))
            r = np.array(rows)
            line, = ax.plot(r[:, 0], r[:, 1], marker="o", label=str(key) if by else None)
            ax.fill_between(r[:, 0], r[:, 2], r[:, 3], color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_xlabel(parameter)
        ax.set_ylabel(label(name))
        ax.grid(alpha=0.3)
        if by:
            ax.legend(frameon=False)
    fig.tight_layout()
    return fig
