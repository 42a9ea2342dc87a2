"""The `ptsim` command line: run, compare, sweep, calibrate, validate, answers, bench.

Malformed input exits with status 2 and one line naming the file, the field and what is allowed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
    TimeRemainingColumn
from rich.table import Table

from .scenario import MAX_REPS, MAX_RUNS, ScenarioError, load_scenario, one_line, parse_set_options

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="ptsim: simulate Tmall's private-traffic ecosystem under platform policies.")


def _show_flags_without_a_type() -> None:
    """Typer's help shows a flag's type as <bool>, as if it took a value; a flag takes none, so show none."""
    from typer.core import TyperOption
    shown = TyperOption.display_type_rich
    if getattr(shown, "_ptsim", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag else shown(self, ctx)
    display_type_rich._ptsim = True
    TyperOption.display_type_rich = display_type_rich


_show_flags_without_a_type()


def _print_version(value: bool) -> None:
    if value:
        from . import __version__
        print(f"ptsim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                   help="Print ptsim's version and exit.")] = False):
    """ptsim: simulate Tmall's private-traffic ecosystem under platform policies."""


def _stdout_console() -> Console:
    """A terminal's own width; piped or in CI (no terminal), wide enough that tables keep their
    natural width instead of being cut or wrapped at rich's default of 80 columns."""
    terminal = Console()
    return terminal if terminal.is_terminal else Console(width=4000)


console = _stdout_console()
err_console = Console(stderr=True)

SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override a field: dotted.path=value "
                                                     "(repeatable), e.g. population.consumers=20000")]
DaysOpt = Annotated[Optional[int], typer.Option("--days", help="Simulated days (overrides run.days).")]
RepsOpt = Annotated[Optional[int], typer.Option("--reps", help="Replications (overrides run.reps).")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Root seed (overrides run.seed).")]
OutOpt = Annotated[Optional[str], typer.Option("--out", help="Output folder, new or empty (default: "
                                                "results/NAME-TIME); an existing experiment only with --resume.")]


def fail(message: str) -> None:
    err_console.print(f"error: {one_line(message)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def check_min(**options) -> None:
    """One-line error (exit 2) for a numeric option below its minimum: check_min(days=(value, 1))."""
    for name, (value, minimum) in options.items():
        if value is not None and value < minimum:
            fail(f"--{name.replace('_', '-')}: must be >= {minimum} (got {value})")


def check_max(**options) -> None:
    """One-line error (exit 2) for a numeric option above its maximum: check_max(reps=(value, 10000))."""
    for name, (value, maximum) in options.items():
        if value is not None and value > maximum:
            fail(f"--{name.replace('_', '-')}: must be <= {maximum:,} (got {value:,})")


def parse_workers(text: str | int) -> int:
    """--workers N or auto (the cores this process may use); more than those gets a one-line warning,
    since processes beyond the cores only slow each other down."""
    from .experiment.runner import available_cores
    cores = available_cores()
    if str(text).strip().lower() == "auto":
        return cores
    try:
        workers = int(str(text).strip())
    except ValueError:
        fail(f"--workers {text}: expected a whole number >= 1 or auto (one per core: {cores} here)")
    check_min(workers=(workers, 1))
    if workers > cores:
        err_console.print(f"warning: --workers {workers}: more than the {cores} core(s) available here; the extra "
                          f"processes share cores and slow each other down (--workers auto uses {cores})",
                          markup=False, highlight=False, soft_wrap=True)
    return workers


def resolve(path: Path, sets, days, reps, seed):
    """Load a scenario with the common overrides (--set, --days, --reps, --seed)."""
    check_min(days=(days, 1), reps=(reps, 1), seed=(seed, 0))
    overrides = parse_set_options(sets)
    options = {}
    for key, option, value in (("run.days", "--days", days), ("run.reps", "--reps", reps), ("run.seed", "--seed", seed)):
        if value is not None:
            overrides[key], options[key] = value, option
    return load_scenario(path, overrides, options=options)


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err_console,
                    transient=False, disable=not err_console.is_terminal and not _force_progress())


def _force_progress() -> bool:
    import os
    return os.environ.get("PTSIM_PROGRESS", "") == "1"


WorkersOpt = Annotated[str, typer.Option("--workers", metavar="N|auto", help="Parallel workers: 1 runs in this "
                                          "process; N > 1 starts a pool of N worker processes on this machine "
                                          "(a local Dask cluster with --backend dask); auto: one per core "
                                          "available.")]
BackendOpt = Annotated[str, typer.Option("--backend", help="Pool for --workers > 1: processes (a process pool, "
                                          "quick to start) or dask (a local Dask cluster).")]
SchedulerOpt = Annotated[Optional[str], typer.Option("--scheduler", help="Run on an existing Dask cluster, "
                                                     "e.g. tcp://127.0.0.1:8786.")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Finish the experiment in --out: run only the "
                                         "runs without a result (the design must be the same).")]
OutcomesOpt = Annotated[Optional[str], typer.Option("--outcomes", help="Comma-separated outcomes for the "
                                                    "figures (and sweep indices), e.g. gmv_total,active_share.")]
FiguresOpt = Annotated[bool, typer.Option(help="Write PNG figures.")]
CacheOpt = Annotated[bool, typer.Option("--cache/--no-cache", help="Reuse the warm state after each replication's "
                                        "burn-in from the cache folder (same results; see `ptsim cache`).")]
OrdersOpt = Annotated[bool, typer.Option("--orders", help="Log every order of every run's recorded days, one row "
                                         "each, to orders/<run_id>.parquet in --out (README: the order log).")]
MaxRunsOpt = Annotated[int, typer.Option("--max-runs", help="Refuse a design of more runs (points x "
                                         "replications) than this.")]

DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print each arm's scenario as resolved (after extends: "
                                         "and --set), the number of runs, which burn-ins are cached and the "
                                         "estimate; run nothing, write nothing.")]


def say_plan(plan) -> None:
    """Before the first run: how many runs, the burn-ins to simulate and roughly how long (plan.py)."""
    err_console.print(plan.text(), markup=False, highlight=False, soft_wrap=True)


def _checked(call):
    """`call()`, with bad input (ScenarioError) as one line and exit 2."""
    try:
        return call()
    except ScenarioError as exc:
        fail(str(exc))


def dry_run_report(arms: dict, plan, design_note: str = "") -> None:
    """--dry-run: each arm's resolved scenario as YAML documents, then what would run, and exit 0."""
    import yaml
    for name, s in arms.items():
        console.print(f"# arm: {name} (scenario as resolved)\n" + yaml.safe_dump(s.to_dict(), sort_keys=False,
                                                                                 allow_unicode=True) + "---",
                      markup=False, highlight=False, soft_wrap=True)
    if design_note:
        console.print(design_note, markup=False, highlight=False, soft_wrap=True)
    console.print(f"dry run: {plan.text()}; nothing was run or written", markup=False, highlight=False,
                  soft_wrap=True)
    raise typer.Exit(0)


def _require_out(resume: bool, out) -> None:
    if resume and out is None:
        fail("--resume needs --out DIR (the folder of the experiment to finish)")


def _experiment(kind: str, out, resume: bool, call):
    """Run an experiment with a progress bar (`call(progress)`; it says first how big it is with
    `say_plan`); bad input and results that cannot be written exit 2 with one line, an interrupt says
    how to resume."""
    import warnings

    from .results import OutputError
    with progress_bar() as bar, warnings.catch_warnings():
        # failed runs are reported after the tables (_report_failures), not also as a Python warning
        warnings.filterwarnings("ignore", message=r".* run\(s\) failed, so their outcomes are missing",
                                category=RuntimeWarning)
        task = bar.add_task(kind, total=None)

        def progress(done, total):
            bar.update(task, completed=done, total=total)
        try:
            return call(progress)
        except ScenarioError as exc:
            bar.stop()
            fail(str(exc))
        except OutputError as exc:
            bar.stop()
            fail(f"{exc}; files already there are unchanged (finish with --resume --out {out} once it can be "
                 "written)")
        except KeyboardInterrupt:
            bar.stop()
            err_console.print(f"interrupted: finished runs are saved; finish with --resume --out {out}",
                              markup=False, highlight=False)
            raise typer.Exit(130)


SCENARIO_ERROR = "ScenarioError: "


def _bad_input_in_runs(exp, files: dict) -> None:
    """Runs that failed on bad input found only in the run (a treatment selecting no store on record day
    0): one line naming the file, exit 2, before any table."""
    failed = exp.failed
    bad = failed[failed["error"].astype(str).str.startswith(SCENARIO_ERROR)] if len(failed) else failed
    if len(bad):
        row = bad.iloc[0]
        message = row["error"][len(SCENARIO_ERROR):]
        name, _, rest = message.partition(": ")
        files = files or {}
        if name in files:                        # another arm's treatment, tracked in this run
            fail(f"{files[name]}: {rest}")
        fail(f"{files.get(row['scenario'], row['scenario'])}: {message}")


def _report_failures(exp, out) -> None:
    failed = exp.failed
    if len(failed):
        err_console.print(f"warning: {len(failed)} of {len(exp.runs)} run(s) failed (first: "
                          f"{failed['run_id'].iloc[0]}: {failed['error'].iloc[0]}); tracebacks in "
                          f"{out}/runs/*.error.json", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)


def run_table(title: str, summary) -> Table:
    """Mean and 95% interval of each outcome of one scenario (rows of `compare.summary_table`), in
    display units (bn yuan, %, million); an interval below 0 of a non-negative outcome is marked."""
    from .plots import BELOW_ZERO_NOTE, MISSING, interval_text, scale_for
    table = Table(title=title, show_lines=False)
    table.add_column("outcome")
    table.add_column("unit")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    for r in summary.itertuples(index=False):
        factor, unit = scale_for(r.outcome)
        mean, _, interval = interval_text(r.mean * factor, r.low * factor, r.high * factor, r.n,
                                          bounded=r.crosses_zero).partition(" ")
        table.add_row(r.outcome, unit or r.unit or "-", mean, interval or MISSING)
    if summary["crosses_zero"].any():
        table.caption = BELOW_ZERO_NOTE
    return table


@app.command()
def run(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file, or the name of a library scenario "
                                                 "(`ptsim scenarios` lists them), e.g. baseline.")],
        set_: SetOpt = None, days: DaysOpt = None, reps: RepsOpt = None, seed: SeedOpt = None,
        out: OutOpt = None, workers: WorkersOpt = "1", backend: BackendOpt = "processes",
        scheduler: SchedulerOpt = None, resume: ResumeOpt = False, figures: FiguresOpt = True,
        cache: CacheOpt = True, orders: OrdersOpt = False, dry_run: DryRunOpt = False):
    """Run a scenario's replications (a one-point experiment) and write tables, figures and manifest."""
    from . import plots, results
    from .experiment import run_experiment
    from .experiment.compare import summary_table, write_table
    from .outcomes import OUTCOME_NAMES
    workers = parse_workers(workers)
    try:
        s = resolve(scenario, set_, days, reps, seed)
    except ScenarioError as exc:
        fail(str(exc))
    _require_out(resume, out)
    if dry_run:
        dry_run_report({s.name: s}, _checked(lambda: run_experiment(
            [s], out=out, resume=resume, workers=workers, backend=backend, scheduler=scheduler, cache=cache,
            dry_run=True)))
    out = out if out is not None else results.default_out_dir(s.name)
    paths = []

    def call(progress):
        exp = run_experiment([s], out=out, resume=resume, workers=workers, backend=backend, scheduler=scheduler,
                             progress=progress, command="run", cache=cache, orders=orders, on_plan=say_plan)
        paths.extend(Path(out) / n for n in ("manifest.json", "points.parquet", "runs.parquet",
                                             "timeseries.parquet"))
        summary.append(summary_table(exp.runs, OUTCOME_NAMES))
        paths.extend(write_table(out, "summary", summary[0]))
        if figures and len(exp.ok):
            paths.extend(results.write_figures(out, plots.run_figures(exp.labelled_timeseries(), s)).values())
        return exp
    summary = []
    exp = _experiment(f"{s.name}: {s.run.reps} x {s.run.days} days", out, resume, call)
    _bad_input_in_runs(exp, {s.name: scenario})
    scale = s.population.agent_scale
    console.print(run_table(f"{s.name}: {s.run.reps} replication(s), {s.run.days} days, {s.population.consumers:,} "
                            f"consumers x {f'{scale:,.0f}' if scale >= 100 else f'{scale:.3g}'}", summary[0]))
    console.print(f"results written to {out}/ ({', '.join([p.name for p in paths] + (['orders/'] if orders else []))})")
    if s.treatment.enabled:
        console.print("the treated and comparable units' outcomes are the units.* columns of runs.parquet; "
                      f"`ptsim compare baseline {scenario}` estimates the treatment's effect on them "
                      "(docs/experiments.md)", markup=False, highlight=False, soft_wrap=True)
    _report_failures(exp, out)


def comparison_table(c, names=None) -> Table:
    """Each scenario's mean [95% interval] in display units (bn yuan, %, million) and each other
    scenario's paired difference from the reference: absolute (shares in pp) and, but for shares, in %
    of the reference's mean (a dash where that mean is 0)."""
    import numpy as np

    from .outcomes import OUTCOME_NAMES
    from .plots import BELOW_ZERO, BELOW_ZERO_NOTE, MISSING, display_unit, interval_text, relative
    others = [s for s in dict.fromkeys(c.summary["scenario"]) if s != c.reference]
    table = Table(title=f"{len(c.runs)} runs: mean [95% interval]; paired difference vs {c.reference} "
                        f"(same seeds)")
    table.add_column("outcome")
    table.add_column("unit")
    for s in [c.reference] + others:
        table.add_column(s, justify="right")
    for s in others:
        table.add_column(f"{s} - {c.reference}", justify="right")
        table.add_column(f"{s} - {c.reference} (%)", justify="right")
    summary = c.summary.set_index(["scenario", "outcome"])
    diff = c.differences.set_index(["scenario", "outcome"]) if len(c.differences) else None
    for name in names or c.outcomes:
        factor, unit = display_unit(name)
        row = [name, unit or summary.loc[(c.reference, name), "unit"] or "-"]
        for s in [c.reference] + others:
            r = summary.loc[(s, name)]
            row.append(interval_text(*(r[k] * factor for k in ("mean", "low", "high")), r["n"],
                                     bounded=name in OUTCOME_NAMES))
        for s in others:
            d = diff.loc[(s, name)]
            pp = " pp" if display_unit(name, difference=True)[1] == "pp" and np.isfinite(d["mean"]) else ""
            row.append(interval_text(*(d[k] * factor for k in ("mean", "low", "high")), d["n_pairs"], sign=True)
                       + pp)
            row.append(interval_text(d["pct_mean"], d["pct_low"], d["pct_high"], d["n_pairs"], sign=True)
                       if relative(name) else "")
        table.add_row(*row)
    notes = [f"shares in %, their differences in pp; (%): % of the reference's mean, {MISSING} where it is 0"]
    if any(BELOW_ZERO in cell for column in table.columns for cell in column.cells):
        notes.append(BELOW_ZERO_NOTE)
    table.caption = "\n".join(notes)
    return table


# the store outcomes `compare` prints for a treated arm (treatment_effects.csv has them all)
TREATMENT_HEADLINE = ("gmv", "visits", "orders", "repurchase_rate", "old_customer_conversion", "new_fans")


def _per_unit_scale(unit: str, size: float) -> tuple[float, str]:
    """Factor and unit a treated unit's outcome is shown in: shares in %, large counts and yuan in
    thousands or millions (per store they are large at real scale)."""
    if unit == "share":
        return 100.0, "%"
    for factor, word in ((1e-6, "million"), (1e-3, "thousand")):
        if abs(size) * factor >= 1:
            return factor, f"{word} {unit}"
    return 1.0, unit


def _relative_text(pct: float) -> str:
    from .plots import MISSING
    import numpy as np
    if not np.isfinite(pct):
        return MISSING
    return f"{pct:+.1f}%" if abs(pct) >= 1 or pct == 0 else f"{pct:+.2f}%"


def treatment_table(c) -> Table:
    """Each treated arm's headline store outcomes per store: the treated stores' mean, the effect against
    the same stores in the reference arm (95% interval), and in % the effect, the treated against comparable
    stores (over the same ratio in the reference arm) and the comparable stores' spillover."""
    from .plots import MISSING, interval_text
    te = c.treatment_effects
    te = te[(te["units"] == "stores") & te["outcome"].isin(TREATMENT_HEADLINE)]
    order = {name: i for i, name in enumerate(TREATMENT_HEADLINE)}
    te = te.sort_values(["scenario", "outcome"], key=lambda col: col.map(order) if col.name == "outcome" else
                        col.map({s: i for i, s in enumerate(dict.fromkeys(te["scenario"]))}))
    table = Table(title=f"treated stores: mean per store; effect vs the same stores in {c.reference} (paired "
                        f"by seed) [95% interval]; vs comparable untreated stores in the same arm; spillover on "
                        f"those stores vs {c.reference}")
    for col in ("arm", "outcome", "unit", "treated", "effect", "effect (%)", "vs comparable", "spillover"):
        table.add_column(col, justify="left" if col in ("arm", "outcome", "unit") else "right")
    for r in te.itertuples(index=False):
        factor, unit = _per_unit_scale(r.unit, r.treated_reference)
        share = r.unit == "share"
        pp = " pp" if share else ""
        effect = interval_text(r.effect * factor, r.effect_low * factor, r.effect_high * factor, r.n_pairs,
                               sign=True)
        table.add_row(r.scenario, r.outcome, unit, interval_text(r.treated * factor, r.treated * factor,
                                                                 r.treated * factor, 1),
                      effect + (pp if effect != MISSING else ""),
                      *(_relative_text(getattr(r, f"{k}_pct")) for k in ("effect", "vs_comparable", "spillover")))
    table.caption = ("per store at real scale; shares in %, their differences in pp; in %, paired over seeds: "
                     f"effect, treated stores over themselves in {c.reference}; vs comparable, treated over "
                     f"comparable stores, over the same ratio in {c.reference}; spillover, comparable stores over "
                     f"themselves in {c.reference} ({MISSING}: no number)")
    return table


def _outcome_list(text):
    return [o.strip() for o in text.split(",") if o.strip()] if text else None


@app.command()
def compare(scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files or library scenario "
                                                            "names; the first is the reference for paired "
                                                            "differences.")],
            set_: SetOpt = None, days: DaysOpt = None, reps: RepsOpt = None, seed: SeedOpt = None,
            out: OutOpt = None, workers: WorkersOpt = "1", backend: BackendOpt = "processes",
            scheduler: SchedulerOpt = None, resume: ResumeOpt = False, outcomes: OutcomesOpt = None,
            figures: FiguresOpt = True, cache: CacheOpt = True, max_runs: MaxRunsOpt = MAX_RUNS,
            orders: OrdersOpt = False,
            posterior: Annotated[Optional[Path], typer.Option(
                "--posterior", help="A posterior folder of ptsim calibrate --method abc (its posterior.parquet): draw calibrated parameter "
                "vectors, shared by the arms, so intervals include parameter uncertainty.")] = None,
            draws: Annotated[Optional[int], typer.Option(
                "--draws", help="Parameter vectors drawn from --posterior (default: one per replication; "
                "--reps must be a multiple; two or more replications per vector split the variance).")] = None,
            dry_run: DryRunOpt = False):
    """Compare scenarios over the same replication seeds: means, 95% intervals, paired differences."""
    from . import experiment
    workers = parse_workers(workers)
    check_min(reps=(reps, 1), seed=(seed, 0), max_runs=(max_runs, 1), draws=(draws, 1))
    from .results import default_out_dir
    try:
        named = {}
        for path in scenarios:
            s = resolve(path, set_, days, None, None)
            if s.name in named:
                fail(f"{path}: scenario name {s.name!r} is used by another file; give each a distinct name")
            named[s.name] = s
    except ScenarioError as exc:
        fail(str(exc))
    first = next(iter(named.values()))
    _require_out(resume, out)
    if dry_run:
        dry_run_report(named, _checked(lambda: experiment.compare(
            named, reps, seed=seed, outcomes=_outcome_list(outcomes), out=out, resume=resume, workers=workers,
            backend=backend, scheduler=scheduler, cache=cache, max_runs=max_runs, posterior=posterior, draws=draws,
            dry_run=True)), "# with --posterior each replication also sets its drawn parameter vector" if posterior
            else "")
    out = out if out is not None else default_out_dir(f"compare-{first.name}")
    c = _experiment(f"compare {len(named)} scenarios", out, resume, lambda progress: experiment.compare(
        named, reps, seed=seed, outcomes=_outcome_list(outcomes), out=out, resume=resume, workers=workers,
        backend=backend, scheduler=scheduler, figures=figures, progress=progress, cache=cache, max_runs=max_runs,
        posterior=posterior, draws=draws, orders=orders, on_plan=say_plan))
    _bad_input_in_runs(c.experiment, {s.name: p for p, s in zip(scenarios, named.values())})
    console.print(comparison_table(c, _outcome_list(outcomes)))
    if c.posterior:
        p = c.posterior
        console.print(f"parameter uncertainty: {p['draws']} vector(s) drawn from {p['source']} ({p['vectors']} "
                      f"vectors, effective {p['effective_vectors']}), {p['per_draw']} replication(s) each; "
                      "share_parameter in summary.csv and differences.csv is the share of variance they cause")
    if len(c.treatment_effects):
        console.print(treatment_table(c))
    console.print(f"results written to {out}/ (summary.csv, differences.csv, "
                  f"{'treatment_effects.csv, ' if len(c.treatment_effects) else ''}runs.parquet, timeseries.parquet"
                  f"{', orders/' if orders else ''}{', figures' if figures else ''})")
    if len(c.treatment_effects):
        console.print(f"every outcome of the treated and comparable stores and consumers: {out}/treatment_effects.csv "
                      "(docs/experiments.md: store and consumer experiments)", markup=False, highlight=False,
                      soft_wrap=True)
    _report_failures(c.experiment, out)


def grid_table(r) -> Table:
    """A grid sweep's points: the swept values, finished replications and each outcome's mean [95%
    interval] over replications in display units (bn yuan, %, million; the unit in the header)."""
    from .outcomes import OUTCOME_NAMES
    from .plots import BELOW_ZERO, BELOW_ZERO_NOTE, display_unit, interval_text
    table = Table(title=f"grid: mean [95% interval] per point ({r.design.reps} replication(s))")
    for col in ["point", *r.parameters, "n"]:
        table.add_column(col, justify="right")
    for name in r.outcomes:
        unit = display_unit(name)[1]
        table.add_column(f"{name} ({unit})" if unit else name, justify="right")
    for row in r.table.to_dict("records"):
        cells = [str(row[col]) for col in ["point", *r.parameters, "n"]]
        for name in r.outcomes:
            factor = display_unit(name)[0]
            cells.append(interval_text(*(row[f"{name}{end}"] * factor for end in ("", "_low", "_high")), row["n"],
                                       bounded=name in OUTCOME_NAMES))
        table.add_row(*cells)
    if any(BELOW_ZERO in cell for column in table.columns for cell in column.cells):
        table.caption = BELOW_ZERO_NOTE
    return table


@app.command()
def sweep(scenario: Annotated[Path, typer.Argument(help="Base scenario: a YAML file or a library scenario's "
                                                   "name.")],
          grid: Annotated[Optional[list[str]], typer.Option("--grid", help="field=v1,v2,... (repeatable; full "
                                                            "factorial), e.g. ranking.exponent=0.5,0.75,1")] = None,
          lhs: Annotated[bool, typer.Option("--lhs", help="Latin hypercube over the --param ranges.")] = False,
          sobol: Annotated[bool, typer.Option("--sobol", help="Sobol design and S1/ST indices.")] = False,
          morris: Annotated[bool, typer.Option("--morris", help="Morris design and mu*/sigma.")] = False,
          param: Annotated[Optional[list[str]], typer.Option("--param", help="field=lo:hi (repeatable), e.g. "
                                                             "choice.deal_utility=0.5:3")] = None,
          samples: Annotated[int, typer.Option("--samples", help="LHS points, Sobol base N (a power "
                                               "of 2; N x (D+2) points), or Morris trajectories.")] = 64,
          set_: SetOpt = None, days: DaysOpt = None, reps: RepsOpt = None, seed: SeedOpt = None,
          out: OutOpt = None, workers: WorkersOpt = "1", backend: BackendOpt = "processes",
          scheduler: SchedulerOpt = None, resume: ResumeOpt = False, outcomes: OutcomesOpt = None,
          figures: FiguresOpt = True, cache: CacheOpt = True, max_runs: MaxRunsOpt = MAX_RUNS,
          orders: OrdersOpt = False, dry_run: DryRunOpt = False):
    """Sweep scenario fields: a grid, or a Latin hypercube, Sobol or Morris sample with sensitivity."""
    from . import experiment
    workers = parse_workers(workers)
    check_min(samples=(samples, 2), reps=(reps, 1), seed=(seed, 0), max_runs=(max_runs, 1))
    from .experiment.design import parse_grid, parse_params
    from .results import default_out_dir
    methods = [m for m, on in (("lhs", lhs), ("sobol", sobol), ("morris", morris)) if on]
    if len(methods) > 1:
        fail(f"choose one of --lhs, --sobol, --morris (got {', '.join('--' + m for m in methods)})")
    if grid and (methods or param):
        fail("--grid makes a full-factorial design; do not combine it with --param/--lhs/--sobol/--morris")
    if methods and not param:
        fail(f"--{methods[0]} needs at least one --param field=lo:hi")
    if param and not methods:
        fail("--param ranges need a sampling method: --lhs, --sobol or --morris")
    if not grid and not methods:
        fail("give a design: --grid field=v1,v2,... or --lhs/--sobol/--morris with --param field=lo:hi")
    try:
        base = resolve(scenario, set_, days, None, None)
        g, p = (parse_grid(grid), None) if grid else (None, parse_params(param))
    except ScenarioError as exc:
        fail(str(exc))
    _require_out(resume, out)

    def design_run(**kwargs):
        return experiment.sweep(base, grid=g, params=p, method=methods[0] if methods else None, samples=samples,
                                reps=reps, seed=seed, outcomes=_outcome_list(outcomes), out=out, resume=resume,
                                workers=workers, backend=backend, scheduler=scheduler, cache=cache,
                                max_runs=max_runs, orders=orders, **kwargs)
    if dry_run:
        plan = _checked(lambda: design_run(dry_run=True))
        points = plan.points.drop(columns=["scenario"])
        shown = points.head(20).to_string(index=False)
        dry_run_report({base.name: base}, plan, f"# the design: {len(points):,} point(s), each the scenario above with "
                       f"these fields set\n{shown}" + (f"\n... ({len(points) - 20:,} more)" if len(points) > 20 else ""))
    out = out if out is not None else default_out_dir(f"sweep-{base.name}")
    r = _experiment(f"sweep {base.name}", out, resume,
                    lambda progress: design_run(figures=figures, progress=progress, on_plan=say_plan))
    if r.indices is not None:
        table = Table(title=f"{r.method} sensitivity ({len(r.points)} points x {r.design.reps} replication(s))")
        for col in r.indices.columns:
            table.add_column(col, justify="left" if col in ("outcome", "parameter") else "right")
        for row in r.indices.itertuples(index=False):
            table.add_row(*[v if isinstance(v, str) else f"{v:.3g}" for v in row])
    else:
        table = grid_table(r)
    console.print(table)
    console.print(f"results written to {out}/ (responses.csv, "
                  f"{'sensitivity.csv, sensitivity.parquet, ' if r.indices is not None else ''}runs.parquet, "
                  f"points.parquet, timeseries.parquet{', orders/' if orders else ''}{', figures' if figures else ''})")
    _report_failures(r.experiment, out)


@app.command()
def calibrate(scenario: Annotated[Path, typer.Argument(help="Scenario to calibrate: a YAML file or a library "
                                                       "name (calibrated.yaml extends it).")],
              targets: Annotated[Optional[Path], typer.Option("--targets", help="Targets file (default: "
                                                              "targets/published.yaml).")] = None,
              param: Annotated[Optional[list[str]], typer.Option("--param", help="field=lo:hi (repeatable): a "
                                                                 "numeric scenario field to fit, e.g. "
                                                                 "relationships.tie_life_days=90:720")] = None,
              trials: Annotated[int, typer.Option("--trials", help="Trials of the study (with --resume: in "
                                                  "total, those already run included).")] = 50,
              reps: Annotated[int, typer.Option("--reps", help="Replications per trial: the same seeds in every "
                                                "trial (common random numbers).")] = 4,
              set_: SetOpt = None, days: DaysOpt = None, seed: SeedOpt = None, out: OutOpt = None,
              workers: Annotated[str, typer.Option("--workers", metavar="N|auto", help="Worker processes sharing the study (1: "
                                                   "in this process).")] = "1",
              resume: Annotated[bool, typer.Option("--resume", help="Continue the study in --out (after a kill "
                                                   "or to add trials) up to --trials.")] = False,
              pruning: Annotated[bool, typer.Option("--pruning/--no-pruning", help="Stop trials whose loss after a "
                                                    "replication is worse than 3/4 of earlier trials'.")] = True,
              near_best_level: Annotated[float, typer.Option("--near-best-level", help="near_best.parquet keeps "
                                                             "completed trials within the chi-square quantile of "
                                                             "this level of the best loss.")] = 0.95,
              confirm: Annotated[int, typer.Option("--confirm", help="Re-run this many of the best trials on "
                                                   "--confirm-reps seeds at --confirm-set's size; the one meeting "
                                                   "the most targets there becomes calibrated.yaml (0: the "
                                                   "study's best).")] = 0,
              confirm_reps: Annotated[Optional[int], typer.Option("--confirm-reps", help="Seeds of the "
                                                                  "confirmation (default 2 x --reps).")] = None,
              confirm_set: Annotated[Optional[list[str]], typer.Option("--confirm-set", help="field=value "
                                                                       "(repeatable): the confirmation's size, "
                                                                       "e.g. population.consumers=20000 "
                                                                       "(default: --set).")] = None,
              method: Annotated[str, typer.Option("--method", help="abc: the posterior (ABC-SMC with pyabc on "
                                                  "emulators of a design of runs); optuna: a study that finds a "
                                                  "best point.")] = "optuna",
              priors: Annotated[Optional[Path], typer.Option("--priors", help="abc: the parameters and their prior "
                                                             "ranges (default targets/priors.yaml; --param "
                                                             "instead gives uniform ranges).")] = None,
              design: Annotated[int, typer.Option("--design", help="abc: simulator runs the emulators learn from "
                                                  "(one replication each, a Latin hypercube over the priors).")] = 240,
              particles: Annotated[int, typer.Option("--particles", help="abc: particles per ABC-SMC "
                                                     "generation.")] = 400,
              generations: Annotated[int, typer.Option("--generations", help="abc: at most this many generations "
                                                       "(it stops at temperature 1, the posterior).")] = 25,
              coverage: Annotated[int, typer.Option("--coverage", help="abc: hold this many design runs out as "
                                                    "truths of a simulation-based coverage check (0: none).")] = 0,
              dry_run: DryRunOpt = False):
    """Fit the world's parameters to the published facts: with --method abc a posterior (ABC-SMC, pyabc); with
    optuna a study's best point. Writes calibrated.yaml and the fit table."""
    if method not in ("optuna", "abc"):
        fail(f"--method {method!r}: use abc (a posterior) or optuna (a best point)")
    if method == "abc":
        return calibrate_abc(scenario, targets, param, priors, design, particles, generations, coverage, set_, seed,
                             out, workers, resume, dry_run)
    from .calibration.study import CalibrationError
    from .calibration.study import calibrate as run_calibration
    from types import SimpleNamespace

    from .experiment.design import parse_params
    from .experiment.plan import calibration_text
    from .results import OutputError, default_out_dir
    workers = parse_workers(workers)
    check_min(trials=(trials, 1), reps=(reps, 1), seed=(seed, 0), days=(days, 1),
              confirm=(confirm, 0), confirm_reps=(confirm_reps, 1))
    check_max(reps=(reps, MAX_REPS), confirm_reps=(confirm_reps, MAX_REPS), trials=(trials, MAX_RUNS))
    if resume and out is None:
        fail("--resume needs --out DIR (the folder of the calibration to continue)")
    try:
        overrides = parse_set_options(set_)
        if days is not None:
            overrides["run.days"] = days
        params = parse_params(param)
        base = load_scenario(scenario, overrides)
    except ScenarioError as exc:
        fail(str(exc))
    try:                                                        # a bad --confirm-set fails now, not after the study
        confirm_overrides = {**overrides, **parse_set_options(confirm_set)} if confirm_set else None
        at_size = load_scenario(scenario, confirm_overrides) if confirm_overrides else base
    except ScenarioError as exc:
        fail(str(exc).replace("--set", "--confirm-set", 1))
    plan_text = calibration_text(base, trials, reps, workers, confirm, confirm_reps or 2 * reps, at_size)
    if dry_run:
        from .experiment.design import numeric_field
        for name, (lo, hi) in params.items():
            _checked(lambda: [base.with_overrides({name: v if numeric_field(base, name, lo, "calibrated") is float
                                                   else int(round(v))}, source="--param") for v in (lo, hi)])
        ranges = "\n".join(f"#   {name}: {lo:g} to {hi:g}" for name, (lo, hi) in params.items())
        dry_run_report({base.name: base}, SimpleNamespace(text=lambda: plan_text),
                       f"# the parameters fitted, within their ranges:\n{ranges}" if params else "")
    out = out if out is not None else str(default_out_dir(f"calibrate-{base.name}"))
    said = False

    with progress_bar() as bar:
        task = bar.add_task("calibrate", total=trials)

        def progress(done, total, best, number):
            nonlocal said
            if not said:
                said = True
                err_console.print(calibration_text(base, total - done, reps, workers, confirm, confirm_reps or 2 * reps,
                                                   at_size),
                                  markup=False, highlight=False, soft_wrap=True)
            text = "calibrate" if best is None else f"calibrate: best loss {best:.4g} (trial {number})"
            bar.update(task, completed=done, total=total, description=text)
        try:
            c = run_calibration(scenario, targets, params, trials=trials, reps=reps, seed=seed, workers=workers,
                                out=out, resume=resume, pruning=pruning, level=near_best_level, overrides=overrides,
                                progress=progress, confirm=confirm, confirm_reps=confirm_reps,
                                confirm_overrides=confirm_overrides)
        except ScenarioError as exc:
            bar.stop()
            fail(str(exc))
        except OutputError as exc:
            bar.stop()
            fail(f"{exc}; the study is unchanged (continue with --resume --out {out} once it can be written)")
        except CalibrationError as exc:
            bar.stop()
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1)
        except KeyboardInterrupt:
            bar.stop()
            err_console.print(f"interrupted: finished trials are saved; continue with --resume --out {out}",
                              markup=False, highlight=False)
            raise typer.Exit(130)
    states = ", ".join(f"{n} {s}" for s, n in sorted(c.counts.items()))
    if c.best_trial is None:
        err_console.print(f"error: no trial completed ({states}); nothing to calibrate from (see {out}/trials.parquet)",
                          markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    from .validation.core import fmt
    chosen = "confirmed" if confirm else "best"
    table = Table(title=f"{chosen} trial {c.best_trial} of {len(c.trials)} ({states}): loss {c.best_loss:.4g}"
                        + (" in the confirmation runs (confirm.csv)" if confirm else ""))
    for col in ("target", "band", "model (95% interval)", "met", "loss"):
        table.add_column(col, justify="right" if col in ("loss",) else "left")
    for r in c.fit.itertuples(index=False):
        table.add_row(r.label, r.band, fmt(r.model_mean, r.model_low, r.model_high, r.display) if r.reps else "-",
                      "yes" if r.met else "no", f"{r.loss:.3g}")
    console.print(table)
    console.print(f"{chosen} parameters: " + ", ".join(f"{k}={v:.6g}" for k, v in c.best_params.items()), highlight=False)
    console.print("importances: " + (", ".join(f"{k} {v:.2f}" for k, v in c.importances.items())
                                     if c.importances else c.importance_note), highlight=False)
    console.print(f"results written to {out}/ (calibrated.yaml, fit.md, fit.csv, trials.parquet, near_best.parquet "
                  f"[{len(c.near_best)} trial(s)], {'importances.csv, ' if c.importances else ''}"
                  f"{'confirm.csv, ' if confirm else ''}calibration.json, "
                  f"study.journal)", highlight=False)
    if c.failed:
        err_console.print(f"warning: {c.failed} trial(s) failed with a model error (see the error column of "
                          f"{out}/trials.parquet)", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)


def calibrate_abc(scenario, targets, param, priors, design, particles, generations, coverage, set_, seed, out,
                  workers, resume, dry_run):
    """`ptsim calibrate --method abc`: design, emulators, ABC-SMC and the coverage check, with progress."""
    from .calibration.posterior_fit import fit_posterior, min_design
    from .calibration.priors import Priors, load_priors
    from .calibration.targets import load_targets
    from .experiment.design import parse_params
    from .results import default_out_dir
    workers = parse_workers(workers)
    check_min(design=(design, 8), particles=(particles, 20), generations=(generations, 1), coverage=(coverage, 0),
              seed=(seed, 0))
    check_max(design=(design, MAX_RUNS))
    if resume and out is None:
        fail("--resume needs --out DIR (the folder of the calibration to continue)")
    if param and priors is not None:
        fail("--param and --priors: give the parameters one way (a priors file, or uniform ranges with --param)")
    try:
        overrides = parse_set_options(set_)
        base = load_scenario(scenario, overrides)
        prior = Priors.from_ranges(parse_params(param)) if param else load_priors(priors)
        prior.check(base)
        target_set = load_targets(targets)
    except ScenarioError as exc:
        fail(str(exc))
    if design < min_design(len(prior.names)):
        fail(f"--design {design}: the emulators of {len(prior.names)} parameters need at least "
             f"{min_design(len(prior.names))} runs (about 25 per parameter give a good fit)")
    if coverage and coverage > design // 3:
        fail(f"--coverage {coverage}: at most a third of --design ({design // 3}) can be held out as truths")
    plan = (f"# {design} runs of {base.name} ({base.population.consumers:,} consumers, {base.population.merchants:,} "
            f"stores, {base.run.burn_in_days} + {base.run.days} days), one replication each, over "
            f"{len(prior.names)} parameters; emulators; ABC-SMC with {particles} particles, at most {generations} "
            f"generations" + (f"; a coverage check on {coverage} held-out runs" if coverage else ""))
    if dry_run:
        console.print(plan + "\n# the parameters and their prior ranges:\n" + "\n".join(
            f"#   {n}: {lo:g} to {hi:g}" for n, (lo, hi) in prior.ranges.items()), markup=False, highlight=False)
        raise typer.Exit(0)
    out = out if out is not None else str(default_out_dir(f"calibrate-{base.name}"))
    err_console.print(plan, markup=False, highlight=False, soft_wrap=True)
    with progress_bar() as bar:
        tasks = {}

        def progress(stage, done, total):
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)
        try:
            f = fit_posterior(scenario, target_set, prior, design=design, seed=seed, overrides=overrides,
                              workers=workers, out=out, resume=resume, population=particles, generations=generations,
                              coverage=coverage, progress=progress)
        except ScenarioError as exc:
            bar.stop()
            fail(str(exc))
        except KeyboardInterrupt:
            bar.stop()
            err_console.print(f"interrupted: finished design runs are saved; continue with --resume --out {out}",
                              markup=False, highlight=False)
            raise typer.Exit(130)
    import json
    import shlex
    manifest = Path(out) / "calibration.json"
    record = json.loads(manifest.read_text())
    record["command"] = "ptsim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    manifest.write_text(json.dumps(record, indent=1))
    from .calibration.posterior_report import write as write_page
    write_page(out)
    table = Table(title=f"posterior ({len(f.posterior)} particles, effective {f.sample.ess:.0f}; "
                        + ("temperature 1 reached" if f.sample.reached_posterior else
                           f"NOT at temperature 1: stopped at {f.sample.final_temperature:.3g}") + ")")
    for col in ("parameter", "prior", "median", "90% interval"):
        table.add_column(col)
    for r in f.summary.itertuples(index=False):
        table.add_row(r.parameter, f"{r.prior_low:.4g} to {r.prior_high:.4g}", f"{r.median:.4g}",
                      f"{r.q05:.4g} to {r.q95:.4g}")
    console.print(table)
    if f.coverage is not None:
        t = f.coverage.table().iloc[-1]
        console.print(f"coverage check on {len(f.coverage.ranks)} held-out runs: 50% intervals cover "
                      f"{t.covered_50:.0%}, 90% intervals {t.covered_90:.0%} "
                      f"({'passed' if f.coverage.passed else 'FAILED'})", highlight=False)
    console.print(f"results written to {out}/ (posterior.parquet, posterior.csv, fit.csv, emulator.csv, "
                  f"{'coverage.csv, ' if coverage else ''}posterior.md, calibrated.yaml, calibration.json, design.jsonl, abc.db)",
                  highlight=False)
    if not f.sample.reached_posterior:
        raise typer.Exit(1)


@app.command()
def validate(quick: Annotated[bool, typer.Option("--quick", help="Tiny sizes (seconds): tests the machinery "
                                                 "only; its verdicts mean nothing.")] = False,
             only: Annotated[Optional[list[str]], typer.Option("--only", help="Run only these checks (repeatable "
                                                               "or comma-separated): bgnbd, bass, polya (or "
                                                               "docking), facts, elasticity, steady_state, scale, "
                                                               "crn, roundtrip, joining, decomposition.")] = None,
             out: Annotated[Optional[Path], typer.Option("--out", help="The report (.md; figures go in the folder "
                                                         "of the same name beside it). Default docs/validation.md "
                                                         "for the full size with every check, else "
                                                         "results/validation-TIME/validation.md.")] = None,
             workers: WorkersOpt = "1", backend: BackendOpt = "processes"):
    """Check the model against closed forms, published facts and its own invariances, and decompose each
    library policy's GMV effect; write the report."""
    from rich.text import Text

    from .results import default_out_dir
    from .validation import check_names, report
    from .validation import validate as run_validation
    workers = parse_workers(workers)
    try:
        names = check_names(only)
    except ValueError as exc:
        fail(str(exc))
    if out is not None and out.suffix != ".md":
        fail(f"--out {out}: the report is a markdown file; give a path ending in .md")
    if out is None:
        out = Path("docs/validation.md") if not (quick or only) else default_out_dir("validation") / "validation.md"
    with progress_bar() as bar:
        task = bar.add_task("validate", total=len(names))
        try:
            checks = run_validation("quick" if quick else "full", out_md=out, workers=workers, backend=backend,
                                    only=only, progress=lambda done, total, label: bar.update(
                                        task, completed=done, total=total, description=label))
        except ScenarioError as exc:
            bar.stop()
            fail(str(exc))
        except RuntimeError as exc:             # a model run failed: not bad input
            bar.stop()
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1)
    table = Table(title=f"validation ({'quick size: machinery only' if quick else 'full size'})")
    for col in ("section", "check", "result"):
        table.add_column(col)
    style = {True: "green", False: "red", None: "dim"}
    for c in checks:
        table.add_row(Text(c.section), Text(c.name), Text(c.verdict, style=style[c.passed]))
    console.print(table)
    passed, failed, none = report.counts(checks)
    console.print(Text(f"{passed} passed, {failed} not met, {none} without a target; report written to {out} "
                       f"(figures in {out.with_suffix('')}/)"))


@app.command()
def answers(quick: Annotated[bool, typer.Option("--quick", help="Tiny sizes (seconds): tests the machinery only "
                                                "(the same as --size quick).")] = False,
            size: Annotated[str, typer.Option("--size", help="quick, medium (the committed report, about 40 CPU "
                                              "minutes) or full (the answer, hours on 2 cores).")] = "full",
            posterior: Annotated[Optional[Path], typer.Option("--posterior", help="A calibration folder (its "
                                                              "posterior.parquet): the posterior layer.")] = None,
            out: Annotated[Optional[Path], typer.Option("--out", help="The report (.md; figures go in the folder of "
                                                        "the same name beside it). Default docs/answers.md, or "
                                                        "results/answers-TIME/answers.md with --quick.")] = None,
            work: Annotated[Optional[Path], typer.Option("--work", help="Folder for the runs (default "
                                                         "results/answers-SIZE-TIME); run again with the same folder, "
                                                         "finished runs are kept.")] = None,
            workers: WorkersOpt = "1"):
    """Answer the four questions: each effect with its replications, posterior and assumptions side by side,
    and where an assumption flips its sign; write the report."""
    from .answers import SIZES
    from .answers import answers as run_answers
    from .results import OutputError, default_out_dir
    workers = parse_workers(workers)
    size = "quick" if quick else size
    if size not in SIZES:
        fail(f"--size {size}: expected one of {', '.join(SIZES)}")
    if out is not None and out.suffix != ".md":
        fail(f"--out {out}: the report is a markdown file; give a path ending in .md")
    out = out or (default_out_dir("answers") / "answers.md" if size == "quick" else Path("docs/answers.md"))
    work = work or default_out_dir(f"answers-{size}")
    with progress_bar() as bar:
        task = bar.add_task("answers", total=None)
        try:
            result = run_answers(size, out_md=out, posterior=posterior, workers=workers, work=work,
                                 progress=lambda done, total, label: bar.update(task, completed=done, total=total,
                                                                                description=label))
        except (ScenarioError, OutputError) as exc:
            bar.stop()
            fail(str(exc))
        except KeyboardInterrupt:
            bar.stop()
            err_console.print(f"interrupted: finished runs are kept; finish with --work {work}", markup=False,
                              highlight=False)
            raise typer.Exit(130)
    console.print(f"report written to {out} (figures in {out.with_suffix('')}/), runs in {work}/; "
                  f"{result['seconds'] / 60:.1f} min", markup=False, highlight=False, soft_wrap=True)


@app.command("scenarios")
def list_scenarios():
    """List the scenario library (shipped with ptsim): each name and what it is for. `ptsim run NAME` runs one."""
    from .scenario import library, library_dir
    table = Table(title=f"scenario library ({library_dir()})", show_lines=True)
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    for name, path in library().items():
        try:
            table.add_row(name, " ".join(load_scenario(path).description.split()))
        except ScenarioError as exc:
            fail(str(exc))
    console.print(table)


@app.command()
def bench(consumers: Annotated[int, typer.Option(help="Consumer agents.")] = 100_000,
          days: Annotated[int, typer.Option(help="Days.")] = 365,
          repeat: Annotated[int, typer.Option(help="Timed repetitions (best is reported).")] = 1,
          check: Annotated[bool, typer.Option("--check", help="Measure the repository's speed figures and compare "
                                              "them with those recorded (benchmarks/figures.json), as ratios to "
                                              "the yardstick; exit 1 when one is more than 1.5x worse.")] = False,
          record_figures: Annotated[bool, typer.Option("--record", help="Measure the speed figures and record them "
                                                       "as the repository's (benchmarks/figures.json).")] = False,
          large: Annotated[bool, typer.Option("--large", help="With --check or --record: the 1M-consumer figure "
                                              "too (minutes, about 1.5 GB).")] = False,
          figures: Annotated[Optional[Path], typer.Option(help="The recorded figures file (default: the "
                                                          "checkout's benchmarks/figures.json).")] = None):
    """Time one replication of the baseline: consumer-days per second and peak memory. With --check, the
    guard before a release: the recorded speed figures measured again, each in a fresh process beside a
    yardstick (a trivial Mesa agent step), compared as ratios to it, so a slower machine does not fail it."""
    from . import bench as b
    if not (check or record_figures):
        for line in b.bench_baseline(consumers, days, repeat):
            console.print(line)
        return
    recorded = {}
    if check:
        try:
            recorded = b.read_figures(figures)
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc))
    results = b.run_figures(large, progress=lambda f: console.print(f"measuring {f.name}: {f.what} ..."))
    for name, r in results.items():
        console.print(f"  {name}: {r['cpu_s']:.2f} CPU s, {r['consumer_days_per_s'] / 1e6:.2f} M consumer-days/s, "
                      f"yardstick {r['yardstick_agent_steps_per_s'] / 1e6:.2f} M agent-steps/s, ratio "
                      f"{r['ratio']:.3f}, peak {r['peak_rss_mb']:.0f} MB")
    if record_figures:
        command = "ptsim bench --record" + (" --large" if large else "")
        console.print(f"recorded in {b.record(results, figures, command)}")
    if check:
        worse = False
        for name, was, now, rel, bad in b.compare_figures({k: r["ratio"] for k, r in results.items()}, recorded):
            if was is None:
                console.print(f"  {name}: ratio {now:.3f}, not recorded: no verdict")
                continue
            worse |= bad
            console.print(f"  {name}: ratio {now:.3f} against {was:.3f} recorded ({rel:.2f}x): "
                          f"{'MORE THAN 1.5x WORSE' if bad else 'ok'}")
        raise typer.Exit(1 if worse else 0)


@app.command()
def dashboard(host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only; "
                                                 "any other: a warning, and the Experiment page reads only "
                                                 "folders under the working directory or --experiment).")]
              = "127.0.0.1",
              port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
              open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a browser tab.")] = False,
              experiment: Annotated[Optional[Path], typer.Option(
                  "--experiment", help="A `ptsim compare` or `ptsim sweep` folder for the Experiment page to "
                  "open with (it can load others).")] = None):
    """A browser dashboard (Mesa SolaraViz): pick a library scenario, move the levers, step or play and
    watch GMV by channel, price sensitivity and retention; on the Experiment page, load a compare or sweep
    folder and see its differences or responses. Needs ptsim's optional viz extra."""
    try:
        from . import dashboard as dash
    except ImportError as exc:
        fail(f"the dashboard needs the viz extra: pip install 'ptsim[viz]' ({exc})")
    if not 0 <= port <= 65535:
        fail(f"--port: must be 0 to 65535 (got {port})")
    if experiment is not None and not experiment.is_dir():
        fail(f"--experiment {experiment}: no such folder")
    try:
        port, loopback = dash.check_listen(host, port)
    except ScenarioError as exc:
        fail(str(exc))
    folders = None
    if not loopback:           # reachable from the network: the Experiment page reads only these folders
        folders = [Path.cwd().resolve(), *([experiment.resolve()] if experiment is not None else [])]
        err_console.print(f"warning: --host {host} listens beyond this machine: anyone who can reach it can use "
                          "the dashboard (no password, plain HTTP), and its Experiment page reads only folders "
                          f"under {' or '.join(map(str, folders))}", markup=False, highlight=False, soft_wrap=True)
    address = f"[{host}]" if ":" in host else host
    page = f" (experiment: http://{address}:{port}/experiment)" if experiment is not None else ""
    console.print(f"ptsim dashboard: http://{address}:{port}/{page} (Ctrl-C stops it)", markup=False,
                  highlight=False)
    dash.serve(host=host, port=port, open_browser=open_browser, experiment=experiment, folders=folders)


@app.command()
def cache(clear: Annotated[bool, typer.Option("--clear", help="Delete every stored warm state.")] = False):
    """Show (or clear) the cache of warm states after the burn-in (`$PTSIM_CACHE`, else ~/.cache/ptsim/warm);
    only the cache's own files are ever deleted."""
    from . import warm_state
    folder = warm_state.cache_dir()
    try:
        if clear:
            root, n, size = warm_state.clear(folder)
            console.print(f"removed {n} files ({size / 1e6:.1f} MB) from {root}", markup=False, highlight=False)
            return
        root, n, size = warm_state.info(folder)
    except OSError as exc:
        fail(str(exc) if isinstance(exc, warm_state.CacheError) else f"PTSIM_CACHE={folder}: {exc.strerror or exc}")
    console.print(f"{root}: {n} warm states, {size / 1e6:.1f} MB (ptsim cache --clear deletes them)",
                  markup=False, highlight=False)


def _text_opt(name: str, help_: str):
    return Annotated[Optional[str], typer.Option(name, help=help_)]


@app.command("fit-consumers")
def fit_consumers(
        log: Annotated[Path, typer.Argument(help="Transaction log: CSV (.csv, .csv.gz) or Parquet (.parquet), "
                                            "one row per transaction; or a run's order log, orders/<run_id>.parquet "
                                            "(--customer consumer --date date --amount value).")],
        customer: _text_opt("--customer", "Column of customer ids.") = None,
        date: _text_opt("--date", "Column of transaction dates (YYYY-MM-DD; a time after it is ignored).") = None,
        amount: _text_opt("--amount", "Column of amounts (>= 0).") = None,
        until: _text_opt("--until", "Last day of the calibration period (YYYY-MM-DD); later transactions are "
                         "the hold-out.") = None,
        out: _text_opt("--out", "Output folder, new or empty (default: results/fit-consumers-TIME).") = None,
        end: _text_opt("--end", "Last day the log covers (default: its last date): the hold-out is the days "
                       "after --until up to this one.") = None,
        date_format: _text_opt("--date-format", "strftime format of the dates, e.g. %d/%m/%Y (default: "
                               "ISO 8601).") = None,
        sep: _text_opt("--sep", "Field separator of a CSV log, one character, e.g. ';' or '\\t' (default: ',').")
        = None,
        encoding: _text_opt("--encoding", "Text encoding of a CSV log, e.g. gbk or gb18030 (default: utf-8).")
        = None,
        extends: Annotated[Optional[Path], typer.Option("--extends", help="Scenario (a file, or a library name "
                                                        "such as baseline) that consumers.yaml extends, making "
                                                        "it a complete scenario; without it the file sets only "
                                                        "the purchase block.")] = None,
        dedupe: Annotated[bool, typer.Option("--dedupe", help="Drop rows equal to an earlier row in every column "
                                             "(a log exported twice over) before fitting.")] = False,
        allow_bounds: Annotated[bool, typer.Option("--allow-bounds", help="Write consumers.yaml even when a "
                                                   "parameter sits on the optimiser's bound or outside ptsim's "
                                                   "range (clipped to it, with a warning).")] = False,
        figures: FiguresOpt = True):
    """Fit BG/NBD purchase timing and Gamma-Gamma spend to a transaction log: fit.json, consumers.yaml."""
    import shlex

    from .fit_consumers import LogError, fit_log
    from .results import OutputError, default_out_dir
    missing = [f"--{n}" for n, v in (("customer", customer), ("date", date), ("amount", amount),
                                     ("until", until)) if v is None]
    if missing:
        fail(f"fit-consumers needs {', '.join(missing)} (the columns of customer id, date and amount, and the "
             "last day of calibration as YYYY-MM-DD)")
    out = out if out is not None else str(default_out_dir("fit-consumers"))
    try:
        f = fit_log(log, customer, date, amount, until, out, end=end, date_format=date_format, extends=extends,
                    figures=figures, sep=sep, encoding=encoding, dedupe=dedupe, allow_bounds=allow_bounds,
                    command=shlex.join(["ptsim", "fit-consumers", str(log), *(
                        x for opt, v in (("--customer", customer), ("--date", date), ("--amount", amount),
                                         ("--until", until), ("--end", end), ("--date-format", date_format),
                                         ("--sep", sep), ("--encoding", encoding), ("--extends", extends))
                        if v is not None for x in (opt, str(v))), *(["--dedupe"] if dedupe else []),
                        *(["--allow-bounds"] if allow_bounds else [])]))
    except (LogError, OutputError) as exc:
        fail(str(exc))
    for warning in f["warnings"]:
        err_console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    if f["duplicates"]["dropped"]:
        console.print(f"dropped {f['duplicates']['rows']:,} duplicate rows (--dedupe)", markup=False, highlight=False)
    cal = f["calibration"]
    table = Table(title=f"{cal['customers']:,} customers, {cal['first_day']} to {cal['until']}")
    for col in ("model", "parameter", "estimate", "se", "unit"):
        table.add_column(col, justify="right" if col in ("estimate", "se") else "left")
    for model, block in (("BG/NBD", f["bgnbd"]), ("Gamma-Gamma", f["gamma_gamma"])):
        for name, p in (block or {}).get("parameters", {}).items():
            table.add_row(model, name, f"{p['estimate']:.4g}", "-" if p["se"] is None else f"{p['se']:.3g}",
                          p.get("unit", ""))
    console.print(table)
    h = f["holdout"]
    if h is not None:
        console.print(f"hold-out {h['first_day']} to {h['last_day']} ({h['weeks']:g} weeks): expected "
                      f"{h['expected_repeat_transactions']:,.0f} repeat transactions, actual "
                      f"{h['actual_repeat_transactions']:,}", markup=False, highlight=False)
    console.print(f"results written to {out}/ ({', '.join(f['files'])})", markup=False, highlight=False)


def main(argv=None) -> None:
    """Entry point of `ptsim` and `python -m ptsim`."""
    try:
        app(args=argv, prog_name="ptsim", standalone_mode=True)
    except ScenarioError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
