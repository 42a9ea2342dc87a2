"""Anti-diversion enforcement (seed 002): the platform catches stores that move buying to WeChat.

Each day a diverting store is caught with the daily equivalent of the monthly `detection_rate`; a
caught store stops diverting and loses `penalty` of its ranking weight for `penalty_days`.
"""

from __future__ import annotations

import numpy as np

from . import Policy


class AntiDiversion(Policy):
    name = "anti_diversion"

    @property
    def monthly_detection(self) -> float:
        return self.params.detection_rate if self.params.enabled else 0.0

    def setup(self, model) -> None:
        self.penalty_until = np.full(model.merchants.n, -1, dtype=np.int64)
        self.caught = 0

    def start_day(self, model) -> None:
        m = model.merchants
        if not self.params.enabled or not m.diverting.any():
            return
        daily = 1.0 - (1.0 - self.params.detection_rate) ** (1 / 30)
        caught = m.diverting & (model.rng.random(m.n) < daily)
        self.penalty_until[caught] = model.day + self.params.penalty_days
        m.diverting &= ~caught
        self.caught += int(caught.sum())

    def weight_multiplier(self, model):
        if not self.params.enabled:
            return 1.0
        return np.where(self.penalty_until > model.day, 1.0 - self.params.penalty, 1.0)
