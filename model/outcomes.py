"""Outcomes: what the model reports each day, and how days add up to one number per run.

GMV and counts are reported at real scale (agent values times the real consumers each agent stands
for, `population.agent_scale`); shares are fractions in [0, 1]; every outcome is non-negative. Each
outcome declares how a run summarises it: `sum` for flows, `last` for stocks and end-of-run states,
`mean` for daily rates, or a ratio of two flows. `FLOWS` (accumulated by purchases during the day),
plot labels and the `HEADLINE` outcomes all derive from `OUTCOMES`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cohorts import Repurchase, ReturnVisits
from .orders import Channel, Level, Prompt, Tier
from .scenario import CATEGORIES
from .stats import concentration, ratio

# the categories where seed 004 reports relationship users' share of GMV (health has no category
# here), as a lookup by category index
FMCG_SPORTS = np.isin(np.arange(len(CATEGORIES)), [CATEGORIES.index("fmcg"), CATEGORIES.index("sports_outdoor")])


@dataclass(frozen=True)
class Outcome:
    """One reported outcome, declared once: the collector, the tables, the figures and the
    headline lists all read it from here."""
    name: str
    unit: str
    label: str                         # short human label for figures and tables
    doc: str                           # what it measures
    summary: str = "sum"               # sum | last | mean | ratio
    ratio_of: tuple[str, ...] | None = None   # (a, b): a / b;  (a, b, c, d): (a / b) / (c / d)
    flow: bool = False                 # accumulated during the day by purchases (model.flows)
    headline: bool = False             # shown by default in comparisons and sweeps
    weekly: bool = False               # read from a weekly window: a weekly saw-tooth, figures show a 7-day mean


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("gmv_total", "yuan", "GMV on platform", "On-platform GMV (public + private + WeChat direct).",
            flow=True, headline=True),
    Outcome("gmv_public", "yuan", "public GMV", "GMV from public traffic (search, feed, paid placements).",
            flow=True),
    Outcome("gmv_private", "yuan", "private GMV (in app)", "On-platform GMV through store ties (fans, members, "
            "groups) in the app.", flow=True),
    Outcome("gmv_wechat_direct", "yuan", "WeChat-direct GMV", "On-platform GMV bought inside WeChat under "
            "WeChat direct.", flow=True),
    Outcome("gmv_offplatform", "yuan", "off-platform leakage", "Leakage: WeChat buying diverted off-platform "
            "(not in gmv_total).", flow=True),
    Outcome("orders_offplatform", "orders", "off-platform orders", "Orders diverted off-platform to a store's "
            "own WeChat shop (not in orders).", flow=True),
    Outcome("gmv_list", "yuan", "on-platform GMV at list price", "On-platform orders' value at the category base "
            "price (each order's value over the price index paid): gmv_total over it is the value-weighted price "
            "index paid, it over orders the list value per order.", flow=True),
    Outcome("platform_commission", "yuan", "platform commission", "Commission on on-platform GMV, net of "
            "growth rebates.", flow=True),
    Outcome("merchant_effort_cost", "yuan", "merchants' effort cost", "Merchants' spending on LINK+ effort.",
            flow=True),
    Outcome("gmv_relationship", "yuan", "GMV of relationship users", "On-platform GMV bought by fans, members "
            "and group members of the store.", flow=True),
    Outcome("gmv_fmcg_sports", "yuan", "GMV in FMCG and sports", "On-platform GMV in the FMCG and "
            "sports-outdoor categories (where seed 004 reports relationship users' share).", flow=True),
    Outcome("gmv_relationship_fmcg_sports", "yuan", "relationship GMV in FMCG and sports", "On-platform GMV "
            "bought by relationship users of the store in FMCG and sports-outdoor.", flow=True),
    Outcome("gmv_group", "yuan", "GMV of group members", "On-platform GMV bought by group members at their "
            "group's store.", flow=True),
    Outcome("gmv_member", "yuan", "GMV of members", "On-platform GMV bought by members of the store.", flow=True),
    Outcome("orders_member", "orders", "members' orders", "On-platform orders by members of the store.",
            flow=True),
    Outcome("orders_public", "orders", "public orders", "Orders from public traffic.", flow=True),
    Outcome("gmv_wechat", "yuan", "WeChat-community GMV", "GMV of WeChat-community purchases, on or off "
            "platform.", flow=True),
    Outcome("orders_wechat", "orders", "WeChat-community orders", "Orders of WeChat-community purchases, on or "
            "off platform.", flow=True),
    Outcome("gmv_top_member_repeat", "yuan", "top brands' member repeat GMV", "Top brands' GMV from members' "
            "repeat purchases.", flow=True),
    Outcome("gmv_insider", "yuan", "GMV at insider prices", "GMV sold at insider-sale prices.", flow=True),
    Outcome("gmv_top", "yuan", "GMV of top brands", "GMV of top brands."),
    Outcome("gmv_growth", "yuan", "GMV of growth brands", "GMV of growth/original brands."),
    Outcome("gmv_sme", "yuan", "GMV of SMEs", "GMV of small and medium merchants."),
    Outcome("gmv_discounted", "yuan", "discounted GMV", "GMV sold at a deal or festival discount.", flow=True),
    Outcome("orders", "orders", "orders", "Orders placed.", flow=True),
    Outcome("needs", "needs", "purchase needs", "Purchase needs that arose on their own clock (then bought, "
            "deferred or given up), and purchases touches pulled forward (pulls_moved + pulls_new_demand).",
            flow=True),
    Outcome("needs_deferred", "needs", "deferred needs", "Needs deferred to wait for a sale.", flow=True),
    Outcome("needs_given_up", "needs", "given-up needs", "Needs whose outside option (not buying now) beat "
            "every offer shown: given up.", flow=True),
    Outcome("needs_no_offer", "needs", "needs with no offer", "Needs shopped for with no offer shown: given up.",
            flow=True),
    Outcome("needs_dropped", "needs", "deferred needs dropped", "Needs waiting for a sale given up because the "
            "seat was renewed (a new user took it).", flow=True),
    Outcome("needs_deferred_due", "needs", "deferred needs shopped for", "Needs deferred to a sale shopped for on "
            "its day (then bought or given up).", flow=True),
    Outcome("pulls_moved", "orders", "pulls that moved a need", "Purchases a touch pulled forward that were the "
            "buyer's pending need bought early (counted in needs).", flow=True),
    Outcome("pulls_new_demand", "orders", "pulls that were new demand", "Purchases a touch pulled forward that "
            "were new demand (relationships.expansion_share; the pending need stays; counted in needs).",
            flow=True),
    Outcome("visits", "visits", "store visits", "Store visits counted by browsing (browsing.enabled): public "
            "browsing, off-site content, fans' and members' own returns, and purchases (each order is a visit).",
            flow=True),
    Outcome("visits_public", "visits", "public browsing visits", "Visits from public browsing (search, feed).",
            flow=True),
    Outcome("visits_offsite", "visits", "off-site content visits", "Visits brought by off-site content (LEAD: "
            "Xiaohongshu, Douyin, Weibo, partner platforms).", flow=True),
    Outcome("visits_return", "visits", "own return visits", "Visits fans and members pay their stores on their "
            "own.", flow=True),
    Outcome("visits_purchase", "visits", "purchase visits", "Visits that are orders.", flow=True),
    Outcome("visits_top", "visits", "visits to top brands", "Store visits to top brands.", flow=True),
    Outcome("visits_growth", "visits", "visits to growth brands", "Store visits to growth brands.", flow=True),
    Outcome("visits_sme", "visits", "visits to SMEs", "Store visits to SMEs.", flow=True),
    Outcome("member_visits", "visits", "members' visits", "Store visits by the store's members and group "
            "members.", flow=True),
    Outcome("page_views", "page views", "page views", "Page views of all visits.", flow=True),
    Outcome("member_page_views", "page views", "members' page views", "Page views of members' visits.", flow=True),
    Outcome("favourites", "favourites", "favourites", "Visits' page views that ended in a favourite.", flow=True),
    Outcome("add_to_carts", "add-to-carts", "add-to-carts", "Visits' page views that ended in an add-to-cart.",
            flow=True),
    Outcome("purchases_per_page_view", "per page view", "purchases per page view", "On-platform orders per page "
            "view (Taobao UserBehavior: 0.0225).", "ratio", ("orders", "page_views")),
    Outcome("carts_per_page_view", "per page view", "add-to-carts per page view", "Add-to-carts per page view "
            "(Taobao UserBehavior: 0.0616).", "ratio", ("add_to_carts", "page_views")),
    Outcome("favourites_per_page_view", "per page view", "favourites per page view", "Favourites per page view "
            "(Taobao UserBehavior: 0.0322).", "ratio", ("favourites", "page_views")),
    Outcome("member_browsing_depth", "x", "members' browsing depth", "Members' page views per visit over all "
            "visitors' (seed 004: 1.8).", "ratio", ("member_page_views", "member_visits", "page_views", "visits")),
    Outcome("aov", "yuan per order", "average order value", "Average order value.", "ratio",
            ("gmv_total", "orders")),
    Outcome("share_gmv_private", "share", "private share of GMV", "Private (in-app, through ties) share of "
            "on-platform GMV.", "ratio", ("gmv_private", "gmv_total"), headline=True),
    Outcome("share_gmv_relationship", "share", "relationship users' share of GMV", "Share of on-platform GMV "
            "bought by relationship users (fans, members, group members) of the store.", "ratio",
            ("gmv_relationship", "gmv_total")),
    Outcome("share_gmv_relationship_fmcg_sports", "share", "relationship share of GMV, FMCG and sports",
            "Relationship users' share of on-platform GMV in FMCG and sports-outdoor (seed 004: > 60% in FMCG, "
            "sports-outdoor and health).", "ratio", ("gmv_relationship_fmcg_sports", "gmv_fmcg_sports")),
    Outcome("share_gmv_wechat_direct", "share", "WeChat-direct share of GMV", "WeChat-direct share of "
            "on-platform GMV.", "ratio", ("gmv_wechat_direct", "gmv_total")),
    Outcome("leakage_ratio", "share", "leakage / on-platform GMV", "Off-platform leakage relative to "
            "on-platform GMV.", "ratio", ("gmv_offplatform", "gmv_total")),
    Outcome("share_gmv_discounted", "share", "discounted share of GMV", "Share of GMV sold at a discount.",
            "ratio", ("gmv_discounted", "gmv_total")),
    Outcome("share_needs_deferred", "share", "needs deferred", "Share of needs deferred to wait for a sale.",
            "ratio", ("needs_deferred", "needs")),
    Outcome("share_needs_given_up", "share", "needs given up", "Share of needs given up (not buying now).",
            "ratio", ("needs_given_up", "needs")),
    Outcome("hhi_merchant_gmv", "0..1", "HHI of merchant GMV", "Herfindahl index of merchants' trailing GMV.",
            "last"),
    Outcome("gini_merchant_gmv", "0..1", "Gini of merchant GMV", "Gini coefficient of merchants' trailing GMV.",
            "last", headline=True),
    Outcome("top1pct_share_gmv", "share", "top-1% stores' share of GMV", "Share of trailing GMV held by the "
            "top 1% of merchants.", "last"),
    Outcome("mean_deal_proneness", "0..1", "mean deal-proneness", "Mean deal-proneness of consumers.", "last",
            headline=True),
    Outcome("mean_reference_price", "index", "mean reference price", "Mean reference price index (1 = category "
            "base price).", "last"),
    Outcome("active_share", "share", "active consumers, 90 days", "Consumers with a purchase in the last 90 "
            "days.", "last", headline=True),
    Outcome("dormant_share", "share", "dormant consumers", "Consumers who have dropped out (latent, not "
            "observable).", "last"),
    Outcome("repurchase_rate_90d", "share", "90-day repurchase rate", "Of consumers who bought in weeks 14-26 "
            "before, the share who bought again in the last 13 weeks.", "last", headline=True, weekly=True),
    Outcome("repeat_buyer_share", "share", "repeat buyers", "Of consumers who bought during the run, the share "
            "who bought at least twice.", "last"),
    Outcome("share_left_out", "share", "relationship users left out", "Of relationship users, the share who "
            "noticed being left out of an insider sale recently.", "last"),
    Outcome("n_fans", "consumers", "fan ties", "Follower ties (consumer-store pairs at fan level or above).",
            "last"),
    Outcome("n_members", "consumers", "member ties", "Membership ties (member level or above, incl. group "
            "members).", "last"),
    Outcome("n_group_members", "consumers", "group memberships", "Store-group memberships.", "last"),
    Outcome("n_wechat_community", "consumers", "WeChat community memberships", "Memberships of stores' WeChat "
            "communities.", "last"),
    Outcome("n_vip", "consumers", "88VIP members", "88VIP members.", "last"),
    Outcome("return_rate_fans", "share", "fans' 30-day return rate", "Share of a store's fan visitors (fan "
            "level or above) of one month who visit it again in the next 30 days (last monthly cohort read).",
            "mean"),
    Outcome("return_rate_all", "share", "visitors' 30-day return rate", "Share of a store's visitors of one month "
            "who visit it again in the next 30 days (last monthly cohort read).", "mean"),
    Outcome("fan_return_visit_ratio", "x", "fans' return-visit ratio", "Fans' 30-day store return-visit rate "
            "over all of a store's visitors' (published: 2.5), of the last monthly cohort read; summary: "
            "mean over the recorded days.", "mean"),
    Outcome("repurchase_rate_relationship", "share", "relationship customers' 90-day repurchase rate",
            "Share of a store's customers with a fan tie or above (at least one order there) who order there again "
            "within 90 days (last 90-day cohort read).", "mean"),
    Outcome("repurchase_rate_customers", "share", "customers' 90-day repurchase rate", "Share of all of a store's "
            "customers (at least one order there) who order there again within 90 days (last 90-day cohort read).",
            "mean"),
    Outcome("relationship_repurchase_ratio", "x", "relationship customers' repurchase ratio", "Relationship "
            "customers' 90-day repurchase rate over all customers' (seed 004: old customers' 2+-order repurchase "
            "rate 37% higher), of the last cohort read; summary: mean over the recorded days.", "mean"),
    Outcome("member_aov_ratio", "x", "members' order value ratio", "Members' average order value over all "
            "orders' (published: 2.7).", "ratio", ("gmv_member", "orders_member", "gmv_total", "orders")),
    Outcome("wechat_aov_ratio", "x", "WeChat order value ratio", "WeChat-community order value over public "
            "orders' (published: > 1.5).", "ratio", ("gmv_wechat", "orders_wechat", "gmv_public",
                                                     "orders_public")),
    Outcome("member_repurchase_share_top", "share", "members' repeat share of top-brand GMV", "Share of top "
            "brands' GMV from members' repeat purchases (published: > 0.5).", "ratio",
            ("gmv_top_member_repeat", "gmv_top")),
)
OUTCOME_NAMES = tuple(o.name for o in OUTCOMES)
FLOWS = tuple(o.name for o in OUTCOMES if o.flow)
HEADLINE = tuple(o.name for o in OUTCOMES if o.headline)
RATIOS = tuple(o for o in OUTCOMES if o.ratio_of)     # computed each day from their declared parts
_BY_NAME = {o.name: o for o in OUTCOMES}


def outcome(name: str) -> Outcome:
    return _BY_NAME[name]


class Collector:
    """Columnar daily collector: one float64 column per outcome, preallocated for the horizon, and the tie
    cohorts that two of the outcomes are read from."""

    def __init__(self, days: int, names=None, ties: tuple[int, int] = (0, 0)):
        self.names = tuple(names or OUTCOME_NAMES)
        self.columns = {n: np.zeros(days) for n in self.names}
        self.days = 0
        # the tie cohorts read at month and quarter ends, from the burn-in's first day (cohorts.py);
        # `ties`: the consumers' tie table's shape (consumers, slots)
        self.return_visits = ReturnVisits(*ties)
        self.repurchase = Repurchase(*ties)

    def end_day(self, model) -> None:
        """Update the tie cohorts at the end of every simulated day (burn-in included)."""
        self.return_visits.update(model.day, model.consumers)
        self.repurchase.update(model.day, model.consumers)

    def record(self, values: dict[str, float]) -> None:
        for n in self.names:
            self.columns[n][self.days] = values[n]
        self.days += 1

    def latest(self, name: str) -> float:
        """The outcome on the last recorded day."""
        return float(self.columns[name][self.days - 1])

    def frame(self):
        """Daily outcomes as a pandas DataFrame indexed by day."""
        import pandas as pd
        df = pd.DataFrame({n: c[: self.days] for n, c in self.columns.items()})
        df.index.name = "day"
        return df

    def summary(self) -> dict[str, float]:
        """One number per outcome for the whole run (see each outcome's `summary`)."""
        out = {}
        cols = {n: c[: self.days] for n, c in self.columns.items()}
        for n in self.names:
            o = _BY_NAME[n]
            if o.summary == "sum":
                out[n] = float(cols[n].sum())
            elif o.summary == "last":
                out[n] = float(cols[n][-1]) if self.days else 0.0
            elif o.summary == "mean":
                out[n] = float(cols[n].mean()) if self.days else 0.0
            else:
                out[n] = ratio(*(cols[k].sum() for k in o.ratio_of))
        return out


def record_flows(flows: dict[str, float], merchants, orders) -> None:
    """Add a batch of orders to today's flows (agent scale; off-platform orders count as leakage only)."""
    value, channel, level = orders.value, orders.channel, orders.level
    on_platform = orders.on_platform
    v_on = np.where(on_platform, value, 0.0)
    gmv_by = np.bincount(channel, weights=value, minlength=len(Channel))
    orders_by = np.bincount(channel, minlength=len(Channel))
    flows["gmv_total"] += float(gmv_by[:Channel.OFFPLATFORM].sum())      # channels before it are on-platform
    flows["orders"] += int(orders_by[:Channel.OFFPLATFORM].sum())
    flows["gmv_public"] += gmv_by[Channel.PUBLIC]
    flows["gmv_private"] += gmv_by[Channel.PRIVATE]
    flows["gmv_wechat_direct"] += gmv_by[Channel.DIRECT]
    flows["gmv_offplatform"] += gmv_by[Channel.OFFPLATFORM]
    flows["orders_offplatform"] += int(orders_by[Channel.OFFPLATFORM])
    priced = orders.price > 0
    list_value = (v_on / orders.price if priced.all() else                 # the same quotients, unmasked if it can
                  np.divide(v_on, orders.price, out=np.zeros_like(v_on), where=priced))
    flows["gmv_list"] += float(list_value.sum())
    flows["orders_public"] += int(orders_by[Channel.PUBLIC])
    flows["gmv_discounted"] += float(v_on[orders.depth > 0].sum())
    flows["gmv_insider"] += float(v_on[orders.insider].sum())
    fan = level >= Level.FAN
    flows["gmv_relationship"] += float(v_on[fan].sum())
    focus = FMCG_SPORTS[orders.category]
    flows["gmv_fmcg_sports"] += float(v_on[focus].sum())
    flows["gmv_relationship_fmcg_sports"] += float(v_on[focus & fan].sum())
    flows["gmv_group"] += float(v_on[level == Level.GROUP].sum())
    member = level >= Level.MEMBER
    flows["gmv_member"] += float(v_on[member].sum())
    flows["orders_member"] += np.count_nonzero(member & on_platform)
    member_repeat = member & (orders.orders_before >= 1)
    top = merchants.tier[orders.stores] == Tier.TOP
    flows["gmv_top_member_repeat"] += float(v_on[member_repeat & top].sum())
    if orders.prompt == Prompt.WECHAT_TOUCH:
        flows["gmv_wechat"] += float(value.sum())
        flows["orders_wechat"] += value.size


def tie_counts(level: np.ndarray, wechat: np.ndarray, left_out_day: np.ndarray,
               left_out_since: int) -> dict[str, int]:
    """Counts of tie slots by level, of WeChat-community slots, of consumers with a fan tie or above
    (relationship users) and of those left out since `left_out_since`."""
    count = np.count_nonzero
    fans = level >= Level.FAN
    users = np.logical_or.reduce([fans[:, j] for j in range(fans.shape[1])])   # 10x quicker than any(axis=1)
    return {"fans": count(fans), "members": count(level >= Level.MEMBER),
            "group_members": count(level == Level.GROUP), "community": count(wechat),
            "relationship_users": count(users),
            "left_out_users": count(users & (left_out_day >= left_out_since))}


def daily_outcomes(model) -> dict[str, float]:
    """Every outcome for the day just simulated: today's flows and the state at the end of the day."""
    c, m, f, k, day = model.consumers, model.merchants, model.flows, model.scale, model.day
    by_tier = np.bincount(m.tier, weights=m.sales_today, minlength=3) * k
    hhi, gini, top = concentration(m.trailing_gmv + m.trailing_wechat)
    prev, both = c.activity_windows()
    count = np.count_nonzero
    returns, repurchase = model.collector.return_visits.rates, model.collector.repurchase.rates
    bought = count(c.run_orders)
    ties = tie_counts(c.rel_level, c.rel_wechat, c.left_out_day, day - model.config.insider.slight_days)
    out = {name: f[name] * k for name in FLOWS}
    out.update({
        "gmv_top": by_tier[0], "gmv_growth": by_tier[1], "gmv_sme": by_tier[2],
        "hhi_merchant_gmv": hhi, "gini_merchant_gmv": gini, "top1pct_share_gmv": top,
        "mean_deal_proneness": float(c.deal_proneness.mean()),
        "mean_reference_price": float(c.reference_price.mean()),
        "active_share": count(c.last_day > day - 90) / c.n,
        "dormant_share": float(1.0 - c.alive.mean()),
        "repurchase_rate_90d": ratio(count(both), count(prev)),
        "repeat_buyer_share": float((c.run_orders >= 2).sum() / bought) if bought else 0.0,
        "share_left_out": ratio(ties["left_out_users"], ties["relationship_users"]),
        "n_fans": ties["fans"] * k, "n_members": ties["members"] * k,
        "n_group_members": ties["group_members"] * k,
        "n_wechat_community": ties["community"] * k,
        "n_vip": count(c.vip_until > day) * k,
        "return_rate_fans": returns[0], "return_rate_all": returns[1],
        "fan_return_visit_ratio": ratio(*returns),
        "repurchase_rate_relationship": repurchase[0], "repurchase_rate_customers": repurchase[1],
        "relationship_repurchase_ratio": ratio(*repurchase),
    })
    at_agent_scale = {**f, "gmv_top": by_tier[0] / k}        # a ratio's parts before scaling, as they add up
    out.update({o.name: ratio(*(at_agent_scale[n] for n in o.ratio_of)) for o in RATIOS})
    return out


def mesa_datacollector():
    """A Mesa `DataCollector` reporting each outcome of the day just recorded, so that Mesa's tools
    (`mesa.batch_run`, SolaraViz) work on the model unchanged."""
    import mesa
    return mesa.DataCollector(model_reporters={n: (lambda model, n=n: model.collector.latest(n))
                                               for n in OUTCOME_NAMES})
