"""88VIP: the platform's paid membership, open from a taoqi threshold (seed 003).

Eligible consumers (taoqi >= `exclusivity.vip_taoqi_threshold`) join with a small chance at each
purchase (more in the Double 11 window) and pay the annual fee; members get a price cut on every
order and a higher need rate. Membership lasts a year and is renewed at a purchase when the
consumer is still eligible.
"""

from __future__ import annotations

import numpy as np

from . import Policy
from ..submodels import lifecycle


class VipProgramme(Policy):
    name = "vip_programme"

    def __init__(self, params, scenario):
        super().__init__(params, scenario)
        self.threshold = scenario.policies.exclusivity.vip_taoqi_threshold
        self.fee_revenue = 0.0

    def setup(self, model) -> None:
        """Members at day 0: eligible consumers who joined in the past year."""
        c = model.consumers
        if not self.params.enabled:
            return
        eligible = np.flatnonzero(c.taoqi() >= self.threshold)
        joined = eligible[model.rng.random(eligible.size) < self.params.initial_uptake]
        c.vip_until[joined] = model.rng.integers(1, 366, joined.size)

    def end_day(self, model) -> None:
        """Memberships ending today renew if the consumer is still eligible and chooses to."""
        if not self.params.enabled:
            return
        c = model.consumers
        ending = np.flatnonzero(c.vip_until == model.day + 1)
        renew = ending[(c.taoqi(ending) >= self.threshold)
                       & (model.rng.random(ending.size) < self.params.renew_prob)]
        c.vip_until[renew] += 365
        self.fee_revenue += renew.size * self.params.fee

    def price_factor(self, model, buyers: np.ndarray):
        if not self.params.enabled:
            return 1.0
        return np.where(model.consumers.vip_until[buyers] > model.day, 1.0 - self.params.discount, 1.0)

    def rate_factor(self, model, who: np.ndarray):
        if not self.params.enabled:
            return 1.0
        return np.where(model.consumers.vip_until[who] > model.day, 1.0 + self.params.rate_uplift, 1.0)

    def on_purchase(self, model, buyers, stores, value, on_platform) -> None:
        """Eligible buyers without a running membership may join (or renew) now."""
        if not self.params.enabled:
            return
        c = model.consumers
        buyers = buyers[on_platform]
        p = self.params.join_prob
        if model.calendar.double11[model.day]:
            p = min(1.0, p * self.params.festival_join_multiplier)
        joins = lifecycle.vip_joins(model.rng, c.taoqi(buyers), c.vip_until[buyers] > model.day,
                                    self.threshold, p)
        who = buyers[joins]
        c.vip_until[who] = model.day + 365
        self.fee_revenue += who.size * self.params.fee

