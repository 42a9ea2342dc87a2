"""Outcomes: what the model reports each day, and how days add up to one number per run.

GMV and counts are reported at real scale (agent values times `population.scale`); shares are
fractions in [0, 1]. Each outcome declares how a run summarises it: `sum` for flows, `last` for
stocks and end-of-run states, `mean` for daily rates, or a ratio of two flows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Outcome:
    name: str
    unit: str
    doc: str
    summary: str = "sum"               # sum | last | mean | ratio
    ratio_of: tuple[str, ...] | None = None   # (a, b): a / b;  (a, b, c, d): (a / b) / (c / d)


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("gmv_total", "yuan", "On-platform GMV (public + private + WeChat direct)."),
    Outcome("gmv_public", "yuan", "GMV from public traffic (search, feed, paid placements)."),
    Outcome("gmv_private", "yuan", "On-platform GMV through store ties (fans, members, groups) in the app."),
    Outcome("gmv_wechat_direct", "yuan", "On-platform GMV bought inside WeChat under WeChat direct."),
    Outcome("gmv_offplatform", "yuan", "Leakage: WeChat buying diverted off-platform (not in gmv_total)."),
    Outcome("platform_commission", "yuan", "Commission on on-platform GMV, net of growth rebates."),
    Outcome("merchant_effort_cost", "yuan", "Merchants' spending on LINK+ effort."),
    Outcome("gmv_relationship", "yuan", "On-platform GMV bought by fans, members and group members of the store."),
    Outcome("gmv_group", "yuan", "On-platform GMV bought by group members at their group's store."),
    Outcome("gmv_member", "yuan", "On-platform GMV bought by members of the store."),
    Outcome("orders_member", "orders", "On-platform orders by members of the store."),
    Outcome("orders_public", "orders", "Orders from public traffic."),
    Outcome("gmv_wechat", "yuan", "GMV of WeChat-community purchases, on or off platform."),
    Outcome("orders_wechat", "orders", "Orders of WeChat-community purchases, on or off platform."),
    Outcome("gmv_top_member_repeat", "yuan", "Top brands' GMV from members' repeat purchases."),
    Outcome("gmv_insider", "yuan", "GMV sold at insider-sale prices."),
    Outcome("gmv_top", "yuan", "GMV of top brands."),
    Outcome("gmv_growth", "yuan", "GMV of growth/original brands."),
    Outcome("gmv_sme", "yuan", "GMV of small and medium merchants."),
    Outcome("gmv_discounted", "yuan", "GMV sold at a deal or festival discount."),
    Outcome("orders", "orders", "Orders placed."),
    Outcome("needs", "needs", "Purchase needs that arose (bought now or deferred)."),
    Outcome("needs_deferred", "needs", "Needs deferred to wait for a sale."),
    Outcome("aov", "yuan per order", "Average order value.", "ratio", ("gmv_total", "orders")),
    Outcome("share_gmv_private", "share", "Private (in-app, through ties) share of on-platform GMV.", "ratio",
            ("gmv_private", "gmv_total")),
    Outcome("share_gmv_relationship", "share", "Share of on-platform GMV bought by relationship users "
            "(fans, members, group members) of the store.", "ratio", ("gmv_relationship", "gmv_total")),
    Outcome("share_gmv_wechat_direct", "share", "WeChat-direct share of on-platform GMV.", "ratio",
            ("gmv_wechat_direct", "gmv_total")),
    Outcome("leakage_ratio", "share", "Off-platform leakage relative to on-platform GMV.", "ratio",
            ("gmv_offplatform", "gmv_total")),
    Outcome("share_gmv_discounted", "share", "Share of GMV sold at a discount.", "ratio",
            ("gmv_discounted", "gmv_total")),
    Outcome("share_needs_deferred", "share", "Share of needs deferred to wait for a sale.", "ratio",
            ("needs_deferred", "needs")),
    Outcome("hhi_merchant_gmv", "0..1", "Herfindahl index of merchants' trailing GMV.", "last"),
    Outcome("gini_merchant_gmv", "0..1", "Gini coefficient of merchants' trailing GMV.", "last"),
    Outcome("top1pct_share_gmv", "share", "Share of trailing GMV held by the top 1% of merchants.", "last"),
    Outcome("mean_deal_proneness", "0..1", "Mean deal-proneness of consumers.", "last"),
    Outcome("mean_reference_price", "index", "Mean reference price index (1 = category base price).", "last"),
    Outcome("active_share", "share", "Consumers with a purchase in the last 90 days.", "last"),
    Outcome("dormant_share", "share", "Consumers who have dropped out (latent, not observable).", "last"),
    Outcome("repurchase_rate_90d", "share", "Of consumers who bought in weeks 14-26 before, the share "
            "who bought again in the last 13 weeks.", "last"),
    Outcome("repeat_buyer_share", "share", "Of consumers who bought during the run, the share who "
            "bought at least twice.", "last"),
    Outcome("share_left_out", "share", "Of relationship users, the share who noticed being left out of an "
            "insider sale recently.", "last"),
    Outcome("n_fans", "consumers", "Follower ties (consumer-store pairs at fan level or above).", "last"),
    Outcome("n_members", "consumers", "Membership ties (member level or above, incl. group members).", "last"),
    Outcome("n_group_members", "consumers", "Store-group memberships.", "last"),
    Outcome("n_wechat_community", "consumers", "Memberships of stores' WeChat communities.", "last"),
    Outcome("n_vip", "consumers", "88VIP members.", "last"),
    Outcome("fan_return_visit_ratio", "x", "Fans' 30-day store return-visit rate over all tied users' "
            "(published: 2.5).", "last"),
    Outcome("member_aov_ratio", "x", "Members' average order value over all orders' (published: 2.7).",
            "ratio", ("gmv_member", "orders_member", "gmv_total", "orders")),
    Outcome("wechat_aov_ratio", "x", "WeChat-community order value over public orders' (published: > 1.5).",
            "ratio", ("gmv_wechat", "orders_wechat", "gmv_public", "orders_public")),
    Outcome("member_repurchase_share_top", "share", "Share of top brands' GMV from members' repeat "
            "purchases (published: > 0.5).", "ratio", ("gmv_top_member_repeat", "gmv_top")),
)
OUTCOME_NAMES = tuple(o.name for o in OUTCOMES)
FLOWS = tuple(o.name for o in OUTCOMES if o.summary == "sum")
_BY_NAME = {o.name: o for o in OUTCOMES}


def outcome(name: str) -> Outcome:
    return _BY_NAME[name]


def concentration(values: np.ndarray) -> tuple[float, float, float]:
    """HHI, Gini and top-1% share of a non-negative vector (zeros if it sums to zero)."""
    total = values.sum()
    if total <= 0:
        return 0.0, 0.0, 0.0
    share = values / total
    hhi = float(np.square(share).sum())
    x = np.sort(values)
    n = x.size
    gini = float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))
    k = max(1, int(np.ceil(0.01 * n)))
    top = float(x[-k:].sum() / total)
    return hhi, gini, top


def ratio(*parts: float) -> float:
    """a / b, or (a / b) / (c / d); 0 where a denominator is 0."""
    if len(parts) == 2:
        a, b = parts
        return float(a / b) if b > 0 else 0.0
    a, b, c, d = parts
    inner = ratio(c, d)
    return ratio(a, b) / inner if inner > 0 else 0.0


class Collector:
    """Columnar daily collector: one float64 column per outcome, preallocated for the horizon."""

    def __init__(self, days: int, names=None):
        self.names = tuple(names or OUTCOME_NAMES)
        self.columns = {n: np.zeros(days) for n in self.names}
        self.days = 0

    def record(self, values: dict[str, float]) -> None:
        for n in self.names:
            self.columns[n][self.days] = values[n]
        self.days += 1

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
