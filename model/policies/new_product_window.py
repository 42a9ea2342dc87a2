"""New-product window (seed 003): stores launching a product get incubation traffic.

Stores launch new products at `merchants.launch_rate` a year; for `days` after a launch the store's
ranking weight is raised by `boost` (the 2025 strategy moved the window from 30 to 90 days and
doubled incubation resources).
"""

from __future__ import annotations

import numpy as np

from .base import Policy


class NewProductWindow(Policy):
    name = "new_product_window"

    @classmethod
    def enabled(cls, params) -> bool:
        return params.days > 0 and params.boost > 0

    def setup(self, model) -> None:
        self.last_launch = np.full(model.merchants.n, -10**6, dtype=np.int64)
        self.daily_launch = self.config.merchants.launch_rate / 365.0
        self.rng = model.stream(self.name)

    def start_day(self, model) -> None:
        if self.daily_launch > 0:
            launched = self.rng.random(model.merchants.n) < self.daily_launch
            self.last_launch[launched] = model.day

    def weight_multiplier(self, model):
        return np.where(model.day - self.last_launch < self.params.days, 1.0 + self.params.boost, 1.0)
