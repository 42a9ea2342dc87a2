"""Policies (levers): one module per policy, each an object with hooks at fixed points of the day.

A policy is built from its block under `policies:` in the scenario. The model calls, in order:
`setup(model)` once after initialisation; each day `start_day(model)` before prices and ranking,
`weight_multiplier(model)` when the platform ranks stores, and `end_day(model)` after purchases.
"""

from __future__ import annotations


class Policy:
    """Base class: every hook is a no-op unless a policy overrides it."""

    name = "policy"

    def __init__(self, params):
        self.params = params

    def setup(self, model) -> None:
        pass

    def start_day(self, model) -> None:
        pass

    def weight_multiplier(self, model):
        return 1.0

    def end_day(self, model) -> None:
        pass


def build_policies(scenario) -> list[Policy]:
    """The scenario's policies in a fixed order."""
    from .vip_programme import VipProgramme
    return [VipProgramme(scenario.policies.vip_programme, scenario.policies.exclusivity)]
