"""The answers report's figures: per question, each key effect's three layers side by side and the effect
across the design against the assumption it is most sensitive to; and the Sobol total-order indices."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plots import PALETTE, WIDTH, styled
from .effects import display, label

LAYERS = ("replications", "posterior", "assumptions\n(5–95% of design)")


@styled
def question_figure(rows, layer3, title: str):
    """A row per key effect: left, the three layers (95% intervals; the design's 5-95% and points); right, the effect
    against the assumption of largest Morris mu*, flips in vermillion and PRIM's box on it shaded."""
    fig, axes = plt.subplots(len(rows), 2, figsize=(WIDTH, 2.6 * len(rows) + 0.6), squeeze=False)
    for (_, row), (left, right) in zip(rows.iterrows(), axes):
        e = row["effect"]
        factor, unit = display(e.outcome, e.relative)
        y = layer3["effects"][e.key].to_numpy(float) * factor
        name = f"{label(e.outcome, e.relative)}, {e.arm} − {e.reference} ({unit})"
        for k, prefix in enumerate(("rep", "post")):
            if np.isfinite(row.get(f"{prefix}_mean", np.nan)):
                m, lo, hi = (row[f"{prefix}_{s}"] * factor for s in ("mean", "low", "high"))
                left.errorbar(m, k, xerr=[[m - lo], [hi - m]], fmt="o", color=PALETTE["blue"], capsize=4)
            else:
                left.text(0.5, k, "not given", transform=left.get_yaxis_transform(), ha="center", va="center",
                          color="grey")
        ok = y[np.isfinite(y)]
        if ok.size:
            q05, med, q95 = np.quantile(ok, [0.05, 0.5, 0.95])
            jitter = np.random.default_rng(0).uniform(-0.15, 0.15, ok.size)
            left.scatter(ok, 2 + jitter, s=8, color="grey", alpha=0.5)
            left.errorbar(med, 2, xerr=[[med - q05], [q95 - med]], fmt="D", color=PALETTE["vermillion"], capsize=4)
        left.axvline(0, color="black", linewidth=0.8)
        left.set_yticks(range(3), LAYERS)
        left.set_ylim(-0.5, 2.5)
        left.invert_yaxis()
        left.set_xlabel(name)
        left.grid(axis="x", alpha=0.3)
        _scatter(right, row, layer3, y, name)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _scatter(ax, row, layer3, y, name: str) -> None:
    idx = row["indices"]
    idx = idx[np.isfinite(idx["mu_star"])]
    if not len(idx):
        ax.text(0.5, 0.5, "no indices", transform=ax.transAxes, ha="center")
        return
    top = idx.iloc[0]["parameter"]
    x = layer3["x"][top].to_numpy(float)
    ref = row["rep_mean"]
    flipped = np.sign(y) == -np.sign(ref) if ref != 0 else np.zeros(y.size, bool)
    ax.scatter(x[~flipped], y[~flipped], s=12, color=PALETTE["blue"], label="same sign as replications' mean")
    ax.scatter(x[flipped], y[flipped], s=12, color=PALETTE["vermillion"], label="sign flipped")
    box = (row["discovery"].get("box") or {}).get(top)
    if box is not None:
        lo, hi = box
        ax.axvspan(lo if lo is not None else np.nanmin(x), hi if hi is not None else np.nanmax(x), color="grey",
                   alpha=0.15, label="PRIM box on this assumption")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"{top} (largest Morris μ*)")
    ax.set_ylabel(name.split(" (")[-1].rstrip(")"))
    ax.legend(fontsize="small", loc="best")
    ax.grid(alpha=0.3)


@styled
def sensitivity_figure(key, layer3):
    """Morris mu* of each assumption (rows) for each key effect (columns), as a share of the effect's largest."""
    effects = list(key["key"])
    params = list(layer3["x"].columns)
    mu = layer3["indices"].pivot(index="parameter", columns="effect", values="mu_star").reindex(index=params,
                                                                                              columns=effects)
    top = mu.max(axis=0).replace(0, np.nan)
    values = (mu / top).to_numpy(float)
    fig, ax = plt.subplots(figsize=(WIDTH, 0.42 * len(params) + 2.4))
    im = ax.imshow(np.nan_to_num(values), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, "–" if not np.isfinite(v) else f"{v:.2f}", ha="center", va="center", fontsize="small",
                color="white" if np.isfinite(v) and v > 0.6 else "black")
    names = [f"{e.outcome.split('.')[-1]}\n{e.arm}" for e in key["effect"]]
    ax.set_xticks(range(len(effects)), names, rotation=30, ha="right", fontsize="small")
    ax.set_yticks(range(len(params)), params)
    fig.colorbar(im, ax=ax, label="Morris μ* over the effect's largest μ*")
    ax.set_title("Which assumptions each key effect is sensitive to")
    fig.tight_layout()
    return fig


def makers(result) -> dict:
    """Figure name -> function drawing it (results.write_figures)."""
    from .questions import QUESTIONS
    key, layer3 = result["key"], result["layer3"]
    out = {}
    for q in QUESTIONS:
        rows = key[key["question"] == q.key]
        out[f"fig_{q.key}"] = lambda rows=rows, q=q: question_figure(
            rows, layer3, f"{q.key.upper()}: {q.title}: three layers of uncertainty (left) and the effect across "
                          "the assumptions (right)")
    out["fig_sensitivity"] = lambda: sensitivity_figure(key, layer3)
    return out
