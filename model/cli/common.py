"""What the commands share: the Typer app, common options, one-line errors (exit 2), progress and
the experiment wrapper."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..errors import one_line
from ..scenario import (
    ScenarioError,
    load_scenario,
    parse_set_options,
)

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
        from .. import __version__
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
    from ..experiment.runner import available_cores
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
    for key, option, value in (("run.days", "--days", days), ("run.reps", "--reps", reps),
                               ("run.seed", "--seed", seed)):
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

    from ..results import OutputError
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
