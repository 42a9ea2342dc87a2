"""Sensitivity indices of a sampled design with SALib: Sobol S1/ST, Morris mu*/sigma, and
RBD-FAST first-order indices for a Latin hypercube, each with its 95% confidence interval."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .design import MORRIS_LEVELS, Design

COLUMNS = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"),
           "morris": ("mu", "mu_star", "mu_star_conf", "sigma"),
           "lhs": ("S1", "S1_conf")}


def analyse(design: Design, y: np.ndarray) -> dict[str, np.ndarray]:
    """SALib's analysis of one outcome `y` (one value per point, in point order)."""
    from SALib.analyze import morris, rbd_fast, sobol
    problem, seed = design.problem(), design.spec.get("sample_seed")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if design.method == "sobol":
            return sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed)
        if design.method == "morris":
            return morris.analyze(problem, design.sample, y, conf_level=0.95, num_levels=MORRIS_LEVELS,
                                  seed=seed)
        # RBD-FAST needs 2M < N harmonics, and its bootstrap uses N/2 points: SALib's M = 10 needs N >= 42
        return rbd_fast.analyze(problem, design.sample, y, M=max(1, min(10, (len(y) // 2 - 1) // 2)),
                                conf_level=0.95, seed=seed)


def indices(design: Design, responses: pd.DataFrame, outcomes) -> pd.DataFrame:
    """Long table: outcome, parameter and the method's indices with confidence intervals.

    An outcome with a point that has no finished run gets no indices (NaN): the estimators need
    every point of the sample.
    """
    cols = COLUMNS[design.method]
    names = design.problem()["names"]
    rows = []
    for name in outcomes:
        y = responses.sort_values("point")[name].to_numpy(float) if name in responses else np.array([])
        if len(y) != len(design.points) or not np.isfinite(y).all():
            si = {c: np.full(len(names), np.nan) for c in cols}
        else:
            si = analyse(design, y)
        for k, p in enumerate(names):
            rows.append({"outcome": name, "parameter": p, **{c: float(np.asarray(si[c])[k]) for c in cols}})
    return pd.DataFrame(rows, columns=["outcome", "parameter", *cols])
