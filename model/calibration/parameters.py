"""Which scenario fields a calibration may fit, their ranges checked against the schema, and the input
scenario's own values as the first trial."""

from __future__ import annotations

import math

from ..scenario import Scenario, ScenarioError, field_value

# settings of a calibration's runs, not parameters of the model: set with --set, never fitted
NOT_FITTED = ("name", "description", "run.", "population.consumers", "population.merchants",
              "population.real_consumers", "population.scale")


def check_params(base: Scenario, params: dict) -> dict[str, tuple[float, float, bool]]:
    """Validate `--param` ranges against the scenario: numeric fields, both ends allowed."""
    from ..experiment.design import check_range, numeric_field
    from ..scenario import is_lever
    if not params:
        raise ScenarioError("--param: give at least one field=lo:hi to calibrate, e.g. choice.deal_utility=0.5:3")
    out = {}
    for name, bounds in params.items():
        lo, hi = check_range(name, bounds)
        if any(name == f or (f.endswith(".") and name.startswith(f)) for f in NOT_FITTED):
            raise ScenarioError(f"--param {name}: a setting of the runs (size, horizon, seeds), not a model "
                                "parameter; set it with --set instead")
        if is_lever(name):
            raise ScenarioError(f"--param {name}: a policy lever; calibrate parameters of the world (consumers, "
                                "stores, mechanisms), which the status quo's facts speak to")
        kind = numeric_field(base, name, lo, "calibrated")
        if kind is int:
            lo, hi = math.ceil(lo), math.floor(hi)
            if lo >= hi:
                raise ScenarioError(f"--param {name}: an integer field; the range holds fewer than two integers")
        for v in (lo, hi):
            base.with_overrides({name: v}, source="--param")
        out[name] = (lo, hi, kind is int)
    return out


def starting_point(base: Scenario, params: dict[str, tuple[float, float, bool]]) -> dict[str, float]:
    """The input scenario's own values of the parameters that lie within their ranges: the study's first
    trial, so its fit is measured in the same study and the sampler starts from a known point."""
    out = {}
    for name, (lo, hi, _) in params.items():
        value = field_value(base.to_dict(), name)
        if lo <= value <= hi:
            out[name] = value
    return out
