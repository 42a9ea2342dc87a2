"""Store relationships (LINK+): visitor -> fan -> member, private touches and their effects.

Each consumer remembers a few stores in fixed slots (merchant index, level, last visit day, orders
at the store). Levels climb visitor -> fan -> member -> store-group member (groups.py); membership of
the store's WeChat community is a separate flag per slot (wechat.py).
A purchase makes the buyer a visitor of the store (evicting the least valuable, least recent tie
when the slots are full); merchants' INTERLOCK effort (follow discounts, new-member gifts) converts
visitors to fans and fans to members, heavier spenders likelier (spend.py); ENGAGE effort sends private
touches (pushes, member messages) that bring return visits and pull purchases forward; KEEP effort cuts members' dropout
and gives member prices. Rates and effects are scenario parameters documented in docs/ODD.md.
"""

from __future__ import annotations

import numpy as np

from ..orders import Channel, Level, Lever, Orders, Prompt, Touches
from . import pricing


def find_or_assign_slot(rel_merchant: np.ndarray, rel_level: np.ndarray, rel_last: np.ndarray,
                        buyers: np.ndarray, stores: np.ndarray, day: int,
                        kept: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Slot of each (buyer, store) tie, creating a visitor tie where there is none.

    Returns (slot, is_new). A new tie replaces an empty slot first, then the lowest-level one, among
    equals one that is not `kept` (the buyers' rows: a tie with an order or a favourite, `browsed_only` is
    not), then the least recently visited. Buyers must be unique within one call.
    """
    held = rel_merchant.take(buyers, axis=0)                 # take: rows, quicker than indexing
    match = held == stores[:, None]
    found = match.argmax(axis=1)
    has = match.ravel()[np.arange(0, match.size, match.shape[1]) + found]
    rank = 2 * rel_level.take(buyers, axis=0).astype(np.int64) + (1 if kept is None else kept)
    evict_score = rank * 1_000_000 + rel_last.take(buyers, axis=0)
    evict_score[held < 0] = -10_000_000
    slot = np.where(has, found, evict_score.argmin(axis=1))
    new = ~has
    rel_merchant[buyers[new], slot[new]] = stores[new]
    rel_level[buyers[new], slot[new]] = Level.VISITOR
    rel_last[buyers, slot] = day
    return slot, new


def browsed_only(rel_level: np.ndarray, rel_orders: np.ndarray, rel_fav: np.ndarray) -> np.ndarray:
    """Ties made by browsing alone: visitor ties without an order or a favourite (the first to go)."""
    return (rel_level == Level.VISITOR) & (rel_orders == 0) & ~rel_fav


def convert(rng: np.random.Generator, level: np.ndarray, interlock: np.ndarray,
            follow_prob: float, join_prob: float, join_weight: np.ndarray | float = 1.0,
            follow_utility: np.ndarray | None = None) -> np.ndarray:
    """Levels after a purchase: visitors may follow (become fans), fans may join (become members), each
    buyer's chance scaled by her spend level's join weight (spend.join_weights). `follow_utility` (a follow
    discount's worth to the buyer) raises the odds of following by its exponential, as a logit would."""
    u = rng.random(level.shape[0])
    out = level.copy()
    p_follow = follow_prob * interlock * join_weight
    if follow_utility is not None:
        p = np.minimum(np.broadcast_to(p_follow, level.shape), 1.0 - 1e-12)
        odds = p / (1.0 - p) * np.exp(follow_utility)
        p_follow = odds / (1.0 + odds)
    out[(level == Level.VISITOR) & (u < p_follow)] = Level.FAN
    out[(level == Level.FAN) & (u < join_prob * interlock * join_weight)] = Level.MEMBER
    return out


def draw_touches(rng: np.random.Generator, slots: np.ndarray, max_rate: float, rate_of) -> np.ndarray:
    """Flat slot indices touched today among `slots` (the only ones with a rate above 0), slot k with
    daily probability rate_of(k) <= max_rate.

    Thinning: draws Binomial(len(slots), max_rate) candidates and keeps each with probability
    rate / max_rate, so the cost grows with the number of touches, not with the number of slots.
    """
    if max_rate <= 0 or slots.size == 0:
        return np.empty(0, dtype=np.int64)
    k = rng.binomial(slots.size, min(max_rate, 1.0))
    cand = slots[rng.integers(0, slots.size, size=k)]
    keep = rng.random(k) * max_rate < rate_of(cand)
    return sorted_unique(cand[keep])


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """np.unique(x) of integers by a sort and a scan: numpy's hash table is several times slower here."""
    x = np.sort(x)
    if x.size == 0:
        return x
    keep = np.empty(x.size, bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def lapse(rel_merchant: np.ndarray, rel_level: np.ndarray, rel_last: np.ndarray, day: int,
          lapse_days: int) -> np.ndarray:
    """Ties without a visit for `lapse_days` drop one level; lapsed visitors are forgotten (in place).
    Returns the flat indices of the slots forgotten.

    The clock of a lapsed tie restarts, so a neglected member takes 3 x lapse_days to be forgotten.
    """
    level, last = rel_level.ravel(), rel_last.ravel()
    stale = np.flatnonzero((level > Level.NONE) & (last < day - lapse_days))
    level[stale] -= 1
    last[stale] = day
    gone = stale[level[stale] == Level.NONE]
    rel_merchant.ravel()[gone] = -1
    return gone


def clear_slots(model, who: np.ndarray, slot: np.ndarray) -> None:
    """Reset the per-tie state of slots just given to a new store."""
    c = model.consumers
    flat = who * c.rel_merchant.shape[1] + slot         # slots are >= 0: one flat index for the five arrays
    c.rel_orders.ravel()[flat] = 0
    c.rel_wechat.ravel()[flat] = False
    c.rel_fav.ravel()[flat] = False
    c.rel_invited_until.ravel()[flat] = -10**6
    c.rel_slighted_until.ravel()[flat] = -10**6


def tie_to(model, who: np.ndarray, stores: np.ndarray) -> np.ndarray:
    """Slot of each consumer's tie to the store, creating visitor ties where there are none."""
    c = model.consumers
    kept = ~browsed_only(c.rel_level.take(who, axis=0), c.rel_orders.take(who, axis=0),
                         c.rel_fav.take(who, axis=0))                       # the buyers' rows only
    slot, new = find_or_assign_slot(c.rel_merchant, c.rel_level, c.rel_last, who, stores, model.day, kept)
    clear_slots(model, who[new], slot[new])
    return slot


def browse_tie(model, who: np.ndarray, stores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slot of each browsing visitor's tie to the store visited (-1: none) and the tie's level before the
    visit (Level.NONE without one). A visit without a tie makes a visitor tie only in an empty slot or one
    held by another tie made by browsing alone (the least recently visited), so browsing never pushes out
    a buyer's, a favourite's or a fan's tie. The visit is recorded. Consumers must be unique in one call."""
    c = model.consumers
    held, levels = c.rel_merchant.take(who, axis=0), c.rel_level.take(who, axis=0)     # take: rows, quicker
    r = held.shape[1]
    row_start = np.arange(0, who.size * r, r)         # cells by flat index: quicker than (row, column) pairs
    match = held == stores[:, None]
    found = match.argmax(axis=1)
    has = match.ravel()[row_start + found]
    before = np.where(has, levels.ravel()[row_start + found], Level.NONE)
    empty = held < 0
    free = empty | browsed_only(levels, c.rel_orders.take(who, axis=0), c.rel_fav.take(who, axis=0))
    # np.where(free, np.where(empty, -10**7, last), 10**9) by exact integer arithmetic (empty cells are free):
    # the same scores without where's branch per cell, several times quicker on random masks
    score = c.rel_last.take(who, axis=0) * (free & ~empty)
    score -= empty * score.dtype.type(10**7)
    score += ~free * score.dtype.type(10**9)
    first = score.argmin(axis=1)
    new = ~has & (score.ravel()[row_start + first] < 10**9)         # a free slot
    slot = np.where(has, found, np.where(new, first, -1))
    fresh = np.flatnonzero(new)                       # one mask to indices, then takes: the same entries
    w, k = who.take(fresh), slot.take(fresh)
    flat = w * r + k
    c.rel_merchant.ravel()[flat] = stores.take(fresh)
    c.rel_level.ravel()[flat] = Level.VISITOR
    clear_slots(model, w, k)
    ok = np.flatnonzero(slot >= 0)
    c.rel_last.ravel()[who.take(ok) * r + slot.take(ok)] = model.day
    return slot, before


def visit_shown(model, buyers: np.ndarray, slots: np.ndarray) -> None:
    """Tied stores shown with a need count as return visits (one entry per buyer and tie slot shown)."""
    c = model.consumers
    c.rel_last.ravel()[buyers * c.rel_last.shape[1] + slots] = model.day      # cells by flat index: quicker


def private_touches(model) -> Touches:
    """ENGAGE: the ties touched today by pushes and member messages (by level) and group messages (by
    the store's messaging rate)."""
    if not model.modulated:
        return Touches.none()
    c, m, rs = model.consumers, model.merchants, model.config.relationships
    level, merchant = c.rel_level.ravel(), c.rel_merchant.ravel()
    by_level = np.asarray(rs.touch_rate + [0.0, 0.0])       # visitor, fan, member, (group), Level.NONE -> 0

    engage = m.effort_of(Lever.ENGAGE)

    def rate_of(k):
        lv, mk = level[k], np.maximum(merchant[k], 0)
        return np.where(lv == Level.GROUP, m.message_rate[mk], by_level[lv] * engage[mk])

    max_rate = max(max(rs.touch_rate) * float(engage.max(initial=0)), float(m.message_rate.max(initial=0)))
    touchable = np.flatnonzero(level >= (Level.VISITOR if rs.touch_rate[0] > 0 else Level.FAN))
    slots = draw_touches(model.stream("relationships"), touchable, max_rate, rate_of)
    return Touches(*np.divmod(slots, c.rel_merchant.shape[1]))


def click(model, who: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Touched consumers (unique) click through, likelier the more the store's category matters to her,
    never while left out; a click is a return visit. Returns which clicks wake a dormant consumer
    (chance `purchase.reactivation_per_touch`) and which pull an active one's near need (due within
    `touch_pull_days`, not waiting for a sale) forward into an order now."""
    c, m, s = model.consumers, model.merchants, model.config
    rs, rng = s.relationships, model.stream("relationships")
    cats = m.category[c.rel_merchant[who, k]]
    interest = c.category_pref[who, cats] * model.n_categories
    slighted = c.rel_slighted_until[who, k] >= model.day
    clicked = ~slighted & (rng.random(who.size) < np.minimum(rs.touch_conversion * interest, 1.0))
    dormant = ~c.alive[who]
    woken = dormant & clicked & (rng.random(who.size) < s.purchase.reactivation_per_touch)
    visited = clicked & (~dormant | woken)              # a dropped-out consumer's click is no visit
    c.rel_last[who[visited], k[visited]] = model.day
    pulled = (clicked & ~dormant & (c.next_need[who] < model.clock[model.day + 1] + rs.touch_pull_days)
              & ~c.deferring(who))
    return woken, pulled


def pulled_orders(model, who: np.ndarray, k: np.ndarray, prompt: Prompt) -> Orders:
    """Orders pulled forward by touches, at the stores tied in slots `k`, at the price each buyer pays
    there (an invitee: the insider price); channel public for now."""
    c = model.consumers
    stores, level = c.rel_merchant[who, k], c.rel_level[who, k]
    paid, depth, insider = pricing.price(model, who, stores, level, c.rel_invited_until[who, k] >= model.day)
    return Orders(buyers=who, stores=stores, category=model.merchants.category[stores], level=level, price=paid,
                  depth=depth, insider=insider, channel=np.zeros(who.size, np.int64), slot=k, prompt=prompt)


def tie(model, orders: Orders) -> Orders:
    """Buyers without a tie become visitors of the store; the visit is recorded; the batch learns each
    order's slot, the buyer's earlier orders at the store and WeChat-community membership."""
    c = model.consumers
    new = orders.slot < 0
    if new.any():
        orders.slot = orders.slot.copy()
        orders.slot[new] = tie_to(model, orders.buyers[new], orders.stores[new])
    tie = orders.buyers * c.rel_merchant.shape[1] + orders.slot       # slots are >= 0 now: cells by flat index
    c.rel_last.ravel()[tie] = model.day
    orders.orders_before = c.rel_orders.ravel()[tie]
    orders.community = c.rel_wechat.ravel()[tie]
    return orders


def on_purchase(model, orders: Orders) -> None:
    """INTERLOCK converts visitors to fans and fans to members; WeChat direct makes buyers members."""
    c, m, rs = model.consumers, model.merchants, model.config.relationships
    buyers = orders.buyers
    tie = buyers * c.rel_merchant.shape[1] + orders.slot             # the ties' cells by flat index
    if model.modulated:
        lv = convert(model.stream("relationships"), c.rel_level.ravel()[tie],
                     m.effort_of(Lever.INTERLOCK)[orders.stores], rs.follow_prob, rs.join_prob, c.join_weight[buyers],
                     follow_utility(model, buyers, orders.stores))
        c.rel_level.ravel()[tie] = np.where(orders.channel == Channel.DIRECT, np.maximum(lv, Level.MEMBER), lv)
    c.rel_orders.ravel()[tie] = np.minimum(orders.orders_before.astype(np.int32) + 1, 30_000)


def follow_utility(model, buyers: np.ndarray, stores: np.ndarray) -> np.ndarray | None:
    """What a store's follow discount (fan perks) is worth to each buyer, in utils: the same cut in price
    in her own choice (her price weight x -ln(1 - discount)); None where no store offers one."""
    discount = model.merchants.follow_discount
    if not discount.any():
        return None
    weight = model.consumers.price_weight[buyers].astype(np.float64)
    return weight * -np.log1p(-discount[stores])


def forget(rng: np.random.Generator, rel_merchant: np.ndarray, days: int, tie_life_days: float) -> np.ndarray:
    """Each tie is forgotten with the chance a tie of mean life `tie_life_days` ends within `days` (in place).
    Returns the flat indices of the slots drawn (empty ones among them stay empty)."""
    if tie_life_days <= 0:
        return np.empty(0, dtype=np.int64)
    p = -np.expm1(-days / tie_life_days)
    n = rel_merchant.size
    cand = rng.integers(0, n, size=rng.binomial(n, p))         # thinning: cost grows with what is forgotten
    rel_merchant.ravel()[cand] = -1
    return cand


def end_week(model) -> None:
    """Weekly: some ties are forgotten, ties without visits lapse a level; forgotten ties are cleared."""
    if not model.modulated:
        return
    c, rs = model.consumers, model.config.relationships
    forgotten = forget(model.stream("relationships"), c.rel_merchant, 7, rs.tie_life_days)
    c.rel_level.ravel()[forgotten] = Level.NONE
    gone = np.concatenate([forgotten, lapse(c.rel_merchant, c.rel_level, c.rel_last, model.day, rs.lapse_days)])
    c.rel_wechat.ravel()[gone] = False
    c.rel_fav.ravel()[gone] = False
    c.rel_orders.ravel()[gone] = 0
