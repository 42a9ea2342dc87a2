"""WeChat direct traffic (seed 002): off, beta for eligible brands, or open to all.

From `start_day`, eligible stores (under beta: the largest `beta_share` by trailing GMV plus any tier
in `beta_tiers`; under open: every store) may join. An eligible store authorises uploading its WeChat
community data with probability `authorisation_rate` (the rest decline over privacy and reconsider
each month), and joins once its community has at least `min_community` real members. When a timeline
widens eligibility mid-run (beta -> open), the stores newly eligible decide then; stores that authorised
keep their authorisation. In a joined store
the WeChat community buys inside WeChat without switching apps (if `friction_removed`), joins the
store's membership, and may pass share-to-unlock coupons to WeChat contacts (`share_to_unlock`).
"""

from __future__ import annotations

import numpy as np

from ..orders import TIER_BY_NAME
from .base import Policy


class WeChatDirect(Policy):
    name = "wechat_direct"

    @classmethod
    def enabled(cls, params) -> bool:
        return params.mode != "off"

    def setup(self, model) -> None:
        n = model.merchants.n
        self.eligible = np.zeros(n, dtype=bool)
        self.authorised = np.zeros(n, dtype=bool)
        self.joined = np.zeros(n, dtype=bool)
        self.started = False
        self.rng = model.stream(self.name)

    def start_day(self, model) -> None:
        if model.record_day < self.params.start_day:
            return
        m = model.merchants
        if not self.started:
            self.started = True
            self.eligible = self._eligible(m)
            self.authorised = self.eligible & (self.rng.random(m.n) < self.params.authorisation_rate)
        elif model.record_day % 30 == 0:                  # hesitant stores reconsider monthly
            hesitant = self.eligible & ~self.authorised
            self.authorised |= hesitant & (self.rng.random(m.n) < self.params.authorisation_rate / 6)
        community = model.consumers.wechat_community_size(m.n)
        self.joined = self.authorised & (community * model.scale >= self.params.min_community)

    def retune(self, model, old_params) -> None:
        """New eligibility rules (a rollout: beta -> open): stores that authorised stay in; the stores
        newly eligible decide now whether to authorise, as eligible stores did at the start."""
        if not self.started:
            return                                   # start_day computes eligibility with the new rules
        m = model.merchants
        eligible = self._eligible(m)
        newly = eligible & ~self.eligible
        self.eligible = eligible | self.authorised
        self.authorised |= newly & (self.rng.random(m.n) < self.params.authorisation_rate)

    def _eligible(self, m) -> np.ndarray:
        if self.params.mode == "open":
            return np.ones(m.n, dtype=bool)
        k = int(round(self.params.beta_share * m.n))
        chosen = np.zeros(m.n, dtype=bool)
        if k > 0:
            chosen[np.argsort(-m.trailing_gmv, kind="stable")[:k]] = True
        for tier in self.params.beta_tiers:
            chosen |= m.tier == TIER_BY_NAME[tier]
        return chosen

    def direct_stores(self, model):
        return self.joined

    def direct_friction(self, model, friction: float) -> float:
        return 0.0 if self.params.friction_removed else friction

    def share_to_unlock(self, model) -> bool:
        return self.started and self.params.share_to_unlock
