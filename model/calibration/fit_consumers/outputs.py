"""Fitting a log end to end and writing the results: fit.json, the scenario fragment with the fitted
`purchase` and `spend` blocks, the hold-out table and figure."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import one_line
from .fit import MLFit, fit_bgnbd, fit_gamma_gamma
from .holdout import holdout_by_week, holdout_figure, tracking
from .log import (
    BGNBD_PARAMS,
    DUPLICATE_RULE,
    LOG_BOUND,
    RFM,
    LogError,
    parse_day,
    read_log,
    summarise,
    today,
)

# ------------------------------------------------------------------------------------- outputs

def _param_block(fit: MLFit, units: dict[str, str] | None = None) -> dict:
    out = {}
    for k, est, se in zip(fit.names, fit.estimate, fit.se):
        se_log = se / est if np.isfinite(se) else np.nan
        out[k] = {"estimate": float(est), "se": None if not np.isfinite(se) else float(se),
                  "ci95": None if not np.isfinite(se_log) else [float(est * np.exp(-1.96 * se_log)),
                                                                float(est * np.exp(1.96 * se_log))]}
        if units and k in units:
            out[k]["unit"] = units[k]
    return out


def _ranges(block, names) -> dict[str, tuple[float, float]]:
    """The allowed [lo, hi] of the named fields of a scenario block (gt and lt taken as bounds)."""
    ranges = {}
    for k in names:
        lo, hi = -math.inf, math.inf
        for m in block.model_fields[k].metadata:
            for low in ("ge", "gt"):
                lo = getattr(m, low) if getattr(m, low, None) is not None else lo
            for high in ("le", "lt"):
                hi = getattr(m, high) if getattr(m, high, None) is not None else hi
        ranges[k] = (lo, hi)
    return ranges


def _purchase_ranges() -> dict[str, tuple[float, float]]:
    from ...scenario import Purchase
    return _ranges(Purchase, BGNBD_PARAMS)


def on_bounds(fit: MLFit) -> list[dict]:
    """The BG/NBD parameters consumers.yaml cannot hold as fitted: on the optimiser's bound e^+-LOG_BOUND
    (the data do not pin them down) or outside the range ptsim allows for purchase.* (they would be
    clipped to it), each with the value that would be written."""
    out = []
    for k, (lo, hi) in _purchase_ranges().items():
        v = fit[k]
        edge = math.exp(math.copysign(LOG_BOUND, math.log(v))) if k in fit.at_bound else None
        if edge is not None or not lo <= v <= hi:
            out.append({"parameter": k, "estimate": v, "optimiser_bound": edge, "range": [lo, hi],
                        "written": min(max(v, lo), hi)})
    return out


def bounds_text(fit: MLFit, bounds: list[dict]) -> str:
    """The parameters of on_bounds in words, and what writing them clipped does to the mean purchase
    rate r/alpha."""
    parts = []
    for b in bounds:
        k, v, (lo, hi) = b["parameter"], b["estimate"], b["range"]
        says = [] if b["optimiser_bound"] is None else \
            [f"sits on the optimiser's bound e^{'-' if v < 1 else ''}{LOG_BOUND:g} (the data do not pin it down)"]
        if not lo <= v <= hi:
            says.append(f"is {'below' if v < lo else 'above'} ptsim's range [{lo:g}, {hi:g}] for purchase.{k} "
                        f"(clipped to {b['written']:g})")
        parts.append(f"{k} = {v:.4g} " + " and ".join(says))
    values = {k: fit[k] for k in BGNBD_PARAMS} | {b["parameter"]: b["written"] for b in bounds}
    before, after = fit["r"] / fit["alpha"], values["r"] / values["alpha"]
    if not math.isclose(before, after, rel_tol=1e-6):
        parts.append(f"clipped, the mean purchase rate r/alpha is {after:.3g} a day, not the fitted {before:.3g} "
                     f"({after / before - 1:+.0%})")
    return "; ".join(parts)


def spend_block(spend: dict | None) -> tuple[dict | None, str]:
    """The Gamma-Gamma p and q consumers.yaml can set as ptsim's `spend` block, or None and why not."""
    if not spend:
        return None, "Gamma-Gamma was not fitted, so the spend block is left at ptsim's defaults. "
    est = {k: spend["parameters"][k]["estimate"] for k in ("p", "q")}
    if not spend.get("converged"):
        return None, "Gamma-Gamma did not converge, so the spend block is left at ptsim's defaults. "
    if not est["q"] > 2:
        return None, (f"Gamma-Gamma's q = {est['q']:.3g} is not above 2 (consumers' mean order values of infinite "
                      "variance, which ptsim's spend.q does not allow), so the spend block is left at its defaults. ")
    from ...scenario import Spend
    for k, (lo, hi) in _ranges(Spend, est).items():
        if not lo < est[k] <= hi:
            return None, (f"Gamma-Gamma's {k} = {est[k]:.4g} is outside ptsim's range ({lo:g}, {hi:g}] for "
                          f"spend.{k} (a {'customer' if k == 'p' else 'population'} whose order values hardly "
                          "vary pins no finite shape), so the spend block is left at its defaults. ")
    return est, ("spend.p and spend.q are the Gamma-Gamma estimates (order values relative to the category "
                 "base price in ptsim, so gamma, the scale, is not needed). ")


def fragment_text(fit: MLFit, source: str, until, n: int, extends: str | None, spend: dict | None = None) -> str:
    """consumers.yaml: the fitted purchase process (and, where it can, the Gamma-Gamma spend) as a scenario
    fragment, its values kept within the ranges ptsim allows (on_bounds lists those that are not)."""
    import json
    import textwrap
    bounds = on_bounds(fit)
    values = {k: fit[k] for k in BGNBD_PARAMS} | {b["parameter"]: b["written"] for b in bounds}
    se = ", ".join(f"{k} {fit.se_of(k):.3g}" for k in BGNBD_PARAMS)
    text = (f"ptsim's purchase process fitted by `ptsim fit-consumers` to {one_line(source)}, transactions up "
            f"to {until} ({n:,} customers): BG/NBD by maximum likelihood (Fader, Hardie & Lee 2005), time "
            f"unit the day. Standard errors: {se}; the rest is in fit.json. Only r, alpha, a and b of the purchase "
            "process are set: with purchase.modulations on (the default), festivals, ties and policies modulate "
            "this process as in any scenario. ")
    spend_values, spend_note = spend_block(spend)
    text += spend_note
    if bounds:
        text += f"Written with --allow-bounds, not as fitted: {bounds_text(fit, bounds)}; see fit.json. "
    if extends:
        text += (f"This file extends {one_line(extends)}, so it is a complete scenario: run it, or `extends:` "
                 "it from a scenario that changes levers on top.")
    else:
        text += ("A bare fragment: every other field keeps its schema default. To put these consumers into "
                 "a scenario, rerun with --extends SCENARIO (this file then extends it and is a complete "
                 "scenario), or copy the purchase block.")
    lines = textwrap.wrap(text, 98, initial_indent="# ", subsequent_indent="# ")
    if extends:
        lines += [f"extends: {json.dumps(extends)}", "name: consumers",
                  "description: " + json.dumps(f"{Path(extends).stem} with the purchase process fitted to "
                                               f"{one_line(Path(source).name)} up to {until}.")]
    lines += ["purchase:"] + [f"  {k}: {values[k]:.6g}" + ("    # days" if k == "alpha" else "")
                              for k in BGNBD_PARAMS]
    if spend_values:
        lines += ["spend:"] + [f"  {k}: {v:.6g}" for k, v in spend_values.items()]
    return "\n".join(lines) + "\n"


def check_out(out: Path) -> None:
    """Refuse an --out that is a file, a folder that is not empty or one that cannot be created."""
    if not str(out).strip():
        raise LogError("--out '': give a folder name (an empty one would write into the current folder)")
    if out.exists() and not out.is_dir():
        raise LogError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir():
        if any(out.iterdir()):
            raise LogError(f"{out}: folder exists and is not empty; choose another --out (nothing is overwritten)")
        if not os.access(out, os.W_OK | os.X_OK):
            raise LogError(f"{out}: folder is not writable; choose another --out")
        return
    ancestor = next(p for p in out.absolute().parents if p.exists())
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise LogError(f"{out}: cannot be created ({ancestor} is not a writable folder); choose another --out")


def fit_transactions(tx: pd.DataFrame, until, end=None, where: str = "the log") -> tuple[dict, RFM, MLFit]:
    """Fit BG/NBD and Gamma-Gamma to a table of transactions (columns customer, date, amount): the
    content of fit.json, the RFM summary and the BG/NBD fit."""
    rfm = summarise(tx, until, end, where)
    warnings = []
    try:
        bg = fit_bgnbd(rfm.x, rfm.t_x, rfm.T)
    except ValueError as exc:
        raise LogError(f"{where}: {exc} on or before --until {rfm.until}") from None
    for k in bg.at_bound:
        warnings.append(f"BG/NBD {k} ran to the optimiser's bound ({bg[k]:.3g}, e^+-{LOG_BOUND:g}): the data "
                        f"do not pin it down ({len(rfm.x):,} customers, {int((rfm.x > 0).sum()):,} with repeat "
                        "purchases); no standard errors")
    if bg.cov_log is None and not bg.at_bound:
        warnings.append("BG/NBD: the Hessian is not positive definite at the optimum; no standard errors")
    bgnbd = {"model": "BG/NBD (Fader, Hardie & Lee 2005, Marketing Science 24(2), eq. 6)",
             "time_unit": "days", "parameters": _param_block(bg, {"alpha": "days"}),
             "alpha_weeks": {"estimate": bg["alpha"] / 7,
                             "se": None if not np.isfinite(bg.se_of("alpha")) else bg.se_of("alpha") / 7},
             "log_likelihood": bg.loglik, "customers": bg.n, "converged": bg.converged,
             "mean_rate_per_day": bg["r"] / bg["alpha"], "mean_rate_per_week": 7 * bg["r"] / bg["alpha"],
             "mean_dropout_per_repeat": bg["a"] / (bg["a"] + bg["b"]),
             "correlation_log_parameters": None if bg.cov_log is None else
             np.round(bg.cov_log / np.sqrt(np.outer(np.diag(bg.cov_log), np.diag(bg.cov_log))), 4).tolist()}
    spend = None
    try:
        gg = fit_gamma_gamma(rfm.x, rfm.monetary)
    except ValueError as exc:
        warnings.append(f"Gamma-Gamma not fitted: {exc}")
    else:
        has = (rfm.x > 0) & np.isfinite(rfm.monetary) & (rfm.monetary > 0)
        p, q, g = gg["p"], gg["q"], gg["gamma"]
        spend = {"model": "Gamma-Gamma (Fader, Hardie & Lee 2005, Journal of Marketing Research 42(4))",
                 "amount_unit": "as in the log", "parameters": _param_block(gg), "log_likelihood": gg.loglik,
                 "customers": gg.n, "converged": gg.converged,
                 "mean_transaction_value": p * g / (q - 1) if q > 1 else None,
                 "corr_frequency_spend": float(np.corrcoef(rfm.x[has], rfm.monetary[has])[0, 1])
                 if has.sum() > 2 and np.ptp(rfm.x[has]) > 0 and np.ptp(rfm.monetary[has]) > 0 else None}
        if gg.at_bound or gg.cov_log is None:
            warnings.append("Gamma-Gamma: a parameter is not identified (at a bound, or a singular Hessian); "
                            "no standard errors")
    holdout = holdout_by_week(bg, rfm)
    result = {"calibration": {"first_day": str(rfm.start), "until": str(rfm.until),
                              "days": int((rfm.until - rfm.start).astype(int)) + 1,
                              "customers": int(len(rfm.x)), "repeat_transactions": int(rfm.x.sum()),
                              "customers_with_repeats": int((rfm.x > 0).sum()),
                              "rule": "one transaction-day per customer and date (amounts added); frequency = "
                                      "transaction-days after the first, recency and T in days from the first"},
              "counts": rfm.counts, "bgnbd": bgnbd, "gamma_gamma": spend, "holdout": holdout,
              "warnings": warnings}
    return result, rfm, bg


def fit_log(log, customer: str, date: str, amount: str, until: str, out, end: str | None = None,
            date_format: str | None = None, extends: str | Path | None = None, figures: bool = True,
            command: str | None = None, sep: str | None = None, encoding: str | None = None,
            dedupe: bool = False, allow_bounds: bool = False) -> dict:
    """Read a transaction log, fit, and write fit.json, consumers.yaml and fig_holdout.png (if there is a
    hold-out) to `out`. Every file is written atomically; fit.json last. Raises LogError on bad input."""
    from ... import results
    from ...scenario import ScenarioError, extends_ref, load_scenario
    log, out = Path(log), Path(out)
    until_day = parse_day(until, "--until")
    end_day = parse_day(end, "--end") if end is not None else None
    for option, day in (("--until", until_day), ("--end", end_day)):
        if day is not None and day > today():
            raise LogError(f"{option} {day}: after today ({today()} in the latest time zone); the calibration "
                           "and the hold-out must lie in the past, as the days they count have to be observed")
    if end_day is not None and end_day <= until_day:
        raise LogError(f"--end {end_day}: must be after --until {until_day} (the hold-out is the days after --until)")
    check_out(out)
    rel = None
    if extends is not None:
        try:
            load_scenario(extends)
        except ScenarioError as exc:
            raise LogError(f"--extends: {exc}") from None
        rel = extends_ref(extends, out)
    started = time.time()
    tx, dup = read_log(log, customer, date, amount, date_format, sep, encoding, dedupe)
    result, rfm, bg = fit_transactions(tx, until_day, end_day, str(log))
    if dup["rows"] and not dup["dropped"]:
        more = "" if dup["rows"] == 1 else f"; {dup['rows']:,} such rows"
        result["warnings"].insert(0, f"{dup['first']}: a copy of an earlier row (every column equal){more}; each "
                                     "copy adds its amount to the customer's spend that day (the BG/NBD counts the "
                                     "day once); --dedupe drops them")
    bounds = on_bounds(bg)
    if bounds and not allow_bounds:
        raise LogError(f"{log}: {bounds_text(bg, bounds)}; nothing written: give a longer log or a later "
                       "--until, or --allow-bounds to write consumers.yaml with these values")
    if bounds:
        result["warnings"].append(f"consumers.yaml: {bounds_text(bg, bounds)} (--allow-bounds)")
    yaml_text = fragment_text(bg, str(log), rfm.until, len(rfm.x), rel, result["gamma_gamma"])
    result = {"command": command or "ptsim.fit_consumers.fit_log", "log": str(log),
              "columns": {"customer": customer, "date": date, "amount": amount},
              "duplicates": {"rows": dup["rows"], "dropped": dup["dropped"], "rule": DUPLICATE_RULE},
              "bounds": {"allowed": allow_bounds, "parameters": bounds}, **result,
              "fragment": "consumers.yaml" + (f" (extends {rel})" if rel else " (purchase and spend blocks only)"),
              "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": round(time.time() - started, 2),
              "versions": results.versions()}
    files = ["consumers.yaml"]
    results.atomic_write_bytes(out / "consumers.yaml", yaml_text.encode())
    if figures and result["holdout"] is not None:
        track = tracking(bg, rfm)
        offset = int((rfm.until - rfm.start).astype(int))
        title = (f"{log.name}: {len(rfm.x):,} customers, calibration to {rfm.until}, hold-out "
                 f"{result['holdout']['weeks']:g} weeks")
        results.write_figures(out, {"fig_holdout": lambda: holdout_figure(track, offset, title)})
        files.append("fig_holdout.png")
    files.append("fit.json")
    result["files"] = files
    results.atomic_write_json(_finite(result), out / "fit.json")
    return result


def _finite(obj):
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
