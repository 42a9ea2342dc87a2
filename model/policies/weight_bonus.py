"""Weight bonus (seed 002): WeChat-domain GMV counts toward a store's ranking weight.

The store's weight is computed from trailing on-site GMV plus `share` times its trailing WeChat-direct
GMV, so private-domain work in WeChat earns public traffic. At 0 WeChat sales earn no weight.
"""

from __future__ import annotations

from . import Policy


class WeightBonus(Policy):
    name = "weight_bonus"

    def ranking_gmv(self, model, gmv):
        if self.params.share == 0:
            return gmv
        return gmv + self.params.share * model.merchants.trailing_wechat
