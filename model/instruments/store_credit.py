"""Prepaid store credit with member perks (seed 004, Bibizan: 购物金 top-ups, 折上折, monthly member days).

From `start_day`, a member of a treated store (a treated consumer) buying there without credit tops up
with chance `topup_prob` an amount of `topup_orders` times that order's value, credited with `bonus` on
top. Later orders there are paid from the balance: each yuan of credit buys 1 + `bonus` yuan of goods (a
price factor 1 / (1 + bonus) in her choice and in what she pays), and a store where she holds credit is
worth `balance_utility` more to her (prepaid money decoupled from the pain of paying, Prelec & Loewenstein
1998). When the balance runs out she may top up again (a repeat top-up). Every `member_day_interval`
days the store's members get a member-day touch. Counted per store: top-ups, repeat top-ups, and
topping-up members who bought there again after topping up.
"""

from __future__ import annotations

import numpy as np

from ..orders import Level, Orders, Touches
from .base import Instrument, PairBook


class StoreCredit(Instrument):
    name = "store_credit"
    prices_offers = values_offers = touches_consumers = True

    def setup(self, model) -> None:
        super().setup(model)
        c = model.consumers
        shape = c.rel_merchant.shape
        self.book = PairBook(c.n, shape[1])
        self.balance = np.zeros(shape)               # yuan of goods the credit still buys
        self.topups = np.zeros(shape, dtype=np.int16)
        self.bought_after = np.zeros(shape, dtype=bool)
        self.rng = model.stream(self.name)

    def _holding(self, model, who, stores) -> tuple[np.ndarray, np.ndarray]:
        slot = self.book.find(model, who, stores)
        held = slot >= 0
        held[held] = self.balance[who[held], slot[held]] > 0
        return held, slot

    def offer_price_factor(self, model, who, stores):
        held, _ = self._holding(model, who, stores)
        return np.where(held, 1.0 / (1.0 + self.params.bonus), 1.0)

    def offer_utility(self, model, who, stores):
        held, _ = self._holding(model, who, stores)
        return np.where(held, self.params.balance_utility, 0.0)

    def touches(self, model) -> Touches | None:
        p = self.params
        if (not (self.running(model) and p.member_day_interval)
                or (model.record_day - p.start_day) % p.member_day_interval):
            return None
        return Touches(*self.tied_slots(model, Level.MEMBER))

    def on_purchase(self, model, orders: Orders) -> None:
        if len(orders) == 0 or not self.running(model):
            return
        m = model.merchants
        here = self.reached(orders.buyers, orders.stores) & orders.on_platform
        who, stores, value, slot = orders.buyers[here], orders.stores[here], orders.value[here], orders.slot[here]
        held, _ = self._holding(model, who, stores)       # the holding slot is the order's tie slot
        if held.any():                               # paid from the balance
            w, k = who[held], slot[held]
            first = ~self.bought_after[w, k]
            self.bought_after[w[first], k[first]] = True
            m.credit_repurchases += np.bincount(stores[held][first], minlength=m.n)
            self.balance[w, k] = np.maximum(self.balance[w, k] - value[held], 0.0)
        held, _ = self._holding(model, who, stores)
        member = model.consumers.rel_level[who, slot] >= Level.MEMBER
        tops = member & ~held & (self.rng.random(who.size) < self.params.topup_prob)
        if tops.any():
            w, k, s = who[tops], slot[tops], stores[tops]
            fresh = self.book.store[w, k] != s
            self.topups[w[fresh], k[fresh]] = 0
            self.bought_after[w[fresh], k[fresh]] = False
            self.book.store[w, k] = s
            repeat = self.topups[w, k] > 0
            self.topups[w, k] += 1
            self.bought_after[w, k] = False
            self.balance[w, k] = self.params.topup_orders * value[tops] * (1.0 + self.params.bonus)
            m.credit_topups += np.bincount(s, minlength=m.n)
            m.credit_repeat_topups += np.bincount(s[repeat], minlength=m.n)
