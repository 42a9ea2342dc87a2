"""Compiled kernels for the few loops that numpy cannot make cheap, each with a numpy twin.

A kernel runs when numba is installed and `PTSIM_KERNELS` is not `numpy`; otherwise its numpy twin
does the same work. Both give the same numbers: the kernels only count, select and compare (no
transcendental function, whose last bit may differ between numba and numpy), and the tests run the
model both ways and compare every outcome. Kernels are compiled on first use and cached on disk
(numba's `cache=True`, next to this file).
"""

from __future__ import annotations

import os

import numpy as np

from .orders import Level

try:
    if os.environ.get("PTSIM_KERNELS", "").lower() == "numpy":
        raise ImportError("numpy twins asked for")
    import numba
except ImportError:
    numba = None

ENABLED = numba is not None      # read at each call: tests switch it off to compare with the numpy twins


def _compiled(function):
    return numba.njit(cache=True, nogil=True)(function) if ENABLED else None


# --------------------------------------------------------------- slots of a set of stores
def _slots_of_loop(flat_merchant, chosen):
    hit = np.empty(flat_merchant.size, dtype=np.bool_)
    count = 0
    for i in range(flat_merchant.size):          # branch-free: ties of chosen stores are scattered at random
        s = flat_merchant[i]
        h = chosen[max(s, 0)] & (s >= 0)
        hit[i] = h
        count += h
    out = np.empty(count, dtype=np.int64)
    j = 0
    for i in range(flat_merchant.size):
        if hit[i]:
            out[j] = i
            j += 1
    return out


_slots_of_kernel = _compiled(_slots_of_loop)


def slots_of(rel_merchant: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Flat indices (ascending) of the tie slots holding a store with `chosen[store]` true."""
    flat = rel_merchant.reshape(-1)
    if ENABLED:
        return _slots_of_kernel(flat, chosen)
    return np.flatnonzero(np.append(chosen, False)[flat])         # empty slots (-1) read the False


# --------------------------------------------------------------- counts of ties for the outcomes
TIE_COUNTS = ("tied", "fans", "members", "group_members", "recent_tied", "recent_fans", "community",
              "relationship_users", "left_out_users")


_NONE, _FAN, _MEMBER, _GROUP = Level.NONE, Level.FAN, Level.MEMBER, Level.GROUP


def _tie_counts_loop(level, last, wechat, recent_since, left_out_day, left_out_since):
    tied = fans = members = groups = recent_tied = recent_fans = community = users = left_out = 0
    n, slots = level.shape
    for i in range(n):                           # branch-free counting: levels are mixed at random
        fan_here = 0
        for k in range(slots):
            lv = level[i, k]
            recent = last[i, k] >= recent_since
            t, f = lv > _NONE, lv >= _FAN
            tied += t
            fans += f
            members += lv >= _MEMBER
            groups += lv == _GROUP
            recent_tied += recent & t
            recent_fans += recent & f
            community += wechat[i, k]
            fan_here |= f
        users += fan_here
        left_out += fan_here & (left_out_day[i] >= left_out_since)
    return np.array([tied, fans, members, groups, recent_tied, recent_fans, community, users, left_out])


_tie_counts_kernel = _compiled(_tie_counts_loop)


def tie_counts(level: np.ndarray, last: np.ndarray, wechat: np.ndarray, recent_since: int,
               left_out_day: np.ndarray, left_out_since: int) -> dict[str, int]:
    """Counts of tie slots by level, of those visited since `recent_since`, of WeChat-community slots,
    of consumers with a fan tie or above (relationship users) and of those left out since `left_out_since`.
    """
    if ENABLED:
        values = _tie_counts_kernel(level, last, wechat, recent_since, left_out_day, left_out_since)
        return dict(zip(TIE_COUNTS, (int(v) for v in values)))
    count = np.count_nonzero
    tied, fans, recent = level > Level.NONE, level >= Level.FAN, last >= recent_since
    users = np.logical_or.reduce([fans[:, j] for j in range(fans.shape[1])])   # 10x quicker than any(axis=1)
    return dict(zip(TIE_COUNTS, (count(tied), count(fans), count(level >= Level.MEMBER), count(level == Level.GROUP), count(recent & tied),
                                 count(recent & fans), count(wechat), count(users),
                                 count(users & (left_out_day >= left_out_since)))))


# --------------------------------------------------------------- choice among offers (choice.Offers' twin)
def _tied_offers_loop(buyers, cats, rel_merchant, category):
    n, slots = buyers.size, rel_merchant.shape[1]
    count = 0
    for i in range(n):
        for k in range(slots):
            s = rel_merchant[buyers[i], k]
            count += (s >= 0) & (category[max(s, 0)] == cats[i])
    row = np.empty(count, dtype=np.int64)
    slot = np.empty(count, dtype=np.int64)
    j = 0
    for i in range(n):
        for k in range(slots):
            s = rel_merchant[buyers[i], k]
            if s >= 0 and category[s] == cats[i]:
                row[j], slot[j] = i, k
                j += 1
    return row, slot


_tied_offers_kernel = _compiled(_tied_offers_loop)


def tied_offers(buyers, cats, rel_merchant, category):
    """Row and tie slot of each tied offer (a slot holding a store of the need's category), row-major
    like `np.nonzero` of the buyers x slots grid."""
    return _tied_offers_kernel(buyers, cats, rel_merchant, category)


def _choose_offers_loop(buyers, cats, u, g_pub, row, slot, g_tied, rel_merchant, rel_level, rel_invited_until,
                        rel_slighted_until, day, edges, guide, order, has_stores, bins_per_category,
                        quality, lp_level, lp_deal, lp_insider_deal, lp_member, on_deal, insider_on_deal,
                        insider_open, exclusivity, log_reference, log_buyer, price_weight, deal_proneness,
                        rel_utility, quality_weight, reference_weight, loss_aversion, deal_utility, left_out_penalty):
    n, k = u.shape
    last, bins = edges.size - 1, guide.size
    public = np.empty((n, k), dtype=np.int64)
    public_ok = np.empty((n, k), dtype=np.bool_)
    col = np.full(n, -1, dtype=np.int64)
    tied_pick = np.full(n, -1, dtype=np.int64)
    j0 = 0
    for i in range(n):
        b, c = buyers[i], cats[i]
        j1 = j0
        while j1 < row.size and row[j1] == i:
            j1 += 1
        best = -np.inf
        for p in range(k):                               # public stores drawn by weight (ranking.TrafficTable)
            x = u[i, p] + c
            pos = guide[min(np.int64(x * bins_per_category), bins - 1)]
            pos = min(pos, last)
            while pos < last and edges[pos] <= x:
                pos += 1
            s = order[pos] if has_stores[c] else -1
            ok = s >= 0
            for j in range(j0, j1):
                if rel_merchant[b, slot[j]] == s:
                    ok = False
            public[i, p], public_ok[i, p] = s, ok
            if not ok:
                continue
            lp = lp_level[s] + lp_deal[s] + log_buyer[i]
            g = log_reference[i] - lp
            gain = g if g >= 0 else loss_aversion * g
            util = (quality_weight * quality[s] - price_weight[i] * lp + reference_weight * gain
                    + deal_utility * deal_proneness[i] * on_deal[s] + 0.0)
            v = util + g_pub[i, p]
            if v > best:
                best, col[i] = v, p
        t_best = -np.inf
        for j in range(j0, j1):                           # the buyer's tied stores in the category
            kk = slot[j]
            s = rel_merchant[b, kk]
            level = rel_level[b, kk]
            invited = (rel_invited_until[b, kk] >= day) & insider_open[s]
            lp = (lp_level[s] + (lp_insider_deal[s] if invited else lp_deal[s])
                  + (lp_member[s] if level >= _MEMBER else 0.0) + log_buyer[i])
            bonus = (rel_utility[level + 1] + invited * exclusivity[s]
                     - (rel_slighted_until[b, kk] >= day) * left_out_penalty)
            g = log_reference[i] - lp
            gain = g if g >= 0 else loss_aversion * g
            deal = insider_on_deal[s] if invited else on_deal[s]
            util = (quality_weight * quality[s] - price_weight[i] * lp + reference_weight * gain
                    + deal_utility * deal_proneness[i] * deal + bonus)
            v = util + g_tied[j]
            if v > t_best:
                t_best, tied_pick[i] = v, j
        if tied_pick[i] >= 0 and t_best > best:
            col[i] = -1
        else:
            tied_pick[i] = -1
        j0 = j1
    return public, public_ok, col, tied_pick


_choose_offers_kernel = _compiled(_choose_offers_loop)


def choose_offers(*args):
    """Public draws, utilities and Gumbel-max choice of a batch of needs in one pass (choice.Offers and
    Offers.choose in numpy). Returns the public stores and their availability, and per row the public
    column chosen or the index of the tied offer chosen (-1 otherwise)."""
    return _choose_offers_kernel(*args)
