"""ptsim run, compare and sweep, and the tables they print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..scenario import (
    MAX_RUNS,
    ScenarioError,
)
from .common import (
    BackendOpt,
    CacheOpt,
    DaysOpt,
    DryRunOpt,
    FiguresOpt,
    MaxRunsOpt,
    OrdersOpt,
    OutcomesOpt,
    OutOpt,
    RepsOpt,
    ResumeOpt,
    SchedulerOpt,
    SeedOpt,
    SetOpt,
    WorkersOpt,
    _bad_input_in_runs,
    _checked,
    _experiment,
    _report_failures,
    _require_out,
    app,
    check_min,
    console,
    dry_run_report,
    fail,
    parse_workers,
    resolve,
    say_plan,
)


def run_table(title: str, summary) -> Table:
    """Mean and 95% interval of each outcome of one scenario (rows of `compare.summary_table`), in
    display units (bn yuan, %, million); an interval below 0 of a non-negative outcome is marked."""
    from ..plots import scale_for
    from ..stats import BELOW_ZERO_NOTE, MISSING, interval_text
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
    from .. import plots, results
    from ..experiment import run_experiment
    from ..experiment.compare import summary_table, write_table
    from ..outcomes import OUTCOME_NAMES
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

    from ..outcomes import OUTCOME_NAMES
    from ..plots import display_unit, relative
    from ..stats import BELOW_ZERO, BELOW_ZERO_NOTE, MISSING, interval_text
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
    import numpy as np

    from ..stats import MISSING
    if not np.isfinite(pct):
        return MISSING
    return f"{pct:+.1f}%" if abs(pct) >= 1 or pct == 0 else f"{pct:+.2f}%"


def treatment_table(c) -> Table:
    """Each treated arm's headline store outcomes per store: the treated stores' mean, the effect against
    the same stores in the reference arm (95% interval), and in % the effect, the treated against comparable
    stores (over the same ratio in the reference arm) and the comparable stores' spillover."""
    from ..stats import MISSING, interval_text
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
                "--posterior", help="A posterior folder of ptsim calibrate --method abc (its posterior.parquet): "
                "draw calibrated parameter vectors, shared by the arms, so intervals include parameter "
                "uncertainty.")] = None,
            draws: Annotated[Optional[int], typer.Option(
                "--draws", help="Parameter vectors drawn from --posterior (default: one per replication; "
                "--reps must be a multiple; two or more replications per vector split the variance).")] = None,
            dry_run: DryRunOpt = False):
    """Compare scenarios over the same replication seeds: means, 95% intervals, paired differences."""
    from .. import experiment
    workers = parse_workers(workers)
    check_min(reps=(reps, 1), seed=(seed, 0), max_runs=(max_runs, 1), draws=(draws, 1))
    from ..results import default_out_dir
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
    from ..outcomes import OUTCOME_NAMES
    from ..plots import display_unit
    from ..stats import BELOW_ZERO, BELOW_ZERO_NOTE, interval_text
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
    from .. import experiment
    workers = parse_workers(workers)
    check_min(samples=(samples, 2), reps=(reps, 1), seed=(seed, 0), max_runs=(max_runs, 1))
    from ..experiment.design import parse_grid, parse_params
    from ..results import default_out_dir
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
                       f"these fields set\n{shown}"
                       + (f"\n... ({len(points) - 20:,} more)" if len(points) > 20 else ""))
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
