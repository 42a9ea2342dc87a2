"""Outcomes of treated units: what a treatment's stores and consumers did in the run, beside comparable
untreated units, one number per unit (a store or a consumer) so that groups of any size compare.

Each tracked treatment (the run's own and those `compare` asks every arm to report, `tracked_units`)
is selected on record day 0 (`treatment.select`). The run then records the orders at the tracked
stores and of the tracked consumers; at the end, `summary` gives, per treatment and role (`treated`,
`comparable`), the store outcomes in `STORE_OUTCOMES` and, when the treatment selects consumers, the
consumer outcomes in `CONSUMER_OUTCOMES`, under the names `units.<treatment>.<kind>.<role>.<outcome>`
(kind `stores` or `consumers`).
GMV and counts per unit are at real scale; rates are pooled over the group's units.
"""

from __future__ import annotations

import numpy as np

from .orders import Level, Orders
from .scenario import ScenarioError, Treatment
from .treatment import Units, select

# outcome -> (unit, meaning); the store counts in the run come from the merchants' arrays of that name
STORE_OUTCOMES = {
    "n": ("stores", "Stores in the group (agent count)."),
    "visits": ("visits per store", "Store visits in the run (browsing, touches' clicks and purchases)."),
    "offsite_visits": ("visits per store", "Visits from off-site content (the LEAD channel)."),
    "gmv": ("yuan per store", "On-platform GMV at the store."),
    "orders": ("orders per store", "On-platform orders at the store."),
    "conversion": ("orders per visit", "Orders over visits (a visit's chance to end in an order)."),
    "buyers": ("consumers per store", "Consumers who bought at the store in the run."),
    "repurchase_rate": ("share", "Of the store's buyers in the run, those who bought there twice or more."),
    "old_customers": ("consumers per store", "Consumers with an order at the store before record day 0."),
    "old_customer_conversion": ("share", "Of the store's old customers, those who bought there in the run."),
    "fans": ("consumers per store", "Fans (fan ties or higher) on the last day."),
    "new_fans": ("consumers per store", "Fans on the last day who were not fans on record day 0."),
    "fan_growth": ("share", "Fans on the last day over fans on record day 0, minus 1."),
    "members": ("consumers per store", "Members (member ties or higher) on the last day."),
    "coupons_issued": ("coupons per store", "Store coupons issued in the run."),
    "coupons_redeemed": ("coupons per store", "Store coupons redeemed in the run."),
    "coupon_redemption": ("share", "Coupons redeemed over coupons issued."),
    "credit_topups": ("top-ups per store", "Prepaid store-credit top-ups in the run."),
    "credit_repeat_topups": ("top-ups per store", "Top-ups by a consumer who had topped up before."),
    "second_topup_share": ("share", "Repeat top-ups over first top-ups: of topping-up members, the share who "
                           "topped up again (exact while no one tops up three times)."),
    "topup_repurchase": ("share", "Of members who topped up, those who bought at the store again after topping "
                         "up (counted on first top-ups)."),
}
CONSUMER_OUTCOMES = {
    "n": ("consumers", "Consumers in the group (agent count)."),
    "orders": ("orders per consumer", "On-platform orders anywhere in the run."),
    "gmv": ("yuan per consumer", "On-platform spending anywhere in the run."),
    "orders_treated_stores": ("orders per consumer", "On-platform orders at the treatment's treated stores."),
    "buying_share": ("share", "Consumers who bought at least once in the run."),
    "deal_proneness": ("0..1", "Mean deal-proneness on the last day (price sensitivity)."),
}
ROLES = ("treated", "comparable")
_COUNTS = ("visits", "offsite_visits", "coupons_issued", "coupons_redeemed", "credit_topups", "credit_repeat_topups",
           "credit_repurchases")


KINDS = {"stores": STORE_OUTCOMES, "consumers": CONSUMER_OUTCOMES}


def column(treatment: str, kind: str, role: str, outcome: str) -> str:
    return f"units.{treatment}.{kind}.{role}.{outcome}"


def parse_column(name: str) -> tuple[str, str, str, str] | None:
    """(treatment, kind, role, outcome) of a `units.` column, or None for any other column."""
    if not name.startswith("units.") or name.count(".") < 4:
        return None
    treatment, kind, role, outcome = name[len("units."):].rsplit(".", 3)
    return treatment, kind, role, outcome


def _pairs(model, stores: np.ndarray, at_least: int) -> np.ndarray:
    """Codes (consumer x stores + store) of tie slots at these stores with a tie of at least `at_least`
    (orders >= 1 when `at_least` is None)."""
    c, n = model.consumers, model.merchants.n
    here = np.append(stores, False)[c.rel_merchant]
    ok = here & ((c.rel_orders >= 1) if at_least is None else (c.rel_level >= at_least))
    who, slot = np.nonzero(ok)
    return who.astype(np.int64) * n + c.rel_merchant[who, slot]


class UnitTracker:
    """Records the tracked treatments' units through the run (built on record day 0)."""

    def __init__(self, model, treatments: dict[str, Treatment]):
        self.units: dict[str, Units] = {}
        for name, t in treatments.items():
            try:
                self.units[name] = select(model, t)
            except ScenarioError as exc:              # name the arm whose treatment it is
                raise ScenarioError(f"{name}: {exc}") from None
        n_m, n_c = model.merchants.n, model.consumers.n
        self.stores = np.zeros(n_m, dtype=bool)
        self.consumers = np.zeros(n_c, dtype=bool)
        for u in self.units.values():
            self.stores |= u.stores | u.comparable_stores
            if u.consumers is not None:
                self.consumers |= u.consumers | u.comparable_consumers
        self.old = _pairs(model, self.stores, None)
        self.fans_start = _pairs(model, self.stores, Level.FAN)
        self.codes: list[np.ndarray] = []                # (buyer, store) of each on-platform order here
        self.values: list[np.ndarray] = []
        self.spend = np.zeros(n_c)
        self.orders = np.zeros(n_c, dtype=np.int64)
        self.at_treated = {name: np.zeros(n_c, dtype=np.int64) for name, u in self.units.items()
                           if u.consumers is not None}

    def on_purchase(self, model, orders: Orders) -> None:
        ok = orders.on_platform
        buyers, stores, value = orders.buyers[ok], orders.stores[ok], orders.value[ok]
        here = self.stores[stores]
        if here.any():
            self.codes.append(buyers[here].astype(np.int64) * model.merchants.n + stores[here])
            self.values.append(value[here])
        mine = self.consumers[buyers]
        if mine.any():
            b, s = buyers[mine], stores[mine]
            np.add.at(self.spend, b, value[mine])
            np.add.at(self.orders, b, 1)
            for name, counts in self.at_treated.items():
                t = self.units[name].stores[s]
                np.add.at(counts, b[t], 1)

    def summary(self, model) -> dict[str, float]:
        n, k = model.merchants.n, model.scale
        codes = np.concatenate(self.codes) if self.codes else np.empty(0, np.int64)
        values = np.concatenate(self.values) if self.values else np.empty(0)
        store_of = codes % n
        gmv = np.bincount(store_of, weights=values, minlength=n)
        orders = np.bincount(store_of, minlength=n)
        pairs, per_pair = np.unique(codes, return_counts=True)
        buyers = np.bincount(pairs % n, minlength=n)
        repeat = np.bincount(pairs[per_pair >= 2] % n, minlength=n)
        old_bought = np.bincount(self.old[np.isin(self.old, pairs)] % n, minlength=n)
        old = np.bincount(self.old % n, minlength=n)
        fans_end = _pairs(model, self.stores, Level.FAN)
        fans = np.bincount(fans_end % n, minlength=n)
        fans_start = np.bincount(self.fans_start % n, minlength=n)
        new_fans = np.bincount(fans_end[~np.isin(fans_end, self.fans_start)] % n, minlength=n)
        members = np.bincount(_pairs(model, self.stores, Level.MEMBER) % n, minlength=n)
        m = model.merchants
        counts = {name: getattr(m, name) for name in _COUNTS}
        first_topups = counts["credit_topups"] - counts["credit_repeat_topups"]
        out: dict[str, float] = {}
        for name, u in self.units.items():
            for role, group in zip(ROLES, (u.stores, u.comparable_stores)):
                size = max(int(group.sum()), 1)

                def per_store(x):
                    return float(x[group].sum()) * k / size

                def rate(a, b):
                    total = float(b[group].sum())
                    return float(a[group].sum()) / total if total else np.nan

                values_of = {
                    "n": float(group.sum()), "visits": per_store(counts["visits"]),
                    "offsite_visits": per_store(counts["offsite_visits"]), "gmv": per_store(gmv),
                    "orders": per_store(orders), "conversion": rate(orders, counts["visits"]),
                    "buyers": per_store(buyers),
                    "repurchase_rate": rate(repeat, buyers), "old_customers": per_store(old),
                    "old_customer_conversion": rate(old_bought, old), "fans": per_store(fans),
                    "new_fans": per_store(new_fans), "fan_growth": rate(fans, fans_start) - 1.0,
                    "members": per_store(members), "coupons_issued": per_store(counts["coupons_issued"]),
                    "coupons_redeemed": per_store(counts["coupons_redeemed"]),
                    "coupon_redemption": rate(counts["coupons_redeemed"], counts["coupons_issued"]),
                    "credit_topups": per_store(counts["credit_topups"]),
                    "credit_repeat_topups": per_store(counts["credit_repeat_topups"]),
                    "second_topup_share": rate(counts["credit_repeat_topups"], first_topups),
                    "topup_repurchase": rate(counts["credit_repurchases"], first_topups),
                }
                out.update({column(name, "stores", role, o): v for o, v in values_of.items()})
            if u.consumers is None:
                continue
            for role, group in zip(ROLES, (u.consumers, u.comparable_consumers)):
                size = max(int(group.sum()), 1)
                out.update({column(name, "consumers", role, o): v for o, v in {
                    "n": float(group.sum()), "orders": float(self.orders[group].sum()) / size,
                    "gmv": float(self.spend[group].sum()) / size,
                    "orders_treated_stores": float(self.at_treated[name][group].sum()) / size,
                    "buying_share": float((self.orders[group] > 0).sum()) / size,
                    "deal_proneness": float(model.consumers.deal_proneness[group].mean()) if group.any() else np.nan,
                }.items()})
        return out
