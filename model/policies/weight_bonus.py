"""Weight bonus (seed 002): WeChat-domain GMV counts toward a store's ranking weight.

The store's weight is computed from trailing on-site GMV plus `share` times its trailing WeChat-direct
GMV, so private-domain work in WeChat earns public traffic. At 0 WeChat sales earn no weight.
"""

from __future__ import annotations

from .base import Policy


class WeightBonus(Policy):
    name = "weight_bonus"

    @classmethod
    def enabled(cls, params) -> bool:
        return params.share > 0

    def ranking_gmv(self, model, gmv):
        return gmv + self.params.share * model.merchants.trailing_wechat
