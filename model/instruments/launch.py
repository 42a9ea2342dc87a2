"""A new-product launch (seed 004, IHIMI: regular launches; seed 003: the platform's new-product window).

On its day each treated store launches a product: for the platform's new-product window
(`policies.new_product_window.days`) its ranking weight is raised by the window's `boost`, as for any
launch (the platform's incubation traffic), and with `preview_touch` its fans and members get a launch
preview (新品预告), a touch that may pull a near need into an order there.
"""

from __future__ import annotations

import numpy as np

from ..orders import Level, Touches
from .base import Instrument


class Launch(Instrument):
    name = "launch"
    touches_consumers = True

    def weight_multiplier(self, model):
        w = self.config.policies.new_product_window
        since = model.record_day - self.params.day
        if not 0 <= since < w.days:
            return 1.0
        return np.where(self.stores, 1.0 + w.boost, 1.0)

    def touches(self, model) -> Touches | None:
        if model.record_day != self.params.day or not self.params.preview_touch:
            return None
        return Touches(*self.tied_slots(model, Level.FAN))
