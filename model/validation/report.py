"""The validation report: one markdown file (written atomically) with a summary, a section per kind of
check with its table, and the figures beside it as PNG files."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from .. import results
from .core import Check, Figure, Size, baseline_overrides, set_text

TITLES = {
    "docking": "Docking against closed forms",
    "facts": "Published facts (DOMAIN.md)",
    "elasticity": "Emergent price elasticity",
    "steady_state": "Steady state of the status quo",
    "scale": "Scale invariance",
    "crn": "Common random numbers",
    "roundtrip": "Order log round trip",
    "joining": "Joining: selection or effect",
    "decomposition": "Where the GMV effects come from",
    "interventions": "Interventions: brand cases held out",
    "coverage": "Coverage of the posterior",
}


def intros(size: Size) -> dict[str, str]:
    """What each section compares, how, and at what size."""
    s = size
    from ..scenario import Run
    own = Run().burn_in_days
    burn = f"the scenario's own burn-in ({own:,} days)" if s.burn_in_days is None else f"a {s.burn_in_days}-day burn-in"
    base = (f"`scenarios/baseline.yaml` at {s.consumers:,} consumer agents standing for 1 bn buyers (GMV and "
            f"counts at real scale), {s.merchants:,} stores, {burn}, {s.days} recorded days, {s.reps} "
            f"replications (seeds spawned from the scenario's `run.seed`)")
    return {
        "docking": "Each mechanism against the closed form it is built to follow, through the functions the "
                   "simulation calls. A row passes within 3 standard errors (BG/NBD, Polya) or within 0.01 "
                   "at every step (Bass).",
        "facts": f"The published numbers of DOMAIN.md against {base}. A fact passes when the mean over "
                 "replications lies inside its band; the 95% interval is shown beside it. A row whose target "
                 "reads \"assumption\" is no published fact but a level no source publishes, assumed with a "
                 "range (targets/published.yaml, `kind: assumption`), which the model should stay in. Facts the model "
                 "has no outcome for are listed as not modelled, and facts the scenario takes as inputs as "
                 "inputs; neither has a verdict. The same replications, with every outcome: `ptsim run "
                 f"scenarios/baseline.yaml --reps {s.reps} {set_text(baseline_overrides(s))}`.",
        "elasticity": f"The store-level own-price and the category-level price elasticities that emerge from "
                      f"consumers' choices (the category's through the outside option of not buying now), "
                      f"measured by the price probes on the baseline ({s.consumers:,} consumers, {s.merchants:,} "
                      f"stores) after its burn-in, once per model seed ({s.elasticity_seeds} seeds), against the "
                      "meta-analytic mean of brand-level elasticities and a quarter of it. Each passes when its "
                      "mean lies in its band.",
        "steady_state": f"With seasonality off, the recorded year should start from a steady state: "
                        f"{base.replace(f'{s.reps} replications', f'{s.steady_reps} replications')}, with "
                        f"`seasonality.enabled: false` (more replications than elsewhere: the leakage share "
                        f"rests on a few diverting stores per run). Each stock and the leakage share passes when "
                        f"the mean relative change between the first and the last {s.window} recorded days "
                        "is within 3%. The baseline runs here without its timeline (the world's trends are inputs, "
                        "not drift); 88VIP growth, which that timeline produces, is shown without a verdict.",
        "scale": f"The same scenario at {s.consumers:,} and {s.large_consumers:,} consumer agents, both "
                 f"standing for 1 bn buyers, {s.merchants:,} stores, {s.reps} replications each. A share "
                 "passes when the two 95% intervals overlap (the Welch interval of the difference is shown); "
                 "GMV at real scale when the means agree within 3%.",
        "crn": f"How much common random numbers narrow the interval of a policy difference: "
               f"`weight_bonus_full` against `weight_bonus_none`, {s.crn_reps} replications, {s.crn_days} "
               f"recorded days, {s.crn_consumers:,} consumers, {s.crn_merchants} stores. The ratio is the "
               "unpaired (Welch) over the paired 95% interval width; above 1 pairing helps.",
        "roundtrip": f"A simulated order log read by `ptsim fit-consumers` as a real one would be: the library "
                     f"scenario `bgnbd_cohort` ({s.roundtrip_consumers:,} consumers, modulations off, no burn-in, "
                     "every consumer a new user whose first purchase is on day 0, known r, alpha, a and b) run with "
                     "`--orders`, its log fitted by maximum likelihood. Each parameter passes when its estimate is "
                     "within 3 standard errors (the fit's) of the scenario's value.",
        "joining": f"Members' larger orders are who they are, not what joining does (ODD 7.7): the baseline "
                   f"({s.consumers:,} consumers, {max(s.crn_reps, 2)} replications) with its order log. Within a "
                   "consumer, her orders' value before and after she joins a store passes when it changes by no more "
                   "than the documented causal effect of joining (0.88 to 1.10); across consumers, members' order "
                   "value over all orders' is shown against the published 2.7x, which selection alone must produce.",
        "decomposition": decomposition_intro(s, base),
        "interventions": f"Seed 004's four brand cases run as the brands ran them: in each, a dozen comparable stores "
                         f"of the brand's category and tier (chosen at random among them, the same stores in every "
                         f"arm) get the instruments the brand used (`instruments:` in a scenario, docs/ODD.md), and "
                         f"their outcomes are compared with the same stores in a reference arm, paired on "
                         f"{s.reps} seeds ({s.consumers:,} consumers, {s.merchants:,} stores). Each published "
                         "figure is shown next to the model's change (or ratio) with its 95% interval, its "
                         "definition, the model's value over the published one, and whether it lands within 1.5x. "
                         "Where the source's words allow two readings, both are shown. None of these figures is a "
                         "calibration target or chose a parameter (a test checks that none is in "
                         "targets/published.yaml); the instruments' parameters are what the brands did or stated "
                         "assumptions. A figure a parameter was sized with is shown as not held out and not counted. "
                         "The platform's published responses close the section, each with why it is not run.",
        "coverage": "Does the posterior of `ptsim calibrate --method abc` cover the truth as often as it says? "
                    "Simulation-based calibration (Talts et al. 2018) on the simulator: design runs held out as "
                    "truths, synthetic facts drawn from their outcomes through the measurement model, the whole "
                    "inference (emulators refitted without them, ABC-SMC) run on each, and the share of central 50% "
                    "and 90% posterior intervals that hold the true parameter. A level passes within 2.58 standard "
                    "errors of nominal, counted over truths. Read from the baseline's calibration folder "
                    "(docs/calibration/baseline/calibration.json), where the check ran (docs/calibration.md).",
    }


def decomposition_intro(s: Size, base: str) -> str:
    """What the decomposition table's columns mean (from `ptsim.experiment.decomposition`)."""
    from ..experiment.decomposition import COMPONENTS, LABELS, MEANINGS
    from .decomposition import references
    parts = "; ".join(f"**{LABELS[c]}**, {MEANINGS[c]}" for c in COMPONENTS)
    setting = base.replace("`scenarios/baseline.yaml` at ", "").replace(
        f"{s.reps} replications (seeds spawned from the scenario's `run.seed`)",
        f"{s.decomposition_reps} seeds spawned from the baseline's `run.seed`")
    by_ref: dict[str, list[str]] = {}
    for name, ref in references().items():
        by_ref.setdefault(ref, []).append(f"`{name}`")
    which = ", ".join(["`baseline` for most"] + [f"`{ref}` for {' and '.join(names)}"
                                                 for ref, names in by_ref.items() if ref != "baseline"])
    return (f"Each library policy scenario against its reference, the library scenario its file extends (what its "
            f"description builds on: {which}), in paired runs on common random numbers: {setting}, every scenario "
            "on the same seeds. "
            "ΔGMV on platform is the policy's on-platform GMV over the recorded days minus its reference's, "
            "in % of the reference's, with the paired 95% interval across seeds. It is split, per pair of runs and "
            "then averaged, into components in percentage points of the reference's on-platform GMV (in brackets "
            "their share of the effect, where its interval excludes 0): "
            f"{parts}. Recaptured and lost orders are valued at the reference's mean order value, so where they "
            "are worth more or less than that (a WeChat community's orders, for instance), the difference shows "
            "in order value. The counts rest on the accounting of on-platform orders from "
            "the recorded flows, which holds exactly: needs on their own clock + pulls that moved a need + pulls "
            "that were new demand - needs given up - change in needs pending - off-platform orders. The "
            "components therefore sum to the total (here up to the rounding of the table), but they are "
            "accounting shares of this comparison, not the causal effect of one lever: a lever that changes "
            "ties changes order values, prices paid and needs at once. The last two columns, for context, are "
            "the change in off-platform (diverted) GMV and in on- plus off-platform GMV, in pp of the reference's "
            "on-platform GMV. A row passes when its runs' orders equal their accounting and its components sum to "
            "its total, both up to float rounding. A row's runs, with every flow it reads in their summaries: "
            f"`ptsim compare REFERENCE SCENARIO --reps {s.decomposition_reps} {set_text(baseline_overrides(s))}`.")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _verdict(c: Check) -> str:
    return {True: "**pass**", False: "**not met**", None: "no target"}[c.passed]


def counts(checks: list[Check]) -> tuple[int, int, int]:
    """(passed, not met, no target)."""
    return (sum(c.passed is True for c in checks), sum(c.passed is False for c in checks),
            sum(c.passed is None for c in checks))


def _commit() -> str:
    commit = results.git_commit()
    if commit is None:
        return "unknown commit"
    try:
        root = Path(__file__).resolve().parent.parent.parent
        # only what the numbers depend on: the package, the scenarios, the targets
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--",
                                "model", "scenarios", "targets", "pyproject.toml"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        dirty = ""
    return f"commit `{commit[:10]}`" + (" with uncommitted changes to the model, scenarios or targets" if dirty else "")


def render(checks: list[Check], figures: dict[str, list[tuple[str, str]]], size: Size, seconds: float,
           workers: int, only: list[str] | None = None, tables: dict[str, list[str]] | None = None) -> str:
    """The report as markdown; `figures` maps a section to its (relative path, caption) pairs, `tables` to
    markdown tables of its own, shown between its introduction and its checks."""
    lines = ["# Validation report", "",
             f"Generated by `ptsim validate` ({size.name} size) on {time.strftime('%Y-%m-%d %H:%M %Z')} at "
             f"{_commit()}, in {seconds:.0f} s with {workers} worker(s). Do not edit by hand: rerun "
             "`make validate` (`ptsim validate --workers 2`).", ""]
    if size.name == "quick":
        lines += ["> **Quick size: for testing the machinery only.** Populations, replications and horizons are "
                  "tiny, so passes and failures here say nothing about the model.", ""]
    if only:
        lines += [f"> Partial report: only {', '.join(only)}.", ""]
    passed, failed, none = counts(checks)
    lines += ["## Summary", "",
              f"**{passed} passed, {failed} not met, {none} without a target**, of {len(checks)} rows. "
              "\"Not met\" marks a target the model does not reach yet: this report is where calibration is "
              "measured. \"No target\" rows are shown for information (not modelled, inputs, or quantities "
              "without a published value).", "",
              "| section | passed | not met | no target |", "|---|---|---|---|"]
    sections = list(dict.fromkeys(c.section for c in checks))
    for sec in sections:
        p, f, n = counts([c for c in checks if c.section == sec])
        lines.append(f"| [{TITLES.get(sec, sec)}](#{_anchor(sec, sections)}) | {p} | {f} | {n} |")
    lines.append("")
    text = intros(size)
    for i, sec in enumerate(sections, 1):
        lines += [f"## {i}. {TITLES.get(sec, sec)}", "", text.get(sec, ""), ""]
        for extra in (tables or {}).get(sec, []):
            lines += [extra, ""]
        lines += ["| check | target | model (95% interval) | definition | result | reproduce |",
                  "|---|---|---|---|---|---|"]
        for c in (c for c in checks if c.section == sec):
            lines.append("| " + " | ".join(_cell(x) for x in (c.name, c.target, c.value, c.definition,
                                                                 _verdict(c), f"`{c.command}`")) + " |")
        lines.append("")
        for path, caption in figures.get(sec, []):
            lines += [f"![{caption}]({path})", "", f"*{caption}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _anchor(section: str, sections: list[str]) -> str:
    title = f"{sections.index(section) + 1}. {TITLES.get(section, section)}"
    keep = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -_")
    return keep.replace(" ", "-")


def write_report(checks: list[Check], figures: list[Figure], out_md: Path, fig_dir: Path, size: Size,
                 seconds: float, workers: int, only: list[str] | None = None,
                 tables: dict[str, list[str]] | None = None) -> Path:
    """Render the figures into `fig_dir` and the report into `out_md`, each file atomically."""
    out_md, fig_dir = Path(out_md), Path(fig_dir)
    paths = results.write_figures(fig_dir, {f.name: f.make for f in figures})
    by_section: dict[str, list[tuple[str, str]]] = {}
    for f in figures:
        rel = Path(os.path.relpath(paths[f.name], out_md.parent)).as_posix()
        by_section.setdefault(f.section, []).append((rel, f.caption))
    results.atomic_write_bytes(out_md, render(checks, by_section, size, seconds, workers, only, tables).encode())
    return out_md
