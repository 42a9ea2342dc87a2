"""ptsim: an agent-based model of Tmall's private-traffic ecosystem, on Mesa.

    from ptsim import load_scenario, PrivateTrafficModel
    scenario = load_scenario("scenarios/baseline.yaml", overrides={"population.consumers": 20_000})
    m = PrivateTrafficModel(scenario, rng=1).run()
    m.timeseries()     # daily outcomes (pandas)

    from ptsim import simulate          # one run -> {outcome: value}, fields as keywords
    simulate("baseline", seed=1, days=90, population__consumers=20_000, outcomes=["gmv_total"])
"""

from importlib import import_module

__version__ = "0.2.0"
_EXPORTS = {"Scenario": "scenario", "ScenarioError": "scenario", "load_scenario": "scenario",
            "PrivateTrafficModel": "model", "Consumer": "agents", "Merchant": "agents", "Platform": "agents",
            "simulate": "runs"}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    """Import the model (Mesa, pandas, scipy) only when it is first used, so `ptsim --help` starts fast."""
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_EXPORTS])
