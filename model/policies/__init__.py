"""Policies (levers): one module per policy, each a `Policy` (see `base.py`) built from its block
under `policies:` in the scenario. Only policies whose settings do something are built."""

from __future__ import annotations

from .anti_diversion import AntiDiversion
from .base import Policy
from .commission import Commission
from .new_product_window import NewProductWindow
from .savings_card import SavingsCard
from .vip_programme import VipProgramme
from .wechat_direct import WeChatDirect
from .weight_bonus import WeightBonus

# the fixed order in which hooks run
POLICY_CLASSES = (VipProgramme, SavingsCard, WeChatDirect, WeightBonus, AntiDiversion, Commission,
                  NewProductWindow)


def build_policies(config) -> tuple[Policy, ...]:
    """The scenario's enabled policies, in the fixed order their hooks run."""
    built = []
    for cls in POLICY_CLASSES:
        params = getattr(config.policies, cls.name)
        if cls.enabled(params):
            built.append(cls(params, config))
    return tuple(built)


__all__ = ["Policy", "build_policies", "POLICY_CLASSES"]
