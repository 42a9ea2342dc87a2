"""The answers report: markdown (written atomically) with a section per question, each key effect's three layers
of uncertainty side by side, the assumptions that could flip it, and each number's reproducing command."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .. import results
from ..experiment.plan import duration
from ..scenario import field_value
from ..stats import _decimals
from ..validation.report import _commit
from . import commands, timing
from .discovery import MIN_COVERAGE
from .effects import display, label, text
from .questions import ARM_TEXT, Q2_PAIR, QUESTIONS, SIZES, Effect, effect_arms, scenarios
from .tables import crn_gain
from .uncertainties import ranges


def _cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _interval(row, prefix: str, factor: float) -> str:
    if row.get(f"{prefix}_mean") is None or not np.isfinite(row.get(f"{prefix}_mean", np.nan)):
        return "–"
    n = int(row[f"{prefix}_n"])
    return f"{text(row[f'{prefix}_mean'], row[f'{prefix}_low'], row[f'{prefix}_high'], factor)} (n={n})"


def _share(row) -> str:
    s = row.get("post_share_parameter", np.nan)
    return f"{100 * s:.0f}%" if s is not None and np.isfinite(s) else "–"


def _spread(row, factor: float) -> str:
    if not row["assume_n"]:
        return "–"
    q05, med, q95 = (row[k] * factor for k in ("assume_q05", "assume_median", "assume_q95"))
    k = _decimals(med, (q95 - q05) / 2, 3)
    return f"{q05:+,.{k}f} to {q95:+,.{k}f} (median {med:+,.{k}f}; {row['assume_n']} points)"


def _box(d: dict) -> str:
    if d["flips"] == 0:
        return f"no flip at any of {d['points']} points"
    head = f"flips at {d['flips']} of {d['points']} points"
    if "coverage" not in d:
        return head + " (too few on one side for a PRIM box)"
    if d["box"] is None:
        return head + f" (PRIM finds no box holding {100 * MIN_COVERAGE:.0f}% of them denser than all points)"
    sides = []
    for field, (lo, hi) in d["box"].items():
        sides.append(f"{field} ≥ {lo:.3g}" if hi is None else f"{field} ≤ {hi:.3g}" if lo is None else
                     f"{lo:.3g} ≤ {field} ≤ {hi:.3g}")
    return (f"{head}; PRIM box: {', '.join(sides)} (coverage {100 * d['coverage']:.0f}%, density "
            f"{100 * d['density']:.0f}% against {100 * d['base_density']:.0f}% of all points)")


def _top(indices, factor: float, k: int = 3) -> str:
    """The `k` assumptions of largest mu* (the effect's mean absolute change across the assumption's range, in
    the effect's display unit) with its 95% half-width and sigma."""
    good = indices[np.isfinite(indices["mu_star"])].head(k)
    if not len(good):
        return "–"
    parts = []
    for r in good.itertuples():
        m, c, sd = r.mu_star * factor, r.mu_star_conf * factor, r.sigma * factor
        d = _decimals(m, max(c, abs(m) / 20), 2)
        parts.append(f"{r.parameter} μ* {m:,.{d}f} ± {c:,.{d}f} (σ {sd:,.{d}f})")
    return "; ".join(parts)


def _noise(row) -> str:
    """One replication's paired variance over the effect's variance across the design."""
    sd, var = row["rep_sd"], row.get("assume_var", np.nan)
    if not (np.isfinite(sd) and np.isfinite(var)) or var <= 0:
        return ""
    return f"{min(100.0, 100 * sd ** 2 / var):.0f}%"


def effect_name(e) -> str:
    """An effect's outcome and its arm minus reference, for tables."""
    return f"{label(e.outcome, e.relative)}, {e.arm} − {e.reference}"


def sentence(row, size) -> str:
    """The answer for one key effect in words, with its three layers."""
    e = row["effect"]
    factor, unit = display(e.outcome, e.relative)
    what = "in % (treated stores against the same stores in baseline)" if e.relative else f"in {unit}"
    two = f"with the posterior {_interval(row, 'post', factor)}" if "post_mean" in row and \
        np.isfinite(row.get("post_mean", np.nan)) else "no posterior given"
    return (f"**{ARM_TEXT.get(e.arm, e.arm)}** against {ARM_TEXT.get(e.reference, e.reference)} moves "
            f"{label(e.outcome, e.relative)} by {_interval(row, 'rep', factor)} {what} over {size.days} days "
            f"(replications); {two}; across the assumptions' ranges {_spread(row, factor)}; against the "
            f"replications' sign, it {_box(row['discovery']).replace('no flip at any', 'flips at none')}. Most "
            f"sensitive to: {_top(row['indices'], factor)}.")


def key_rows(key, size, result, trial) -> list[str]:
    """The key effects' table: three layers side by side and the assumptions that could flip each."""
    out = ["| effect (unit) | 1. replications | 2. posterior | 3. assumptions, 5–95% of design | sign flips "
           "(PRIM) | most sensitive to (Morris) | noise share | reproduce |", "|---|---|---|---|---|---|---|---|"]
    post = result["posterior"]
    for _, row in key.iterrows():
        e = row["effect"]
        factor, unit = display(e.outcome, e.relative)
        out.append("| " + " | ".join(_cell(c) for c in (
            f"{effect_name(e)} ({unit})", _interval(row, "rep", factor),
            _interval(row, "post", factor) if post else "no posterior given", _spread(row, factor),
            _box(row["discovery"]), _top(row["indices"], factor), _noise(row),
            reproduce(row, size, result, trial))) + " |")
    return out


def reproduce(row, size, result, trial) -> str:
    """The commands of a key effect's three layers."""
    e, post = row["effect"], result["posterior"]
    cmd = [commands.compare_command(e, int(row["rep_n"]), trial)]
    if post:
        cmd.append(commands.compare_command(e, size.draws * size.per_draw, trial, post, size.draws))
    return "; ".join(f"`{c}`{commands.where(e)}" for c in cmd) + \
        f"; layer 3: `{commands.answers_command(size, post, result['workers'])}`"


def comparison_rows(table, size, result, trial) -> list[str]:
    """Every comparison and outcome of a question: layers 1 and 2, each with its command."""
    post = result["posterior"]
    out = ["| comparison | outcome (unit) | 1. replications | 2. posterior | from parameters | reproduce |",
           "|---|---|---|---|---|---|"]
    for _, row in table.iterrows():
        factor, unit = display(row["outcome"])
        e = Effect(row["arm"], row["reference"], row["outcome"])
        cmd = f"`{commands.compare_command(e, int(row['rep_n']), trial)}`"
        if post:
            cmd += f"; `{commands.compare_command(e, size.draws * size.per_draw, trial, post, size.draws)}`"
        out.append("| " + " | ".join(_cell(c) for c in (
            f"{row['arm']} − {row['reference']}", f"{label(row['outcome'])} ({unit})", _interval(row, "rep", factor),
            _interval(row, "post", factor) if post else "–", _share(row) if post else "–", cmd)) + " |")
    return out


def q2_rows(q2, size, trial) -> list[str]:
    """Question 2's precision: pilot, pairs needed and run, the interval and its verdict, with the command."""
    out = ["| outcome (points or pp) | pilot: pairs, mean, paired sd | pairs to resolve | pairs to bound below 1 | "
           f"pairs run (cap {size.q2_max_pairs}) | effect, 95% interval | verdict | reproduce |",
           "|---|---|---|---|---|---|---|---|"]
    for r in q2.itertuples():
        cmd = commands.compare_command(Effect(*Q2_PAIR, r.outcome), int(r.pairs), trial)
        out.append("| " + " | ".join(_cell(c) for c in (
            label(r.outcome), f"{r.pilot_pairs}, {r.pilot_mean:+.3f}, {r.pilot_sd:.3f}", _count(r.resolve),
            _count(r.bound), r.pairs, f"{r.mean:+.3f} [{r.low:+.3f}, {r.high:+.3f}]", r.sentence, f"`{cmd}`")) + " |")
    return out


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def _count(n: float) -> str:
    return "never (|mean| ≥ 1)" if not np.isfinite(n) else f"{int(n):,}"


def assumption_rows(scenario) -> list[str]:
    """Layer 3's assumptions: range, kind, the calibrated baseline's value and where the range comes from."""
    out = ["| assumption | kind | range | calibrated baseline | source of the range |", "|---|---|---|---|---|"]
    for field, r in ranges().items():
        value = field_value(scenario, field)
        out.append("| " + " | ".join(_cell(c) for c in (f"`{field}`", r["group"], f"{r['low']:g} to {r['high']:g}",
                                                         f"{value:g}", r["source"])) + " |")
    return out


def timing_rows(result) -> tuple[list[str], dict]:
    """This run's runs and burn-ins by layer; its CPU and wall time over the cost model's; the full size's wall time
    on 2 workers (question 2 at its cap, a posterior given) scaled by each ratio: cores of its own, or as busy."""
    counts, size, workers = timing.measured(result), result["size"], result["workers"]
    cpu = result["cpu_seconds"] / timing.seconds(size, counts, 1)
    wall = result["seconds"] / timing.seconds(size, counts, workers)
    full = SIZES["full"]
    model = timing.seconds(full, timing.stages(full, full.q2_max_pairs, True), 2)
    rows = ["| layer | runs | burn-ins simulated (not from the cache) |", "|---|---|---|"]
    rows += [f"| {name} | {runs:,} | {burn:,} |" for name, (runs, burn) in counts.items()]
    return rows, {"cpu": cpu, "wall": wall, "own": model * cpu, "busy": model * wall}


def render(result, figures: dict[str, str], trial: str) -> str:
    """The report as markdown; `figures` maps a section (q1..q4, sensitivity) to its figures' relative paths."""
    s, key, workers = result["size"], result["key"], result["workers"]
    full = SIZES["full"]
    rows_t, est = timing_rows(result)
    cmd = commands.answers_command(s, result["posterior"], workers)
    lines = ["# Answers to the four questions", "",
             f"Generated by `{cmd}` on {time.strftime('%Y-%m-%d %H:%M %Z')} at {_commit()}: "
             f"{duration(result['seconds'])} of wall time and {duration(result['cpu_seconds'])} of CPU on "
             f"{workers} worker(s)"
             + (f" over {result['invocations']} invocations (finished runs kept in its work folder)"
                if result["invocations"] > 1 else "") + ". Do not edit by hand.",
             ""]
    if s.name != "full":
        lines += [f"> **{s.name.capitalize()} size.** {s.consumers:,} consumer agents and {s.merchants:,} stores, "
                  f"{s.reps} replications per arm and a Morris design of {s.trajectories} trajectories: "
                  + ("for testing the machinery only; the numbers say nothing about the model." if s.name == "quick"
                     else "a first answer, with wide intervals. The full size (`make answers`) gives the answer; it "
                          f"has not been run yet, and is estimated below at {_hours(est['own'])} "
                          "on 2 cores of its own."), ""]
    lines += ["Set the two shell variables first; every command below uses them:", "", "```sh",
              f"SIZE='{commands.size_text(s)}'", f"ASSUMPTIONS='{commands.assumptions_text()}'", "```", "",
              "## How to read it", "",
              "Each question's effects are paired comparisons: an arm minus its reference on the same seeds (common "
              "random numbers), over the recorded year, at real scale (each agent stands for 1 bn / consumer agents "
              "buyers). Each key effect carries three layers of uncertainty, side by side:", "",
              f"1. **Replications**: the 95% t-interval of the paired difference over {s.reps} replications "
              "(question 2's pair over as many as its pilot asked for), at the calibrated values of the baseline.",
              f"2. **Posterior**: the same on {s.draws} parameter vectors drawn from a calibration's posterior x "
              f"{s.per_draw} replications each (the interval over the vectors' means: both sources), and the share of "
              "the variance the parameters cause. " + (f"Posterior: `{result['posterior']}`." if result["posterior"]
                                                       else "**No posterior given**: this layer is empty until a "
                                                            "calibration's folder is passed with `--posterior DIR`."),
              "3. **Assumptions no data pins down**: the effect at every point of a Morris design over the ranges in "
              "the table below (one common seed; every arm at every point), its 5–95% spread, the Morris indices "
              "of each assumption (SALib: μ*, the mean absolute change of the effect across the assumption's whole "
              "range, in the effect's unit, with its 95% bootstrap half-width; σ, how much that change depends on "
              "the other assumptions), and the points where its sign flips against "
              "the replications' mean, with the box PRIM (EMA Workbench) finds for them: coverage is the share of "
              "the flips inside the box, density the share of the box's points that flip. \"Noise share\" is one "
              "replication's paired variance over the effect's variance across the design (capped at 100%). The "
              "points share one seed, so their noise is partly common and moves them together: the share is an "
              "upper bound on how much of the spread is noise; near 100%, read the spread and the flips as what "
              "noise and assumptions together can do, and the Morris intervals for which assumptions matter. "
              "Where the replications do not resolve an "
              "effect's sign, its flips are counted against the sign of their mean and say little.", "",
              "## Summary", "",
              "| question | key effect | replications | posterior | assumptions | flips | reproduce |",
              "|---|---|---|---|---|---|---|"]
    for _, row in key.iterrows():
        e = row["effect"]
        factor, unit = display(e.outcome, e.relative)
        lines.append("| " + " | ".join(_cell(c) for c in (
            row["question"].upper(), f"{effect_name(e)} ({unit})", _interval(row, "rep", factor),
            _interval(row, "post", factor) if result["posterior"] else "–", _spread(row, factor),
            f"{row['discovery']['flips']} of {row['discovery']['points']}", reproduce(row, s, result, trial))) + " |")
    lines.append("")
    for q in QUESTIONS:
        rows = key[key["question"] == q.key]
        lines += [f"## {q.key.upper()}. {q.title}", "", f"> {q.text}", "", "**Answer.**", ""]
        lines += [f"- {sentence(r, s)}" for _, r in rows.iterrows()]
        if q.key == "q2":
            lines += [f"- **The bonus's effect on concentration**, {label(r.outcome)} ({display(r.outcome)[1]}, "
                      f"{r.pairs} paired replications): {r.sentence}." for r in result["q2"].itertuples()]
        lines.append("")
        lines += key_rows(rows, s, result, trial) + [""]
        if q.key == "q2":
            lines += ["**Enough replications for the bonus's effect on concentration.** A pilot of the first "
                      f"{s.reps} paired replications gives each effect's paired standard deviation; the pairs needed "
                      "for an 80% chance that the 95% interval excludes 0 (resolve) or lies within ±1 point (bound) "
                      "follow from it, and the smaller is run (at most the cap). Common random numbers are the "
                      "variance reduction: the unpaired interval of the same runs is "
                      f"{result['crn_gain']:.1f}x as wide as the paired one (Gini).", ""]
            lines += q2_rows(result["q2"], s, trial) + [""]
        for path in figures.get(q.key, []):
            lines += [f"![{q.title}]({path})", ""]
        lines += ["All comparisons of this question:", ""]
        lines += comparison_rows(result["comparisons"][result["comparisons"]["question"] == q.key], s, result,
                                 trial) + [""]
    lines += ["## The assumptions (layer 3)", "",
              f"{len(ranges())} fields, a Morris sample of {s.trajectories} trajectories on 4 levels "
              f"({len(result['layer3']['x'])} points; SALib), every key effect's arm run at every point on one seed "
              f"spawned from the baseline's `run.seed`. Each arm's runs are those of "
              f"`{commands.sweep_command('ARM', s.trajectories, trial)}` "
              f"(ARM one of {', '.join(effect_arms())}); "
              f"the effect at a point is the arm's response minus the reference's (the store experiment's needs the "
              f"reference to report the trial's stores, which `{cmd}` arranges).", ""]
    lines += assumption_rows(scenarios(["baseline"], s)["baseline"]) + [""]
    for path in figures.get("sensitivity", []):
        lines += [f"![Morris mu* of each assumption for each key effect]({path})", ""]
    lines += ["## Time", "",
              f"This run: {duration(result['seconds'])} of wall time on {workers} worker(s) and "
              f"{duration(result['cpu_seconds'])} of CPU, {est['wall']:.2f}x and {est['cpu']:.2f}x the estimates of "
              f"the experiments' cost model (`model/experiment/plan.py`, one core of the reference machine) for its "
              f"runs, on a machine shared with other work:", ""] + rows_t + [""]
    if s.name == "quick":
        lines += ["A quick run's runs are too small to time the full size by: its estimate comes from a medium run "
                  "(`ptsim answers --size medium`).", ""]
        return "\n".join(lines).rstrip() + "\n"
    lines += [f"The full size ({full.consumers:,} consumers, {full.merchants:,} stores, {full.reps} replications, "
              f"question 2 up to {full.q2_max_pairs} pairs, a posterior of {full.draws} x {full.per_draw}, "
              f"{full.trajectories} Morris trajectories) is estimated at **{_hours(est['own'])} on 2 cores of its "
              f"own**: the cost model's estimate for its runs on 2 workers times this run's CPU ratio "
              f"({est['cpu']:.2f}x), with question 2 at its cap "
              "and a posterior given (the worst case); on a machine as "
              f"busy as this one was, {_hours(est['busy'])} (its wall-time ratio, {est['wall']:.2f}x). "
              f"`make answers` runs it (`ptsim answers --workers 2`).", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_report(result, out_md: Path) -> Path:
    """Render the figures and the store experiment's scenario file into the folder beside `out_md` (docs/answers/
    for docs/answers.md) and the report into `out_md`, each file atomically."""
    from . import figures as figs  # matplotlib: imported when figures are drawn
    out_md = Path(out_md)
    folder = out_md.with_suffix("")
    result["crn_gain"] = crn_gain(result["layer1"], Effect(*Q2_PAIR, "gini_merchant_gmv"))
    trial = folder / commands.TRIAL_FILE
    results.atomic_write_bytes(trial, commands.trial_yaml(result["size"]).encode())
    paths = results.write_figures(folder, figs.makers(result))
    rel = {name: Path(os.path.relpath(p, out_md.parent)).as_posix() for name, p in paths.items()}
    by_section = {}
    for name, path in rel.items():
        by_section.setdefault(name.removeprefix("fig_"), []).append(path)
    trial_rel = Path(os.path.relpath(trial, Path.cwd())).as_posix() if trial.is_absolute() else trial.as_posix()
    results.atomic_write_bytes(out_md, render(result, by_section, trial_rel).encode())
    return out_md
