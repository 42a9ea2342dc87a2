"""Figures of experiments: paired differences, sensitivity indices, sweep responses, summaries by scenario."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..stats import MISSING, interval_text, summarise
from .style import (
    BAND_LABEL,
    WIDTH,
    _scale_for,
    colour,
    display_unit,
    field_label,
    label,
    nice,
    relative,
    styled,
)
from .timeseries import (
    _band_handle,
    _grid,
    _legend_below,
)


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
