"""The measurement model: how a published fact is read as data about the model's expected values.

The facts of the targets file are the data (facts with a `limit` or an `input`, or weight 0, are left out:
a fact the model cannot reach structurally, or produces by construction, carries no information about its
parameters without a model of the discrepancy, which ptsim does not have). A two-sided band reads as the
published value observed with Gaussian error whose standard deviation is a quarter of the band's width (the
band as a 95% interval); a one-sided band ("more than 60%") as a statement that holds with probability
Phi((value - bound) / sd), sd half the target's `scale`. A target's weight w divides its sd by sqrt(w) (the
two 88VIP levels, one statement read twice, weigh half each). Both are proper likelihoods of data the model
could have generated, which the coverage check (`coverage.py`) simulates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr, ndtr

from .targets import TargetSet


@dataclass(frozen=True)
class Statement:
    """One fact as data: a value observed with error (`kind` "value"), or a bound that holds ("at_least",
    "at_most"); `sd` the measurement error's standard deviation, `observed` the published value or 1.0 (holds)."""
    name: str
    kind: str
    bound: float
    sd: float
    observed: float

    def log_likelihood(self, s: float, extra_var: float = 0.0) -> float:
        """Log-density (value) or log-probability (bound) of the observation given the model's value `s`."""
        return float(self.log_likelihood_array(np.asarray(s, float), extra_var)) if math.isfinite(s) else -1e6

    def log_likelihood_array(self, s: np.ndarray, extra_var: float = 0.0) -> np.ndarray:
        """`log_likelihood` over an array of model values (for exact posteriors by importance sampling)."""
        sd = math.sqrt(self.sd ** 2 + extra_var)
        s = np.asarray(s, float)
        if self.kind == "value":
            return -0.5 * ((self.observed - s) / sd) ** 2 - math.log(sd * math.sqrt(2 * math.pi))
        z = (s - self.bound) / sd if self.kind == "at_least" else (self.bound - s) / sd
        return log_ndtr(z) if self.observed >= 0.5 else log_ndtr(-z)

    def max_log_likelihood(self, extra_var: float = 0.0) -> float:
        return -math.log(math.sqrt(self.sd ** 2 + extra_var) * math.sqrt(2 * math.pi)) if self.kind == "value" else 0.0

    def simulate(self, s: float, rng: np.random.Generator, extra_var: float = 0.0) -> float:
        """Data this statement would give if the model's value were `s` (for the coverage check)."""
        sd = math.sqrt(self.sd ** 2 + extra_var)
        if self.kind == "value":
            return float(s + rng.normal(0.0, sd))
        z = (s - self.bound) / sd if self.kind == "at_least" else (self.bound - s) / sd
        return float(rng.random() < ndtr(z))


def statements(targets: TargetSet) -> list[Statement]:
    """The facts that are data, each as a Statement (see the module docstring for which and how)."""
    out = []
    for t in targets.targets:
        if t.weight <= 0 or t.limit is not None or t.input is not None:
            continue
        lo, hi = t.band.low, t.band.high
        if lo is not None and hi is not None:
            out.append(Statement(t.name, "value", math.nan, (hi - lo) / 4 / math.sqrt(t.weight), float(t.value)))
        else:
            kind, bound = ("at_least", lo) if lo is not None else ("at_most", hi)
            out.append(Statement(t.name, kind, float(bound), t.scale / 2 / math.sqrt(t.weight), 1.0))
    return out


def left_out(targets: TargetSet) -> dict[str, str]:
    """The targets that are not data, with the reason (for the report)."""
    out = {}
    for t in targets.targets:
        if t.input is not None:
            out[t.name] = "an input (the scenario produces it by construction)"
        elif t.limit is not None:
            out[t.name] = "a limit (the model cannot reach the band with the other facts; targets file `limit`)"
        elif t.weight <= 0:
            out[t.name] = "weight 0"
    return out


def log_likelihood(stmts: list[Statement], values: dict, observed: dict | None = None,
                   extra_var: dict | None = None) -> float:
    """Sum over statements; `observed` (name -> datum) replaces the published data, e.g. synthetic data."""
    total = 0.0
    for st in stmts:
        obs = st if observed is None else Statement(st.name, st.kind, st.bound, st.sd, observed[st.name])
        total += obs.log_likelihood(values[st.name], (extra_var or {}).get(st.name, 0.0))
    return total
