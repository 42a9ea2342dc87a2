"""Anti-diversion enforcement (seed 002): the platform catches stores that move buying to WeChat.

Each day the daily equivalent of the monthly `detection_rate` of the diverting share of each store is
caught (a store agent stands for many real stores, wechat.py); the caught share must stop diverting and
is penalised: the store agent loses `penalty` of its ranking weight in proportion to its penalised
share, and penalties run out after `penalty_days` on average. Stores weigh the expected penalty when
they decide monthly whether to divert (wechat.py).
"""

from __future__ import annotations

import numpy as np

from .base import Policy


class AntiDiversion(Policy):
    name = "anti_diversion"

    def setup(self, model) -> None:
        self.penalised = np.zeros(model.merchants.n)          # share of each store agent under penalty

    def start_day(self, model) -> None:
        m = model.merchants
        self.penalised *= np.exp(-1.0 / max(self.params.penalty_days, 1e-9))
        daily = 1.0 - (1.0 - self.params.detection_rate) ** (1 / 30)
        caught = daily * m.diversion_share
        m.diversion_share = m.diversion_share - caught
        self.penalised = np.minimum(self.penalised + caught, 1.0)

    def stops_diversion(self, model):
        return self.penalised

    def weight_multiplier(self, model):
        return 1.0 - self.params.penalty * self.penalised

    def expected_diversion_penalty(self, model) -> float:
        return self.params.detection_rate * self.params.penalty * (self.params.penalty_days / 30)
