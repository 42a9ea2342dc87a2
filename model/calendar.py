"""The platform calendar: festival windows (618, Double 11), demand multipliers and sale days."""

from __future__ import annotations

import numpy as np


class Calendar:
    """Per-day arrays for a run: demand multiplier, festival discount, days to the next sale."""

    def __init__(self, days: int, start_day_of_year: int, seasonality, defer_horizon: int):
        n = days + 400
        doy = (start_day_of_year + np.arange(n)) % 365
        self.demand = np.ones(n)
        self.festival_discount = np.zeros(n, dtype=np.float32)
        self.double11 = np.zeros(n, dtype=bool)
        in_window = np.zeros(n, dtype=bool)
        if seasonality.enabled:
            w = seasonality.window_days
            for k, peak in enumerate(seasonality.festival_days):
                before = (peak - doy) % 365
                mask = before < w
                ramp = 1.0 - before[mask] / w
                self.demand[mask] = np.maximum(self.demand[mask],
                                               1.0 + (seasonality.demand_multiplier - 1.0) * ramp)
                in_window |= mask
                if peak == max(seasonality.festival_days):
                    self.double11 |= mask
            self.festival_discount[in_window] = seasonality.festival_discount
        self.in_festival = in_window
        # days until the next festival day strictly after each day (large if none)
        nxt = np.full(n, 10**6, dtype=np.int64)
        upcoming = 10**6
        for d in range(n - 1, -1, -1):
            nxt[d] = upcoming - d
            if in_window[d]:
                upcoming = d
        self.days_to_sale = nxt
        self.sale_ahead = (nxt <= defer_horizon) & ~in_window & (self.festival_discount.max() > 0)

    @staticmethod
    def week_ends(day: int) -> bool:
        """Weekly work (activity window, spend percentiles, lapses) runs at the end of every 7th day."""
        return (day + 1) % 7 == 0

    @staticmethod
    def month_ends(day: int) -> bool:
        """Monthly work (merchants adapt, diversion decisions) runs at the end of every 30th day."""
        return (day + 1) % 30 == 0
