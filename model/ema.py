"""ptsim as an EMA Workbench model (exploratory modelling, scenario discovery, robust decisions).

    from ema_workbench import MultiprocessingEvaluator, perform_experiments
    from ptsim.ema import ema_model

    model = ema_model(uncertainties={"price_sensitivity.deal_learning": (0.2, 1.2)},
                      levers={"policies.weight_bonus.share": (0, 2),
                              "policies.wechat_direct.mode": ["off", "beta", "open"]},
                      outcomes=["gmv_total", "mean_deal_proneness"], replications=4,
                      population__consumers=20_000, days=120)
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=16, policies=4)

Each experiment runs `replications` replications with the same seeds as every other experiment
(common random numbers), so differences between experiments are paired as in `ptsim compare`. An
outcome is the mean over the replications (`statistic="mean"`), or every replication's value
(`statistic=None`: `<outcome>_reps`, experiments x replications). Parameters are named by their
scenario fields with `__` for the dots (`policies__weight_bonus__share`: EMA wants identifiers), as
`ptsim.simulate`'s keywords. EMA Workbench is an optional extra: `pip install "ptsim[ema]"`. See
docs/experiments.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from .outcomes import HEADLINE, OUTCOME_NAMES
from .runs import replication_seeds, simulate
from .scenario import Scenario, ScenarioError, load_scenario

__all__ = ["ema_model", "parameters", "Simulation", "ident"]


def _ema():
    try:
        import ema_workbench
    except ImportError:
        raise ImportError('ptsim.ema needs EMA Workbench: pip install "ptsim[ema]" (or ema_workbench>=3.0)') \
            from None
    return ema_workbench


@dataclass(frozen=True)
class Simulation:
    """The function an EMA model calls for one replication: `seed` from the replication, the sampled
    uncertainties and levers as dotted fields; returns {outcome: value}. Picklable, so it runs on
    EMA's MultiprocessingEvaluator and MPIEvaluator workers."""
    scenario: Scenario
    outcomes: tuple[str, ...]
    cache: bool = True

    def __call__(self, seed: int, **fields) -> dict[str, float]:
        # parameter names are the fields with `__` for their dots, as simulate's keywords
        return simulate(self.scenario, seed=int(seed), outcomes=list(self.outcomes), cache=self.cache,
                        **fields)


def parameters(ranges, base: Scenario | None = None, kind: str = "uncertainties") -> list:
    """EMA parameters from {dotted field: range}: (lo, hi) samples a numeric field (an
    IntegerParameter for an integer field, else a RealParameter); a list of values samples among
    them (a BooleanParameter for [False, True] of a flag, else a CategoricalParameter). Also takes
    a list of (field, range) pairs, and EMA parameters named by their field, passed through. Each
    range's ends (or values) are checked against the scenario schema: ScenarioError in one line.

    EMA Workbench 3 wants parameter names that are Python identifiers: each is named by its field
    with `__` for the dots (`policies__weight_bonus__share`), as `ptsim.simulate`'s keywords."""
    ema = _ema()
    from .experiment.design import check_range, field_type
    base = base or Scenario()
    items = ranges.items() if isinstance(ranges, Mapping) else ranges or []
    out, seen = [], set()
    for item in items:
        if isinstance(item, ema.em_framework.parameters.Parameter):
            name, spec, param = item.name.replace("__", "."), None, item
        else:
            try:
                name, spec = item
            except (TypeError, ValueError):
                raise ScenarioError(f"{kind}: {item!r}: expected field: range, e.g. "
                                    "{'ranking.exponent': (0.5, 1.0)}") from None
            param = None
        if name in seen:
            raise ScenarioError(f"{kind}: {name}: given twice")
        seen.add(name)
        kind_of = field_type(name)
        if kind_of is None:
            base.with_overrides({name: None}, source=kind)          # names the unknown field
        if param is None:
            if isinstance(spec, tuple) and len(spec) == 2 and kind_of in (int, float):
                lo, hi = check_range(name, spec)
                if kind_of is int:
                    lo, hi = int(round(lo)), int(round(hi))
                for v in (lo, hi):
                    base.with_overrides({name: v}, source=kind)
                param = (ema.IntegerParameter if kind_of is int else ema.RealParameter)(ident(name), lo, hi)
            elif isinstance(spec, (list, tuple)) and len(spec) >= 2:
                for v in spec:
                    base.with_overrides({name: v}, source=kind)
                if kind_of is bool and sorted(spec) == [False, True]:
                    param = ema.BooleanParameter(ident(name))
                else:
                    param = ema.CategoricalParameter(ident(name), list(spec))
            else:
                allowed = "(lo, hi) or a list of values" if kind_of in (int, float) else \
                    f"a list of values{_choices(kind_of)}"
                raise ScenarioError(f"{kind}: {name}: expected {allowed} (got {spec!r})")
        out.append(param)
    return out


def ident(field: str) -> str:
    """An EMA parameter's name for a dotted scenario field: `__` for each dot."""
    return field.replace(".", "__")


def _choices(annotation) -> str:
    if get_origin(annotation) is Literal:
        return " among " + ", ".join(map(str, get_args(annotation)))
    return ""


def ema_model(uncertainties=None, levers=None, *, scenario: Any = "baseline",
              outcomes: list[str] | tuple[str, ...] | None = None, replications: int = 4,
              seed: int | None = None, statistic: Literal["mean"] | None = "mean", name: str = "ptsim",
              days: int | None = None, fields: dict | None = None, cache: bool = True, **field_kwargs):
    """An EMA Workbench `ReplicatorModel` of `scenario` (a library name, a YAML path or a Scenario).

    `uncertainties` and `levers`: {dotted field: (lo, hi) or [values]} (see `parameters`).
    `outcomes`: outcome names (default: the headline outcomes), each a `ScalarOutcome` of the mean
    over replications; with `statistic=None` an `ArrayOutcome` `<outcome>_reps` of every replication
    (experiments x replications; EMA allows one outcome class per name in a session, hence the suffix).
    `replications`: seeds spawned from `seed` (default: the scenario's `run.seed`), the same for
    every experiment (common random numbers). Fixed fields: `days`, keywords with `__` for dots
    (`population__consumers=20_000`) or `fields={"dotted.name": value}`.
    """
    ema = _ema()
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    fixed = dict(fields or {})
    fixed.update({k.replace("__", "."): v for k, v in field_kwargs.items()})
    if days is not None:
        fixed["run.days"] = days
    base = base.with_overrides(fixed, source="ema_model") if fixed else base
    names = tuple(outcomes) if outcomes else HEADLINE
    unknown = [o for o in names if o not in OUTCOME_NAMES]
    if unknown:
        raise ScenarioError(f"outcomes: unknown outcome {unknown[0]!r}; known: {', '.join(OUTCOME_NAMES)}")
    if not isinstance(replications, int) or replications < 1:
        raise ScenarioError(f"replications: must be an integer >= 1 (got {replications!r})")
    if statistic not in ("mean", None):
        raise ScenarioError(f"statistic: 'mean' or None (got {statistic!r})")
    unc = parameters(uncertainties, base, "uncertainties")
    lev = parameters(levers, base, "levers")
    both = {p.name for p in unc} & {p.name for p in lev}
    if both:
        raise ScenarioError(f"{sorted(both)[0]}: both an uncertainty and a lever; make it one of them")
    model = ema.ReplicatorModel(name, function=Simulation(base, names, cache))
    model.uncertainties = unc
    model.levers = lev
    if statistic == "mean":
        import numpy as np
        model.outcomes = [ema.ScalarOutcome(o, function=np.mean) for o in names]
    else:
        model.outcomes = [ema.ArrayOutcome(f"{o}_reps", variable_name=o) for o in names]
    seeds = replication_seeds(base.run.seed if seed is None else seed, replications)
    model.replications = [{"seed": s} for s in seeds]
    return model
