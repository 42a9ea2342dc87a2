"""Merchant adaptation: each month, shift LINK+ effort toward the levers that paid off.

A store attributes last month's GMV to levers (LEAD: public sales; INTERLOCK: sales through fan and
member ties; ENGAGE: sales prompted by touches and messages; KEEP: insider sales and members' repeat
purchases), divides by each lever's cost, and moves each effort by `rate` times its return relative to
the store's average return, within [0, 1].
"""

from __future__ import annotations

import numpy as np

LEVERS = ("lead", "interlock", "engage", "keep")


def shift_effort(effort: np.ndarray, attributed_gmv: np.ndarray, cost: np.ndarray, rate: float) -> np.ndarray:
    """New effort (stores x 4 levers) from attributed GMV and cost over the last period."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = np.where(cost > 0, attributed_gmv / cost, 0.0)
    mean = ret.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(mean > 0, ret / mean - 1.0, 0.0)
    step = rate * np.clip(relative, -1.0, 1.0)
    return np.clip(effort * (1.0 + step) + 0.01 * (step > 0), 0.0, 1.0)
