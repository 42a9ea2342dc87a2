"""A one-off insider sale for old customers (seed 004, IHIMI: 老客专享内购会 with an exclusive discount).

On its day each treated store opens an insider sale (the insider block's depth and stock per invitee)
for `window_days`, inviting its old customers: every consumer with an order at the store before (and,
with a consumer treatment, only the treated ones), whatever her value score; or, with `invite:
value_score`, those whose value score clears the eligibility threshold, as the store's regular sales do.
The invitations are touches (an invitation may pull a near need into an order at the sale price,
shopping.respond) and the sale's price, exclusivity and scarcity enter the invitees' choice as a regular
insider sale's do (ODD 7.9).
"""

from __future__ import annotations

from ..orders import Prompt, Touches
from ..submodels import insider_sales
from .base import Instrument


class InsiderSaleOnce(Instrument):
    name = "insider_sale_once"
    touches_consumers = True
    prompt = Prompt.INVITATION

    def touches(self, model) -> Touches | None:
        if model.record_day != self.params.day or not self.stores.any():
            return None
        c = model.consumers
        who, k = insider_sales.customers(model, self.stores)
        invited = (c.rel_orders[who, k] >= 1) & self.consumers[who]
        if self.params.invite == "value_score":
            ins = model.config.insider
            score = insider_sales.value_score(c.spend_percentile[who], c.rel_orders[who, k],
                                              model.day - c.rel_last[who, k],
                                              c.rel_level[who, k], ins.score_weights, ins.score_orders,
                                              ins.score_recency_days)
            invited &= insider_sales.eligible(score, c.rel_level[who, k], ins.eligibility_threshold)
        insider_sales.open_sales(model, self.stores, who, k, invited, self.params.window_days)
        return Touches(who[invited], k[invited])
