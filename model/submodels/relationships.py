"""Store relationships (LINK+): visitor -> fan -> member, private touches and their effects.

Each consumer remembers a few stores in fixed slots (merchant index, level, last visit day, orders
at the store). Levels climb visitor -> fan -> member -> store-group member (groups.py); membership of
the store's WeChat community is a separate flag per slot (wechat.py).
A purchase makes the buyer a visitor of the store (evicting the least valuable, least recent tie
when the slots are full); merchants' INTERLOCK effort (follow discounts, new-member gifts) converts
visitors to fans and fans to members; ENGAGE effort sends private touches (pushes, member
messages) that bring return visits and pull purchases forward; KEEP effort cuts members' dropout
and gives member prices. Rates and effects are scenario parameters documented in docs/ODD.md.
"""

from __future__ import annotations

import numpy as np

NONE, VISITOR, FAN, MEMBER, GROUP = -1, 0, 1, 2, 3
LEVEL_NAMES = {VISITOR: "visitor", FAN: "fan", MEMBER: "member", GROUP: "group member"}


def find_or_assign_slot(rel_merchant: np.ndarray, rel_level: np.ndarray, rel_last: np.ndarray,
                        buyers: np.ndarray, stores: np.ndarray, day: int) -> tuple[np.ndarray, np.ndarray]:
    """Slot of each (buyer, store) tie, creating a visitor tie where there is none.

    Returns (slot, is_new). A new tie replaces an empty slot first, then the lowest-level,
    least recently visited one. Buyers must be unique within one call.
    """
    held = rel_merchant[buyers]
    match = held == stores[:, None]
    has = match.any(axis=1)
    evict_score = rel_level[buyers].astype(np.int64) * 1_000_000 + rel_last[buyers]
    evict_score[held < 0] = -10_000_000
    slot = np.where(has, match.argmax(axis=1), evict_score.argmin(axis=1))
    new = ~has
    rel_merchant[buyers[new], slot[new]] = stores[new]
    rel_level[buyers[new], slot[new]] = VISITOR
    rel_last[buyers, slot] = day
    return slot, new


def convert(rng: np.random.Generator, level: np.ndarray, interlock: np.ndarray,
            follow_prob: float, join_prob: float) -> np.ndarray:
    """Levels after a purchase: visitors may follow (become fans), fans may join (become members)."""
    u = rng.random(level.shape[0])
    out = level.copy()
    out[(level == VISITOR) & (u < follow_prob * interlock)] = FAN
    out[(level == FAN) & (u < join_prob * interlock)] = MEMBER
    return out


def draw_touches(rng: np.random.Generator, n_slots: int, max_rate: float, rate_of) -> np.ndarray:
    """Flat slot indices touched today, slot k with daily probability rate_of(k) <= max_rate.

    Thinning: draws Binomial(n_slots, max_rate) candidate slots and keeps each with probability
    rate / max_rate, so the cost grows with the number of touches, not with the number of slots.
    """
    if max_rate <= 0 or n_slots == 0:
        return np.empty(0, dtype=np.int64)
    k = rng.binomial(n_slots, min(max_rate, 1.0))
    cand = rng.integers(0, n_slots, size=k)
    keep = rng.random(k) * max_rate < rate_of(cand)
    return np.unique(cand[keep])


def lapse(rel_merchant: np.ndarray, rel_level: np.ndarray, rel_last: np.ndarray, day: int,
          lapse_days: int) -> None:
    """Ties without a visit for `lapse_days` drop one level; lapsed visitors are forgotten (in place).

    The clock of a lapsed tie restarts, so a neglected member takes 3 x lapse_days to be forgotten.
    """
    stale = (rel_level > NONE) & (rel_last < day - lapse_days)
    if not stale.any():
        return
    rel_level[stale] -= 1
    rel_last[stale] = day
    gone = stale & (rel_level == NONE)
    rel_merchant[gone] = -1


def basket_multiplier(level: np.ndarray, fan_basket: float, member_basket: float) -> np.ndarray:
    """Basket size multiplier of an order by the buyer's tie to the store."""
    # index level + 1: none, visitor, fan, member, group member
    return np.array([1.0, 1.0, fan_basket, member_basket, member_basket])[level + 1]


def forget(rel_merchant, rel_level, rel_orders, rel_wechat, who, slot) -> None:
    """Clear ties (when a slot is reused or a tie lapses away)."""
    rel_merchant[who, slot] = -1
    rel_level[who, slot] = NONE
    rel_orders[who, slot] = 0
    rel_wechat[who, slot] = False
