"""88VIP: the platform's paid membership, open from a taoqi threshold (seed 003).

Eligible consumers (taoqi >= `taoqi_threshold`) join with a small chance at each purchase (more in
the Double 11 window); members get a price cut on every order and a higher need rate. Membership
lasts a year and is renewed at expiry when the consumer is still eligible and chooses to.
"""

from __future__ import annotations

import numpy as np

from ..submodels import lifecycle
from .base import Policy


class VipProgramme(Policy):
    name = "vip_programme"

    def setup(self, model) -> None:
        """Members at day 0: eligible consumers who joined in the past year."""
        c = model.consumers
        self.rng = model.stream(self.name)
        eligible = np.flatnonzero(c.taoqi() >= self.params.taoqi_threshold)
        joined = eligible[self.rng.random(eligible.size) < self.params.initial_uptake]
        c.vip_until[joined] = self.rng.integers(1, 366, joined.size)

    def stop(self, model) -> None:
        """Without the programme, memberships end."""
        model.consumers.vip_until[:] = -1

    def end_day(self, model) -> None:
        """Memberships ending today renew if the consumer is still eligible and chooses to."""
        c = model.consumers
        ending = np.flatnonzero(c.vip_until == model.day + 1)
        renew = ending[(c.taoqi(ending) >= self.params.taoqi_threshold)
                       & (self.rng.random(ending.size) < self.params.renew_prob)]
        c.vip_until[renew] += 365

    def price_factor(self, model, buyers: np.ndarray):
        return np.where(model.consumers.vip_until[buyers] > model.day, 1.0 - self.params.discount, 1.0)

    def rate_factor(self, model, who: np.ndarray):
        return np.where(model.consumers.vip_until[who] > model.day, 1.0 + self.params.rate_uplift, 1.0)

    def on_purchase(self, model, orders) -> None:
        """Eligible buyers without a running membership may join (or renew) now."""
        c = model.consumers
        buyers = orders.buyers[orders.on_platform]
        p = self.params.join_prob
        if model.calendar.double11[model.day]:
            p = min(1.0, p * self.params.festival_join_multiplier)
        joins = lifecycle.vip_joins(self.rng, c.taoqi(buyers), c.vip_until[buyers] > model.day,
                                    self.params.taoqi_threshold, p)
        c.vip_until[buyers[joins]] = model.day + 365
