"""Exclusivity thresholds (question 3): insider-sale eligibility, store-group entry, 88VIP.

The values are read by the insider-sale and store-group submodels and by the 88VIP programme; this
module only holds and documents them.
"""

from __future__ import annotations

from . import Policy


class Exclusivity(Policy):
    name = "exclusivity"

    @property
    def insider_threshold(self) -> float:
        return self.params.insider_threshold

    @property
    def group_entry(self) -> str:
        return self.params.group_entry

    @property
    def vip_taoqi_threshold(self) -> float:
        return self.params.vip_taoqi_threshold
