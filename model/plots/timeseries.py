"""Figures over days: an outcome's mean and 95% band by group, GMV by channel, a run's figures, the spread
of sampled points."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import calendar
from ..outcomes import OUTCOME_NAMES, outcome
from .style import (
    BAND_LABEL,
    CHANNEL_STYLE,
    FESTIVALS,
    PANEL_HEIGHT,
    WIDTH,
    _scale_for,
    calendar_of,
    colour,
    label,
    nice,
    styled,
)


def _smoothed(name: str) -> bool:
    """Whether daily values are noisy flows (or ratios of flows) worth a rolling mean in a figure, or
    read from a weekly window, whose weekly saw-tooth a 7-day mean removes."""
    return name in OUTCOME_NAMES and (outcome(name).summary in ("sum", "ratio") or outcome(name).weekly)


def _tidy(ts: pd.DataFrame, by: str) -> pd.DataFrame:
    """Accept a single run's frame too: day from the index, one replication, one group."""
    if "day" not in ts.columns:
        ts = ts.reset_index()
    if by not in ts.columns:
        ts = ts.assign(**{by: "run"})
    if "replication" not in ts.columns:
        ts = ts.assign(replication=0)
    return ts


def band(ts: pd.DataFrame, name: str, by: str = "scenario", smooth: int = 1) -> pd.DataFrame:
    """Mean and 95% interval across replications for each group and day (optionally smoothed)."""
    from scipy import stats
    factor, _ = _scale_for(name)
    df = _tidy(ts, by)[[by, "replication", "day", name]].copy()
    if smooth > 1:
        df[name] = df.groupby([by, "replication"])[name].transform(lambda s: s.rolling(smooth, 1).mean())
    g = df.groupby([by, "day"], sort=False)[name]
    out = g.agg(["mean", "std", "count"]).reset_index()
    t = stats.t.ppf(0.975, np.maximum(out["count"] - 1, 1))
    half = np.where(out["count"] > 1, t * out["std"].fillna(0) / np.sqrt(out["count"]), 0.0)
    out["low"], out["high"] = (out["mean"] - half) * factor, (out["mean"] + half) * factor
    out["mean"] *= factor
    return out


def _mark_festivals(ax, days, festivals, start_day_of_year: int = 0) -> None:
    """A dotted grey line at each festival peak (day of year -> name) within `days`, named at the top."""
    days = np.asarray(days, dtype=float)
    if not festivals or len(days) == 0 or not np.isfinite(days).any():
        return
    for day, name in calendar.festival_run_days(festivals, start_day_of_year, np.nanmin(days), np.nanmax(days)):
        x = calendar.dates([day], start_day_of_year)[0]
        ax.axvline(x, color="grey", linestyle=":", linewidth=0.9, label=f"_festival {name}")
        ax.annotate(name, (mdates.date2num(x), 1.0), xycoords=("data", "axes fraction"), xytext=(2, -10),
                    textcoords="offset points", fontsize=7, color="dimgrey")


def _marks(timeline) -> list[tuple[int, str, tuple[str, ...]]]:
    """Timeline marks as (record day, levers, scenarios making the change; () for all), from one scenario's
    {day: levers} or several's list (`merge_marks`)."""
    if isinstance(timeline, dict):
        return [(int(day), levers, ()) for day, levers in timeline.items()]
    return list(timeline or [])


def _mark_timeline(ax, days, timeline, start_day_of_year: int = 0, group=None) -> list:
    """A dashed dark line on each record day within `days` where levers change (the scenario's timeline;
    with `group`, only the changes that group makes); the marks drawn, for `_timeline_handle`."""
    days = np.asarray(days, dtype=float)
    if not timeline or len(days) == 0 or not np.isfinite(days).any():
        return []
    drawn = [m for m in _marks(timeline) if np.nanmin(days) <= m[0] <= np.nanmax(days)
             and (group is None or not m[2] or str(group) in m[2])]
    for day in sorted({m[0] for m in drawn}):
        ax.axvline(calendar.dates([day], start_day_of_year)[0], color="black", linestyle="--", linewidth=0.8,
                   alpha=0.6, label=f"_timeline {day}")
    return drawn


def _timeline_handle(drawn, start_day_of_year: int = 0):
    """A legend entry for the timeline's dashed lines, listing each change: its date and levers (and the
    scenarios making it, when not all do), wrapped to the figure's width."""
    import textwrap

    from matplotlib.lines import Line2D
    items = []
    for day, levers, names in sorted(set(drawn)):
        date = calendar.dates([day], start_day_of_year)[0].item()
        items.append(f"{date.day} {date:%b}: " + (f"{', '.join(names)}: " if names else "") + levers)
    text = "\n".join(textwrap.wrap("levers change (timeline) on " + "; ".join(items), 110))
    return Line2D([], [], color="black", linestyle="--", linewidth=0.8, alpha=0.6, label=text)


def _date_axis(ax, start_day_of_year: int = 0) -> None:
    """Dates on the x axis (concise month ticks) and a label saying they are of a nominal year."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, offset_formats=[""] * 6))  # year: in the label
    first = calendar.date_of_year(start_day_of_year)
    ax.set_xlabel(f"date (day 0 = {first.day} {first:%b}; nominal year {calendar.NOMINAL_YEAR})", fontsize=8)


def _band_handle():
    from matplotlib.patches import Patch
    return Patch(facecolor="grey", alpha=0.3, linewidth=0, label=BAND_LABEL)


def plot_band(ax, ts: pd.DataFrame, name: str, by: str = "scenario", smooth: int = 1, prefix: str = "",
              festivals: dict | None = FESTIVALS, start_day_of_year: int = 0, timeline=None) -> bool:
    """Draw one outcome over the run's dates, a line per group with the 95% confidence interval of
    its mean over replications (festival peaks marked); whether any band was drawn (it takes two
    replications). Lines drawn earlier on `ax` keep their colours: the next group takes the next one."""
    b = band(ts, name, by, smooth)
    used = sum(not line.get_label().startswith("_") for line in ax.get_lines())
    banded = False
    for k, (key, d) in enumerate(b.groupby(by, sort=False)):
        x = calendar.dates(d["day"], start_day_of_year)
        line, = ax.plot(x, d["mean"], color=colour(used + k), label=f"{prefix}{key}")
        if (d["count"] > 1).any():
            ax.fill_between(x, d["low"], d["high"], color=line.get_color(), alpha=0.2, linewidth=0)
            banded = True
    _mark_festivals(ax, b["day"].to_numpy(), festivals, start_day_of_year)
    _mark_timeline(ax, b["day"].to_numpy(), timeline, start_day_of_year)
    _date_axis(ax, start_day_of_year)
    ax.set_ylabel(label(name))
    ax.grid(alpha=0.3)
    return banded


def _legend_below(fig, axes, rect_top: float = 1.0, extra=()):
    """One legend under the panels, wrapped into as many rows as the figure's width needs; `extra`
    handles (e.g. what the shaded bands are) are added after the lines'."""
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    handles, labels = handles + list(extra), labels + [h.get_label() for h in extra]
    bottom = 0.0
    if len(labels) > 1 or extra:
        longest = max(len(line) for text in labels for line in text.split("\n"))
        per_row = max(1, min(len(labels), 5, int(fig.get_figwidth() / (0.75 + 0.085 * longest))))
        rows = int(np.ceil(len(labels) / per_row)) + sum(text.count("\n") for text in labels)
        fig.legend(handles, labels, loc="lower center", ncol=per_row)
        bottom = min(0.4, (0.25 * rows + 0.05) / fig.get_figheight())
    fig.tight_layout(rect=(0, bottom, 1, rect_top))


def _grid(n: int, ncols: int = 3, height: float = PANEL_HEIGHT, **kwargs):
    """A figure `WIDTH` wide of `n` panels in rows of at most `ncols` (the unused ones hidden)."""
    cols = max(1, min(ncols, n))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(WIDTH, height * rows + 0.5), squeeze=False, **kwargs)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes


@styled
def timeseries_figure(ts: pd.DataFrame, names, title: str, by: str = "scenario", smooth: int = 7,
                      ncols: int = 3, festivals: dict | None = FESTIVALS, start_day_of_year: int = 0,
                      timeline=None):
    """A grid of panels, one outcome each, lines per group with the 95% confidence interval of the
    mean over replications shaded (flows, and outcomes read from a weekly window, as 7-day means),
    over the run's dates."""
    names = list(names)
    fig, axes = _grid(len(names), ncols)
    banded, drawn = False, []
    for ax, name in zip(axes.ravel(), names):
        flow = _smoothed(name)
        banded |= plot_band(ax, ts, name, by, smooth if flow else 1, festivals=festivals,
                            start_day_of_year=start_day_of_year)
        drawn += _mark_timeline(ax, _tidy(ts, by)["day"].to_numpy(), timeline, start_day_of_year)
        ax.set_title(nice(name) + (f" ({smooth}-day mean)" if flow and smooth > 1 else ""))
    fig.suptitle(title)
    extra = ([_band_handle()] if banded else []) + ([_timeline_handle(drawn, start_day_of_year)] if drawn else [])
    _legend_below(fig, axes, extra=extra)
    return fig


CHANNELS = ("gmv_public", "gmv_private", "gmv_wechat_direct", "gmv_offplatform")


@styled
def channel_figure(ts: pd.DataFrame, channels=None, smooth: int = 7, by: str = "scenario",
                   festivals: dict | None = FESTIVALS, start_day_of_year: int = 0, timeline=None):
    """GMV by channel over the year (weekly mean of daily GMV), one panel per scenario.

    `channels` defaults to public, private, WeChat direct and off-platform leakage, leaving out
    those that are zero in every run.
    """
    ts = _tidy(ts, by)
    if channels is None:
        channels = [c for c in CHANNELS if c in ts and (ts[c] != 0).any()]
    groups = list(dict.fromkeys(ts[by]))
    fig, axes = _grid(len(groups), sharey=True)
    banded, drawn = False, []
    for ax, key in zip(axes.ravel(), groups):
        sub = ts[ts[by] == key]
        for k, ch in enumerate(channels):
            if ch not in sub:
                continue
            b = band(sub.assign(group=ch), ch, by="group", smooth=smooth)
            x = calendar.dates(b["day"], start_day_of_year)
            col, style = CHANNEL_STYLE.get(ch, (colour(k), "-"))
            ax.plot(x, b["mean"], color=col, linestyle=style, label=nice(ch))
            if (b["count"] > 1).any():
                ax.fill_between(x, b["low"], b["high"], color=col, alpha=0.2, linewidth=0)
                banded = True
        _mark_festivals(ax, sub["day"].to_numpy(), festivals, start_day_of_year)
        drawn += _mark_timeline(ax, sub["day"].to_numpy(), timeline, start_day_of_year, group=key)
        _date_axis(ax, start_day_of_year)
        ax.set_title(str(key))
        ax.grid(alpha=0.3)
    for row in axes:
        row[0].set_ylabel("GMV per day (bn yuan)")
    fig.suptitle(f"GMV by channel ({smooth}-day mean, real scale)")
    extra = ([_band_handle()] if banded else []) + ([_timeline_handle(drawn, start_day_of_year)] if drawn else [])
    _legend_below(fig, axes, extra=extra)
    return fig


def run_figures(ts: pd.DataFrame, scenario=None) -> dict:
    """The standard figures of a results folder, as name -> function drawing it: GMV by channel,
    retention, price sensitivity (dates and festivals from `scenario`'s calendar)."""
    cal = calendar_of(scenario)
    return {
        "fig_gmv_by_channel": lambda: channel_figure(ts, **cal),
        "fig_retention": lambda: timeseries_figure(
            ts, ["active_share", "repurchase_rate_90d", "dormant_share"], "Retention", **cal),
        "fig_price_sensitivity": lambda: timeseries_figure(
            ts, ["mean_deal_proneness", "share_needs_deferred", "mean_reference_price"], "Price sensitivity", **cal),
    }


@styled
def spread_figure(ts: pd.DataFrame, names, title: str, by: str = "point", q=(0.05, 0.95), smooth: int = 7,
                  festivals: dict | None = FESTIVALS, start_day_of_year: int = 0, timeline=None):
    """Forecast spread over a design (e.g. a sensitivity sample): per day, the median over points
    of each point's mean over replications, with the `q` quantile band. It shows how far parameter
    uncertainty moves each outcome, next to the replication bands of `timeseries_figure`."""
    names = list(names)
    ts = _tidy(ts, by)
    fig, axes = _grid(len(names))
    drawn = []
    for ax, name in zip(axes.ravel(), names):
        factor, _ = _scale_for(name)
        flow = _smoothed(name)
        df = ts[[by, "replication", "day", name]].copy()
        if flow and smooth > 1:
            df[name] = df.groupby([by, "replication"])[name].transform(lambda s: s.rolling(smooth, 1).mean())
        per_point = df.groupby([by, "day"])[name].mean().unstack(by) * factor
        days = per_point.index.to_numpy()
        lo, med, hi = (per_point.quantile(p, axis=1).to_numpy() for p in (q[0], 0.5, q[1]))
        x = calendar.dates(days, start_day_of_year)
        line, = ax.plot(x, med, color=colour(0), label="median over the design points of the mean over replications")
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.25, linewidth=0,
                        label=f"{int(q[0] * 100)}-{int(q[1] * 100)}% quantiles over the design points")
        _mark_festivals(ax, days, festivals, start_day_of_year)
        drawn += _mark_timeline(ax, days, timeline, start_day_of_year)
        _date_axis(ax, start_day_of_year)
        ax.set_title(nice(name) + (f" ({smooth}-day mean)" if flow and smooth > 1 else ""))
        ax.set_ylabel(label(name))
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    _legend_below(fig, axes, extra=[_timeline_handle(drawn, start_day_of_year)] if drawn else [])
    return fig
