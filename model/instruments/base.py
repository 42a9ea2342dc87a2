"""The instrument base class: a store's own lever, run by the treated stores for the treated consumers.

An instrument is a `Policy` (the same hooks reach the day and the purchase pipeline) built from its
block under `instruments:` in the scenario. Its reach is the run's treatment (`model.treated`): the
treated stores and consumers, or every store and consumer when the scenario has no treatment. Most
instruments run for a while (`start_day`, `days`, in record days) and do nothing outside it.
"""

from __future__ import annotations

import numpy as np

from ..orders import Prompt
from ..policies.base import Policy


class Instrument(Policy):
    """Base class: `stores` and `consumers` (boolean masks) are the instrument's reach; `prompt` is how
    its own touches (`touches`) reach the purchase pipeline."""

    prompt = Prompt.TOUCH

    def setup(self, model) -> None:
        treated = model.treated
        self.stores = treated.stores if treated is not None else np.ones(model.merchants.n, dtype=bool)
        self.consumers = treated.consumers if treated is not None and treated.consumers is not None else \
            np.ones(model.consumers.n, dtype=bool)

    def running(self, model) -> bool:
        """Whether today falls in the instrument's period (`start_day` for `days`, in record days)."""
        start = getattr(self.params, "start_day", getattr(self.params, "day", 0))
        days = getattr(self.params, "days", None)
        return model.record_day >= start and (days is None or model.record_day < start + days)

    def reached(self, who: np.ndarray, stores: np.ndarray) -> np.ndarray:
        """Which (consumer, store) pairs the instrument reaches."""
        return self.stores[stores] & self.consumers[who]

    def tied_slots(self, model, lowest_level: int) -> tuple[np.ndarray, np.ndarray]:
        """Tie slots (consumer, slot) at the reached stores, of the reached consumers, at `lowest_level` or
        above (a store's fans, members...)."""
        c = model.consumers
        at = np.append(self.stores, False)[c.rel_merchant] & (c.rel_level >= lowest_level)
        at &= self.consumers[:, None]
        return np.nonzero(at)


class PairBook:
    """Something a consumer holds at a store (a coupon, a credit balance), kept by tie slot with the store's
    id, so that a slot given to another store does not carry it over."""

    def __init__(self, n: int, slots: int):
        self.store = np.full((n, slots), -1, dtype=np.int32)

    def find(self, model, who: np.ndarray, stores: np.ndarray) -> np.ndarray:
        """The tie slot holding each (consumer, store) pair, -1 where the consumer holds nothing there (a
        slot now tied to another store holds nothing for the old one)."""
        who, stores = np.asarray(who), np.asarray(stores)
        match = (self.store[who] == stores[..., None]) & (model.consumers.rel_merchant[who] == stores[..., None])
        return np.where(match.any(axis=-1), match.argmax(axis=-1), -1)
