"""What a study writes: the trials table, the trials near the best, the fit to the targets (a table and
markdown), the calibrated scenario and the parameters' importances."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import yaml

from ..scenario import MAX_NAME, Scenario, field_value, nested_fields
from ..stats import summarise
from .targets import TargetSet

NEAR_BEST = "near_best.parquet"      # the trials near the best loss (not a posterior)
MIN_IMPORTANCE_TRIALS = 4       # completed trials before parameter importances are computed
NEAR_BEST_LEVEL = 0.95            # near_best.parquet: trials within this chi-square quantile of the best


def mean_values(per_rep: list[dict]) -> dict[str, float]:
    """Each target's mean over replications (NaN values left out; NaN if every one is)."""
    out = {}
    for name in per_rep[0] if per_rep else ():
        vals = np.array([np.nan if r.get(name) is None else r[name] for r in per_rep], dtype=float)
        out[name] = float(np.nanmean(vals)) if np.isfinite(vals).any() else math.nan
    return out


def trials_table(study, targets: TargetSet, params: dict) -> pd.DataFrame:
    """One row per trial: trial, state, loss (over the `reps` replications run), parameters, each
    target's mean over those replications, seconds, error."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        per_rep = t.user_attrs.get("values", [])
        means = mean_values(per_rep) if per_rep else {}
        loss = t.value if t.value is not None else t.user_attrs.get("loss", math.nan)
        rows.append({"trial": t.number, "state": t.state.name.lower(), "loss": float(loss),
                     "reps": len(per_rep), **{p: t.params.get(p, math.nan) for p in params},
                     **{n: means.get(n, math.nan) for n in targets.names},
                     "seconds": float(t.user_attrs.get("seconds", math.nan)),
                     "error": t.user_attrs.get("error") or ("interrupted" if t.user_attrs.get("interrupted")
                                                           else None)})
    df = pd.DataFrame(rows, columns=["trial", "state", "loss", "reps", *params, *targets.names, "seconds", "error"])
    df["error"] = df["error"].astype("string")
    return df


def near_best_threshold(n_params: int, level: float = NEAR_BEST_LEVEL) -> float:
    """How far above the best loss a trial may lie and stay in near_best.parquet: the `level` quantile of
    a chi-square with one degree of freedom per calibrated parameter."""
    from scipy import stats
    return float(stats.chi2.ppf(level, max(1, n_params)))


def near_best_table(table: pd.DataFrame, params: list[str], level: float = NEAR_BEST_LEVEL) -> pd.DataFrame:
    """Completed trials with loss <= best + near_best_threshold, weighted by exp(-(loss - best)/2)
    (normalised to sum to 1; relative likelihoods of the points tried, not a posterior): parameter
    columns, weight, loss, trial; best first."""
    done = table[(table["state"] == "complete") & np.isfinite(table["loss"])]
    cols = [*params, "weight", "loss", "trial"]
    if done.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    best = float(done["loss"].min())
    keep = done[done["loss"] <= best + near_best_threshold(len(params), level)].sort_values(["loss", "trial"])
    w = np.exp(-(keep["loss"].to_numpy(float) - best) / 2)
    out = keep[params].reset_index(drop=True)
    out["weight"] = w / w.sum()
    out["loss"] = keep["loss"].to_numpy(float)
    out["trial"] = keep["trial"].to_numpy(int)
    return out


def fit_table(targets: TargetSet, per_rep: list[dict]) -> pd.DataFrame:
    """The best trial against every target: mean and 95% interval over its replications, met or not,
    and the target's share of the loss."""
    rows = []
    for t in targets.targets:
        vals = np.array([np.nan if r.get(t.name) is None else r[t.name] for r in per_rep], dtype=float)
        vals = vals[np.isfinite(vals)]
        mean, low, high = summarise(vals) if vals.size else (math.nan, math.nan, math.nan)
        rows.append({"target": t.name, "label": t.title, "published": t.basis + t.source.published,
                     "source": t.source.ref,
                     "value": t.value, "band_low": t.band.lo, "band_high": t.band.hi, "band": t.band.text,
                     "model_mean": mean, "model_low": low, "model_high": high, "reps": int(vals.size),
                     "met": bool(math.isfinite(mean) and t.band.contains(mean)), "weight": t.weight,
                     "loss": t.loss(mean), "display": t.display})
    return pd.DataFrame(rows)


def fit_markdown(fit: pd.DataFrame, title: str) -> str:
    from ..stats import fmt
    lines = [f"# {title}", "", "| target | published | band | model (95% interval) | met | weight | loss |",
             "|---|---|---|---|---|---|---|"]
    for r in fit.itertuples(index=False):
        model = fmt(r.model_mean, r.model_low, r.model_high, r.display) if r.reps else "undefined"
        lines.append(f"| {r.label} | {r.published} ({r.source}) | {r.band} | {model} | "
                     f"{'**yes**' if r.met else 'no'} | {r.weight:g} | {r.loss:.4g} |")
    met = int(fit["met"].sum())
    lines += ["", f"{met} of {len(fit)} targets met; loss {fit['loss'].sum():.4g} (the sum of the last column: "
              "weight x squared distance outside the band in band half-widths)."]
    return "\n".join(lines) + "\n"


def calibrated_yaml(extends: str | None, base: Scenario, best: dict, header: str, overrides: dict | None = None,
                    what: str = "the best trial's parameters") -> str:
    """A scenario that `extends:` the input scenario (named as `scenario.extends_ref` says) with the best
    parameters; without an input file, the whole resolved scenario with them."""
    name = f"{base.name}-calibrated"[:MAX_NAME]
    if extends is not None:
        doc = {"extends": extends, "name": name,
               "description": f"{base.name} with the parameters calibrated by ptsim calibrate ({header})."}
        resolved = base.with_overrides(best, source="calibrate")      # a list item is written as its whole list
        fields = dict.fromkeys(name.rsplit(".", 1)[0] if name.rsplit(".", 1)[-1].isdigit() else name for name in best)
        doc.update(nested_fields({f: field_value(resolved.to_dict(), f) for f in fields}))
    else:
        doc = base.with_overrides(best, source="calibrate").to_dict()
        doc.update(name=name, description=f"{base.description} Calibrated by ptsim calibrate ({header}).".strip())
    comment = (f"# Written by `ptsim calibrate`: the input scenario with {what}.\n"
               f"# {header}\n")
    if overrides:
        sets = " ".join(f"--set {k}={v}" for k, v in overrides.items())
        comment += f"# The runs had {sets} (settings of the calibration, not carried over here).\n"
    return comment + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def importances(study, n_complete: int) -> tuple[dict | None, str]:
    """fANOVA parameter importances (Optuna), or None and why not."""
    import optuna
    if n_complete < MIN_IMPORTANCE_TRIALS:
        return None, f"not computed: {n_complete} completed trial(s), fewer than {MIN_IMPORTANCE_TRIALS}"
    try:
        imp = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    except (ValueError, RuntimeError, ZeroDivisionError, IndexError) as exc:
        return None, f"not computed: {exc}".splitlines()[0]
    imp = {k: float(v) for k, v in imp.items()}
    if not imp or not all(math.isfinite(v) for v in imp.values()):
        return None, "not computed: the completed trials' losses do not vary"
    return imp, f"fANOVA over {n_complete} completed trials"
