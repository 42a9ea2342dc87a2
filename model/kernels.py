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
