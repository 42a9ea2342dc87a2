"""Exclusive insider sales (seed 000): calendars, invitations, exclusivity and being left out.

Each store runs sales at `frequency x KEEP` per year, each lasting `window_days`, with stock for
`quantity_cap` units per invitee. At a sale's start the store invites tied consumers whose value
score (half their spending percentile on the platform, half their tie level) clears the eligibility
threshold. Invitees see the store at the insider price, below daily and festival prices, plus an
exclusivity value that shrinks as more of the store's consumers are invited (an invitation everyone
gets is worth nothing special) and a scarcity value. Relationship users left out may notice, and a
consumer who noticed values the store less for a while (Newman et al. 2019). Invitees who know a
store's sales come often may wait for the next one (frequent sales train deal-waiting).
"""

from __future__ import annotations

import numpy as np

from .relationships import GROUP, NONE


def sale_interval(frequency: float, keep: np.ndarray) -> np.ndarray:
    """Days between a store's insider sales (infinite for a store that runs none)."""
    with np.errstate(divide="ignore"):
        return np.where(frequency * keep > 0, 365.0 / (frequency * keep), np.inf)


def value_score(spend_percentile: np.ndarray, level: np.ndarray) -> np.ndarray:
    """A consumer's value to a store in [0, 1]: platform spending percentile and tie level, half each."""
    return 0.5 * spend_percentile + 0.5 * np.clip(level, 0, GROUP) / GROUP


def eligible(score: np.ndarray, level: np.ndarray, threshold: float) -> np.ndarray:
    """Tied consumers whose score clears the threshold (0 invites all tied consumers, 1 nobody)."""
    return (level > NONE) & (score >= threshold) & (threshold < 1.0)


def exclusivity_value(exclusivity_utility: float, scarcity_utility: float, invited_share: np.ndarray):
    """Utility of holding an invitation: exclusivity falls to zero when everyone is invited."""
    return exclusivity_utility * (1.0 - invited_share) + scarcity_utility


def expects_sale(interval_days: np.ndarray, horizon_days: float) -> np.ndarray:
    """Chance a store's next sale falls within the horizon, for someone who knows its rhythm."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(interval_days), np.minimum(horizon_days / interval_days, 1.0), 0.0)
