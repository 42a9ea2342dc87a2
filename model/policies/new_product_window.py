"""New-product window (seed 003): stores launching a product get incubation traffic.

Stores launch new products at `merchants.launch_rate` a year; for `days` after a launch the store's
ranking weight is raised by `boost` (the 2025 strategy moved the window from 30 to 90 days and
doubled incubation resources).
"""

from __future__ import annotations

import numpy as np

from . import Policy


class NewProductWindow(Policy):
    name = "new_product_window"

    def setup(self, model) -> None:
        self.last_launch = np.full(model.merchants.n, -10**6, dtype=np.int64)
        self.daily_launch = self.scenario.merchants.launch_rate / 365.0

    def start_day(self, model) -> None:
        if self.daily_launch > 0:
            launched = model.rng.random(model.merchants.n) < self.daily_launch
            self.last_launch[launched] = model.day

    def weight_multiplier(self, model):
        if self.params.days == 0 or self.params.boost == 0:
            return 1.0
        return np.where(model.day - self.last_launch < self.params.days, 1.0 + self.params.boost, 1.0)
