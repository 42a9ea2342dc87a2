"""Store groups (seed 001): who may join, how many do, and who leaves.

The entry condition filters who may join: `none` (anyone shown the store, even without buying),
`visited` (anyone with a tie), `favourited` (fans and above), `purchased` (has bought at the store),
`interest` (the store's category makes up at least `interest_threshold` of the consumer's needs).
A qualifying visitor joins with `join_prob x (1 + perks_effect x perks) x (1 - complex penalty)`, times
her spend level's join weight (spend.py: heavier spenders join more).
A precise condition leaves a smaller group of heavier, more interested buyers, whose messages turn
into purchases more often: that is how "smaller but more active" emerges rather than being imposed.
Members leave when messaged more often than they tolerate.
"""

from __future__ import annotations

import numpy as np

from ..orders import Level, Orders
from . import relationships


def qualifies(condition: str, level: np.ndarray, orders_at_store: np.ndarray, interest: np.ndarray,
              interest_threshold: float, favourited: np.ndarray | bool = False) -> np.ndarray:
    """Which (consumer, store) pairs meet the group entry condition; `level` is the tie before the visit:
    `visited` any tie (a browsing visit makes one), `favourited` a favourite or a fan tie or above,
    `purchased` an order at the store."""
    if condition == "none":
        return np.ones(level.shape, dtype=bool)
    if condition == "visited":
        return level > Level.NONE
    if condition == "favourited":
        return (level >= Level.FAN) | favourited
    if condition == "purchased":
        return orders_at_store >= 1
    if condition == "interest":
        return interest >= interest_threshold
    raise ValueError(f"unknown group entry condition {condition!r}")


def join_probability(join_prob: float, perks: np.ndarray, perks_effect: float, complex_flow: np.ndarray,
                     complex_penalty: float) -> np.ndarray:
    """Chance a qualifying consumer joins at a visit: perks raise it, a complex entry flow lowers it."""
    p = join_prob * (1.0 + perks_effect * perks)
    if complex_flow.any():                        # else every factor is 1.0, and x * 1.0 is x: skipped
        p = p * np.where(complex_flow, 1.0 - complex_penalty, 1.0)
    return np.minimum(np.maximum(p, 0.0), 1.0)    # np.clip but quicker (-0.0 becomes 0.0: equal in every comparison)


def leave_probability(message_rate: np.ndarray, tolerable: float, per_excess: float) -> np.ndarray:
    """Chance a member leaves at a group message, rising with the relative excess of messaging."""
    excess = np.maximum(message_rate / tolerable - 1.0, 0.0)
    return np.clip(per_excess * excess, 0.0, 1.0)


def leave(level: np.ndarray) -> np.ndarray:
    """Level after leaving a group: back to member."""
    return np.where(level == Level.GROUP, Level.MEMBER, level).astype(level.dtype)


def exposure_joins(model, orders: Orders, shown_store: np.ndarray) -> None:
    """Entry open to all (`none`): buyers merely shown a store (not the one bought from) may join its group.
    Called after the purchase: the join's new tie may take a slot, and an order must not still carry it."""
    g = model.config.groups
    if g.entry != "none" or not model.modulated:
        return
    m, buyers = model.merchants, orders.buyers
    ok = (shown_store >= 0) & (shown_store != orders.stores)
    p = (g.exposure_join_prob * (1 + g.perks_effect * m.group_perks[np.maximum(shown_store, 0)])
         * model.consumers.join_weight[buyers])
    join = ok & (model.stream("groups").random(buyers.size) < p)
    if join.any():
        slot = relationships.tie_to(model, buyers[join], shown_store[join])
        model.consumers.rel_level[buyers[join], slot] = Level.GROUP


def join_at_visit(model, who: np.ndarray, slot: np.ndarray, level: np.ndarray, stores: np.ndarray,
                  cats: np.ndarray, orders_before: np.ndarray, favourited: np.ndarray, rng) -> None:
    """A visitor who meets the entry condition (with her tie before this visit) may join the store's group
    at this visit, with the store's join chance times her spend level's join weight."""
    c, m, g = model.consumers, model.merchants, model.config.groups
    interest = c.category_pref[who, cats] * 1.0 if g.entry == "interest" else None    # read by that entry only
    ok = qualifies(g.entry, level, orders_before, interest, g.interest_threshold, favourited)
    p_join = join_probability(g.join_prob, m.group_perks[stores], g.perks_effect, m.complex_flow[stores],
                              g.complex_flow_penalty)
    tie = who * c.rel_level.shape[1] + slot         # the ties' cells by flat index (slots are >= 0)
    joins = ok & (c.rel_level.ravel()[tie] < Level.GROUP) & (rng.random(who.size) < p_join * c.join_weight[who])
    c.rel_level.ravel()[tie[joins]] = Level.GROUP


def on_purchase(model, orders: Orders) -> None:
    """A buyer who meets the entry condition may join the store's group at this visit."""
    if not model.modulated:
        return
    c, buyers, slot = model.consumers, orders.buyers, orders.slot
    join_at_visit(model, buyers, slot, orders.level, orders.stores, orders.category, orders.orders_before,
                  c.rel_fav[buyers, slot], model.stream("groups"))


def on_browse(model, rng: np.random.Generator, who: np.ndarray, slot: np.ndarray, level: np.ndarray,
              favourited: np.ndarray, stores: np.ndarray) -> None:
    """Browsing visitors may join a group as buyers may, the entry condition read on the tie before the
    visit (`level`, `favourited`: a first visit qualifies for `visited` only on the next one); `rng` is
    browsing's, so browsing leaves the draws of joins at purchases alone."""
    if who.size == 0:
        return
    join_at_visit(model, who, slot, level, stores, model.merchants.category[stores],
                  model.consumers.rel_orders.ravel()[who * model.consumers.rel_orders.shape[1] + slot], favourited, rng)


def leave_on_messages(model, who: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Group members messaged more than they tolerate may leave (back to member); returns who stays."""
    c, g = model.consumers, model.config.groups
    level = c.rel_level[who, slot]
    rate = model.merchants.message_rate[c.rel_merchant[who, slot]]
    leaving = (level == Level.GROUP) & (model.stream("groups").random(who.size) <
                                  leave_probability(rate, g.tolerable_rate, g.leave_per_excess))
    c.rel_level[who[leaving], slot[leaving]] = leave(level[leaving])
    return ~leaving
