"""Mesa agents: thin views onto the model's numpy state.

Every consumer and merchant is a `mesa.Agent` in `model.agents_by_type`, but its state lives in the
model's arrays (one array per attribute, indexed by a stable index), so the daily behaviour runs
vectorised over the whole population. Reading or writing an attribute on an agent reads or writes
its row of the array.
"""

from __future__ import annotations

import mesa


class _Column:
    """Descriptor exposing one row of a state array as an agent attribute."""

    def __init__(self, store: str, doc: str = ""):
        self.store, self.__doc__ = store, doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = getattr(getattr(agent.model, self.store), self.name)[agent.index]
        return value.item() if hasattr(value, "item") and value.ndim == 0 else value

    def __set__(self, agent, value):
        getattr(getattr(agent.model, self.store), self.name)[agent.index] = value


class Consumer(mesa.Agent):
    """A buyer (or `population.agent_scale` real buyers): needs arise, stores are chosen, ties are formed."""

    lam = _Column("consumers", "latent need rate per day (BG/NBD lambda)")
    p_drop = _Column("consumers", "dropout probability after a repeat purchase (BG/NBD p)")
    alive = _Column("consumers", "False once dormant")
    deal_proneness = _Column("consumers", "0..1, how much deals attract and make the consumer wait")
    price_weight = _Column("consumers", "utility weight on log price")
    reference_price = _Column("consumers", "reference price index per category (1 = base price)")
    orders = _Column("consumers", "lifetime orders")
    spend_365 = _Column("consumers", "spending over the trailing year, yuan (decayed)")
    vip_until = _Column("consumers", "day 88VIP membership ends (-1 = never a member)")
    wechat_user = _Column("consumers", "uses WeChat")
    rel_merchant = _Column("consumers", "merchant index of each relationship slot (-1 empty)")
    rel_level = _Column("consumers", "tie level per slot (orders.Level): -1 none, 0 visitor, 1 fan, 2 member, "
                                     "3 group member")

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def taoqi(self) -> float:
        return float(self.model.consumers.taoqi()[self.index])

    @property
    def tier(self) -> str:
        return str(self.model.consumers.tier_names(self.model.day)[self.index])


class Merchant(mesa.Agent):
    """A store: category, tier, prices, quality, LINK+ effort and trailing GMV."""

    category = _Column("merchants", "category index (see scenario.CATEGORIES)")
    tier = _Column("merchants", "orders.Tier: 0 top brand, 1 growth/original brand, 2 SME")
    price_level = _Column("merchants", "price index relative to the category base price")
    quality = _Column("merchants", "quality, in standard deviations")
    lead = _Column("merchants", "LEAD effort 0..1")
    interlock = _Column("merchants", "INTERLOCK effort 0..1")
    engage = _Column("merchants", "ENGAGE effort 0..1")
    keep = _Column("merchants", "KEEP effort 0..1")
    trailing_gmv = _Column("merchants", "trailing GMV (decayed sum of daily sales), agent yuan")
    weight = _Column("merchants", "ranking weight")
    impressions = _Column("merchants", "public-traffic exposures since day 0")
    visits = _Column("merchants", "store visits since day 0 (browsing)")
    wechat_direct = _Column("merchants", "in WeChat direct (eligible, authorised, joined)")
    diversion_share = _Column("merchants", "share of its WeChat community's buying moved off-platform")

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index


class Platform(mesa.Agent):
    """Tmall: allocates public traffic by ranking weight, runs 88VIP and holds the policies."""

    def __init__(self, model, policies):
        super().__init__(model)
        self.policies = policies
