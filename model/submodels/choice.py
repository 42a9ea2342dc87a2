"""Choice among exposed offers: a multinomial logit with reference prices and loss aversion.

Utility of offer j for consumer i:
    quality_weight * quality_j
  - price_weight_i * ln(price_ij)                         (price relative to the category base)
  + reference_weight * g       if g >= 0  (gain: paying less than the reference price)
  + reference_weight * L * g   if g < 0   (loss, weighted L ~ 2.5 times, Putler 1992)
  + deal_utility * deal_proneness_i * [offer on deal]
  + relationship utility of the consumer's tie to the store
  + Gumbel noise,
with g = ln(reference_ic / price_ij). The offer with the highest utility is chosen.
"""

from __future__ import annotations

import numpy as np


def reference_gain(reference: np.ndarray, price: np.ndarray, loss_aversion: float) -> np.ndarray:
    """Reference-dependent value of a price: gains count once, losses `loss_aversion` times."""
    g = np.log(reference / price)
    return np.where(g >= 0, g, loss_aversion * g)


def offer_utility(quality, price, reference, on_deal, relationship_utility, price_weight,
                  deal_proneness, c) -> np.ndarray:
    """Deterministic utility of each offer (buyers x offers arrays; per-buyer terms as columns)."""
    return (c.quality_weight * quality
            - price_weight[:, None] * np.log(price)
            + c.reference_weight * reference_gain(reference[:, None], price, c.loss_aversion)
            + c.deal_utility * deal_proneness[:, None] * on_deal
            + relationship_utility)


def choose(rng: np.random.Generator, utility: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Index of the chosen offer per row (Gumbel-max sampling of the logit); -1 if none available."""
    noisy = utility + rng.gumbel(size=utility.shape)
    noisy[~available] = -np.inf
    pick = noisy.argmax(axis=1)
    pick[~available.any(axis=1)] = -1
    return pick


def logit_shares(utility: np.ndarray) -> np.ndarray:
    """Expected choice shares of a logit (rows sum to 1); used by the price probe and tests."""
    z = utility - utility.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
