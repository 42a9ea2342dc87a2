"""The savings monthly card (seed 003): a cheap paid coupon pack for the mass of users.

Holders (a share `uptake` of non-88VIP consumers) save `coupon` on every order and, nudged by red
packets, have a `rate_uplift` higher need rate.
"""

from __future__ import annotations

import numpy as np

from .base import Policy


class SavingsCard(Policy):
    name = "savings_card"

    def setup(self, model) -> None:
        c = model.consumers
        non_vip = c.vip_until <= model.day
        self.holder = non_vip & (model.stream(self.name).random(c.n) < self.params.uptake)

    def price_factor(self, model, buyers):
        return np.where(self.holder[buyers], 1.0 - self.params.coupon, 1.0)

    def rate_factor(self, model, who):
        return np.where(self.holder[who], 1.0 + self.params.rate_uplift, 1.0)
