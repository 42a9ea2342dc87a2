"""Commission and growth rebates (seed 003).

The platform takes `rate` of on-platform GMV. In each of `rebate_rounds` rounds a year, stores whose
GMV beat the previous round's by `growth_target` get `rebate_share` of that round's commission back.
Commission net of rebates is the outcome `platform_commission`. What a store saves per yuan it diverts
off-platform is the rate net of the rebate it expects (`commission_rate`): a store that earned the rebate in
the last finished round expects it again (wechat.py weighs it in the diversion decision).
"""

from __future__ import annotations

import numpy as np

from .base import Policy


class Commission(Policy):
    name = "commission"

    def setup(self, model) -> None:
        n = model.merchants.n
        self.round_gmv = np.zeros(n)
        self.previous_round_gmv = np.full(n, np.nan)
        self.round_commission = np.zeros(n)
        self.earned = np.zeros(n, dtype=bool)               # beat the growth target in the last finished round
        self.today = 0.0

    @property
    def round_days(self) -> int:
        """Days in a rebate round."""
        return max(1, 365 // self.params.rebate_rounds)

    def start_day(self, model) -> None:
        self.today = 0.0

    def on_purchase(self, model, orders) -> None:
        v = np.where(orders.on_platform, orders.value, 0.0)
        gmv = np.bincount(orders.stores, weights=v, minlength=model.merchants.n)
        self.round_gmv += gmv
        self.round_commission += self.params.rate * gmv
        self.today += self.params.rate * float(v.sum())

    def end_day(self, model) -> None:
        if (model.day + 1) % self.round_days:
            return
        if self.params.rebate_share > 0:
            beat = self.round_gmv > (1 + self.params.growth_target) * np.nan_to_num(self.previous_round_gmv,
                                                                                    nan=np.inf)
            self.today -= float((self.params.rebate_share * self.round_commission[beat]).sum())
            self.earned = beat
        self.previous_round_gmv = self.round_gmv
        self.round_gmv = np.zeros_like(self.round_gmv)
        self.round_commission = np.zeros_like(self.round_commission)

    def commission_rate(self, model) -> np.ndarray:
        """The rate, less the rebate share for stores that earned the rebate in the last finished round."""
        return self.params.rate * (1.0 - self.params.rebate_share * self.earned)

    def flows(self, model) -> dict[str, float]:
        return {"platform_commission": self.today}
