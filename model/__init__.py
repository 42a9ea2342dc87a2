"""ptsim: an agent-based model of Tmall's private-traffic ecosystem, on Mesa.

    from ptsim import load_scenario, PrivateTrafficModel
    scenario = load_scenario("scenarios/baseline.yaml", overrides={"population.consumers": 20_000})
    m = PrivateTrafficModel(scenario, rng=1).run()
    m.timeseries()     # daily outcomes (pandas)
"""

from .scenario import Scenario, ScenarioError, load_scenario
from .model import PrivateTrafficModel
from .agents import Consumer, Merchant, Platform

__version__ = "0.2.0"
__all__ = ["Scenario", "ScenarioError", "load_scenario", "PrivateTrafficModel", "Consumer", "Merchant",
           "Platform", "__version__"]
