"""WeChat communities and diversion (seed 002).

WeChat-using fans and members may join a store's WeChat community (package inserts, service chats),
with a chance rising with the store's WeChat effort. Community messages bring purchases whose channel
depends on the regime: a diverting store sells to its community off-platform (saves commission, loses
weight and is invisible to the platform), whatever prompted the purchase; under WeChat direct the
member buys inside WeChat, on-platform and without switching apps; otherwise she must switch to the
Tmall app and some purchases are lost to friction.
"""

from __future__ import annotations

import numpy as np

OFFPLATFORM, DIRECT, APP_SWITCH = 0, 1, 2


def purchase_route(diverting: np.ndarray, direct: np.ndarray) -> np.ndarray:
    """Route of a WeChat-prompted purchase at each store: off-platform, WeChat direct or app switch."""
    return np.where(diverting, OFFPLATFORM, np.where(direct, DIRECT, APP_SWITCH))


def diversion_decision(rng: np.random.Generator, diverting: np.ndarray, propensity: np.ndarray, gain_rate: float,
                       community_gmv: np.ndarray, public_gmv: np.ndarray, monthly_detection: float,
                       penalty: float, penalty_months: float, direct: np.ndarray) -> np.ndarray:
    """Which stores divert their WeChat community's buying off-platform next month.

    Diversion pays when the gain on the community's purchases (commission saved, no app-switch losses,
    customer data kept: `gain_rate` per yuan) beats the expected penalty on public sales (detection x
    weight cut x its duration). Where it pays, a store already diverting goes on, another starts with
    its propensity. Stores in WeChat direct never divert: buying there is counted and frictionless.
    """
    gain = gain_rate * community_gmv
    loss = monthly_detection * penalty * penalty_months * public_gmv
    pays = (gain > loss) & (community_gmv > 0) & ~direct
    return pays & (diverting | (rng.random(propensity.shape[0]) < propensity))
