"""Figures shared by the CLI and the notebooks: time series with bands, paired differences,
sweep response curves and sensitivity bars, and the display units of tables. Money is shown in
real yuan (billions), shares in % and their differences in percentage points (pp).

Every figure is `WIDTH` inches wide in one set of font sizes (`STYLE`), with a CJK font as the
fallback of DejaVu Sans so that scenario names in Chinese draw (`cjk_font`).

Every function takes tidy tables as the experiment API returns them (`Comparison.timeseries`,
`SweepResult.runs` merged with `points`, `SweepResult.indices`) and returns a matplotlib Figure.
A single run's `model.timeseries()` (indexed by day, no scenario or replication columns) works too.

Colours are the Okabe-Ito palette (`PALETTE`), distinguishable with the common colour-vision
deficiencies; GMV channels also differ by line style, so figures read in greyscale print too.
Figures over days show dates of a nominal year (`calendar.NOMINAL_YEAR`, 2025) counted from the
scenario's `run.start_day_of_year`, with the scenario's festival peaks (`seasonality.festival_days`)
marked; pass `**plots.calendar_of(scenario)` to use a scenario's own start day and festivals.
"""

from __future__ import annotations

import functools

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import calendar
from .outcomes import OUTCOME_NAMES, outcome
from .stats import BELOW_ZERO, BELOW_ZERO_NOTE, MISSING, interval_text, summarise  # noqa: F401  (re-exported)

_PERCENT_UNITS = {"share"}

# Every figure is WIDTH inches wide (1,320 px at the 110 dpi of `results.write_figures`), panels
# PANEL_HEIGHT high, in one set of font sizes (`style`).
WIDTH = 12.0
PANEL_HEIGHT = 3.4
STYLE = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
         "legend.fontsize": 8, "legend.frameon": False, "figure.titlesize": 12}
CJK_FONT = "Noto Sans CJK SC"     # from the noto-cjk-sans-otc package


@functools.cache
def cjk_font() -> str | None:
    """The family of a font with Chinese glyphs, registered with matplotlib, for scenario names in
    Chinese: Noto Sans CJK SC from the noto-cjk-sans-otc package, else the first font fontconfig
    lists for Chinese; None when there is none (Chinese then draws as boxes, with matplotlib's warning)."""
    import subprocess
    try:
        from noto_cjk_sans_otc import FONT_PATH
        return _register(str(FONT_PATH), CJK_FONT)
    except (ImportError, OSError, RuntimeError, StopIteration):
        pass
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for path in (line.split(":")[0].strip() for line in listed.splitlines()):
        try:
            return _register(path)
        except (OSError, RuntimeError, ValueError, StopIteration):
            continue
    return None


def _register(path: str, prefer: str | None = None) -> str:
    """Add a font file (every face of a collection) to matplotlib; the family `prefer` if the file
    has it, else its first face's."""
    from matplotlib import font_manager
    font_manager.fontManager.addfont(path)
    names = [f.name for f in font_manager.fontManager.ttflist if f.fname == path]
    return prefer if prefer in names else next(iter(names))


def style() -> dict:
    """Matplotlib settings of every figure: `STYLE`, and the CJK font as the fallback of DejaVu Sans."""
    return {**STYLE, "font.family": ["DejaVu Sans"] + ([cjk_font()] if cjk_font() else [])}


def styled(draw):
    """Draw a figure function's artists in `style()` (fonts are fixed when an artist is made)."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with plt.rc_context(style()):
            return draw(*args, **kwargs)
    return wrapper


# Okabe & Ito (2008), "Color Universal Design": eight colours told apart with any common form of
# colour blindness. Lines take them in this order (yellow last: it is faint on white paper).
PALETTE = {"blue": "#0072B2", "vermillion": "#D55E00", "bluish green": "#009E73", "orange": "#E69F00",
           "reddish purple": "#CC79A7", "sky blue": "#56B4E9", "black": "#000000", "yellow": "#F0E442"}
COLOURS = tuple(PALETTE.values())
# GMV channels: a fixed colour and line style each (public, private, WeChat direct, off-platform)
CHANNEL_STYLE = {"gmv_public": (PALETTE["blue"], "-"), "gmv_private": (PALETTE["orange"], "--"),
                 "gmv_wechat_direct": (PALETTE["bluish green"], "-."),
                 "gmv_offplatform": (PALETTE["reddish purple"], ":")}
BAND_LABEL = "95% confidence interval of the mean over replications"


def colour(k: int) -> str:
    """The k-th colour of the palette (cycling)."""
    return COLOURS[k % len(COLOURS)]


def calendar_of(scenario=None) -> dict:
    """`start_day_of_year` and `festivals` (day of year -> name) of a scenario (a `Scenario` or a
    resolved scenario dict, as in a manifest), as keywords for the figures over days; without a
    scenario, the defaults of the scenario schema."""
    from .scenario import Run, Seasonality
    if scenario is None:
        run, seasonality = Run(), Seasonality()
    elif isinstance(scenario, dict):
        run, seasonality = Run(**scenario.get("run", {})), Seasonality(**scenario.get("seasonality", {}))
    else:
        run, seasonality = scenario.run, scenario.seasonality
    return {"start_day_of_year": run.start_day_of_year, "festivals": calendar.festival_names(seasonality)}


# The default festivals (day of year -> name), read from the calendar of the default scenario.
FESTIVALS = calendar_of()["festivals"]


def scale_for(name: str) -> tuple[float, str]:
    """Factor and axis label for an outcome: yuan -> bn yuan, shares -> %, counts -> millions.

    Names that are not model outcomes (e.g. of a model function in a sweep) are shown as they are.
    """
    if name not in OUTCOME_NAMES:
        return 1.0, ""
    o = outcome(name)
    if o.unit == "yuan":
        return 1e-9, "bn yuan"
    if o.unit in _PERCENT_UNITS:
        return 100.0, "%"
    if o.unit in ("consumers", "orders", "needs"):
        return 1e-6, "million"
    return 1.0, o.unit


_scale_for = scale_for


def nice(name: str) -> str:
    """A readable name of an outcome (its label) or of a dotted scenario field."""
    return outcome(name).label if name in OUTCOME_NAMES else name.replace("_", " ")


def label(name: str, difference: bool = False) -> str:
    """Axis label with unit; for a difference, shares are in percentage points."""
    _, unit = display_unit(name, difference)
    text = f"{'difference in ' if difference else ''}{nice(name)}"
    return f"{text} ({unit})" if unit else text


def field_label(path: str, unit: bool = True) -> str:
    """Label of a swept scenario field: block and name in words and its unit from the scenario
    schema, e.g. 'choice: price sensitivity mean (utils per log price)'. A name that is no field
    (a model function's input) is shown in words."""
    from .results import column_metadata
    *block, name = path.split(".")
    text = (" ".join(block).replace("_", " ") + ": " if block else "") + name.replace("_", " ")
    u = column_metadata(path)["unit"] if unit and block else "-"
    return f"{text} ({u})" if u not in ("-", "") else text


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
              festivals: dict | None = FESTIVALS, start_day_of_year: int = 0) -> bool:
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
        longest = max(len(text) for text in labels)
        per_row = max(1, min(len(labels), 5, int(fig.get_figwidth() / (0.75 + 0.085 * longest))))
        rows = int(np.ceil(len(labels) / per_row))
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
                      ncols: int = 3, festivals: dict | None = FESTIVALS, start_day_of_year: int = 0):
    """A grid of panels, one outcome each, lines per group with the 95% confidence interval of the
    mean over replications shaded (flows, and outcomes read from a weekly window, as 7-day means),
    over the run's dates."""
    names = list(names)
    fig, axes = _grid(len(names), ncols)
    banded = False
    for ax, name in zip(axes.ravel(), names):
        flow = _smoothed(name)
        banded |= plot_band(ax, ts, name, by, smooth if flow else 1, festivals=festivals,
                            start_day_of_year=start_day_of_year)
        ax.set_title(nice(name) + (f" ({smooth}-day mean)" if flow and smooth > 1 else ""))
    fig.suptitle(title)
    _legend_below(fig, axes, extra=[_band_handle()] if banded else [])
    return fig


CHANNELS = ("gmv_public", "gmv_private", "gmv_wechat_direct", "gmv_offplatform")


@styled
def channel_figure(ts: pd.DataFrame, channels=None, smooth: int = 7, by: str = "scenario",
                   festivals: dict | None = FESTIVALS, start_day_of_year: int = 0):
    """GMV by channel over the year (weekly mean of daily GMV), one panel per scenario.

    `channels` defaults to public, private, WeChat direct and off-platform leakage, leaving out
    those that are zero in every run.
    """
    ts = _tidy(ts, by)
    if channels is None:
        channels = [c for c in CHANNELS if c in ts and (ts[c] != 0).any()]
    groups = list(dict.fromkeys(ts[by]))
    fig, axes = _grid(len(groups), sharey=True)
    banded = False
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
        _date_axis(ax, start_day_of_year)
        ax.set_title(str(key))
        ax.grid(alpha=0.3)
    for row in axes:
        row[0].set_ylabel("GMV per day (bn yuan)")
    fig.suptitle(f"GMV by channel ({smooth}-day mean, real scale)")
    _legend_below(fig, axes, extra=[_band_handle()] if banded else [])
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


def _pct_text(r) -> str:
    """A difference row's 'mean [low, high] %' of the reference's mean (`MISSING` where it is 0)."""
    text = interval_text(*(float(getattr(r, c, np.nan)) for c in ("pct_mean", "pct_low", "pct_high")),
                         getattr(r, "n_pairs", 2), sign=True)
    return text if text == MISSING else f"{text} %"


@styled
def difference_figure(diff: pd.DataFrame, title: str = "Paired difference against the reference"):
    """Paired differences from the reference with their 95% intervals: a panel per unit (GMV in bn
    yuan, shares in percentage points, ...), so no axis mixes units, a row per outcome (and
    scenario, one colour each). Right of each row but shares', the difference in % of the
    reference's mean (a dash where that mean is 0). Bars whose interval excludes 0 are solid, the
    others hatched (not resolved).

    `diff` has columns outcome, scenario, mean, low, high and optionally pct_mean, pct_low, pct_high
    (as `Comparison.differences`).
    """
    from matplotlib.patches import Patch
    diff = diff[np.isfinite(diff["mean"].astype(float))].reset_index(drop=True)
    scenarios = list(dict.fromkeys(diff["scenario"]))
    colours = {s: colour(k) for k, s in enumerate(scenarios)}
    panels: dict[str, list[str]] = {}
    for o in dict.fromkeys(diff["outcome"]):
        panels.setdefault(display_unit(o, difference=True)[1], []).append(o)
    if not panels:                                          # no pair of finished runs
        fig, ax = plt.subplots(figsize=(WIDTH, 2))
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no paired difference to draw", ha="center", va="center", transform=ax.transAxes)
        fig.suptitle(title)
        return fig
    rows = {unit: [r for o in names for r in diff[diff["outcome"] == o].itertuples()]
            for unit, names in panels.items()}
    sizes = [len(r) + 0.5 * (len(panels[u]) - 1) + 0.4 for u, r in rows.items()]
    fig, axes = plt.subplots(len(panels), 1, figsize=(WIDTH, 0.3 * sum(sizes) + 0.75 * len(panels) + 1.1),
                             squeeze=False, gridspec_kw={"height_ratios": sizes})
    pct_note, twins = False, []
    for ax, (unit, rs) in zip(axes[:, 0], rows.items()):
        factor = display_unit(rs[0].outcome, difference=True)[0]
        ys, y, previous = [], 0.0, rs[0].outcome
        for r in rs:
            y += 0.5 if r.outcome != previous else 0.0
            previous = r.outcome
            ys.append(y)
            m, lo, hi = (float(getattr(r, c)) * factor for c in ("mean", "low", "high"))
            resolved = lo > 0 or hi < 0
            ax.barh(y, m, xerr=[[m - lo], [hi - m]], color=colours[r.scenario], alpha=0.85 if resolved else 0.35,
                    hatch=None if resolved else "//", capsize=3, edgecolor=colours[r.scenario], ecolor="black")
            y += 1
        ax.set_yticks(ys, [nice(r.outcome) if len(scenarios) == 1 else f"{nice(r.outcome)} | {r.scenario}"
                           for r in rs])
        ax.set_ylim(y - 0.3, -0.7)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel(f"difference ({unit})" if unit else "difference")
        ax.grid(axis="x", alpha=0.3)
        if any(relative(r.outcome) for r in rs):
            pct_note = True
            right = ax.twinx()
            right.set_ylim(ax.get_ylim())
            right.set_yticks(ys, [_pct_text(r) if relative(r.outcome) else "" for r in rs])
            right.tick_params(axis="y", length=0)
            twins.append(right)
    if len(scenarios) > 1:
        axes[0, 0].legend(handles=[Patch(color=colours[s], label=s) for s in scenarios], loc="best")
    fig.suptitle(title)
    note = ("bars: 95% confidence interval of the mean paired difference over replications (same seeds); "
            "hatched: the interval includes 0" + ("; right: the difference in % of the reference's mean"
                                                   if pct_note else ""))
    fig.text(0.5, 0.01, note, ha="center", va="bottom", fontsize=8, color="dimgrey")
    fig.tight_layout(rect=(0, 0.3 / fig.get_figheight(), 1, 1))
    boxes = [ax.get_position() for ax in axes[:, 0]]           # panels' plotting areas aligned
    left, right = max(b.x0 for b in boxes), min(b.x1 for b in boxes)
    for ax in list(axes[:, 0]) + twins:
        b = ax.get_position()
        ax.set_position([left, b.y0, right - left, b.height])
    return fig


@styled
def sensitivity_figure(indices: pd.DataFrame, outcome_name: str, kind: str = "sobol", ax=None):
    """Bars of Sobol S1/ST (or Morris mu*/sigma) per parameter with confidence intervals, most
    influential first. Morris effects are in the outcome's unit per full range of the parameter."""
    d = indices[indices["outcome"] == outcome_name]
    cols = [c for c in (("S1", "ST") if kind == "sobol" else ("mu_star", "sigma")) if c in d]
    d = d.sort_values(cols[-1] if kind == "sobol" else cols[0], ascending=True)
    factor, unit = (1.0, "") if kind == "sobol" else display_unit(outcome_name, difference=True)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(WIDTH, 0.5 * len(d) + 1.5))
    else:
        fig = ax.figure
    y = np.arange(len(d))
    h = 0.38
    names = {"S1": "S1 (first order)", "ST": "ST (total)", "mu_star": "mu* (mean |effect|)",
             "sigma": "sigma (interactions, non-linearity)"}
    for k, col in enumerate(cols):
        conf = d.get(f"{col}_conf")
        ax.barh(y + (k - 0.5) * h, d[col] * factor, height=h, color=colour(k),
                xerr=None if conf is None else conf * factor, label=names.get(col, col), capsize=3,
                ecolor="black", error_kw={"linewidth": 0.8})
    ax.set_yticks(y, d["parameter"])
    if kind == "sobol":
        ax.set_xlabel("share of output variance")
    else:
        ax.set_xlabel(f"effect of the parameter's full range{f' ({unit})' if unit else ''}")
    ax.set_title(f"{'Sobol' if kind == 'sobol' else 'Morris'} sensitivity of {nice(outcome_name)}")
    ax.grid(axis="x", alpha=0.3)
    if own:
        ax.legend(loc="lower right")
        fig.tight_layout()
    return fig


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in values)


def response_table(table: pd.DataFrame, parameter: str, names, by: str | None = None, reference=None,
                   order=None) -> pd.DataFrame:
    """Mean and 95% interval of each outcome at each value of `parameter` (in the outcome's own
    units), over replications; with `reference`, of the paired difference from the run at
    `parameter == reference` with the same replication (and the same `by` value).

    `table` has one row per run: `parameter`, `replication`, outcomes (and `by`).
    Columns: [by,] parameter, outcome, n, mean, low, high.
    """
    values = list(dict.fromkeys(table[parameter]))
    if _numeric(values):
        values = sorted(values)
    elif order is not None:
        values = [v for v in order if v in values]
    rows = []
    for key, g in (table.groupby(by, sort=False) if by else [(None, table)]):
        for name in names:
            ref = g[g[parameter] == reference].set_index("replication")[name] if reference is not None else None
            for x in values:
                v = g[g[parameter] == x].set_index("replication")[name]
                if v.empty:
                    continue
                if ref is not None:
                    pairs = v.index.intersection(ref.index)
                    v = v.loc[pairs] - ref.loc[pairs]
                m, lo, hi = summarise(v.to_numpy(float)) if len(v) else (np.nan,) * 3
                rows.append({**({by: key} if by else {}), parameter: x, "outcome": name, "n": len(v),
                             "mean": m, "low": lo, "high": hi})
    return pd.DataFrame(rows)


@styled
def response_figure(table: pd.DataFrame, parameter: str, names, by: str | None = None,
                    reference=None, title: str | None = None, order=None):
    """Sweep response curves: outcome mean and 95% interval against one parameter (the axis labelled
    with the field's name and unit, `field_label`).

    `table` has one row per run (`parameter`, `replication`, outcomes), e.g. a sweep's `runs` merged
    with its `points`. With `reference` (a value of `parameter`), each panel shows the paired
    difference from the runs at that value with the same replication seed, whose interval is much
    narrower than the levels'. A non-numeric parameter (e.g. an entry condition) is drawn as points
    with error bars, in `order` (default: as they appear).
    """
    names = list(names)
    values = list(dict.fromkeys(table[parameter]))
    numeric = _numeric(values)
    if numeric:
        values = sorted(values)
    elif order is not None:
        values = list(order)
    resp = response_table(table, parameter, names, by, reference, order=values)
    fig, axes = _grid(len(names))
    groups = list(resp.groupby(by, sort=False)) if by else [("", resp)]
    width = 0.8 / max(1, len(groups))
    for ax, name in zip(axes.ravel(), names):
        factor, _ = _scale_for(name)
        for gi, (key, g) in enumerate(groups):
            g = g[g["outcome"] == name]
            if g.empty:
                continue
            xs = g[parameter].tolist()
            m, lo, hi = (g[c].to_numpy(float) * factor for c in ("mean", "low", "high"))
            lab = f"{field_label(by, unit=False)} = {key}" if by else None
            if numeric:
                line, = ax.plot(xs, m, marker="o", color=colour(gi), label=lab)
                if (g["n"] > 1).any():
                    ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
            else:
                pos = np.array([values.index(x) for x in xs]) + (gi - (len(groups) - 1) / 2) * width
                ax.errorbar(pos, m, yerr=[m - lo, hi - m], fmt="o", capsize=4, color=colour(gi), label=lab)
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values], rotation=20)
        if reference is not None:
            ax.axhline(0, color="black", linewidth=0.8)
            if numeric:
                ax.axvline(reference, color="grey", linestyle=":", linewidth=0.9)
        ax.set_xlabel(field_label(parameter))
        ax.set_ylabel(label(name, difference=reference is not None))
        ax.set_title(nice(name))
        ax.grid(alpha=0.3)
    first = axes.ravel()[0]
    handles, _ = first.get_legend_handles_labels()
    if (resp["n"] > 1).any():
        if numeric:
            handles.append(_band_handle())
        else:
            from matplotlib.lines import Line2D
            handles.append(Line2D([], [], color="grey", marker="|", linestyle="none", markersize=10,
                                  label=BAND_LABEL))
    if handles:
        first.legend(handles=handles)
    if title is None and reference is not None:
        title = (f"Paired difference from {field_label(parameter, unit=False)} = {reference} (mean and 95% "
                 "confidence interval, same seeds)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@styled
def sensitivity_grid(indices: pd.DataFrame, names, kind: str = "sobol", title: str | None = None,
                     ncols: int = 2):
    """`sensitivity_figure` panels for several outcomes in one figure."""
    names = list(names)
    fig, axes = _grid(len(names), ncols, height=0.45 * indices["parameter"].nunique() + 1.4)
    for ax, name in zip(axes.ravel(), names):
        sensitivity_figure(indices, name, kind, ax=ax)
    if title:
        fig.suptitle(title)
    _legend_below(fig, axes)
    return fig


@styled
def spread_figure(ts: pd.DataFrame, names, title: str, by: str = "point", q=(0.05, 0.95), smooth: int = 7,
                  festivals: dict | None = FESTIVALS, start_day_of_year: int = 0):
    """Forecast spread over a design (e.g. a sensitivity sample): per day, the median over points
    of each point's mean over replications, with the `q` quantile band. It shows how far parameter
    uncertainty moves each outcome, next to the replication bands of `timeseries_figure`."""
    names = list(names)
    ts = _tidy(ts, by)
    fig, axes = _grid(len(names))
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
        _date_axis(ax, start_day_of_year)
        ax.set_title(nice(name) + (f" ({smooth}-day mean)" if flow and smooth > 1 else ""))
        ax.set_ylabel(label(name))
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    _legend_below(fig, axes)
    return fig


@styled
def summary_figure(summary: pd.DataFrame, names, title: str, by: str = "scenario", ncols: int = 3):
    """One panel per outcome: a point per scenario (run total or end value) with its 95% interval
    over replications (the axis is not forced to zero; read differences from `difference_figure`).

    `summary` has columns scenario, outcome, mean, low, high (as `Comparison.summary`).
    """
    names = list(names)
    groups = list(dict.fromkeys(summary[by]))
    colours = [colour(k) for k in range(len(groups))]
    fig, axes = _grid(len(names), ncols, height=3.3)
    for ax, name in zip(axes.ravel(), names):
        factor, _ = _scale_for(name)
        d = summary[summary["outcome"] == name].set_index(by).reindex(groups)
        m, lo, hi = (d[c].to_numpy(float) * factor for c in ("mean", "low", "high"))
        x = np.arange(len(groups))
        for k in range(len(groups)):
            ax.errorbar(x[k], m[k], yerr=[[m[k] - lo[k]], [hi[k] - m[k]]], fmt="o", color=colours[k], capsize=4,
                        markersize=6)
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.set_xticks(x, groups, rotation=25, ha="right")
        ax.set_ylabel(label(name))
        ax.set_title(nice(name))
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title)
    bottom = 0.0
    if "n" not in summary or (summary["n"] > 1).any():
        fig.text(0.5, 0.005, f"bars: {BAND_LABEL}", ha="center", va="bottom", fontsize=7, color="dimgrey")
        bottom = 0.25 / fig.get_figheight()
    fig.tight_layout(rect=(0, bottom, 1, 1))
    return fig


def display_unit(name: str, difference: bool = False) -> tuple[float, str]:
    """Factor and unit an outcome is shown in (`scale_for`); a difference of shares is in pp."""
    factor, unit = scale_for(name)
    return factor, "pp" if difference and unit == "%" else unit


def relative(name: str) -> bool:
    """Whether a difference is also worth reading in % of the reference's mean: all but shares,
    whose differences read in percentage points."""
    return scale_for(name)[1] != "%"


def interval_table(table: pd.DataFrame, names=None, rows: str = "scenario", pct: bool = False,
                   digits: int = 3, difference: bool | None = None) -> pd.DataFrame:
    """A display table, rows x outcomes, of 'mean [low, high]' in display units (bn yuan, %, ...).

    Works on `Comparison.summary`, `Comparison.differences` (with `pct=True`, differences in %
    of the reference mean; `MISSING` where that mean is 0) and `response_table` (with `rows` the
    swept parameter). Column headers carry the unit; for differences shares are in percentage
    points (pp). Levels of outcomes whose interval reaches below 0 are marked `BELOW_ZERO`.
    """
    names = list(names) if names is not None else list(dict.fromkeys(table["outcome"]))
    cols = ("pct_mean", "pct_low", "pct_high") if pct else ("mean", "low", "high")
    difference = "reference" in table.columns if difference is None else difference
    out = {}
    for name in names:
        factor, _ = (1.0, "%") if pct else scale_for(name)
        head = f"{nice(name)} (% of reference)" if pct else label(name, difference=difference)
        d = table[table["outcome"] == name].set_index(rows)
        out[head] = {k: interval_text(*(float(r[c]) * factor for c in cols), digits=digits,
                                      bounded=not difference and name in OUTCOME_NAMES) for k, r in d.iterrows()}
    return pd.DataFrame(out)


def outcome_table(runs: dict, names) -> pd.DataFrame:
    """One number per outcome for one or more runs (`{"label": model.summary(), ...}`), in display
    units (bn yuan, %, million), with the unit and the outcome's meaning."""
    rows = {}
    for name in names:
        factor, unit = _scale_for(name)
        rows[nice(name)] = {**{k: float(f"{v[name] * factor:.4g}") for k, v in runs.items()}, "unit": unit,
                            "meaning": outcome(name).doc if name in OUTCOME_NAMES else ""}
    return pd.DataFrame(rows).T
