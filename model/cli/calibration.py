"""ptsim calibrate: the Optuna study, and --method abc (the posterior)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..scenario import (
    MAX_REPS,
    MAX_RUNS,
    ScenarioError,
    load_scenario,
    parse_set_options,
)
from .common import (
    DaysOpt,
    DryRunOpt,
    OutOpt,
    SeedOpt,
    SetOpt,
    _checked,
    app,
    check_max,
    check_min,
    console,
    dry_run_report,
    err_console,
    fail,
    parse_workers,
    progress_bar,
)


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
              workers: Annotated[str, typer.Option("--workers", metavar="N|auto", help="Worker processes sharing the "
                                                   "study (1: in this process).")] = "1",
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
    from types import SimpleNamespace

    from ..calibration.study import CalibrationError
    from ..calibration.study import calibrate as run_calibration
    from ..experiment.design import parse_params
    from ..experiment.plan import calibration_text
    from ..results import OutputError, default_out_dir
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
        from ..experiment.design import numeric_field
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
    from ..stats import fmt
    chosen = "confirmed" if confirm else "best"
    table = Table(title=f"{chosen} trial {c.best_trial} of {len(c.trials)} ({states}): loss {c.best_loss:.4g}"
                        + (" in the confirmation runs (confirm.csv)" if confirm else ""))
    for col in ("target", "band", "model (95% interval)", "met", "loss"):
        table.add_column(col, justify="right" if col in ("loss",) else "left")
    for r in c.fit.itertuples(index=False):
        table.add_row(r.label, r.band, fmt(r.model_mean, r.model_low, r.model_high, r.display) if r.reps else "-",
                      "yes" if r.met else "no", f"{r.loss:.3g}")
    console.print(table)
    console.print(f"{chosen} parameters: " + ", ".join(f"{k}={v:.6g}" for k, v in c.best_params.items()),
                  highlight=False)
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
    from ..calibration.posterior_fit import fit_posterior, min_design
    from ..calibration.priors import Priors, load_priors
    from ..calibration.targets import load_targets
    from ..experiment.design import parse_params
    from ..results import default_out_dir
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
    from ..calibration.posterior_report import write as write_page
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
                  f"{'coverage.csv, ' if coverage else ''}posterior.md, calibrated.yaml, calibration.json, "
                  "design.jsonl, abc.db)",
                  highlight=False)
    if not f.sample.reached_posterior:
        raise typer.Exit(1)
