"""The `ptsim` command line: run, compare, sweep, bench.

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

from .scenario import ScenarioError, load_scenario, parse_set_options

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="ptsim: simulate Tmall's private-traffic ecosystem under platform policies.")
console = Console()
err_console = Console(stderr=True)

SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override a field: dotted.path=value "
                                                     "(repeatable), e.g. population.consumers=20000")]
DaysOpt = Annotated[Optional[int], typer.Option("--days", min=1, help="Simulated days (overrides run.days).")]
RepsOpt = Annotated[Optional[int], typer.Option("--reps", min=1, help="Replications (overrides run.reps).")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", min=0, help="Root seed (overrides run.seed).")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Output folder (default: results/NAME-TIME).")]


class UsageError(Exception):
    """Bad command-line input that is not a scenario field (exit status 2)."""


def fail(message: str) -> None:
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def resolve(path: Path, sets, days, reps, seed):
    """Load a scenario with the common overrides (--set, --days, --reps, --seed)."""
    overrides = parse_set_options(sets)
    for key, value in (("run.days", days), ("run.reps", reps), ("run.seed", seed)):
        if value is not None:
            overrides[key] = value
    return load_scenario(path, overrides)


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err_console,
                    transient=False, disable=not err_console.is_terminal and not _force_progress())


def _force_progress() -> bool:
    import os
    return os.environ.get("PTSIM_PROGRESS", "") == "1"


def summary_table(title: str, runs_df, names=None) -> Table:
    from .outcomes import OUTCOMES
    from .runs import summarise
    table = Table(title=title, show_lines=False)
    table.add_column("outcome")
    table.add_column("unit")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    for o in OUTCOMES:
        if names and o.name not in names:
            continue
        m, lo, hi = summarise(runs_df[o.name].to_numpy())
        table.add_row(o.name, o.unit, f"{m:.4g}", f"[{lo:.4g}, {hi:.4g}]" if len(runs_df) > 1 else "-")
    return table


@app.command()
def run(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
        set_: SetOpt = None, days: DaysOpt = None, reps: RepsOpt = None, seed: SeedOpt = None,
        out: OutOpt = None,
        figures: Annotated[bool, typer.Option(help="Write PNG figures.")] = True):
    """Run a scenario (with replications) and write manifest, tables and figures."""
    from .results import default_out_dir, runs_table, write_run_folder
    from .runs import run_replications
    try:
        s = resolve(scenario, set_, days, reps, seed)
    except ScenarioError as exc:
        fail(str(exc))
    out = out or default_out_dir(s.name)
    total = s.run.reps * s.run.days
    with progress_bar() as bar:
        task = bar.add_task(f"{s.name}: {s.run.reps} x {s.run.days} days", total=total)
        results = run_replications(s, progress=lambda d: bar.update(task, completed=d))
    paths = write_run_folder(out, s, results, figures=figures)
    console.print(summary_table(f"{s.name}: {s.run.reps} replication(s), {s.run.days} days, "
                                f"{s.population.consumers:,} consumers x {s.population.scale:g}",
                                runs_table(s.name, results)))
    console.print(f"results written to {out}/ ({', '.join(p.name for p in paths.values())})")


@app.command()
def bench(consumers: Annotated[int, typer.Option(help="Consumer agents.")] = 100_000,
          days: Annotated[int, typer.Option(help="Days.")] = 365,
          repeat: Annotated[int, typer.Option(help="Timed repetitions (best is reported).")] = 1):
    """Time one replication of the baseline: consumer-days per second and peak memory."""
    from .bench import bench_baseline
    for line in bench_baseline(consumers, days, repeat):
        console.print(line)


def main(argv=None) -> None:
    """Entry point of `ptsim` and `python -m model`."""
    try:
        app(args=argv, prog_name="ptsim", standalone_mode=True)
    except ScenarioError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
