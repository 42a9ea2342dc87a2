"""ptsim validate, answers, scenarios, bench, dashboard, cache and fit-consumers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..scenario import (
    ScenarioError,
    load_scenario,
)
from .common import (
    BackendOpt,
    FiguresOpt,
    WorkersOpt,
    app,
    console,
    err_console,
    fail,
    parse_workers,
    progress_bar,
)


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

    from ..results import default_out_dir
    from ..validation import check_names, report
    from ..validation import validate as run_validation
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
    from ..answers import SIZES
    from ..answers import answers as run_answers
    from ..results import OutputError, default_out_dir
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
    from ..scenario import library, library_dir
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
    from .. import bench as b
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
        from .. import dashboard as dash
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
    from .. import warm_state
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

    from ..calibration.fit_consumers import LogError, fit_log
    from ..results import OutputError, default_out_dir
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
