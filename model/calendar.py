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


# ---------------------------------------------------------------- dates for figures and tables
NOMINAL_YEAR = 2025
"""The model's year has 365 days and no weekdays; figures show simulation days as dates of a nominal
calendar whose day of year 0 is 1 January 2025 (a year without 29 February, so day of year d is
the same date every year of a run: 168 = 18 June, 314 = 11 November)."""

_FESTIVAL_NAMES = {(6, 18): "618", (11, 11): "Double 11", (12, 12): "Double 12"}


def date_of_year(day_of_year: int):
    """The date (`datetime.date`) of a day of the year (0 = 1 January) in the nominal year."""
    import datetime
    return datetime.date(NOMINAL_YEAR, 1, 1) + datetime.timedelta(days=int(day_of_year) % 365)


def dates(days, start_day_of_year: int = 0) -> np.ndarray:
    """Simulation days (0 = the run's first recorded day) as `datetime64[D]` dates, day 0 being
    `start_day_of_year` of `NOMINAL_YEAR` (later years continue the count day by day)."""
    start = np.datetime64(f"{NOMINAL_YEAR}-01-01", "D") + np.timedelta64(int(start_day_of_year), "D")
    return start + np.asarray(days, dtype="int64").astype("timedelta64[D]")


def festival_names(seasonality) -> dict[int, str]:
    """The festival peak days of a scenario's `seasonality` block, as day of year -> name ("618",
    "Double 11", else the date as month.day); empty when seasonality is off."""
    if not getattr(seasonality, "enabled", True):
        return {}
    out = {}
    for doy in seasonality.festival_days:
        d = date_of_year(doy)
        out[int(doy)] = _FESTIVAL_NAMES.get((d.month, d.day), f"{d.month}.{d.day}")
    return out


def festival_run_days(festivals: dict[int, str], start_day_of_year: int, first: int, last: int) \
        -> list[tuple[int, str]]:
    """(simulation day, name) of every festival peak between simulation days `first` and `last`
    (inclusive) of a run starting on `start_day_of_year` (the calendar's 365-day year)."""
    out = []
    for day in range(int(first), int(last) + 1):
        name = festivals.get((start_day_of_year + day) % 365)
        if name is not None:
            out.append((day, name))
    return out
