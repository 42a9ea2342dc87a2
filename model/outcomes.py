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
    ratio_of: tuple[str, str] | None = None


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("gmv_total", "yuan", "On-platform GMV (public + private + WeChat direct)."),
    Outcome("gmv_public", "yuan", "GMV from public traffic (search, feed, paid placements)."),
    Outcome("gmv_private", "yuan", "GMV from relationship users reached through the store (fans, members)."),
    Outcome("gmv_top", "yuan", "GMV of top brands."),
    Outcome("gmv_growth", "yuan", "GMV of growth/original brands."),
    Outcome("gmv_sme", "yuan", "GMV of small and medium merchants."),
    Outcome("gmv_discounted", "yuan", "GMV sold at a deal or festival discount."),
    Outcome("orders", "orders", "Orders placed."),
    Outcome("needs", "needs", "Purchase needs that arose (bought now or deferred)."),
    Outcome("needs_deferred", "needs", "Needs deferred to wait for a sale."),
    Outcome("aov", "yuan per order", "Average order value.", "ratio", ("gmv_total", "orders")),
    Outcome("share_gmv_private", "share", "Private share of on-platform GMV.", "ratio",
            ("gmv_private", "gmv_total")),
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
    Outcome("n_fans", "consumers", "Fan ties (consumer-store pairs at fan level).", "last"),
    Outcome("n_members", "consumers", "Membership ties (consumer-store pairs at member level).", "last"),
    Outcome("n_vip", "consumers", "88VIP members.", "last"),
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
                num, den = (cols[k].sum() for k in o.ratio_of)
                out[n] = float(num / den) if den > 0 else 0.0
        return out
