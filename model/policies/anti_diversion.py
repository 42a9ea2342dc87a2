"""Anti-diversion enforcement (seed 002): the platform catches stores that move buying to WeChat.

Each day a diverting store is caught with the daily equivalent of the monthly `detection_rate`; a
caught store must stop diverting and loses `penalty` of its ranking weight for `penalty_days`.
Stores weigh the expected penalty when they decide monthly whether to divert (wechat.py).
"""

from __future__ import annotations

import numpy as np

from .base import Policy


class AntiDiversion(Policy):
    name = "anti_diversion"

    def setup(self, model) -> None:
        self.penalty_until = np.full(model.merchants.n, -1, dtype=np.int64)
        self.caught_today = np.zeros(model.merchants.n, dtype=bool)
        self.rng = model.stream(self.name)

    def start_day(self, model) -> None:
        m = model.merchants
        self.caught_today[:] = False
        if not m.diverting.any():
            return
        daily = 1.0 - (1.0 - self.params.detection_rate) ** (1 / 30)
        self.caught_today = m.diverting & (self.rng.random(m.n) < daily)
        self.penalty_until[self.caught_today] = model.day + self.params.penalty_days

    def stops_diversion(self, model):
        return self.caught_today | (self.penalty_until > model.day)

    def weight_multiplier(self, model):
        return np.where(self.penalty_until > model.day, 1.0 - self.params.penalty, 1.0)

    def expected_diversion_penalty(self, model) -> float:
        return self.params.detection_rate * self.params.penalty * (self.params.penalty_days / 30)
