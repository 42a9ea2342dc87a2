"""Reference prices, deal-proneness and waiting for a deal.

Reference prices are exponentially smoothed past prices paid (Briesch et al. 1997), kept per
consumer and category as an index relative to the category's base price. Deal-proneness rises
after buying on deal, in proportion to the depth of the deal, and decays back to each consumer's
baseline without deals (Mela, Gupta & Lehmann 1997; Zhang et al. 2020 for Alibaba). A deal-prone
consumer with a need and no deal on the chosen offer may wait for an anticipated sale.
"""

from __future__ import annotations

import numpy as np


def update_reference(reference: np.ndarray, paid: np.ndarray, smoothing: float) -> np.ndarray:
    """New reference price index after paying `paid`."""
    return (1.0 - smoothing) * reference + smoothing * paid


def learn_from_deal(deal_proneness: np.ndarray, depth: np.ndarray, learning: float) -> np.ndarray:
    """Deal-proneness after buying at a discount of `depth` (0 = full price leaves it unchanged)."""
    return deal_proneness + np.minimum(learning * depth, 1.0) * (1.0 - deal_proneness)


def decay_toward_baseline(deal_proneness: np.ndarray, baseline: np.ndarray, decay_days: float) -> None:
    """One day of relaxation of deal-proneness toward each consumer's baseline (in place)."""
    keep = np.float32(np.exp(-1.0 / decay_days))
    deal_proneness -= baseline
    deal_proneness *= keep
    deal_proneness += baseline


def wait_for_deal(rng: np.random.Generator, deal_proneness: np.ndarray, on_deal: np.ndarray,
                  sale_ahead: np.ndarray, propensity: float) -> np.ndarray:
    """Which buyers defer their need: deal-prone, offer not on deal, a sale anticipated soon."""
    return (~on_deal) & sale_ahead & (rng.random(deal_proneness.shape[0]) < propensity * deal_proneness)
