"""Policies (levers): one module per policy, each an object with hooks at fixed points of the day.

A policy is built from its block under `policies:` in the scenario. The model calls, in order:
`setup(model)` once after initialisation; each day `start_day(model)` before prices and ranking,
`ranking_gmv(model, gmv)` and `weight_multiplier(model)` when the platform ranks stores,
`price_factor` / `rate_factor` when consumers meet prices and needs, `on_purchase(model, ...)` after
purchases, and `end_day(model)` after the day's purchases. Policies with a start day act from that
recorded day on (`model.record_day`); before it, and during the burn-in, the status quo holds.
"""

from __future__ import annotations

import numpy as np


class Policy:
    """Base class: every hook is a no-op unless a policy overrides it."""

    name = "policy"

    def __init__(self, params, scenario):
        self.params = params
        self.scenario = scenario

    def setup(self, model) -> None:
        pass

    def start_day(self, model) -> None:
        pass

    def ranking_gmv(self, model, gmv: np.ndarray) -> np.ndarray:
        return gmv

    def weight_multiplier(self, model):
        return 1.0

    def price_factor(self, model, buyers: np.ndarray):
        return 1.0

    def rate_factor(self, model, who: np.ndarray):
        return 1.0

    def on_purchase(self, model, buyers: np.ndarray, stores: np.ndarray, value: np.ndarray,
                    on_platform: np.ndarray) -> None:
        pass

    def end_day(self, model) -> None:
        pass


def build_policies(scenario) -> dict[str, Policy]:
    """The scenario's policies, by name, in the fixed order their hooks run."""
    from .anti_diversion import AntiDiversion
    from .commission import Commission
    from .exclusivity import Exclusivity
    from .new_product_window import NewProductWindow
    from .savings_card import SavingsCard
    from .vip_programme import VipProgramme
    from .wechat_direct import WeChatDirect
    from .weight_bonus import WeightBonus
    p = scenario.policies
    policies = [Exclusivity(p.exclusivity, scenario), VipProgramme(p.vip_programme, scenario),
                SavingsCard(p.savings_card, scenario), WeChatDirect(p.wechat_direct, scenario),
                WeightBonus(p.weight_bonus, scenario), AntiDiversion(p.anti_diversion, scenario),
                Commission(p.commission, scenario), NewProductWindow(p.new_product_window, scenario)]
    return {policy.name: policy for policy in policies}
