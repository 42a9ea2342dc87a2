"""The assumptions no data pins down (the answers' third layer of uncertainty): each field with its range,
read from the schema's documented source where it gives one, else stated here with the reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

NUM = r"(-?\d+(?:\.\d+)?)"
PATTERNS = (rf"[Rr]ange\s+{NUM}\s*(?:to|-)\s*{NUM}", rf"{NUM}\s+to\s+{NUM}\s+span",
            rf"[Aa]ssumption\s*\(?{NUM}\s*(?:to|-)\s*{NUM}")


@dataclass(frozen=True)
class Uncertainty:
    """A scenario field varied over (low, high); `group` says which kind of assumption it is."""
    field: str
    group: str
    stated: tuple[float, float] | None = None     # None: the range is read from the schema's source
    reason: str = ""


UNCERTAINTIES = (
    Uncertainty("wechat.diversion_hassle", "leakage level"),
    Uncertainty("wechat.diversion_spread", "leakage level"),
    Uncertainty("relationships.expansion_share", "expansion share"),
    Uncertainty("relationships.touch_pull_days", "causal effect size", (5.0, 20.0),
                "no source sizes how far ahead a touch pulls a need: half to twice the default 10 days"),
    Uncertainty("relationships.keep_dropout_cut", "causal effect size", (0.25, 0.75),
                "KEEP's cut of members' dropout has no study behind its size: half to 1.5 times the default 0.5"),
    Uncertainty("wechat.app_switch_friction", "causal effect size", (0.2, 0.6),
                "seed 002 says direct buying removes app switching, not how much it costs: 0.2 to 0.6 around 0.4 "
                "(notebook 04's range)"),
    Uncertainty("insider.left_out_penalty", "causal effect size", (0.4, 1.6),
                "Newman et al. 2019 find a penalty of being left out, not its size in utils: half to twice 0.8"),
    Uncertainty("insider.exclusivity_utility", "causal effect size", (0.5, 2.0),
                "seed 000 says exclusivity raises an offer's value, not by how much: half to twice 1.0"),
    Uncertainty("price_sensitivity.deal_learning", "causal effect size", (0.3, 1.2),
                "Mela, Gupta & Lehmann 1997 give the direction, not this model's rate: half to twice 0.6 "
                "(notebook 04's range)"),
    Uncertainty("choice.deal_price_weight", "unconstrained"),
    Uncertainty("choice.outside_utility", "unconstrained"),
    Uncertainty("ranking.exponent", "unconstrained", (0.5, 1.0),
                "the rich-get-richer strength of ranking: from strongly damped (0.5) to a linear Polya urn (1)"),
    Uncertainty("relationships.touch_conversion", "unconstrained", (0.4, 0.8),
                "no source for the click chance of a private touch: 0.4 to 0.8 around 0.6 (notebook 04's range)"),
)


def schema_source(field: str) -> str:
    """The `source` the scenario schema documents for a dotted field ('' if none)."""
    from ..scenario import schema_field
    _, info = schema_field(field)
    if info is None:
        raise KeyError(field)
    return (info.json_schema_extra or {}).get("source", "")


def range_in(text: str) -> tuple[float, float] | None:
    """The first documented range in a source text ('range 0.3-0.75', '-0.03 to 0.12 span', ...), or None."""
    for pattern in PATTERNS:
        m = re.search(pattern, text)
        if m:
            lo, hi = float(m.group(1)), float(m.group(2))
            if lo < hi:
                return lo, hi
    return None


def ranges(uncertainties=UNCERTAINTIES) -> dict[str, dict]:
    """Field -> {low, high, group, source}: the schema's documented range (its source quoted), else the one stated
    here with its reason; a field to read from the schema that states none is this file's error (ValueError)."""
    out = {}
    for u in uncertainties:
        if u.stated is None:
            found = range_in(schema_source(u.field))
            if found is None:
                raise ValueError(f"{u.field}: its schema source states no range; give one with a reason")
            lo, hi = found
            source = f"schema: {schema_source(u.field)}"
        else:
            (lo, hi), source = u.stated, f"stated here: {u.reason}"
        out[u.field] = {"low": lo, "high": hi, "group": u.group, "source": source}
    return out
