"""Initial state of consumers and merchants, held as numpy arrays (structure of arrays)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .orders import Level, NeedLedger, Prompt
from .scenario import CATEGORIES, Scenario
from .submodels import insider_sales, lifecycle, purchase_timing, social_sharing, spend
from .submodels.purchase_timing import draw_categories

WEEKS_TRACKED = 26  # bits of the weekly activity mask (two 13-week windows)
_LAST13 = np.uint32((1 << 13) - 1)
_PREV13 = np.uint32(((1 << 26) - 1) ^ ((1 << 13) - 1))


@dataclass(frozen=True)
class Held:
    """One array of consumer state: the module that changes it, and what a new user's seat gets on
    renewal (a value, or a function of the state and the seats; None: kept, a trait of the seat)."""
    owner: str
    renewal: Any = None


def _baseline_proneness(c, who):
    return c.deal_proneness_baseline[who]


def _entry_reference(c, who):
    return c.entry_reference_price


# Consumer state, declared once: ConsumerState.renew() resets what has a renewal value, and the warm-state
# cache saves every array listed (a consumer array missing here is refused when the state is saved).
CONSUMER_STATE: dict[str, Held] = {
    "lam": Held("purchase_timing"), "p_drop": Held("purchase_timing"),
    "alive": Held("purchase_timing", True), "renew_day": Held("purchase_timing", -1),
    "next_need": Held("purchase_timing"),
    "deferred_who": Held("price_sensitivity"), "deferred_day": Held("price_sensitivity"),
    "deferred_category": Held("price_sensitivity"), "need_ledger": Held("shopping"),
    "category_pref": Held("population"), "category_cdf": Held("population"), "price_weight": Held("population"),
    "deal_proneness_baseline": Held("population"),
    "deal_proneness": Held("price_sensitivity", _baseline_proneness),
    "reference_price": Held("price_sensitivity", _entry_reference), "entry_reference_price": Held("model"),
    "wechat_user": Held("population"), "new_at_start": Held("population"), "spend_level": Held("population"),
    "join_weight": Held("population"),
    "orders": Held("lifecycle", 0), "run_orders": Held("lifecycle", 0), "spend_365": Held("lifecycle", 0.0),
    "last_day": Held("lifecycle", -100_000), "active_weeks": Held("lifecycle", 0),
    "vip_until": Held("vip_programme", -1), "left_out_day": Held("insider_sales", -10**6),
    "spend_percentile": Held("lifecycle"), "wechat_ties": Held("population"),
    "rel_merchant": Held("relationships", -1), "rel_level": Held("relationships", Level.NONE),
    "rel_last": Held("relationships", -100_000), "rel_orders": Held("relationships", 0),
    "rel_wechat": Held("relationships", False), "rel_fav": Held("relationships", False),
    "rel_invited_until": Held("relationships", -10**6),
    "rel_slighted_until": Held("relationships", -10**6),
}


def quota(n: int, shares, rng: np.random.Generator) -> np.ndarray:
    """Labels 0..k-1 for n items in proportion to `shares` (largest remainder), shuffled.

    Every label with a positive share gets at least one item when n allows it.
    """
    shares = np.asarray(shares, dtype=float)
    shares = shares / shares.sum()
    counts = np.floor(shares * n).astype(int)
    positive = shares > 0
    if n >= positive.sum():
        counts[positive & (counts == 0)] = 1
    while counts.sum() > n:
        counts[np.argmax(counts)] -= 1
    rem = shares * n - counts
    while counts.sum() < n:
        i = int(np.argmax(rem))
        counts[i] += 1
        rem[i] = -np.inf
    labels = np.repeat(np.arange(len(shares)), counts)
    return rng.permutation(labels)


# Store ties at day 0, read off the stationary state of the default scenario (four to six simulated years
# at 20,000 consumers): mean ties saturation x (1 - exp(-need rate x days_per_tie)) (capped at the slots),
# stores drawn by ranking weight thinned by tier_factor (stationary ties lean toward SMEs: 11/22/67% of
# ties at top, growth and SME stores, against 25/30/45% by weight alone), levels (visitor, fan, member, group member)
# by the store's tier (top, growth, sme), mean days since
# the last visit and mean orders at the store by level, and WeChat-community membership per unit of
# the store's WeChat effort. Other settings start off their stationary state; the burn-in settles them.
INITIAL_TIES = {
    "saturation": 5.6, "days_per_tie": 21.0, "tier_factor": (0.43, 0.73, 1.49),
    "level_mix": np.array([[0.87, 0.07, 0.05, 0.01], [0.89, 0.045, 0.005, 0.06], [0.94, 0.02, 0.0, 0.04]]),
    "days_since_visit": (32.0, 23.0, 14.0, 12.0), "orders": (2.0, 6.0, 20.0, 19.0),
    "community_fans": 0.56, "community_visitors": 0.0,
}


class MerchantState:
    """Merchants' arrays: category, tier, price level, quality, LINK+ effort, trailing GMV."""

    def __init__(self, s: Scenario, rng: np.random.Generator):
        m = s.merchants
        n = s.population.merchants
        self.n = n
        cat_shares = [getattr(s.categories, c).share for c in CATEGORIES]
        self.category = quota(n, cat_shares, rng).astype(np.int64)
        self.tier = quota(n, m.tier_shares, rng).astype(np.int8)
        tier_size = np.asarray(m.tier_size)[self.tier]
        self.size = tier_size * rng.lognormal(0.0, m.size_sigma, n)
        self.price_level = np.exp(np.asarray(m.tier_price)[self.tier] + rng.normal(0.0, m.price_sigma, n))
        self.quality = rng.normal(0.0, 1.0, n) + np.asarray(m.tier_quality)[self.tier]
        self.lead = np.asarray(m.lead, dtype=np.float64)[self.tier]
        self.interlock = np.asarray(m.interlock, dtype=np.float64)[self.tier]
        self.engage = np.asarray(m.engage, dtype=np.float64)[self.tier]
        self.keep = np.asarray(m.keep, dtype=np.float64)[self.tier]
        self.discount = np.zeros(n, dtype=np.float64)     # today's discount depth
        # store groups, insider sales, WeChat
        g, ins, wc = s.groups, s.insider, s.wechat
        self.group_perks = np.asarray(g.perks)[self.tier]
        self.complex_flow = rng.random(n) < g.complex_flow_share
        self.message_rate = np.asarray(g.message_rate)[self.tier]
        self.insider_interval = insider_sales.sale_interval(ins.frequency, self.keep)
        first = rng.random(n) * np.where(np.isfinite(self.insider_interval), self.insider_interval, 0)
        self.next_sale_day = np.where(np.isfinite(self.insider_interval), np.floor(first), -1).astype(np.int64)
        self.sale_end_day = np.full(n, -1, dtype=np.int64)
        self.insider_stock = np.zeros(n)
        self.invited_share = np.zeros(n)
        self.wechat_effort = np.asarray(wc.effort, dtype=np.float64)[self.tier]
        self.diversion_propensity = np.asarray(wc.diversion_propensity)[self.tier]
        # share of the store's WeChat-community buying moved off-platform: the share of the real stores this
        # agent stands for that divert (a share, so leakage does not hinge on one agent's yes or no)
        self.diversion_share = np.zeros(n)
        self.wechat_direct = np.zeros(n, dtype=bool)
        self.trailing_wechat = np.zeros(n)
        # what each LINK+ lever brought (GMV) and cost this month: lead, interlock, engage, keep
        self.lever_gmv = np.zeros((n, 4))
        self.lever_cost = np.zeros((n, 4))
        self.status_quo_effort = self.effort()                 # the efforts chosen for the status quo
        self.lever_return = np.full((n, 4), np.nan)            # smoothed GMV per yuan of effort
        self.status_quo_return = np.full((n, 4), np.nan)       # the same at the end of the burn-in
        self.month_wechat_gmv = np.zeros(n)
        self.month_public_gmv = np.zeros(n)
        self.wechat_gmv_trend = np.zeros(n)                     # smoothed monthly GMV (diversion decisions)
        self.public_gmv_trend = np.zeros(n)
        self.trailing_gmv = np.zeros(n)
        self.weight = np.ones(n)
        self.sales_today = np.zeros(n)
        self.impressions = np.zeros(n, dtype=np.int64)      # public-traffic exposures in the run
        self.visits = np.zeros(n, dtype=np.int64)           # store visits in the run (browsing.py)
        self.campaign = np.zeros((n, 4))                     # instruments' LINK+ effort while they run
        self.follow_discount = np.zeros(n)                  # fan perks: discount for following (share of price)
        self.offsite_visits = np.zeros(n, dtype=np.int64)   # of them from off-site content (browsing.py)
        self.coupons_issued = np.zeros(n, dtype=np.int64)   # store instruments' counts in the run
        self.coupons_redeemed = np.zeros(n, dtype=np.int64)
        self.credit_topups = np.zeros(n, dtype=np.int64)
        self.credit_repeat_topups = np.zeros(n, dtype=np.int64)     # top-ups by a consumer who topped up before
        self.credit_repurchases = np.zeros(n, dtype=np.int64)       # topping-up members who bought again after
        self.site_sales_today = np.zeros(n)
        self.wechat_sales_today = np.zeros(n)

    def effort(self) -> np.ndarray:
        """LINK+ effort as a stores x 4 array: lead, interlock, engage, keep."""
        return np.stack([self.lead, self.interlock, self.engage, self.keep], axis=1)

    def effort_of(self, lever: int) -> np.ndarray:
        """One LINK+ effort as it acts today: the store's own, or a running instrument's if higher."""
        own = (self.lead, self.interlock, self.engage, self.keep)[lever]
        return np.maximum(own, self.campaign[:, lever])

    def start_day(self) -> None:
        """Today's sales start at zero."""
        self.sales_today = np.zeros(self.n)
        self.site_sales_today = np.zeros(self.n)
        self.wechat_sales_today = np.zeros(self.n)


class ConsumerState:
    """Consumers' arrays. Index i is consumer i everywhere (agents hold their index)."""

    WEEKS_MASK = np.uint32((1 << WEEKS_TRACKED) - 1)

    def __init__(self, s: Scenario, rng: np.random.Generator):
        n = s.population.consumers
        pop, pur = s.population, s.purchase
        self.n = n
        self.n_categories = len(CATEGORIES)
        self.lam, self.p_drop = purchase_timing.draw_rates(rng, n, pur.r, pur.alpha, pur.a, pur.b)
        self.renewing = s.purchase.modulations and pur.renewal_days > 0
        self.alive = rng.random(n) < (purchase_timing.stationary_alive(self.lam, self.p_drop, pur.renewal_days)
                                      if self.renewing else pur.initial_alive_share)
        # day a dormant consumer's seat is taken by a new user (-1: alive, or never renewed)
        self.renew_day = np.full(n, -1, dtype=np.int32)
        if self.renewing:
            dormant = np.flatnonzero(~self.alive)
            self.renew_day[dormant] = purchase_timing.renewal_delay(rng, dormant.size, pur.renewal_days)
        self.next_need = np.full(n, np.inf)
        self.next_need[self.alive] = purchase_timing.next_need_clock(
            rng, np.zeros(int(self.alive.sum())), self.lam[self.alive])
        if pur.need_at_start:                  # drawn all the same: the draws that follow stay where they were
            self.next_need[self.alive] = 0.0
        # needs deferred to wait for a sale, one entry each (a consumer may hold several): who waits, the
        # day of the sale she waits for, the need's category (price_sensitivity.defer and deferred_due)
        self.deferred_who = np.empty(0, dtype=np.int32)
        self.deferred_day = np.empty(0, dtype=np.int32)
        self.deferred_category = np.empty(0, dtype=np.int8)
        # every need since the model was built, by what became of it (orders.NeedLedger) and prompt
        self.need_ledger = np.zeros((len(NeedLedger), len(Prompt)), dtype=np.int64)

        shares = np.array([getattr(s.categories, c).share for c in CATEGORIES])
        shares = shares / shares.sum()
        conc = pop.category_concentration * len(CATEGORIES) * shares
        pref = np.zeros((n, len(CATEGORIES)))
        pos = conc > 0
        pref[:, pos] = rng.gamma(conc[pos], size=(n, int(pos.sum())))
        pref /= np.maximum(pref.sum(axis=1, keepdims=True), 1e-300)
        empty = pref.sum(axis=1) == 0
        pref[empty] = shares
        self.category_pref = pref.astype(np.float32)
        self.category_cdf = np.cumsum(pref, axis=1).astype(np.float32)
        self.category_cdf[:, -1] = 1.0

        ch, ps = s.choice, s.price_sensitivity
        self.price_weight = np.maximum(rng.normal(ch.price_sensitivity_mean, ch.price_sensitivity_sd, n),
                                       0.0).astype(np.float32)
        k = ps.deal_proneness_concentration
        self.deal_proneness_baseline = rng.beta(ps.deal_proneness_mean * k, (1 - ps.deal_proneness_mean) * k,
                                                n).astype(np.float32)
        self.deal_proneness = self.deal_proneness_baseline.copy()
        self.reference_price = np.ones((n, len(CATEGORIES)), dtype=np.float32)
        self.entry_reference_price = np.ones(len(CATEGORIES), dtype=np.float32)   # of a newcomer, by category
        self.wechat_user = rng.random(n) < pop.wechat_user_share

        # purchase history before day 0 (synthetic, from each consumer's own rate)
        new = rng.random(n) < pop.new_user_share
        self.new_at_start = new
        base_price = np.array([getattr(s.categories, c).base_price for c in CATEGORIES])
        self.spend_level = spend.draw_levels(rng, n, s.spend.q)
        self.join_weight = spend.join_weights(self.spend_level, s.relationships.spend_selection, s.spend.q)
        typical_order = (pref @ base_price) * self.spend_level
        past_year = np.where(new, 0, rng.poisson(self.lam * 365 * np.where(self.alive, 1.0, 0.4)))
        self.orders = (past_year + (~new)).astype(np.int32)
        self.run_orders = np.zeros(n, dtype=np.int32)
        self.spend_365 = (past_year * typical_order).astype(np.float32)
        gap = np.ceil(rng.standard_exponential(n) / np.maximum(self.lam, 1e-9))
        self.last_day = np.where(new, -100_000, -np.minimum(gap, 730) - 1).astype(np.int32)
        self.last_day[(past_year == 0) & ~new] = -366
        p_week = np.where(self.alive, 1 - np.exp(-7 * self.lam), 0.0)
        bits = rng.random((WEEKS_TRACKED, n)) < p_week
        self.active_weeks = np.zeros(n, dtype=np.uint32)
        for w in range(WEEKS_TRACKED):
            self.active_weeks |= bits[w].astype(np.uint32) << np.uint32(w)
        self.active_weeks[new] = 0

        self.vip_until = np.full(n, -1, dtype=np.int32)
        self.left_out_day = np.full(n, -10**6, dtype=np.int32)
        self.spend_percentile = np.zeros(n, dtype=np.float32)
        self.update_spend_percentile(rng)
        wechat_users = np.flatnonzero(self.wechat_user)
        self.wechat_ties = np.full((n, s.wechat.ties_per_user), -1, dtype=np.int32)
        self.wechat_ties[wechat_users] = social_sharing.random_ties(rng, wechat_users, s.wechat.ties_per_user)

        R = s.relationships.slots
        self.rel_merchant = np.full((n, R), -1, dtype=np.int32)
        self.rel_level = np.full((n, R), Level.NONE, dtype=np.int8)
        self.rel_last = np.full((n, R), -100_000, dtype=np.int32)
        self.rel_orders = np.zeros((n, R), dtype=np.int16)
        self.rel_wechat = np.zeros((n, R), dtype=bool)
        self.rel_fav = np.zeros((n, R), dtype=bool)           # the consumer favourited the store (browsing.py)
        self.rel_invited_until = np.full((n, R), -10**6, dtype=np.int32)
        self.rel_slighted_until = np.full((n, R), -10**6, dtype=np.int32)
        self._lc = s.lifecycle

    def seed_relationships(self, rng, merchants: MerchantState, traffic):
        """Ties held at day 0, near the stationary state of the defaults (INITIAL_TIES): more stores for
        heavier buyers, stores drawn by weight in the consumer's categories, levels by the store's tier."""
        n, R = self.rel_merchant.shape
        veterans = np.flatnonzero(~self.new_at_start)
        t = INITIAL_TIES
        mean_ties = t["saturation"] * -np.expm1(-self.lam[veterans] * t["days_per_tie"])
        n_ties = np.minimum(rng.poisson(mean_ties), R)
        level_cdf = np.cumsum(t["level_mix"], axis=1)
        tier_accept = np.asarray(t["tier_factor"]) / max(t["tier_factor"])
        for k in range(R):
            who = veterans[n_ties > k]
            if who.size == 0:
                break
            cats = draw_categories(rng, self.category_cdf[who])
            stores = traffic.draw(rng, cats, 1)[:, 0]
            pending = np.arange(stores.size)
            for _ in range(8):                 # by weight, thinned by tier: stationary ties lean to SMEs
                keep = rng.random(pending.size) < tier_accept[merchants.tier[np.maximum(stores[pending], 0)]]
                pending = pending[~keep & (stores[pending] >= 0)]
                if pending.size == 0:
                    break
                stores[pending] = traffic.draw(rng, cats[pending], 1)[:, 0]
            ok = stores >= 0
            who, stores = who[ok], stores[ok]
            dup = (self.rel_merchant[who] == stores[:, None]).any(axis=1)
            who, stores = who[~dup], stores[~dup]
            cdf = level_cdf[merchants.tier[stores]]
            level = (rng.random(who.size)[:, None] >= cdf).sum(axis=1).clip(max=Level.GROUP).astype(np.int8)
            self.rel_merchant[who, k] = stores
            self.rel_level[who, k] = level
            self.rel_last[who, k] = -np.ceil(rng.standard_exponential(who.size) *
                                             np.asarray(t["days_since_visit"])[level]).astype(np.int32)
            self.rel_orders[who, k] = np.minimum(rng.poisson(np.asarray(t["orders"])[level]), 30_000)
            p_community = np.where(level >= Level.FAN, t["community_fans"], t["community_visitors"])
            self.rel_wechat[who, k] = self.wechat_user[who] & \
                (rng.random(who.size) < p_community * merchants.wechat_effort[stores])

    def renew(self, who: np.ndarray) -> None:
        """New users take the seats `who`: same latent type and tastes, no history, no ties (the arrays
        CONSUMER_STATE gives a renewal value)."""
        self.drop_deferred(who)
        for name, held in CONSUMER_STATE.items():
            if held.renewal is not None:
                getattr(self, name)[who] = held.renewal(self, who) if callable(held.renewal) else held.renewal

    def deferring(self, who: np.ndarray) -> np.ndarray:
        """Which of `who` hold a need deferred to a sale (np.isin's answer, through a mask over the seats)."""
        if self.deferred_who.size == 0:
            return np.zeros(who.shape, bool)
        held = np.zeros(self.n, bool)
        held[self.deferred_who] = True
        return held[who]

    def drop_deferred(self, who: np.ndarray) -> None:
        """The needs `who` hold deferred to a sale are given up (their seats go to new users)."""
        mask = np.zeros(self.n, bool)
        mask[who] = True
        gone = mask[self.deferred_who]
        if gone.any():
            self.need_ledger[NeedLedger.GIVEN_UP, Prompt.NEED] += int(gone.sum())
            self.deferred_who, self.deferred_day = self.deferred_who[~gone], self.deferred_day[~gone]
            self.deferred_category = self.deferred_category[~gone]

    def update_spend_percentile(self, rng, sample: int = 20_000, grid: int = 1 << 14) -> None:
        """Each consumer's percentile of trailing spend, to 1%, from the quantiles of a random sample.

        The percentile is looked up on a fine grid of log spending (`grid` cells from 0 to the largest
        spend; a cell is 0.1% of spending or less wide at a million yuan), a few times quicker than a
        binary search per consumer; only spending within a cell of a quantile can land 1% off."""
        ref = self.spend_365[rng.integers(0, self.n, size=min(sample, self.n))]
        # quantiles of the sorted sample: the same order statistics as quantile's partition at 198 kth
        # positions, which is several times slower than one sort
        edges = np.quantile(np.sort(ref), np.linspace(0.0, 1.0, 101)[1:-1])
        log_top = float(np.log1p(max(float(self.spend_365.max(initial=0.0)), edges[-1], 1.0)))
        step = log_top / (grid - 1)
        cell = np.minimum((np.log1p(self.spend_365) / np.float32(step)).astype(np.int32), grid - 1)
        by_cell = np.searchsorted(edges, np.expm1(np.arange(grid) * step), side="right") / 100.0
        self.spend_percentile = by_cell.astype(np.float32)[cell]

    def wechat_community_size(self, n_merchants: int) -> np.ndarray:
        """Members of each store's WeChat community (agents)."""
        return np.bincount(self.rel_merchant[self.rel_wechat], minlength=n_merchants)

    # derived state
    def taoqi(self, idx=slice(None)) -> np.ndarray:
        """Taoqi score of all consumers (or of those at `idx`)."""
        lc = self._lc
        return lifecycle.taoqi_score(self.spend_365[idx], lc.taoqi_base, lc.taoqi_per_yuan, lc.taoqi_cap)

    def is_vip(self, day: int) -> np.ndarray:
        return self.vip_until > day

    def is_member(self) -> np.ndarray:
        return (self.rel_level >= Level.MEMBER).any(axis=1)

    def tiers(self, day: int) -> np.ndarray:
        return lifecycle.lifecycle_tier(self.orders, self.is_member(), self.is_vip(day), self._lc.mature_orders)

    def tier_names(self, day: int = 0) -> np.ndarray:
        return np.asarray(lifecycle.TIER_NAMES)[self.tiers(day)]

    def activity_windows(self) -> tuple[np.ndarray, np.ndarray]:
        """Who bought in weeks 14-26 before now, and who of them bought again in the last 13 weeks."""
        prev = (self.active_weeks & _PREV13) != 0
        return prev, prev & ((self.active_weeks & _LAST13) != 0)
