"""Store groups (seed 001): who may join, how many do, and who leaves.

The entry condition filters who may join: `none` (anyone shown the store, even without buying),
`visited` (anyone with a tie), `favourited` (fans and above), `purchased` (has bought at the store),
`interest` (the store's category makes up at least `interest_threshold` of the consumer's needs).
A qualifying visitor joins with `join_prob x (1 + perks_effect x perks) x (1 - complex penalty)`.
A precise condition leaves a smaller group of heavier, more interested buyers, whose messages turn
into purchases more often: that is how "smaller but more active" emerges rather than being imposed.
Members leave when messaged more often than they tolerate.
"""

from __future__ import annotations

import numpy as np

from .relationships import FAN, GROUP, MEMBER, NONE


def qualifies(condition: str, level: np.ndarray, orders_at_store: np.ndarray, interest: np.ndarray,
              interest_threshold: float) -> np.ndarray:
    """Which (consumer, store) pairs meet the group entry condition; `level` is the tie before the visit."""
    if condition == "none":
        return np.ones(level.shape, dtype=bool)
    if condition == "visited":
        return level > NONE
    if condition == "favourited":
        return level >= FAN
    if condition == "purchased":
        return orders_at_store >= 1
    if condition == "interest":
        return interest >= interest_threshold
    raise ValueError(f"unknown group entry condition {condition!r}")


def join_probability(join_prob: float, perks: np.ndarray, perks_effect: float, complex_flow: np.ndarray,
                     complex_penalty: float) -> np.ndarray:
    """Chance a qualifying consumer joins at a visit: perks raise it, a complex entry flow lowers it."""
    p = join_prob * (1.0 + perks_effect * perks) * np.where(complex_flow, 1.0 - complex_penalty, 1.0)
    return np.clip(p, 0.0, 1.0)


def leave_probability(message_rate: np.ndarray, tolerable: float, per_excess: float) -> np.ndarray:
    """Chance a member leaves at a group message, rising with the relative excess of messaging."""
    excess = np.maximum(message_rate / tolerable - 1.0, 0.0)
    return np.clip(per_excess * excess, 0.0, 1.0)


def leave(level: np.ndarray) -> np.ndarray:
    """Level after leaving a group: back to member."""
    return np.where(level == GROUP, MEMBER, level).astype(level.dtype)
