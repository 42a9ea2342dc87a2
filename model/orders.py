"""Purchases as one typed batch, the touches that prompt some of them, and the coded quantities of the
model (one IntEnum each).

An `Orders` batch is built where purchases are decided (needs shopped for, touches responded to) and
travels through `shopping.buy`, each mechanism reading what it needs and filling in what it knows (the
value of each order, the tie slot, the store orders before this one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

import numpy as np


class Channel(IntEnum):
    """How an order reached the store."""
    PUBLIC = 0          # public traffic: search, feed, placements
    PRIVATE = 1         # in the app through a tie (fan, member, group member)
    DIRECT = 2          # inside WeChat under WeChat direct (on-platform)
    OFFPLATFORM = 3     # diverted to the store's own WeChat shop (leakage)


class Prompt(IntEnum):
    """What prompted a purchase."""
    NEED = 0            # a need arose and the consumer shopped
    TOUCH = 1           # a private touch (push, member or group message) pulled a near need forward
    WECHAT_TOUCH = 2    # a WeChat community message did
    INVITATION = 3      # an insider-sale invitation did
    DEFERRED = 4        # a need deferred to a sale (price_sensitivity.defer) is served on the sale day


class NeedLedger(IntEnum):
    """Rows of `ConsumerState.need_ledger`, every need since the model was built (columns: its `Prompt`).
    A need arises, then it is bought, given up, or still pending (deferred to a sale):
    ARISEN = BOUGHT + GIVEN_UP + pending, exactly (tests/test_shopping.py)."""
    ARISEN = 0          # a need fell due (Prompt.NEED) or a touch pulled one into a purchase (its prompt)
    BOUGHT = 1          # an order was placed for it (on or off platform)
    GIVEN_UP = 2        # no offer was shown for it, or its seat was renewed while it waited for a sale


class Level:
    """A consumer's tie to a store. Plain ints, not an IntEnum: numpy compares the int8 tie arrays
    with a plain int in int8, but casts them to int64 first for an IntEnum member (12 times slower)."""
    NONE = -1
    VISITOR = 0
    FAN = 1
    MEMBER = 2
    GROUP = 3


class Route(IntEnum):
    """Where a WeChat-prompted purchase goes."""
    DIVERTED = 0        # bought off-platform from a diverting store
    IN_WECHAT = 1       # bought inside WeChat (WeChat direct)
    APP_SWITCH = 2      # the consumer must switch to the Tmall app


class Tier(IntEnum):
    """Merchant tiers."""
    TOP = 0
    GROWTH = 1
    SME = 2


TIER_BY_NAME = {t.name.lower(): t for t in Tier}


class Stage(IntEnum):
    """A consumer's stage on the platform's lifecycle ladder (UCMV)."""
    U = 0               # new user: fewer than `lifecycle.mature_orders` orders
    C = 1               # mature consumer
    M = 2               # member of at least one store
    V = 3               # 88VIP member


class Lever(IntEnum):
    """The LINK+ levers a store spends effort on (columns of `MerchantState.effort()`)."""
    LEAD = 0            # public traffic
    INTERLOCK = 1       # converting visitors to fans and members
    ENGAGE = 2          # private touches
    KEEP = 3            # member prices, insider sales, retention


class Touches(NamedTuple):
    """Tie slots touched today by one source (pushes, messages, invitations): consumer and slot per touch.
    A touch source returns them; what the touched do about it is the purchase pipeline's business."""

    who: np.ndarray
    slot: np.ndarray

    @classmethod
    def none(cls) -> "Touches":
        return cls(np.empty(0, np.int64), np.empty(0, np.int64))

    def first_per_consumer(self) -> "Touches":
        """One touch per consumer (her first), consumers in ascending order."""
        w = self.who
        if w.size and (w[1:] >= w[:-1]).all():        # sorted already (drawn by slot): np.unique's answer by a scan
            first = np.empty(w.size, bool)
            first[0] = True
            np.not_equal(w[1:], w[:-1], out=first[1:])
            first = np.flatnonzero(first)
            return Touches(w[first], self.slot[first])
        who, first = np.unique(w, return_index=True)
        return Touches(who, self.slot[first])


@dataclass
class Orders:
    """A batch of purchases: one entry per order, buyers unique within a batch.

    Which stage of the purchase pipeline (`shopping.py`) fills which field: the stage that decides the
    purchase (`shop`: `choice.chosen_orders`; `respond`: `relationships.pulled_orders`) gives the fields
    up to `slot`, and `prompt`; the pipeline then sets `channel` by the tie, and `wechat.divert` (a need)
    or `wechat.route` (a WeChat message) may change it. `buy` fills the rest, first thing: `value`
    (`pricing.value_orders`), then the `slot` of new ties, `orders_before` and `community`
    (`relationships.tie`), so every later step reads them; `repeat` is known from `lifecycle.on_purchase` on
    (the policies, `social_sharing`, `purchase_timing`). tests/test_shopping.py checks this.
    """

    buyers: np.ndarray
    stores: np.ndarray
    category: np.ndarray
    level: np.ndarray           # the buyer's tie to the store when she chose it (Level)
    price: np.ndarray           # price index paid (1 = category base price)
    depth: np.ndarray           # discount depth of the offer (0 = full price)
    insider: np.ndarray         # bought at an insider-sale price
    channel: np.ndarray         # Channel: by the tie (shop, respond), then diversion or WeChat's route
    slot: np.ndarray            # the buyer's tie slot holding the store, -1 where there is no tie yet
    prompt: Prompt = Prompt.NEED
    value: np.ndarray | None = None             # yuan (agent scale); set by pricing.value_orders
    orders_before: np.ndarray | None = None     # buyer's earlier orders at the store; set by relationships.tie
    community: np.ndarray | None = None         # buyer in the store's WeChat community; set by relationships.tie
    repeat: np.ndarray | None = None            # buyer had bought before (anywhere); set by lifecycle.on_purchase

    def __len__(self) -> int:
        return self.buyers.shape[0]

    def take(self, mask: np.ndarray) -> "Orders":
        """The orders where `mask` is true (or at the given indices)."""
        out = object.__new__(type(self))                   # a field-for-field copy, quicker than dataclasses.replace
        out.__dict__ = {k: v[mask] if isinstance(v, np.ndarray) else v for k, v in self.__dict__.items()}
        return out

    @property
    def on_platform(self) -> np.ndarray:
        return self.channel != Channel.OFFPLATFORM
