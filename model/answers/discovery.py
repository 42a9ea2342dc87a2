"""Scenario discovery with PRIM (EMA Workbench): the box of assumptions in which an effect's sign flips
against its sign at the calibrated values, with the box's coverage and density."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from ..scenario import ScenarioError

MIN_CASES = 2          # PRIM needs points on both sides: fewer flips (or non-flips) get no box
MIN_COVERAGE = 0.5     # the box reported: the densest on the peeling trajectory covering half the flips or more


def require_ema():
    """EMA Workbench's PRIM module, or a one-line error saying how to install it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")               # its optional back ends announce themselves
            from ema_workbench.analysis import prim
    except ImportError:
        raise ScenarioError("ptsim answers needs EMA Workbench for scenario discovery (PRIM): pip install -e "
                            "'.[ema]' (make setup installs it)") from None
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


def discover(x: pd.DataFrame, flipped) -> dict:
    """PRIM on the points `x` with the flips as cases: their count and the box (parameter -> (low, high), None for an
    open side; None if no box restricts one) with its coverage (flips inside), density (inside that flip), mass."""
    flipped = np.asarray(flipped, bool)
    out = {"points": int(flipped.size), "flips": int(flipped.sum()), "box": None}
    if out["flips"] < MIN_CASES or flipped.size - out["flips"] < MIN_CASES:
        return out
    prim = require_ema()
    x = x.reset_index(drop=True).astype(float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        box = prim.Prim(x, flipped).find_box()
    trajectory = box.peeling_trajectory
    eligible = trajectory[trajectory["coverage"] >= MIN_COVERAGE]
    best = int(eligible.sort_values(["density", "coverage"], ascending=False).index[0])
    limits, initial = box.box_lims[best], box.box_lims[0]
    restricted = {}
    for c in x.columns:
        lo, hi = float(limits.loc[0, c]), float(limits.loc[1, c])
        lo_cut, hi_cut = lo > initial.loc[0, c], hi < initial.loc[1, c]
        if lo_cut or hi_cut:                        # None: the side is not restricted
            restricted[c] = (lo if lo_cut else None, hi if hi_cut else None)
    row = trajectory.loc[best]
    out.update(box=restricted or None, coverage=float(row["coverage"]), density=float(row["density"]),
               mass=float(row["mass"]), base_density=float(flipped.mean()))
    return out


def flips(effects: pd.Series, sign: float) -> np.ndarray:
    """Points whose effect has the opposite sign of `sign` (the effect at the calibrated values); an effect
    of exactly 0 counts as no flip."""
    v = effects.to_numpy(float)
    return np.sign(v) == -np.sign(sign) if sign != 0 else np.zeros(v.size, bool)
