"""The sweep machinery's sensitivity wiring, checked on the Ishigami function (a = 7, b = 0.1),
whose Sobol indices are known in closed form."""

import math

import numpy as np
import pytest

from ptsim.experiment import sweep

A, B = 7.0, 0.1
# closed forms: V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2; V1 = (1 + b pi^4/5)^2 / 2; V2 = a^2/8;
# V13 = b^2 pi^8 (1/18 - 1/50)
_V = A ** 2 / 8 + B * math.pi ** 4 / 5 + B ** 2 * math.pi ** 8 / 18 + 0.5
_V1, _V2, _V13 = (1 + B * math.pi ** 4 / 5) ** 2 / 2, A ** 2 / 8, B ** 2 * math.pi ** 8 * (1 / 18 - 1 / 50)
S1_TRUE = np.array([_V1, _V2, 0.0]) / _V                      # (0.314, 0.442, 0.000)
ST_TRUE = np.array([_V1 + _V13, _V2, _V13]) / _V              # (0.558, 0.442, 0.244)
RANGES = {f"x{i}": (-math.pi, math.pi) for i in (1, 2, 3)}


def ishigami(params, seed):
    """A model function of parameters -> outcomes, as the sweep machinery expects."""
    x1, x2, x3 = params["x1"], params["x2"], params["x3"]
    return {"y": math.sin(x1) + A * math.sin(x2) ** 2 + B * x3 ** 4 * math.sin(x1)}


def test_closed_forms():
    assert np.allclose(S1_TRUE, [0.314, 0.442, 0.0], atol=5e-4)
    assert np.allclose(ST_TRUE, [0.558, 0.442, 0.244], atol=5e-4)


def test_sobol_indices_of_ishigami_lie_within_salib_confidence_intervals():
    s = sweep(ishigami, params=RANGES, method="sobol", samples=1024)
    assert len(s.points) == 1024 * (3 + 2) and (s.runs["status"] == "ok").all()
    si = s.indices.set_index("parameter").loc[["x1", "x2", "x3"]]
    # SALib's 95% bootstrap half-widths at N = 1024 are < 0.12; the estimates must fall within them
    assert (si["S1_conf"] < 0.12).all() and (si["ST_conf"] < 0.12).all()
    assert (np.abs(si["S1"] - S1_TRUE) <= si["S1_conf"]).all(), si
    assert (np.abs(si["ST"] - ST_TRUE) <= si["ST_conf"]).all(), si


def test_morris_and_latin_hypercube_rank_ishigami_inputs():
    morris = sweep(ishigami, params=RANGES, method="morris", samples=64).indices.set_index("parameter")
    assert len(morris) == 3 and morris["mu_star"].gt(0).all() and morris["mu_star_conf"].notna().all()
    x3 = morris.loc["x3"]                          # x3 acts only with x1: effects of both signs
    assert abs(x3["mu"]) < 0.5 * x3["mu_star"] and x3["sigma"] > x3["mu_star"]
    lhs = sweep(ishigami, params=RANGES, method="lhs", samples=1024).indices.set_index("parameter")
    assert (np.abs(lhs["S1"] - S1_TRUE) <= lhs["S1_conf"]).all(), lhs     # RBD-FAST first order


@pytest.mark.parametrize("method", ["sobol", "morris", "lhs"])
def test_replications_of_a_model_function_share_seeds(method):
    seen = []

    def noisy(params, seed):
        seen.append(seed)
        return {"y": params["x1"] + np.random.default_rng(seed).normal()}

    s = sweep(noisy, params={"x1": (0.0, 1.0), "x2": (0.0, 1.0)}, method=method, samples=16, reps=3)
    assert s.runs.groupby("replication")["seed"].nunique().eq(1).all() and len(set(seen)) == 3
    assert s.table["n"].eq(3).all()
