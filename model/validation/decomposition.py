"""Where each library policy's GMV effect comes from: every library policy scenario against its reference,
paired on common random numbers, its change in on-platform GMV split exactly into recaptured leakage,
new demand, needs arising, the outside option, prices paid and order value
(`ptsim.experiment.decomposition`), as one table of the report (issue 21, "traceable answers")."""

from __future__ import annotations

import math

import pandas as pd
import yaml

from ..experiment.decomposition import COMPONENTS, LABELS, TOLERANCE, decompose
from ..scenario import library, load_scenario
from ..stats import interval
from .core import Check, Context

SECTION = "decomposition"
# library scenarios that are no policy of their own: the status quo, and the order log's docking cohort
NOT_POLICIES = ("baseline", "bgnbd_cohort")
CONTEXT = ("offplatform", "on_and_off")
CONTEXT_LABELS = {"offplatform": "off-platform GMV", "on_and_off": "on + off platform"}


def references() -> dict[str, str]:
    """Each library policy scenario (library order) and its reference: the library scenario its file
    extends, which is what its description builds on (baseline, "the reference point for every policy
    comparison", for most; the WeChat beta for strategy_2025, "on top of the WeChat beta"; wechat_open,
    question 2's full bonus, for the weight-bonus arms)."""
    out = {}
    for name, path in library().items():
        if name in NOT_POLICIES:
            continue
        parent = (yaml.safe_load(path.read_text()) or {}).get("extends")
        out[name] = parent.rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml") if parent else "baseline"
    return out


def pair_parts(runs: pd.DataFrame, scenario: str, reference: str) -> pd.DataFrame:
    """One row per replication both ran: the decomposition of `scenario` against `reference` (yuan)."""
    pol = runs[runs["scenario"] == scenario].set_index("replication")
    ref = runs[runs["scenario"] == reference].set_index("replication")
    pairs = ref.index.intersection(pol.index)
    return pd.DataFrame([decompose(pol.loc[k], ref.loc[k]) for k in pairs], index=pairs)


def summarise(parts: pd.DataFrame) -> dict:
    """Over replications: the total's mean and paired 95% interval and each component's and context
    column's mean, in % (pp) of each pair's reference on-platform GMV; shares of the effect; the largest
    gap between orders and their accounting; how far the components' sum is from the total."""
    pct = parts.drop(columns=["reference_gmv", "gap"]).div(parts["reference_gmv"], axis=0) * 100.0
    mean, low, high = interval(pct["total"].to_numpy())
    out = {"total": mean, "low": low, "high": high, "n": len(parts), "gap": float(parts["gap"].max()),
           "total_per_seed": pct["total"].tolist()}
    for c in COMPONENTS + CONTEXT:
        out[c] = float(pct[c].mean())
    # shares of an effect indistinguishable from 0 mean nothing (and explode): only where the interval excludes 0
    clear = bool(low > 0 or high < 0)
    out["shares"] = {c: out[c] / mean if clear else math.nan for c in COMPONENTS}
    out["sum_gap"] = float((pct[list(COMPONENTS)].sum(axis=1) - pct["total"]).abs().max())
    return out


def _pp(x: float) -> str:
    return f"{x:+.2f}"


def _share(x: float) -> str:
    return "" if not math.isfinite(x) else f" ({int(round(100 * x))}%)"       # no "-0%"


def table(rows: dict[str, dict], refs: dict[str, str]) -> str:
    """The decomposition as a markdown table: one row per scenario."""
    head = (["scenario", "reference", "ΔGMV on platform, % [95% interval]"] + [LABELS[c] for c in COMPONENTS]
            + [f"Δ {CONTEXT_LABELS[c]}" for c in CONTEXT])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
    for name, r in rows.items():
        total = f"{r['total']:+.2f}%" + (f" [{r['low']:+.2f}, {r['high']:+.2f}]" if r["high"] > r["low"] else "")
        cells = ([f"`{name}`", f"`{refs[name]}`", total] + [_pp(r[c]) + _share(r["shares"][c]) for c in COMPONENTS]
                 + [_pp(r[c]) for c in CONTEXT])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def decomposition(ctx: Context) -> list[Check]:
    s = ctx.size
    refs = references()
    names = list(dict.fromkeys([*refs.values(), *refs]))       # references first
    over = ctx.baseline_overrides()
    arms = {n: load_scenario(library()[n], over) for n in names}
    seed = arms["baseline"].run.seed if "baseline" in arms else arms[names[0]].run.seed
    exp = ctx.replications(arms, s.decomposition_reps, seed)
    setting = (f"paired on {s.decomposition_reps} seeds spawned from {seed}, {s.consumers:,} consumers, "
               f"{s.merchants:,} stores, {s.days} recorded days")
    rows, checks = {}, []
    for name, ref in refs.items():
        r = rows[name] = summarise(pair_parts(exp.ok, name, ref))
        closes = bool(r["gap"] <= TOLERANCE and r["sum_gap"] <= 1e-9)
        value = (f"ΔGMV on platform {r['total']:+.2f}% [{r['low']:+.2f}, {r['high']:+.2f}]; components sum to it "
                 f"within {r['sum_gap']:.1g} pp; orders against their accounting: largest relative gap "
                 f"{r['gap']:.1g}")
        checks.append(Check(SECTION, f"{name} against {ref}",
                            "on-platform orders equal their accounting from the flows and the components sum to "
                            "the GMV effect (exact, up to float rounding); no published target for the shares",
                            value,
                            "on-platform orders = needs on their own clock + pulls (moved + new demand) - needs "
                            "given up - change in needs pending - off-platform orders, per run; components of "
                            f"`ptsim.experiment.decomposition.decompose` per pair, then averaged; {setting}",
                            closes, ctx.command(SECTION),
                            {k: v for k, v in r.items() if k != "shares"} | {"shares": dict(r["shares"])}))
    ctx.table(SECTION, table(rows, refs))
    return checks
