"""The tie cohorts behind two published ratios, held by the collector: fans' 30-day return-visit rate over
all visitors' (seed 004: 2.5x) and relationship customers' repurchase rate over all customers' (seed 004:
37% higher). They read the consumers' ties only (no random draws) and run from the first day of the
burn-in; the warm-state snapshot keeps them with the rest of the state."""

from __future__ import annotations

import numpy as np

from .orders import Level
from .stats import ratio

RETURN_WINDOW = 30          # days: the source's "30-day return-visit rate"
REPURCHASE_WINDOW = 90      # days: a quarter, the window of repurchase_rate_90d (assumption: seed 004 gives none)


def cohort_rates(back: np.ndarray, fans: np.ndarray, cohort: np.ndarray) -> np.ndarray:
    """A cohort's rate of coming back among its fan ties and among all its ties."""
    count = np.count_nonzero
    return np.array([ratio(count(back & fans), count(fans)), ratio(count(back), count(cohort))])


class ReturnVisits:
    """Fans' 30-day return-visit rate over all visitors' (seed 004: 2.5x), by monthly cohorts.

    Every 30 days the ties visited in the last 30 days form a cohort (a store's visitors that month, fans
    and others); 30 days later the share that came back (a purchase or a clicked touch at the same store
    since) is read for fans and for all. A tie made by the cohort month's first visit is in the cohort but
    that visit is not a return. `rates` (fans, all) is 0 until the first cohort is read (60 days into the
    burn-in)."""

    def __init__(self, consumers: int, slots: int):
        self.store = np.full((consumers, slots), -1, dtype=np.int32)   # each tie's store in the cohort, -1: not in it
        self.fan = np.zeros((consumers, slots), dtype=bool)            # a fan tie or above then
        self.rates = np.zeros(2)

    def update(self, day: int, c) -> None:
        """On the last day of each 30-day window: read the last cohort's returns and take the next one."""
        if day % RETURN_WINDOW != RETURN_WINDOW - 1:
            return
        cohort = self.store >= 0
        if cohort.any():
            back = cohort & (c.rel_merchant == self.store) & (c.rel_last > day - RETURN_WINDOW)
            self.rates = cohort_rates(back, cohort & self.fan, cohort)
        visited = (c.rel_level > Level.NONE) & (c.rel_last > day - RETURN_WINDOW)
        self.store = np.where(visited, c.rel_merchant, -1).astype(np.int32)
        self.fan = visited & (c.rel_level >= Level.FAN)


class Repurchase:
    """Relationship customers' repurchase rate over all customers' (seed 004: 37% higher), by cohorts.

    Every 90 days a store's customers (ties with at least one order at the store) form a cohort, with their
    orders there then; 90 days later the share who ordered there again (same store, more orders) is read
    for those with a fan tie or above and for all (`rates`)."""

    def __init__(self, consumers: int, slots: int):
        self.store = np.full((consumers, slots), -1, dtype=np.int32)   # each tie's store, -1: not a customer then
        self.orders = np.zeros((consumers, slots), dtype=np.int16)     # orders there when the cohort was taken
        self.fan = np.zeros((consumers, slots), dtype=bool)            # a relationship tie (fan or above) then
        self.rates = np.zeros(2)

    def update(self, day: int, c) -> None:
        """On the last day of each 90-day window: read the last cohort's repurchases and take the next one."""
        if day % REPURCHASE_WINDOW != REPURCHASE_WINDOW - 1:
            return
        cohort = self.store >= 0
        if cohort.any():
            again = cohort & (c.rel_merchant == self.store) & (c.rel_orders > self.orders)
            self.rates = cohort_rates(again, cohort & self.fan, cohort)
        customers = (c.rel_level > Level.NONE) & (c.rel_orders > 0)
        self.store = np.where(customers, c.rel_merchant, -1).astype(np.int32)
        self.orders = c.rel_orders.copy()
        self.fan = customers & (c.rel_level >= Level.FAN)
