"""PrivateTrafficModel: consumers, merchants and the platform, one day per step.

The daily schedule (`step`) reads top to bottom:
  1. policies' start-of-day hooks
  2. merchants set today's prices (ordinary deals, festival discounts)
  3. the platform ranks stores and builds today's public-traffic table
  4. festival days may wake dormant consumers
  5. private touches: merchants' ENGAGE effort reaches fans and members, who visit and may buy now
  6. needs due today (and needs deferred to today) are served: exposure, choice, purchase or waiting
  7. end of day: trailing GMV, deal-proneness decay, weekly activity, policies' end-of-day hooks
  8. outcomes are recorded
Consumer state lives in numpy arrays (`model.consumers`), merchant state in `model.merchants`; the
agents in `model.agents_by_type` are views onto those arrays.
"""

from __future__ import annotations

import numpy as np
import mesa

from .agents import Consumer, Merchant, Platform
from .calendar import Calendar
from .outcomes import Collector, concentration
from .policies import build_policies
from .population import WEEKS_TRACKED, ConsumerState, MerchantState, draw_categories
from .scenario import CATEGORIES, Scenario, load_scenario
from .submodels import choice, price_sensitivity, purchase_timing, ranking, relationships
from .submodels.relationships import FAN, MEMBER, NONE

_LAST13 = np.uint32((1 << 13) - 1)
_PREV13 = np.uint32(((1 << 26) - 1) ^ ((1 << 13) - 1))
_WEEKS_MASK = np.uint32((1 << WEEKS_TRACKED) - 1)


class PrivateTrafficModel(mesa.Model):
    """Tmall's private-traffic ecosystem as an agent-based model.

    Args:
        scenario: a validated `Scenario` (see `load_scenario`) or None for the defaults.
        rng: seed or numpy Generator (Mesa convention); defaults to the scenario's `run.seed`.
    """

    def __init__(self, scenario: Scenario | None = None, rng=None, create_agents: bool = True):
        scenario = scenario if scenario is not None else load_scenario()
        super().__init__(rng=scenario.run.seed if rng is None else rng)
        self.scenario = s = scenario
        self.day = 0
        self.modulated = s.purchase.modulations
        self.scale = s.population.scale
        self.burn_in = s.run.burn_in_days
        self.calendar = Calendar(self.burn_in + s.run.days, (s.run.start_day_of_year - self.burn_in) % 365,
                                 s.seasonality if self.modulated else s.seasonality.model_copy(
                                     update={"enabled": False}),
                                 s.price_sensitivity.defer_horizon_days)
        self.clock = purchase_timing.seasonal_clock(self.calendar.demand)
        self.base_price = np.array([getattr(s.categories, c).base_price for c in CATEGORIES])

        self.merchants = MerchantState(s, self.rng)
        self.consumers = ConsumerState(s, self.rng)
        self.policies = build_policies(s)
        self.vip = self.policies[0]
        self._initial_trailing_gmv()
        self.traffic = ranking.TrafficTable(self.merchants.category, len(CATEGORIES))
        self._rank_stores()
        self.consumers.seed_relationships(self.rng, self.merchants, self.traffic)
        for policy in self.policies:
            policy.setup(self)

        if create_agents:
            Consumer.create_agents(self, self.consumers.n, index=np.arange(self.consumers.n))
            Merchant.create_agents(self, self.merchants.n, index=np.arange(self.merchants.n))
        self.platform = Platform(self, self.policies)

        self.collector = Collector(s.run.days)
        self.flows = {}
        self._bought_in_run = 0
        self._burn_in()

    @property
    def scenario(self) -> Scenario:
        """The validated scenario this model was built from (replaces Mesa's experimental Scenario)."""
        return self._ptsim_scenario

    @scenario.setter
    def scenario(self, value) -> None:
        self._ptsim_scenario = value

    def _burn_in(self) -> None:
        """Simulate `run.burn_in_days` unrecorded days, then start the run's counters afresh."""
        for _ in range(self.burn_in):
            self._simulate_day()
            self.day += 1
        self.consumers.run_orders[:] = 0
        self._bought_in_run = 0
        self.merchants.sales_total[:] = 0

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Advance one recorded day (day 0 is the first day after the burn-in)."""
        self._simulate_day()
        self.collector.record(self._daily_outcomes())
        self.day += 1
        if self.collector.days >= self.scenario.run.days:
            self.running = False

    def _simulate_day(self) -> None:
        for policy in self.policies:
            policy.start_day(self)
        self._reset_flows()
        self._set_prices()
        self._rank_stores()
        self._festival_reactivation()
        self._private_touches()
        self._serve_deferred_needs()
        self._serve_due_needs()
        self._end_day()
        for policy in self.policies:
            policy.end_day(self)

    def run(self, days: int | None = None, progress=None) -> "PrivateTrafficModel":
        """Run for `days` (default: the scenario's horizon); `progress(day)` is called daily."""
        for _ in range(days if days is not None else self.scenario.run.days - self.collector.days):
            self.step()
            if progress is not None:
                progress(self.collector.days)
        return self

    # --------------------------------------------------------------- merchants
    def _set_prices(self) -> None:
        m, ms = self.merchants, self.scenario.merchants
        deal = self.rng.random(m.n) < ms.deal_rate if self.modulated else np.zeros(m.n, bool)
        m.discount = np.where(deal, ms.deal_depth, 0.0)
        m.discount = np.maximum(m.discount, self.calendar.festival_discount[self.day])

    # ---------------------------------------------------------------- platform
    def _initial_trailing_gmv(self) -> None:
        """Stores start with trailing GMV proportional to size, at the level demand implies."""
        c, m, s = self.consumers, self.merchants, self.scenario
        pref = np.diff(np.concatenate([np.zeros((c.n, 1), np.float32), c.category_cdf], axis=1), axis=1)
        daily = (c.lam * c.alive) @ pref * self.base_price          # expected GMV per category per day
        size_by_cat = np.bincount(m.category, weights=m.size, minlength=len(CATEGORIES))
        share = m.size / size_by_cat[m.category]
        m.trailing_gmv = share * daily[m.category] * s.ranking.memory_days if s.ranking.memory_days < 1e6 \
            else share * daily[m.category]
        self.prior_weight = s.ranking.prior_weight * max(m.trailing_gmv.mean(), 1e-9)

    def _rank_stores(self) -> None:
        m, rk = self.merchants, self.scenario.ranking
        multiplier = 1.0 + rk.lead_effect * m.lead
        for policy in self.policies:
            multiplier = multiplier * policy.weight_multiplier(self)
        m.weight = ranking.ranking_weight(m.trailing_gmv, self.prior_weight, rk.exponent, multiplier)
        self.traffic.update(m.weight)

    # --------------------------------------------------------------- consumers
    def _festival_reactivation(self) -> None:
        cal = self.calendar
        if not (self.modulated and cal.in_festival[self.day] and cal.demand[self.day] == cal.demand.max()):
            return
        c = self.consumers
        dormant = np.flatnonzero(~c.alive)
        wake = dormant[self.rng.random(dormant.size) < self.scenario.purchase.reactivation_per_touch]
        self._wake(wake)

    def _wake(self, who: np.ndarray) -> None:
        c = self.consumers
        c.alive[who] = True
        c.next_need[who] = purchase_timing.next_need_clock(
            self.rng, np.full(who.size, self.clock[self.day + 1]), self._need_rate(who))

    def _need_rate(self, who: np.ndarray) -> np.ndarray:
        lam = self.consumers.lam[who]
        if not self.modulated:
            return lam
        return lam * self.vip.rate_factor(self.consumers.vip_until[who] > self.day)

    def _private_touches(self) -> None:
        """ENGAGE: pushes and member messages bring return visits; a near need is bought now."""
        if not self.modulated:
            return
        c, m, rs = self.consumers, self.merchants, self.scenario.relationships
        R = c.rel_merchant.shape[1]
        rate_by_level = np.asarray(rs.touch_rate + [0.0])  # level NONE (-1) has no touches
        slots = relationships.draw_touches(self.rng, c.rel_level.ravel(), c.rel_merchant.ravel(),
                                           rate_by_level, m.engage)
        if slots.size == 0:
            return
        who, slot = np.divmod(slots, R)
        who, first = np.unique(who, return_index=True)     # one touch acted on per consumer per day
        slot = slot[first]
        c.rel_last[who, slot] = self.day
        stores = c.rel_merchant[who, slot]
        level = c.rel_level[who, slot]

        dormant = ~c.alive[who]
        wake = who[dormant & (self.rng.random(who.size) < self.scenario.purchase.reactivation_per_touch)]
        if wake.size:
            self._wake(wake)
        horizon = self.clock[self.day + 1] + rs.touch_pull_days
        pulled = (~dormant) & (c.next_need[who] < horizon) & (c.deferred_day[who] < 0)
        who, stores, level = who[pulled], stores[pulled], level[pulled]
        if who.size == 0:
            return
        self.flows["needs"] += who.size
        c.next_need[who] = purchase_timing.next_need_clock(
            self.rng, np.full(who.size, self.clock[self.day + 1]), self._need_rate(who))
        price, depth = self._price(who, stores, level)
        self._purchase(who, stores, level, price, depth, m.category[stores], private=level >= FAN)

    def _serve_deferred_needs(self) -> None:
        c = self.consumers
        who = np.flatnonzero(c.deferred_day == self.day)
        if who.size:
            c.deferred_day[who] = -1
            self._serve(who, c.deferred_category[who].astype(np.int64), allow_defer=False)

    def _serve_due_needs(self) -> None:
        """Every need whose clock time falls in today; several per consumer are served in turn."""
        c = self.consumers
        end = self.clock[self.day + 1]
        while True:
            due = np.flatnonzero(c.next_need < end)
            if due.size == 0:
                break
            self.flows["needs"] += due.size
            c.next_need[due] = purchase_timing.next_need_clock(self.rng, c.next_need[due], self._need_rate(due))
            cats = draw_categories(self.rng, c.category_cdf[due])
            self._serve(due, cats, allow_defer=self.modulated)

    def _serve(self, buyers: np.ndarray, cats: np.ndarray, allow_defer: bool) -> None:
        """Exposure, choice and purchase (or waiting for a sale) for buyers with a need in `cats`."""
        c, m, s = self.consumers, self.merchants, self.scenario
        R = c.rel_merchant.shape[1]
        tied = c.rel_merchant[buyers]
        tied_ok = (tied >= 0) & (m.category[np.maximum(tied, 0)] == cats[:, None])
        public = self.traffic.draw(self.rng, cats, s.ranking.public_slots)
        public_ok = (public >= 0) & ~(public[:, :, None] == tied[:, None, :]).any(axis=2)
        stores = np.concatenate([tied, public], axis=1)
        available = np.concatenate([tied_ok, public_ok], axis=1)
        level = np.concatenate([np.where(tied_ok, c.rel_level[buyers], NONE),
                                np.full(public.shape, NONE, dtype=np.int8)], axis=1)
        safe = np.maximum(stores, 0)
        price, depth = self._price(np.repeat(buyers, stores.shape[1]).reshape(stores.shape), safe, level)
        rel_util = np.concatenate([[0.0], s.choice.relationship_utility])[level + 1]
        util = choice.offer_utility(m.quality[safe], price, c.reference_price[buyers, cats], depth > 0,
                                    rel_util, c.price_weight[buyers], c.deal_proneness[buyers], s.choice)
        pick = choice.choose(self.rng, util, available)

        served = pick >= 0
        self.flows["needs_unserved"] += int((~served).sum())
        buyers, cats, pick = buyers[served], cats[served], pick[served]
        rows = np.flatnonzero(served)
        chosen, lvl = stores[rows, pick], level[rows, pick]
        p, d = price[rows, pick], depth[rows, pick]
        # visits: every tied store shown for this need counts as a return visit
        shown = tied_ok[rows]
        r_idx, k_idx = np.nonzero(shown)
        c.rel_last[buyers[r_idx], k_idx] = self.day

        if allow_defer:
            wait = price_sensitivity.wait_for_deal(
                self.rng, c.deal_proneness[buyers], d > 0,
                np.full(buyers.size, self.calendar.sale_ahead[self.day]), s.price_sensitivity.defer_propensity)
            if wait.any():
                w = buyers[wait]
                c.deferred_day[w] = self.day + self.calendar.days_to_sale[self.day]
                c.deferred_category[w] = cats[wait]
                self.flows["needs_deferred"] += w.size
                keep = ~wait
                buyers, cats, chosen, lvl, p, d = buyers[keep], cats[keep], chosen[keep], lvl[keep], p[keep], d[keep]
        self._purchase(buyers, chosen, lvl, p, d, cats, private=lvl >= FAN)

    def _price(self, buyers: np.ndarray, stores: np.ndarray, level: np.ndarray):
        """Price index (relative to category base) each buyer pays at each store, and deal depth."""
        m, c, rs = self.merchants, self.consumers, self.scenario.relationships
        depth = m.discount[stores]
        price = m.price_level[stores] * (1.0 - depth)
        price = price * np.where(level >= MEMBER, 1.0 - rs.member_discount * m.keep[stores], 1.0)
        price = price * self.vip.price_factor(c.vip_until[buyers] > self.day)
        return price, depth

    def _purchase(self, buyers, stores, level, price, depth, cats, private) -> None:
        """Record orders and update everything a purchase changes."""
        if buyers.size == 0:
            return
        c, m, s = self.consumers, self.merchants, self.scenario
        rs = s.relationships
        basket = self.rng.lognormal(-0.5 * rs.basket_sigma ** 2, rs.basket_sigma, buyers.size)
        basket *= relationships.basket_multiplier(level, rs.fan_basket, rs.member_basket)
        value = self.base_price[cats] * price * basket

        f = self.flows
        gmv = float(value.sum())
        f["gmv_total"] += gmv
        f["gmv_private"] += float(value[private].sum())
        f["gmv_public"] += gmv - float(value[private].sum())
        f["gmv_discounted"] += float(value[depth > 0].sum())
        f["orders"] += buyers.size
        m.sales_today += np.bincount(stores, weights=value, minlength=m.n)

        # store ties: the buyer becomes (or stays) a visitor; INTERLOCK converts visitors and fans
        slot, _ = relationships.find_or_assign_slot(c.rel_merchant, c.rel_level, c.rel_last, buyers,
                                                    stores, self.day)
        if self.modulated:
            c.rel_level[buyers, slot] = relationships.convert(
                self.rng, c.rel_level[buyers, slot], m.interlock[stores], rs.follow_prob, rs.join_prob)

        # price sensitivity: reference price and deal-proneness learn from what was paid
        ps = s.price_sensitivity
        c.reference_price[buyers, cats] = price_sensitivity.update_reference(
            c.reference_price[buyers, cats], price, ps.reference_smoothing)
        if self.modulated:
            on_deal = depth > 0
            c.deal_proneness[buyers[on_deal]] = price_sensitivity.learn_from_deal(
                c.deal_proneness[buyers[on_deal]], depth[on_deal], ps.deal_learning)

        repeat = c.orders[buyers] >= 1
        self._bought_in_run += int((c.run_orders[buyers] == 0).sum())
        c.orders[buyers] += 1
        c.run_orders[buyers] += 1
        c.spend_365[buyers] += value.astype(np.float32)
        c.spend_total[buyers] += value
        c.last_day[buyers] = self.day
        c.active_weeks[buyers] |= np.uint32(1)
        self.vip.on_purchase(self, buyers)

        # dropout after a repeat purchase; members of stores with KEEP effort drop out less
        p_drop = c.p_drop[buyers]
        if self.modulated:
            p_drop = p_drop * np.where(level >= MEMBER, 1.0 - rs.keep_dropout_cut * m.keep[stores], 1.0)
        gone = buyers[purchase_timing.dropout(self.rng, p_drop, repeat)]
        c.alive[gone] = False
        c.next_need[gone] = np.inf

    # -------------------------------------------------------------- end of day
    def _end_day(self) -> None:
        c, m, s = self.consumers, self.merchants, self.scenario
        m.sales_total += m.sales_today
        ranking.decay_trailing(m.trailing_gmv, m.sales_today, s.ranking.memory_days)
        if self.modulated:
            price_sensitivity.decay_toward_baseline(c.deal_proneness, c.deal_proneness_baseline,
                                                    s.price_sensitivity.decay_days)
        c.spend_365 *= np.float32(np.exp(-1.0 / 365.0))
        if (self.day + 1) % 7 == 0:
            c.active_weeks <<= np.uint32(1)
            c.active_weeks &= _WEEKS_MASK
            if self.modulated:
                relationships.lapse(c.rel_merchant, c.rel_level, c.rel_last, self.day,
                                    s.relationships.lapse_days)

    def _reset_flows(self) -> None:
        self.flows = dict.fromkeys(("gmv_total", "gmv_public", "gmv_private", "gmv_discounted", "orders",
                                    "needs", "needs_deferred", "needs_unserved"), 0.0)
        self.merchants.sales_today = np.zeros(self.merchants.n)

    def _daily_outcomes(self) -> dict[str, float]:
        c, m, f, k = self.consumers, self.merchants, self.flows, self.scale
        by_tier = np.bincount(m.tier, weights=m.sales_today, minlength=3) * k
        hhi, gini, top = concentration(m.trailing_gmv)
        levels = c.rel_level
        prev = (c.active_weeks & _PREV13) != 0
        both = prev & ((c.active_weeks & _LAST13) != 0)
        bought = self._bought_in_run
        return {
            "gmv_total": f["gmv_total"] * k, "gmv_public": f["gmv_public"] * k,
            "gmv_private": f["gmv_private"] * k,
            "gmv_top": by_tier[0], "gmv_growth": by_tier[1], "gmv_sme": by_tier[2],
            "gmv_discounted": f["gmv_discounted"] * k, "orders": f["orders"] * k,
            "needs": f["needs"] * k, "needs_deferred": f["needs_deferred"] * k,
            "aov": f["gmv_total"] / f["orders"] if f["orders"] else 0.0,
            "share_gmv_private": f["gmv_private"] / f["gmv_total"] if f["gmv_total"] else 0.0,
            "share_gmv_discounted": f["gmv_discounted"] / f["gmv_total"] if f["gmv_total"] else 0.0,
            "share_needs_deferred": f["needs_deferred"] / f["needs"] if f["needs"] else 0.0,
            "hhi_merchant_gmv": hhi, "gini_merchant_gmv": gini, "top1pct_share_gmv": top,
            "mean_deal_proneness": float(c.deal_proneness.mean()),
            "mean_reference_price": float(c.reference_price.mean()),
            "active_share": float((c.last_day > self.day - 90).mean()),
            "dormant_share": float(1.0 - c.alive.mean()),
            "repurchase_rate_90d": float(both.sum() / max(prev.sum(), 1)),
            "repeat_buyer_share": float((c.run_orders >= 2).sum() / bought) if bought else 0.0,
            "n_fans": float((levels == FAN).sum()) * k, "n_members": float((levels == MEMBER).sum()) * k,
            "n_vip": float((c.vip_until > self.day).sum()) * k,
        }

    # ---------------------------------------------------------------- results
    def timeseries(self):
        """Daily outcomes as a pandas DataFrame indexed by day."""
        return self.collector.frame()

    def summary(self) -> dict[str, float]:
        """One number per outcome for the run so far."""
        return self.collector.summary()
