"""Display tables: 'mean [low, high]' in display units, and one number per outcome for a few runs."""

from __future__ import annotations

import pandas as pd

from ..outcomes import OUTCOME_NAMES, outcome
from ..stats import interval_text
from .style import (
    _scale_for,
    label,
    nice,
    scale_for,
)


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
