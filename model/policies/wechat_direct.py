"""WeChat direct traffic (seed 002): off, beta for eligible brands, or open to all.

From `start_day`, eligible stores (under beta: the largest `beta_share` by trailing GMV plus any tier
in `beta_tiers`; under open: every store) may join. An eligible store authorises uploading its WeChat
community data with probability `authorisation_rate` (the rest decline over privacy and reconsider
each month), and joins once its community has at least `min_community` members. In a joined store
the WeChat community buys inside WeChat without switching apps (if `friction_removed`), joins the
store's membership, and may pass share-to-unlock coupons to WeChat contacts (`share_to_unlock`).
"""

from __future__ import annotations

import numpy as np

from . import Policy

TIER_CODES = {"top": 0, "growth": 1, "sme": 2}


class WeChatDirect(Policy):
    name = "wechat_direct"

    def setup(self, model) -> None:
        n = model.merchants.n
        self.eligible = np.zeros(n, dtype=bool)
        self.authorised = np.zeros(n, dtype=bool)
        self.started = False

    @property
    def active(self) -> bool:
        return self.params.mode != "off" and self.started

    def start_day(self, model) -> None:
        if self.params.mode == "off" or model.record_day < self.params.start_day:
            return
        m = model.merchants
        if not self.started:
            self.started = True
            self.eligible = self._eligible(m)
            self.authorised = self.eligible & (model.rng.random(m.n) < self.params.authorisation_rate)
        elif model.record_day % 30 == 0:                  # hesitant stores reconsider monthly
            hesitant = self.eligible & ~self.authorised
            self.authorised |= hesitant & (model.rng.random(m.n) < self.params.authorisation_rate / 6)
        community = model.consumers.wechat_community_size(m.n)
        m.wechat_direct = self.authorised & (community >= self.params.min_community)

    def _eligible(self, m) -> np.ndarray:
        if self.params.mode == "open":
            return np.ones(m.n, dtype=bool)
        k = int(round(self.params.beta_share * m.n))
        chosen = np.zeros(m.n, dtype=bool)
        if k > 0:
            chosen[np.argsort(-m.trailing_gmv, kind="stable")[:k]] = True
        for tier in self.params.beta_tiers:
            chosen |= m.tier == TIER_CODES[tier]
        return chosen

    @property
    def friction_removed(self) -> bool:
        return self.params.friction_removed

    @property
    def share_to_unlock(self) -> bool:
        return self.active and self.params.share_to_unlock
