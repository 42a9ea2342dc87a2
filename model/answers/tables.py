"""The answers as tables: every comparison's effect per layer, each key effect with its three layers side by
side and the assumptions that could flip it, and question 2's precision."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .discovery import discover, flips
from .effects import interval, pair_values
from .posterior_layer import groups
from .precision import verdict
from .questions import Q2_PAIR, Q2_TARGETS, QUESTIONS, Effect


def _source(layer1: dict, effect: Effect) -> pd.DataFrame:
    """Question 2's own runs for its pair (more replications), else the arms' runs."""
    return layer1["q2"] if (effect.arm, effect.reference) == Q2_PAIR else layer1["main"]


def layer1_row(layer1: dict, effect: Effect) -> dict:
    """An effect's replications interval."""
    return interval(pair_values(_source(layer1, effect), effect).to_numpy())


def layer2_row(layer2: dict | None, effect: Effect) -> dict | None:
    """An effect's posterior interval (over the vectors' means), or None without a posterior."""
    if layer2 is None:
        return None
    v = pair_values(layer2["runs"], effect)
    slots = groups(layer2["runs"], layer2["record"])
    return interval(v.to_numpy(), [slots[r] for r in v.index])


def comparisons(layer1: dict, layer2: dict | None) -> pd.DataFrame:
    """Question, arm, reference, outcome and each layer's mean, low, high, n (and the posterior's share of
    variance from the parameters): every pair of every question on every outcome it reads."""
    rows = []
    for q in QUESTIONS:
        for arm, reference in q.pairs:
            for name in q.outcomes:
                e = Effect(arm, reference, name)
                row = {"question": q.key, "arm": arm, "reference": reference, "outcome": name}
                row.update({f"rep_{k}": v for k, v in layer1_row(layer1, e).items()})
                two = layer2_row(layer2, e)
                if two is not None:
                    row.update({f"post_{k}": v for k, v in two.items()})
                rows.append(row)
    return pd.DataFrame(rows)


def key_table(layer1: dict, layer2: dict | None, layer3: dict) -> pd.DataFrame:
    """One row per key effect: the three layers side by side, the assumptions' Morris indices (largest mu*
    first) and the PRIM box where its sign flips against the replications' mean."""
    rows = []
    for q in QUESTIONS:
        for e in q.key_effects:
            one = layer1_row(layer1, e)
            row = {"question": q.key, "effect": e, "key": e.key, **{f"rep_{k}": v for k, v in one.items()}}
            two = layer2_row(layer2, e)
            if two is not None:
                row.update({f"post_{k}": v for k, v in two.items()})
            y = layer3["effects"][e.key]
            ok = y[np.isfinite(y)]
            row.update(assume_n=int(ok.size), assume_q05=float(ok.quantile(0.05)) if ok.size else np.nan,
                       assume_median=float(ok.median()) if ok.size else np.nan,
                       assume_q95=float(ok.quantile(0.95)) if ok.size else np.nan,
                       assume_min=float(ok.min()) if ok.size else np.nan,
                       assume_max=float(ok.max()) if ok.size else np.nan,
                       assume_var=float(ok.var(ddof=1)) if ok.size > 1 else np.nan)
            idx = layer3["indices"][layer3["indices"]["effect"] == e.key].sort_values("mu_star", ascending=False)
            row["indices"] = idx.reset_index(drop=True)
            keep = np.isfinite(y.to_numpy(float))
            flipped = flips(y[keep], one["mean"])
            row["discovery"] = discover(layer3["x"][keep], flipped)
            rows.append(row)
    return pd.DataFrame(rows)


def q2_table(layer1: dict) -> pd.DataFrame:
    """Question 2's concentration effects: pilot, pairs needed (to resolve, to bound below one point), pairs
    run, the final interval in points and the verdict."""
    from .effects import display
    rows = []
    for name in Q2_TARGETS:
        plan = layer1["q2_plan"][name]
        factor = display(name)[0]
        final = interval(pair_values(layer1["q2"], Effect(*Q2_PAIR, name)).to_numpy() * factor)
        kind, sentence = verdict(final["mean"], final["low"], final["high"])
        rows.append({"outcome": name, **plan, "pairs": final["n"], "mean": final["mean"], "low": final["low"],
                     "high": final["high"], "verdict": kind, "sentence": sentence})
    return pd.DataFrame(rows)


def crn_gain(layer1: dict, effect: Effect) -> float:
    """Unpaired (Welch) over paired 95% interval width of an effect: what common random numbers gained."""
    from ..experiment.compare import paired_differences
    runs = _source(layer1, effect)
    runs = runs[runs["scenario"].isin([effect.arm, effect.reference])]
    d = paired_differences(runs, effect.reference, [effect.outcome])
    d = d[d["scenario"] == effect.arm].iloc[0]
    return float((d["unpaired_high"] - d["unpaired_low"]) / (d["high"] - d["low"]))
