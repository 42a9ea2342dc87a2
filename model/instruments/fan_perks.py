"""Fan-only perks (seed 004, Pond's): a follow discount, one-to-one service and store-group perks.

While the perks run, a treated store offers a discount on the order at which a buyer follows it (关注立减),
worth to each buyer what the same price cut is worth in her own choice (relationships.follow_utility),
so it raises her odds of following by that much; its service staff guide buyers to follow and join
(INTERLOCK effort `service_interlock`, the store's own if higher); and its store group gets
`group_perks`. The discount's cost to the store is not taken off the order's value (a small overstatement
of GMV at the orders where a buyer follows). The perks reach every buyer of a treated store.
"""

from __future__ import annotations

import numpy as np

from ..orders import Lever
from .base import Instrument


class FanPerks(Instrument):
    name = "fan_perks"

    def setup(self, model) -> None:
        super().setup(model)
        self.own_group_perks = model.merchants.group_perks.copy()
        self.on = False

    def start_day(self, model) -> None:
        running = self.running(model)
        if running == self.on:
            return
        m, p, s = model.merchants, self.params, self.stores
        self.on = running
        m.follow_discount[s] = p.follow_discount if running else 0.0
        m.campaign[s, Lever.INTERLOCK] = p.service_interlock if running else 0.0
        m.group_perks[s] = np.maximum(self.own_group_perks[s], p.group_perks) if running else self.own_group_perks[s]

    def stop(self, model) -> None:
        if self.on:
            self.on = False
            model.merchants.follow_discount[self.stores] = 0.0
            model.merchants.campaign[self.stores, Lever.INTERLOCK] = 0.0
            model.merchants.group_perks[:] = self.own_group_perks
