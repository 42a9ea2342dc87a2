"""Comparing scenarios (policies): per-scenario means with 95% intervals, and paired differences
against the first scenario over replications that share seeds (common random numbers)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .. import results
from ..outcomes import HEADLINE, OUTCOME_NAMES, outcome
from ..stats import summarise
from ..unit_outcomes import KINDS, parse_column
from .design import MAX_RUNS
from .posterior import draw_of, variance_shares
from .runner import resolve_scenarios, run_experiment
from .storage import Experiment, ExperimentView, load_experiment

KEYS = ("run_id", "point", "scenario", "replication", "seed", "status", "burn_in_cached", "error")


def outcome_columns(runs: pd.DataFrame) -> list[str]:
    """The outcome columns of a runs table (everything that is not a key, nor a treated unit's outcome)."""
    return [c for c in runs.columns if c not in KEYS and parse_column(c) is None]


def track_treated_units(named: dict) -> dict:
    """Every arm reports the units of every arm's treatment (`tracked_units`), so a treated arm's units are
    seen in the reference arm too: the same stores and consumers (same seed, same status quo on record
    day 0), untreated, their exact counterfactual."""
    tracked = {name: s.treatment for name, s in named.items() if s.treatment.enabled}
    if not tracked:
        return named
    return {name: s.model_copy(update={"tracked_units": tracked}) for name, s in named.items()}


def _mean(x: np.ndarray) -> float:
    """Mean of the numbers in `x`; NaN, without numpy's warning, when there is none (a rate of no event)."""
    ok = np.isfinite(x)
    return float(x[ok].mean()) if ok.any() else np.nan


def _ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, float, float]:
    """Mean of num / den - 1 over replications where both are positive numbers, in %, with its 95% interval."""
    ok = np.isfinite(num) & np.isfinite(den) & (num > 0) & (den > 0)
    if not ok.any():
        return (np.nan,) * 3
    return tuple(100.0 * (v - 1.0) for v in summarise(num[ok] / den[ok]))


def treatment_effects(runs: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per treated arm, kind of unit (stores, consumers) and outcome: the mean per unit of the treated units
    in the arm (`treated`) and in the reference arm (`treated_reference`), and of the comparable untreated
    units in both; then, over replications paired by seed, with 95% intervals:

    - `effect`: treated units against themselves in the reference arm (their exact counterfactual), in the
      outcome's unit and in % (`effect_pct`, the mean of treated / treated_reference - 1);
    - `vs_comparable_pct`: treated against comparable units in the same world, as their ratio's change from
      the reference arm ((treated / comparable) / (treated_reference / comparable_reference) - 1): what a
      study of treated and untreated stores in one world finds;
    - `spillover_pct`: comparable units against themselves in the reference arm (comparable /
      comparable_reference - 1): what the treatment did to the units it did not treat.

    Per replication, 1 + effect = (1 + vs_comparable) x (1 + spillover): a treatment that takes business
    from comparable units shows a larger `vs_comparable` than `effect`. Percentages need positive values."""
    ok = runs[runs["status"] == "ok"]
    ref = ok[ok["scenario"] == reference].set_index("replication")
    rows = []
    for arm in dict.fromkeys(runs["scenario"]):
        if arm == reference:
            continue
        other = ok[ok["scenario"] == arm].set_index("replication")
        pairs = ref.index.intersection(other.index)
        for kind, declared in KINDS.items():
            for measure, (unit, _doc) in declared.items():
                cols = {role: f"units.{arm}.{kind}.{role}.{measure}" for role in ("treated", "comparable")}
                if not all(c in runs.columns for c in cols.values()):
                    continue
                t_a, c_a = (other.loc[pairs, cols[r]].to_numpy(float) for r in ("treated", "comparable"))
                t_r, c_r = (ref.loc[pairs, cols[r]].to_numpy(float) for r in ("treated", "comparable"))
                means = [_mean(v) for v in (t_a, t_r, c_a, c_r)]
                row = {"scenario": arm, "reference": reference, "units": kind, "outcome": measure, "unit": unit,
                       "n_pairs": int(pairs.size), **dict(zip(("treated", "treated_reference", "comparable",
                                                               "comparable_reference"), means))}
                both = np.isfinite(t_a) & np.isfinite(t_r)
                m, lo, hi = summarise(t_a[both] - t_r[both]) if both.any() else (np.nan,) * 3
                row.update(effect=m, effect_low=lo, effect_high=hi)
                for name, (num, den) in {"effect": (t_a, t_r), "vs_comparable": (t_a * c_r, c_a * t_r),
                                         "spillover": (c_a, c_r)}.items():
                    m, lo, hi = _ratio(num, den)
                    row.update({f"{name}_pct": m, f"{name}_pct_low": lo, f"{name}_pct_high": hi})
                rows.append(row)
    return pd.DataFrame(rows)


def unit_of(name: str) -> str:
    return outcome(name).unit if name in OUTCOME_NAMES else ""


def check_outcomes(names, known) -> list[str]:
    """The requested outcomes, or a one-line error naming the unknown one and the known ones."""
    from ..scenario import ScenarioError
    names = list(names)
    for n in names:
        if n not in known:
            raise ScenarioError(f"--outcomes: unknown outcome {n!r}; known: {', '.join(known)}")
    return names


def _interval(values: np.ndarray, draws: np.ndarray | None) -> tuple[float, float, float, float]:
    """Mean, 95% interval and the share of variance from parameter uncertainty (NaN without a posterior,
    or with one replication per drawn vector)."""
    if draws is None or values.size == 0:
        return (*(summarise(values) if values.size else (np.nan,) * 3), np.nan)
    mean, half, share = variance_shares(values, draws)
    if not np.isfinite(half):
        return mean, mean, mean, share
    return mean, mean - half, mean + half, share


def summary_table(runs: pd.DataFrame, outcomes=None, posterior: dict | None = None) -> pd.DataFrame:
    """Per scenario and outcome: finished replications, mean and 95% interval (over parameter vectors
    and replications with a posterior, and the share of variance the parameters cause), and whether
    the interval of a (non-negative) model outcome reaches below 0 (`crosses_zero`)."""
    rows = []
    ok = runs[runs["status"] == "ok"]
    for scen in dict.fromkeys(runs["scenario"]):
        sub = ok[ok["scenario"] == scen]
        draws = draw_of(sub["replication"].to_numpy(), posterior)
        for name in outcomes or outcome_columns(runs):
            v = sub[name].to_numpy(float)
            m, lo, hi, share = _interval(v, draws)
            row = {"scenario": scen, "outcome": name, "unit": unit_of(name), "n": v.size, "mean": m, "low": lo,
                   "high": hi, "crosses_zero": bool(name in OUTCOME_NAMES and lo < 0)}
            if posterior:
                row["share_parameter"] = share
            rows.append(row)
    return pd.DataFrame(rows)


def paired_differences(runs: pd.DataFrame, reference: str, outcomes=None,
                       posterior: dict | None = None) -> pd.DataFrame:
    """Per scenario (but the reference) and outcome: mean difference from the reference over
    replications paired by seed, its 95% interval, the same in % of the reference mean, and the
    unpaired (Welch) interval the same runs would give without common random numbers. With a
    posterior, pairs share a parameter vector too; the interval comes from the vectors' mean differences
    and `share_parameter` says how much of the differences' variance the parameters cause."""
    ok = runs[runs["status"] == "ok"]
    ref = ok[ok["scenario"] == reference].set_index("replication")
    rows = []
    for scen in dict.fromkeys(runs["scenario"]):
        if scen == reference:
            continue
        other = ok[ok["scenario"] == scen].set_index("replication")
        pairs = ref.index.intersection(other.index)
        draws = draw_of(pairs.to_numpy(), posterior)
        for name in outcomes or outcome_columns(runs):
            a, b = ref.loc[pairs, name].to_numpy(float), other.loc[pairs, name].to_numpy(float)
            m, lo, hi, share = _interval(b - a, draws)
            base = a.mean() if pairs.size else np.nan
            pct = 100.0 / base if base else np.nan
            ua, ub = ref[name].to_numpy(float), other[name].to_numpy(float)
            if ua.size > 1 and ub.size > 1:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)     # identical runs: zero variance
                    from scipy import stats  # imported here: a second to import
                    ci = stats.ttest_ind(ub, ua, equal_var=False).confidence_interval(0.95)
                ulo, uhi = float(ci.low), float(ci.high)
            else:
                ulo = uhi = np.nan
            row = {"scenario": scen, "reference": reference, "outcome": name, "unit": unit_of(name),
                   "n_pairs": int(pairs.size), "mean": m, "low": lo, "high": hi,
                   "pct_mean": m * pct, "pct_low": lo * pct, "pct_high": hi * pct,
                   "unpaired_low": ulo, "unpaired_high": uhi}
            if posterior:
                row["share_parameter"] = share
            rows.append(row)
    return pd.DataFrame(rows)


CROSSES_ZERO = {"crosses_zero": ("-", "True where the 95% interval reaches below 0, which the (non-negative) "
                                     "outcome cannot: too few replications, or too rare an event, for a "
                                     "symmetric t-interval.")}


def write_table(folder, name: str, df: pd.DataFrame) -> list[Path]:
    """`name`.csv and `name`.parquet (units in its schema) in `folder`."""
    folder = Path(folder)
    results.atomic_write_bytes(folder / f"{name}.csv", df.to_csv(index=False).encode())
    results.atomic_write_parquet(df, folder / f"{name}.parquet", CROSSES_ZERO)
    return [folder / f"{name}.csv", folder / f"{name}.parquet"]


class Comparison(ExperimentView):
    """Scenarios compared over common-random-number replications.

    `summary` (scenario x outcome: mean and 95% interval), `differences` (paired against the first
    scenario), `runs` (one row per run), `timeseries` (daily outcomes with scenario and replication) and,
    when an arm has a `treatment`, `treatment_effects` (its treated units against themselves in the
    reference arm and against comparable untreated units). Build one with `compare(...)` or
    `Comparison.load(folder)`.

    >>> c = compare(["scenarios/baseline.yaml", "scenarios/wechat_open.yaml"], reps=8)  # doctest: +SKIP
    >>> c.differences.query("outcome == 'gmv_total'")[["scenario", "mean", "low", "high"]]  # doctest: +SKIP
    >>> c.plot_timeseries(["gmv_total", "active_share"])                                    # doctest: +SKIP
    """

    def __init__(self, experiment: Experiment, outcomes=None):
        self.experiment = experiment
        self.reference = str(experiment.points["scenario"].iloc[0])
        self.outcomes = list(outcomes) if outcomes else outcome_columns(experiment.runs)
        self.posterior = experiment.manifest.get("posterior")     # the parameter vectors drawn, if any
        self.summary = summary_table(experiment.runs, self.outcomes, self.posterior)
        self.differences = paired_differences(experiment.runs, self.reference, self.outcomes, self.posterior)
        self.treatment_effects = treatment_effects(experiment.runs, self.reference)

    @classmethod
    def load(cls, folder, outcomes=None) -> "Comparison":
        """The comparison stored in an experiment folder."""
        return cls(load_experiment(folder), outcomes)

    def calendar(self) -> dict:
        """The reference scenario's start day and festivals, and every scenario's lever timeline (a change
        only some make named with them), for the figures over days."""
        from ..plots import calendar_of, merge_marks
        scenarios = self.experiment.manifest.get("scenarios", {})
        out = calendar_of(scenarios.get(self.reference, {}).get("resolved"))
        out["timeline"] = merge_marks({name: calendar_of(s.get("resolved"))["timeline"]
                                       for name, s in scenarios.items() if s.get("resolved")})
        return out

    def plot_timeseries(self, outcomes=None, title: str = "Scenarios (mean and 95% confidence interval over "
                                                              "replications)"):
        from ..plots import timeseries_figure
        names = [n for n in (outcomes or HEADLINE) if n in self.outcomes]
        return timeseries_figure(self.timeseries, names, title, **self.calendar())

    def plot_channels(self):
        from ..plots import channel_figure
        return channel_figure(self.timeseries, **self.calendar())

    def differences_from(self, reference: str) -> pd.DataFrame:
        """Paired differences of every other scenario against `reference` (same seeds)."""
        names = set(self.summary["scenario"])
        if reference not in names:
            raise ValueError(f"unknown scenario {reference!r}; the comparison holds {sorted(names)}")
        return paired_differences(self.runs, reference, self.outcomes, self.posterior)

    def plot_differences(self, outcomes=None):
        """Bars of paired differences vs the reference, a panel per unit, for `outcomes` (default: the
        headline outcomes)."""
        from ..plots import difference_figure
        d = self.differences
        names = outcomes or [n for n in HEADLINE if n in self.outcomes] or self.outcomes
        d = d[d["outcome"].isin(names) & np.isfinite(d["mean"])]
        return difference_figure(d.reset_index(drop=True),
                                 f"Paired difference vs {self.reference} (same seeds)")

    def save(self, folder, figures: bool = True, outcomes=None) -> list[Path]:
        """Write summary and differences (CSV and Parquet) and the figures into `folder`."""
        paths = write_table(folder, "summary", self.summary) + write_table(folder, "differences", self.differences)
        if len(self.treatment_effects):
            paths += write_table(folder, "treatment_effects", self.treatment_effects)
        if figures and set(self.outcomes) <= set(OUTCOME_NAMES) and len(self.experiment.ok):
            figs = {"fig_timeseries": lambda: self.plot_timeseries(outcomes),
                    "fig_gmv_by_channel": self.plot_channels}
            if len(self.differences):
                figs["fig_differences"] = lambda: self.plot_differences(outcomes)
            paths += list(results.write_figures(folder, figs).values())
        return paths


def compare(scenarios, reps: int | None = None, *, seed: int | None = None, overrides: dict | None = None,
            outcomes=None, out=None, resume: bool = False, workers: int = 1, backend: str = "processes",
            scheduler: str | None = None, figures: bool = False, progress=None, cache: bool = True,
            max_runs: int | None = MAX_RUNS, posterior=None, draws: int | None = None, orders: bool = False,
            on_plan=None, dry_run: bool = False) -> Comparison:
    """Run scenarios over the same replication seeds and compare them with the first.

    `scenarios`: YAML paths or `Scenario`s (or a dict name -> Scenario); `overrides` (dotted field ->
    value) apply to all of them. Replications and root seed default to the first scenario's
    `run.reps` and `run.seed`. With `out`, the folder gets the per-run files, tidy tables,
    summary/differences as CSV and Parquet and (with `figures=True`) PNG figures. Arms share each
    replication's burn-in (the status quo) through the warm-state cache; `cache=False` recomputes it.
    More than `max_runs` runs (scenarios x replications) are refused before starting; None lifts the limit.
    `posterior` (a folder of `ptsim calibrate --method abc`) draws `draws` parameter vectors, shared by the
    arms, so the intervals include parameter uncertainty; `share_parameter` in the tables says how much of the variance
    it causes (with at least two replications per vector). `orders=True` logs every order of every run
    (out/orders/<run_id>.parquet; in memory without `out`); `.orders()` reads them. `dry_run=True` returns
    the `Plan` (runs, burn-ins already cached, rough duration) without running; `on_plan(plan)` hears it
    before the runs.

    >>> from ptsim.experiment import compare
    >>> c = compare(["scenarios/baseline.yaml", "scenarios/wechat_open.yaml"], reps=8, workers=2,
    ...             overrides={"population.consumers": 20_000, "run.days": 120})        # doctest: +SKIP
    >>> c.summary.head()                                                                 # doctest: +SKIP
    """
    named = track_treated_units(resolve_scenarios(scenarios, overrides))
    if outcomes:
        outcomes = check_outcomes(outcomes, OUTCOME_NAMES)
    exp = run_experiment(named, reps, seed=seed, out=out, resume=resume, workers=workers, backend=backend,
                         scheduler=scheduler, progress=progress, command="compare", cache=cache, max_runs=max_runs,
                         posterior=posterior, draws=draws, orders=orders, on_plan=on_plan, dry_run=dry_run)
    if dry_run:
        return exp                                  # the plan (runs, burn-ins cached, duration), nothing run
    comparison = Comparison(exp)
    if out is not None:
        comparison.save(out, figures=figures, outcomes=outcomes)
    return comparison
