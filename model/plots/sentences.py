"""Sentences from result tables: an outcome's difference with its 95% interval and unit, whether the interval
resolves its sign, and a one-line answer with the levels before and after. The notebooks print their answers
with these, from the tables they computed, so the text stays true when the model changes."""

from __future__ import annotations

from ..stats import MISSING, interval_text
from .style import display_unit, nice, relative


def pick_row(table, outcome: str, **where):
    """The row of a results table for `outcome` (and columns equal to `where`); None when it has none."""
    d = table[table["outcome"] == outcome]
    for column, value in where.items():
        d = d[d[column] == value]
    return d.iloc[0] if len(d) else None


def replications(r) -> int:
    """Replications behind a table row (the pairs, for a paired difference)."""
    return int(r["n_pairs"] if "n_pairs" in r.index else r["n"])


def with_unit(text: str, unit: str) -> str:
    """A number or 'mean [low, high]' with its unit after the mean (none for 0..1 scores and indices)."""
    if text == MISSING or unit in ("", "0..1", "index"):
        return text
    mean, bracket, rest = text.partition(" [")
    return f"{mean}{'' if unit == '%' else ' '}{unit}{bracket}{rest}"


def interval_of(r, name: str, pct: bool = False, difference: bool = True) -> str:
    """'mean [low, high]' of a table row in outcome `name`'s display units (pp for shares' differences; %
    of the reference with `pct`)."""
    if r is None:
        return MISSING
    factor, unit = (1.0, "%") if pct else display_unit(name, difference)
    cols = ("pct_mean", "pct_low", "pct_high") if pct else ("mean", "low", "high")
    text = interval_text(*(float(r[k]) * factor for k in cols), n=replications(r), sign=difference)
    return with_unit(text, unit)


def level_of(r, name: str) -> str:
    """The mean of a table row alone, as a level in outcome `name`'s display units."""
    if r is None:
        return MISSING
    factor, unit = display_unit(name)
    return with_unit(interval_text(float(r["mean"]) * factor, 0.0, 0.0, n=1), unit)


def resolved(r) -> int:
    """+1 or -1 when a difference's 95% interval lies above or below 0; 0 when it holds 0 or is missing."""
    if r is None or replications(r) < 2:
        return 0
    return 1 if r["low"] > 0 else -1 if r["high"] < 0 else 0


def change(r, name: str, pct: bool = False) -> str:
    """A difference with its interval, marked when the interval holds 0 (the model does not resolve it)."""
    return interval_of(r, name, pct) + ("" if resolved(r) else " (not resolved)")


def answer_line(name: str, r, before, after, reference: str = "the reference") -> str:
    """One outcome's answer: the difference (and in % of `reference`), whether resolved, then both levels."""
    pct = interval_of(r, name, pct=True) if relative(name) else MISSING
    return (f"- {nice(name)}: {interval_of(r, name)}" + (f", {pct} of {reference}" if pct != MISSING else "")
            + ("" if resolved(r) else " (not resolved)") + f"; level {level_of(before, name)} -> "
            f"{level_of(after, name)}")
