"""Off-site content and offline events (seed 004, beinspace): KOC posts draw interest-led visitors back to
the store, offline events keep old customers close.

While the programme runs, a treated store's off-site LEAD effort is `content_effort` (its own if
higher): its share of its category's off-site content visits grows in proportion (browsing.offsite_visits),
and so does the category's off-site traffic a little (the category's LEAD is its stores' mean). Its ENGAGE
effort is `events_engage` (its own if higher): fans' and members' own return visits and the store's
private touches follow it.
"""

from __future__ import annotations

from ..orders import Lever
from .base import Instrument


class OffsiteContent(Instrument):
    name = "offsite_content"

    def setup(self, model) -> None:
        super().setup(model)
        self.on = False

    def start_day(self, model) -> None:
        running = self.running(model)
        if running != self.on:
            self.on = running
            m, p = model.merchants, self.params
            m.campaign[self.stores, Lever.LEAD] = p.content_effort if running else 0.0
            m.campaign[self.stores, Lever.ENGAGE] = p.events_engage if running else 0.0

    def stop(self, model) -> None:
        if self.on:
            self.on = False
            model.merchants.campaign[self.stores, Lever.LEAD] = 0.0
            model.merchants.campaign[self.stores, Lever.ENGAGE] = 0.0
