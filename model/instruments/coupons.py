"""Store coupons (seed 004's KEEP tools: 直减, 有价券包): a saving on one order at the store, for a while.

While issuing, every `interval_days` a treated store gives each of its tied consumers at `holders` level
or above (the treated ones) a coupon worth `value` of the price, valid `valid_days`. A consumer holding a
valid coupon sees the store's offer at the coupon price (in her choice and in what she pays), so the
coupon competes with other stores and with not buying through price alone; buying there redeems it.
Redemption is counted per store (`coupons_redeemed` over `coupons_issued`).
"""

from __future__ import annotations

import numpy as np

from ..orders import Orders
from .base import Instrument, PairBook

HOLDERS = {"visitor": 0, "fan": 1, "member": 2}


class Coupons(Instrument):
    name = "coupons"
    prices_offers = True

    def setup(self, model) -> None:
        super().setup(model)
        c = model.consumers
        self.book = PairBook(c.n, c.rel_merchant.shape[1])
        self.until = np.full(c.rel_merchant.shape, -1, dtype=np.int32)

    def start_day(self, model) -> None:
        p = self.params
        if not self.running(model) or (model.record_day - p.start_day) % p.interval_days:
            return
        who, k = self.tied_slots(model, HOLDERS[p.holders])
        stores = model.consumers.rel_merchant[who, k]
        self.book.store[who, k] = stores
        self.until[who, k] = model.day + p.valid_days - 1
        model.merchants.coupons_issued += np.bincount(stores, minlength=model.merchants.n)

    def _valid(self, model, who, stores) -> tuple[np.ndarray, np.ndarray]:
        slot = self.book.find(model, who, stores)
        held = slot >= 0
        held[held] = self.until[who[held], slot[held]] >= model.day
        return held, slot

    def offer_price_factor(self, model, who, stores):
        held, _ = self._valid(model, who, stores)
        return np.where(held, 1.0 - self.params.value, 1.0)

    def on_purchase(self, model, orders: Orders) -> None:
        if len(orders) == 0:
            return
        held, slot = self._valid(model, orders.buyers, orders.stores)
        held &= orders.on_platform
        if held.any():
            self.until[orders.buyers[held], slot[held]] = -1
            model.merchants.coupons_redeemed += np.bincount(orders.stores[held], minlength=model.merchants.n)
