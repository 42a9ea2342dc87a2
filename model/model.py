"""PrivateTrafficModel: consumers, merchants and the platform, one day per step.

The daily schedule (`_simulate_day`) reads top to bottom:
  1. policies' start-of-day hooks (WeChat direct joining, anti-diversion detection, launches)
  2. merchants set today's prices (ordinary deals, festival discounts)
  3. the platform ranks stores and builds today's public-traffic table
  4. festival peak days may wake dormant consumers
  5. insider sales starting today invite eligible consumers; some of those left out notice
  6. private touches: ENGAGE pushes, member and group messages; a near need is bought now
  7. WeChat community messages: bought off-platform, in WeChat (direct) or after an app switch
  8. needs deferred to today, then needs due today: exposure, choice, purchase or waiting
  9. end of day: trailing GMV, decays, weekly bookkeeping, policies' end-of-day hooks
 10. every 30 days merchants adapt effort and decide on diversion
Consumer state lives in numpy arrays (`model.consumers`), merchant state in `model.merchants`; the
agents in `model.agents_by_type` are views onto those arrays.
"""

from __future__ import annotations

import mesa
import numpy as np

from .agents import Consumer, Merchant, Platform
from .calendar import Calendar
from .outcomes import Collector, concentration
from .policies import build_policies
from .population import WEEKS_TRACKED, ConsumerState, MerchantState, draw_categories
from .scenario import CATEGORIES, Scenario, load_scenario
from .submodels import (adaptation, choice, groups, insider_sales, price_sensitivity, purchase_timing,
                        ranking, relationships, social_sharing, wechat)
from .submodels.relationships import FAN, GROUP, MEMBER, NONE

PUBLIC, PRIVATE, DIRECT, OFFPLATFORM = 0, 1, 2, 3          # purchase channels
NEED, TOUCH, WECHAT_TOUCH, INVITATION = 0, 1, 2, 3        # what prompted a purchase
_LAST13 = np.uint32((1 << 13) - 1)
_PREV13 = np.uint32(((1 << 26) - 1) ^ ((1 << 13) - 1))
_WEEKS_MASK = np.uint32((1 << WEEKS_TRACKED) - 1)
_FLOWS = ("gmv_total", "gmv_public", "gmv_private", "gmv_wechat_direct", "gmv_offplatform", "gmv_discounted",
          "platform_commission", "merchant_effort_cost", "gmv_relationship", "gmv_group", "gmv_member", "orders_member",
          "orders_public", "gmv_wechat", "orders_wechat", "gmv_top_member_repeat", "gmv_insider", "orders",
          "needs", "needs_deferred", "needs_unserved")


class PrivateTrafficModel(mesa.Model):
    """Tmall's private-traffic ecosystem as an agent-based model.

    Args:
        scenario: a validated `Scenario` (see `load_scenario`) or None for the defaults.
        rng: seed or numpy Generator (Mesa convention); defaults to the scenario's `run.seed`.
        create_agents: create the Mesa agent views (skip for speed in docking checks).
    """

    def __init__(self, scenario: Scenario | None = None, rng=None, create_agents: bool = True):
        scenario = scenario if scenario is not None else load_scenario()
        super().__init__(rng=scenario.run.seed if rng is None else rng)
        self.scenario = s = scenario
        self.day = 0
        self.burn_in = s.run.burn_in_days
        self.modulated = s.purchase.modulations
        self.scale = s.population.scale
        seasonality = s.seasonality if self.modulated else s.seasonality.model_copy(update={"enabled": False})
        self.calendar = Calendar(self.burn_in + s.run.days, (s.run.start_day_of_year - self.burn_in) % 365,
                                 seasonality, s.price_sensitivity.defer_horizon_days)
        self.clock = purchase_timing.seasonal_clock(self.calendar.demand)
        self.base_price = np.array([getattr(s.categories, c).base_price for c in CATEGORIES])

        self.merchants = MerchantState(s, self.rng)
        self.consumers = ConsumerState(s, self.rng)
        self.policies = build_policies(s)
        for policy in self.policies.values():
            policy.setup(self)
        self._initial_trailing_gmv()
        self.traffic = ranking.TrafficTable(self.merchants.category, len(CATEGORIES))
        self._rank_stores()
        self.consumers.seed_relationships(self.rng, self.merchants, self.traffic)

        if create_agents:
            Consumer.create_agents(self, self.consumers.n, index=np.arange(self.consumers.n))
            Merchant.create_agents(self, self.merchants.n, index=np.arange(self.merchants.n))
        self.platform = Platform(self, self.policies)

        self.collector = Collector(s.run.days)
        self.flows: dict[str, float] = {}
        self._bought_in_run = 0
        self._burn_in()

    @property
    def scenario(self) -> Scenario:
        """The validated scenario this model was built from (replaces Mesa's experimental Scenario)."""
        return self._ptsim_scenario

    @scenario.setter
    def scenario(self, value) -> None:
        self._ptsim_scenario = value

    @property
    def record_day(self) -> int:
        """Day of the record: negative during the burn-in, 0 on the first recorded day."""
        return self.day - self.burn_in

    def _burn_in(self) -> None:
        """Simulate `run.burn_in_days` unrecorded days, then start the run's counters afresh."""
        for _ in range(self.burn_in):
            self._simulate_day()
            self.day += 1
        self.consumers.run_orders[:] = 0
        self._bought_in_run = 0
        self.merchants.sales_total[:] = 0
        self.merchants.impressions[:] = 0

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Advance one recorded day (day 0 is the first day after the burn-in)."""
        self._simulate_day()
        self.collector.record(self._daily_outcomes())
        self.day += 1
        if self.collector.days >= self.scenario.run.days:
            self.running = False

    def _simulate_day(self) -> None:
        for policy in self.policies.values():
            policy.start_day(self)
        self._reset_flows()
        self._set_prices()
        self._rank_stores()
        self._festival_reactivation()
        self._insider_sales()
        self._private_touches()
        self._wechat_messages()
        self._serve_deferred_needs()
        self._serve_due_needs()
        self._end_day()
        for policy in self.policies.values():
            policy.end_day(self)
        if (self.day + 1) % 30 == 0:
            self._merchants_adapt()

    def run(self, days: int | None = None, progress=None) -> "PrivateTrafficModel":
        """Run for `days` (default: the rest of the scenario's horizon); `progress(day)` is called daily."""
        for _ in range(days if days is not None else self.scenario.run.days - self.collector.days):
            self.step()
            if progress is not None:
                progress(self.collector.days)
        return self

    # --------------------------------------------------------------- merchants
    def _set_prices(self) -> None:
        m, ms = self.merchants, self.scenario.merchants
        deal = self.rng.random(m.n) < ms.deal_rate if self.modulated else np.zeros(m.n, bool)
        m.discount = np.maximum(np.where(deal, ms.deal_depth, 0.0), self.calendar.festival_discount[self.day])
        cost = m.lever_cost
        daily_gmv = m.trailing_gmv / self.scenario.ranking.memory_days
        spend = np.stack([m.lead, m.interlock, m.engage, m.keep], axis=1) * \
            np.asarray(ms.effort_cost) * daily_gmv[:, None]
        cost += spend
        self.flows["merchant_effort_cost"] += float(spend.sum())

    def _merchants_adapt(self) -> None:
        """Monthly: shift LINK+ effort toward what paid off; decide on diversion to WeChat."""
        m, s = self.merchants, self.scenario
        if not self.modulated:
            return
        if s.merchants.adaptation_rate > 0:
            effort = np.stack([m.lead, m.interlock, m.engage, m.keep], axis=1)
            new = adaptation.shift_effort(effort, m.lever_gmv, m.lever_cost, s.merchants.adaptation_rate)
            m.lead, m.interlock, m.engage, m.keep = (new[:, k].copy() for k in range(4))
            interval = insider_sales.sale_interval(s.insider.frequency, m.keep)
            newly = np.isfinite(interval) & (m.next_sale_day < 0)
            m.next_sale_day[newly] = self.day + 1 + np.floor(self.rng.random(int(newly.sum())) * interval[newly])
            m.next_sale_day[~np.isfinite(interval)] = -1
            m.insider_interval = interval
        anti = self.policies["anti_diversion"]
        penalised = anti.penalty_until > self.day
        m.diverting = wechat.diversion_decision(
            self.rng, m.diverting, m.diversion_propensity, s.wechat.diversion_gain, m.month_wechat_gmv,
            m.month_public_gmv, anti.monthly_detection, anti.params.penalty, anti.params.penalty_days / 30,
            m.wechat_direct) & ~penalised
        m.lever_gmv[:] = 0
        m.lever_cost[:] = 0
        m.month_wechat_gmv[:] = 0
        m.month_public_gmv[:] = 0

    # ---------------------------------------------------------------- platform
    def _initial_trailing_gmv(self) -> None:
        """Stores start with trailing GMV proportional to size, at the level demand implies."""
        c, m, s = self.consumers, self.merchants, self.scenario
        daily = (c.lam * c.alive) @ c.category_pref * self.base_price      # expected GMV per category per day
        size_by_cat = np.bincount(m.category, weights=m.size, minlength=len(CATEGORIES))
        share = m.size / size_by_cat[m.category]
        m.trailing_gmv = share * daily[m.category] * min(s.ranking.memory_days, 1e6)
        self.prior_weight = s.ranking.prior_weight * max(m.trailing_gmv.mean(), 1e-9)

    def _rank_stores(self) -> None:
        m, rk = self.merchants, self.scenario.ranking
        gmv = m.trailing_gmv
        multiplier = 1.0 + rk.lead_effect * m.lead
        for policy in self.policies.values():
            gmv = policy.ranking_gmv(self, gmv)
            multiplier = multiplier * policy.weight_multiplier(self)
        m.weight = ranking.ranking_weight(gmv, self.prior_weight, rk.exponent, multiplier)
        self.traffic.update(m.weight)

    # --------------------------------------------------------------- consumers
    def _festival_reactivation(self) -> None:
        cal = self.calendar
        if not (self.modulated and cal.in_festival[self.day] and cal.demand[self.day] == cal.demand.max()):
            return
        dormant = np.flatnonzero(~self.consumers.alive)
        self._wake(dormant[self.rng.random(dormant.size) < self.scenario.purchase.reactivation_per_touch])

    def _wake(self, who: np.ndarray) -> None:
        c = self.consumers
        c.alive[who] = True
        c.next_need[who] = purchase_timing.next_need_clock(
            self.rng, np.full(who.size, self.clock[self.day + 1]), self._need_rate(who))

    def _need_rate(self, who: np.ndarray) -> np.ndarray:
        lam = self.consumers.lam[who]
        if not self.modulated:
            return lam
        for policy in self.policies.values():
            lam = lam * policy.rate_factor(self, who)
        return lam

    def _insider_sales(self) -> None:
        """Sales starting today: invite eligible tied consumers; relationship users left out may notice."""
        m, c, ins = self.merchants, self.consumers, self.scenario.insider
        starting = m.next_sale_day == self.day
        if not (self.modulated and starting.any()):
            return
        m.sale_end_day[starting] = self.day + ins.window_days - 1
        jitter = self.rng.uniform(0.75, 1.25, int(starting.sum()))
        m.next_sale_day[starting] += np.maximum(1, np.round(m.insider_interval[starting] * jitter)).astype(np.int64)
        R = c.rel_merchant.shape[1]
        flat = c.rel_merchant.ravel()
        slots = np.flatnonzero(np.append(starting, False)[flat])        # empty slots (-1) hit the False
        who, k = np.divmod(slots, R)
        stores, level = flat[slots], c.rel_level[who, k]
        invited = insider_sales.eligible(insider_sales.value_score(c.spend_percentile[who], level), level,
                                         self.policies["exclusivity"].insider_threshold)
        c.rel_invited_until[who[invited], k[invited]] = self.day + ins.window_days - 1
        n_tied = np.bincount(stores, minlength=m.n)
        n_invited = np.bincount(stores[invited], minlength=m.n)
        m.insider_stock[starting] = ins.quantity_cap * n_invited[starting]
        m.invited_share[starting] = n_invited[starting] / np.maximum(n_tied[starting], 1)
        left = (~invited) & (level >= FAN) & (self.rng.random(who.size) < ins.notice_prob)
        c.rel_slighted_until[who[left], k[left]] = self.day + ins.slight_days
        c.left_out_day[who[left]] = self.day
        self._act_on_touches(who[invited], k[invited], INVITATION)

    def _private_touches(self) -> None:
        """ENGAGE: pushes and member messages by level, group messages by the store's messaging rate."""
        if not self.modulated:
            return
        c, m, rs = self.consumers, self.merchants, self.scenario.relationships
        level, merchant = c.rel_level.ravel(), c.rel_merchant.ravel()
        by_level = np.asarray(rs.touch_rate + [0.0, 0.0])       # visitor, fan, member, (group), NONE -> 0

        def rate_of(k):
            lv, mk = level[k], np.maximum(merchant[k], 0)
            return np.where(lv == GROUP, m.message_rate[mk], by_level[lv] * m.engage[mk])

        max_rate = max(max(rs.touch_rate) * float(m.engage.max(initial=0)), float(m.message_rate.max(initial=0)))
        slots = relationships.draw_touches(self.rng, level.size, max_rate, rate_of)
        who, k = np.divmod(slots, c.rel_merchant.shape[1])
        self._act_on_touches(who, k, TOUCH)

    def _wechat_messages(self) -> None:
        """WeChat community messages; the purchase they prompt goes the way the regime allows."""
        if not self.modulated:
            return
        c, m, wc = self.consumers, self.merchants, self.scenario.wechat
        flag, merchant = c.rel_wechat.ravel(), c.rel_merchant.ravel()
        if not flag.any():
            return

        def rate_of(k):
            return flag[k] * wc.touch_rate * m.wechat_effort[np.maximum(merchant[k], 0)]

        slots = relationships.draw_touches(self.rng, flag.size, wc.touch_rate * float(m.wechat_effort.max()),
                                           rate_of)
        who, k = np.divmod(slots, c.rel_merchant.shape[1])
        self._act_on_touches(who, k, WECHAT_TOUCH)

    def _act_on_touches(self, who: np.ndarray, k: np.ndarray, prompt: int) -> None:
        """A touch is a return visit; a near need with interest in the category is bought now."""
        if who.size == 0:
            return
        c, m, s = self.consumers, self.merchants, self.scenario
        rs = s.relationships
        who, first = np.unique(who, return_index=True)      # one touch acted on per consumer and batch
        k = k[first]
        stores, level = c.rel_merchant[who, k], c.rel_level[who, k]
        if prompt == TOUCH:                                  # over-messaged group members leave
            g = s.groups
            in_group = level == GROUP
            leaving = in_group & (self.rng.random(who.size) <
                                  groups.leave_probability(m.message_rate[stores], g.tolerable_rate,
                                                           g.leave_per_excess))
            c.rel_level[who[leaving], k[leaving]] = groups.leave(level[leaving])
            keep = ~leaving
            who, k, stores, level = who[keep], k[keep], stores[keep], level[keep]

        # a touch is a return visit when the consumer clicks through: more likely the more the store's
        # category matters to her, never while she feels left out
        cats = m.category[stores]
        interest = c.category_pref[who, cats] * len(CATEGORIES)
        slighted = c.rel_slighted_until[who, k] >= self.day
        clicked = ~slighted & (self.rng.random(who.size) < np.minimum(rs.touch_conversion * interest, 1.0))
        c.rel_last[who[clicked], k[clicked]] = self.day
        dormant = ~c.alive[who]
        self._wake(who[dormant & clicked & (self.rng.random(who.size) < s.purchase.reactivation_per_touch)])
        pulled = (clicked & ~dormant & (c.next_need[who] < self.clock[self.day + 1] + rs.touch_pull_days)
                  & (c.deferred_day[who] < 0))
        who, k, stores, level, cats = who[pulled], k[pulled], stores[pulled], level[pulled], cats[pulled]

        if prompt == WECHAT_TOUCH:
            route = wechat.purchase_route(m.diverting[stores], m.wechat_direct[stores])
            friction = s.wechat.app_switch_friction
            direct_friction = 0.0 if self.policies["wechat_direct"].friction_removed else friction
            lost = self.rng.random(who.size) < np.select([route == wechat.APP_SWITCH, route == wechat.DIRECT],
                                                         [friction, direct_friction], 0.0)
            who, k, stores, level, cats, route = (a[~lost] for a in (who, k, stores, level, cats, route))
            channel = np.select([route == wechat.OFFPLATFORM, route == wechat.DIRECT],
                                [OFFPLATFORM, DIRECT], np.where(level >= FAN, PRIVATE, PUBLIC))
        else:
            channel = np.where(level >= FAN, PRIVATE, PUBLIC)
        if who.size == 0:
            return
        self.flows["needs"] += who.size
        c.next_need[who] = purchase_timing.next_need_clock(
            self.rng, np.full(who.size, self.clock[self.day + 1]), self._need_rate(who))
        invited = c.rel_invited_until[who, k] >= self.day
        price, depth, insider = self._price(who, stores, level, invited)
        self._purchase(who, stores, level, price, depth, insider, cats, channel, prompt, k)

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

    def offers(self, buyers: np.ndarray, cats: np.ndarray, rng: np.random.Generator, price_factor=None):
        """The offers shown to buyers with needs in `cats`: their tied stores in the category and public
        stores drawn by weight; with prices, deal depth, insider flags and deterministic utilities.

        Reads the model's state without changing it (the price probe calls it with its own generator
        and a per-store price factor).
        """
        c, m, s = self.consumers, self.merchants, self.scenario
        tied = c.rel_merchant[buyers]
        tied_ok = (tied >= 0) & (m.category[np.maximum(tied, 0)] == cats[:, None])
        public = self.traffic.draw(rng, cats, s.ranking.public_slots)
        public_ok = (public >= 0) & ~(public[:, :, None] == tied[:, None, :]).any(axis=2)
        stores = np.concatenate([tied, public], axis=1)
        available = np.concatenate([tied_ok, public_ok], axis=1)
        no_tie = np.full(public.shape, NONE, dtype=np.int8)
        level = np.concatenate([np.where(tied_ok, c.rel_level[buyers], NONE), no_tie], axis=1)
        invited = np.concatenate([tied_ok & (c.rel_invited_until[buyers] >= self.day),
                                  np.zeros(public.shape, bool)], axis=1)
        slighted = np.concatenate([tied_ok & (c.rel_slighted_until[buyers] >= self.day),
                                   np.zeros(public.shape, bool)], axis=1)
        safe = np.maximum(stores, 0)
        price, depth, insider = self._price(buyers, safe, level, invited)
        if price_factor is not None:
            price = price * price_factor[safe]
        ins = s.insider
        bonus = (np.concatenate([[0.0], s.choice.relationship_utility])[level + 1]
                 + insider * insider_sales.exclusivity_value(ins.exclusivity_utility, ins.scarcity_utility,
                                                             m.invited_share[safe])
                 - slighted * ins.left_out_penalty)
        util = choice.offer_utility(m.quality[safe], price, c.reference_price[buyers, cats], depth > 0, bonus,
                                    c.price_weight[buyers], c.deal_proneness[buyers], s.choice)
        return dict(tied=tied, tied_ok=tied_ok, public=public, public_ok=public_ok, stores=stores,
                    available=available, level=level, price=price, depth=depth, insider=insider, util=util)

    def _serve(self, buyers: np.ndarray, cats: np.ndarray, allow_defer: bool) -> None:
        """Exposure, choice and purchase (or waiting for a sale) for buyers with a need in `cats`."""
        c, m, s = self.consumers, self.merchants, self.scenario
        o = self.offers(buyers, cats, self.rng)
        tied, tied_ok, public, stores, level = o["tied"], o["tied_ok"], o["public"], o["stores"], o["level"]
        price, depth, insider, util, available = o["price"], o["depth"], o["insider"], o["util"], o["available"]
        m.impressions += np.bincount(public[o["public_ok"]], minlength=m.n)
        pick = choice.choose(self.rng, util, available)

        served = pick >= 0
        self.flows["needs_unserved"] += int((~served).sum())
        rows = np.flatnonzero(served)
        buyers, cats, pick = buyers[rows], cats[rows], pick[rows]
        chosen, lvl = stores[rows, pick], level[rows, pick]
        p, d, ins_offer = price[rows, pick], depth[rows, pick], insider[rows, pick]
        ins = s.insider
        shown = tied_ok[rows]
        r_idx, k_idx = np.nonzero(shown)
        c.rel_last[buyers[r_idx], k_idx] = self.day          # tied stores shown count as return visits

        if allow_defer:
            remembered = shown & (c.rel_invited_until[buyers] >= self.day - ins.anticipation_days)
            p_sale = np.where(remembered, insider_sales.expects_sale(
                m.insider_interval[np.maximum(tied[rows], 0)], s.price_sensitivity.defer_horizon_days), 0.0)
            festival = bool(self.calendar.sale_ahead[self.day])
            p_ahead = np.maximum(p_sale.max(axis=1, initial=0.0), float(festival))
            wait = price_sensitivity.wait_for_deal(self.rng, c.deal_proneness[buyers], d > 0, p_ahead > 0,
                                                   s.price_sensitivity.defer_propensity)
            wait &= self.rng.random(buyers.size) < p_ahead
            if wait.any():
                w = np.flatnonzero(wait)
                store_sale = m.next_sale_day[np.maximum(tied[rows[w], p_sale[w].argmax(axis=1)], 0)]
                day = np.where(festival, self.day + self.calendar.days_to_sale[self.day],
                               np.clip(store_sale, self.day + 1,
                                       self.day + max(1, s.price_sensitivity.defer_horizon_days)))
                c.deferred_day[buyers[w]] = day
                c.deferred_category[buyers[w]] = cats[w]
                self.flows["needs_deferred"] += w.size
                keep = ~wait
                buyers, cats, chosen, lvl, p, d, ins_offer, pick = (
                    a[keep] for a in (buyers, cats, chosen, lvl, p, d, ins_offer, pick))
                rows = rows[keep]
        if s.policies.exclusivity.group_entry == "none" and self.modulated:
            self._exposure_group_joins(buyers, public[rows, 0], chosen)
        channel = np.where(lvl >= FAN, PRIVATE, PUBLIC)
        R = tied.shape[1]                                    # picks below R are tied stores
        slot = np.where(pick < R, pick, -1)
        community = (slot >= 0) & c.rel_wechat[buyers, np.maximum(slot, 0)]
        channel = np.where(community & m.diverting[chosen], OFFPLATFORM, channel)
        self._purchase(buyers, chosen, lvl, p, d, ins_offer, cats, channel, NEED, slot)

    def _exposure_group_joins(self, buyers, shown_store, chosen) -> None:
        """Entry open to all: consumers merely shown a store may join its group."""
        m, g = self.merchants, self.scenario.groups
        ok = (shown_store >= 0) & (shown_store != chosen)
        p = g.exposure_join_prob * (1 + g.perks_effect * m.group_perks[np.maximum(shown_store, 0)])
        join = ok & (self.rng.random(buyers.size) < p)
        if join.any():
            c = self.consumers
            slot, _ = relationships.find_or_assign_slot(c.rel_merchant, c.rel_level, c.rel_last, buyers[join],
                                                        shown_store[join], self.day)
            self._reset_new_slots(buyers[join], slot, c.rel_level[buyers[join], slot] == relationships.VISITOR)
            c.rel_level[buyers[join], slot] = GROUP

    def _price(self, buyers, stores, level, invited):
        """Price index each buyer pays at each store, the deal depth, and whether it is an insider price.

        `stores`, `level` and `invited` are per buyer (1-d) or per buyer and offer (2-d).
        """
        m, rs, ins = self.merchants, self.scenario.relationships, self.scenario.insider
        depth = m.discount[stores]
        insider = invited & (m.sale_end_day[stores] >= self.day) & (m.insider_stock[stores] > 0)
        depth = np.where(insider, np.maximum(depth, ins.depth), depth)
        price = m.price_level[stores] * (1.0 - depth)
        price = price * np.where(level >= MEMBER, 1.0 - rs.member_discount * m.keep[stores], 1.0)
        buyer_factor = 1.0
        for policy in self.policies.values():
            buyer_factor = buyer_factor * policy.price_factor(self, buyers)
        if np.ndim(buyer_factor) and stores.ndim == 2:
            buyer_factor = buyer_factor[:, None]
        return price * buyer_factor, depth, insider

    def _reset_new_slots(self, who, slot, new) -> None:
        c = self.consumers
        w, k = who[new], slot[new]
        c.rel_orders[w, k] = 0
        c.rel_wechat[w, k] = False
        c.rel_invited_until[w, k] = -10**6
        c.rel_slighted_until[w, k] = -10**6

    def _purchase(self, buyers, stores, level, price, depth, insider, cats, channel, prompt, slot) -> None:
        """Record orders and update everything a purchase changes; `slot` is the buyer's tie to the
        store, or -1 where there is none yet."""
        if buyers.size == 0:
            return
        c, m, s = self.consumers, self.merchants, self.scenario
        rs = s.relationships
        basket = self.rng.lognormal(-0.5 * rs.basket_sigma ** 2, rs.basket_sigma, buyers.size)
        basket *= relationships.basket_multiplier(level, rs.fan_basket, rs.member_basket)
        via_wechat = prompt == WECHAT_TOUCH
        if via_wechat:
            basket *= s.wechat.basket
        value = self.base_price[cats] * price * basket

        on = channel != OFFPLATFORM
        v_on = np.where(on, value, 0.0)
        new = slot < 0
        if new.any():
            slot = slot.copy()
            slot[new], _ = relationships.find_or_assign_slot(c.rel_merchant, c.rel_level, c.rel_last, buyers[new],
                                                             stores[new], self.day)
            self._reset_new_slots(buyers, slot, new)
        c.rel_last[buyers, slot] = self.day
        orders_before = c.rel_orders[buyers, slot].copy()
        community = c.rel_wechat[buyers, slot]
        self._record_flows(stores, level, value, v_on, depth, insider, channel, prompt, orders_before, community)

        # store ties: INTERLOCK converts, WeChat direct brings members in, WeChat communities and groups grow
        if self.modulated:
            lv = relationships.convert(self.rng, c.rel_level[buyers, slot], m.interlock[stores], rs.follow_prob,
                                       rs.join_prob)
            lv = np.where(channel == DIRECT, np.maximum(lv, MEMBER), lv).astype(np.int8)
            g = s.groups
            interest = c.category_pref[buyers, cats] * 1.0
            qualifies = groups.qualifies(s.policies.exclusivity.group_entry, level, orders_before, interest,
                                         g.interest_threshold)
            p_join = groups.join_probability(g.join_prob, m.group_perks[stores], g.perks_effect,
                                             m.complex_flow[stores], g.complex_flow_penalty)
            lv = np.where(qualifies & (lv < GROUP) & (self.rng.random(buyers.size) < p_join), GROUP, lv)
            c.rel_level[buyers, slot] = lv
            joins_wechat = (c.wechat_user[buyers] & (lv >= FAN) & ~c.rel_wechat[buyers, slot]
                            & (self.rng.random(buyers.size) < s.wechat.join_prob * m.wechat_effort[stores]))
            c.rel_wechat[buyers[joins_wechat], slot[joins_wechat]] = True
        c.rel_orders[buyers, slot] = np.minimum(orders_before.astype(np.int32) + 1, 30_000)
        if insider.any():
            m.insider_stock -= np.bincount(stores[insider], minlength=m.n)

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
        c.spend_365[buyers] += v_on.astype(np.float32)
        c.spend_total[buyers] += v_on
        c.last_day[buyers] = self.day
        c.active_weeks[buyers] |= np.uint32(1)
        for policy in self.policies.values():
            policy.on_purchase(self, buyers, stores, value, on)
        if channel.size and (channel == DIRECT).any() and self.policies["wechat_direct"].share_to_unlock:
            self._share_to_unlock(buyers[channel == DIRECT], stores[channel == DIRECT])

        # dropout after a repeat purchase; members of stores with KEEP effort drop out less
        p_drop = c.p_drop[buyers]
        if self.modulated:
            p_drop = p_drop * np.where(level >= MEMBER, 1.0 - rs.keep_dropout_cut * m.keep[stores], 1.0)
        gone = buyers[purchase_timing.dropout(self.rng, p_drop, repeat)]
        c.alive[gone] = False
        c.next_need[gone] = np.inf

    def _record_flows(self, stores, level, value, v_on, depth, insider, channel, prompt, orders_before,
                      community) -> None:
        m, f = self.merchants, self.flows
        gmv_by = np.bincount(channel, weights=value, minlength=4)
        orders_by = np.bincount(channel, minlength=4)
        f["gmv_total"] += float(gmv_by[:3].sum())
        f["orders"] += int(orders_by[:3].sum())
        f["gmv_public"] += gmv_by[PUBLIC]
        f["gmv_private"] += gmv_by[PRIVATE]
        f["gmv_wechat_direct"] += gmv_by[DIRECT]
        f["gmv_offplatform"] += gmv_by[OFFPLATFORM]
        f["orders_public"] += int(orders_by[PUBLIC])
        f["gmv_discounted"] += float(v_on[depth > 0].sum())
        f["gmv_insider"] += float(v_on[insider].sum())
        f["gmv_relationship"] += float(v_on[level >= FAN].sum())
        f["gmv_group"] += float(v_on[level == GROUP].sum())
        member = level >= MEMBER
        f["gmv_member"] += float(v_on[member].sum())
        f["orders_member"] += int((member & (channel != OFFPLATFORM)).sum())
        member_repeat = member & (orders_before >= 1)
        f["gmv_top_member_repeat"] += float(v_on[member_repeat & (m.tier[stores] == 0)].sum())
        if prompt == WECHAT_TOUCH:
            f["gmv_wechat"] += float(value.sum())
            f["orders_wechat"] += value.size
        if community.any():
            m.month_wechat_gmv += np.bincount(stores[community], weights=value[community], minlength=m.n)

        # sales by store and channel in one pass: public, private, WeChat direct, off-platform
        by_channel = np.bincount(stores * 4 + channel, weights=value, minlength=4 * m.n).reshape(m.n, 4)
        m.month_public_gmv += by_channel[:, PUBLIC]
        m.site_sales_today += by_channel[:, PUBLIC] + by_channel[:, PRIVATE]
        m.wechat_sales_today += by_channel[:, DIRECT]
        m.sales_today += by_channel[:, PUBLIC] + by_channel[:, PRIVATE] + by_channel[:, DIRECT]
        # what each LINK+ lever brought: LEAD public, INTERLOCK ties, ENGAGE touches, KEEP insider + repeat
        if prompt != NEED:
            lever = np.where(insider | member_repeat, 3, 2)
        else:
            lever = np.where(insider | member_repeat, 3, np.where(level >= FAN, 1, 0))
        m.lever_gmv += np.bincount(stores * 4 + lever, weights=value, minlength=4 * m.n).reshape(m.n, 4)

    def _share_to_unlock(self, buyers, stores) -> None:
        """WeChat-direct buyers pass share-to-unlock coupons to contacts, who may tie to the store."""
        c, wc = self.consumers, self.scenario.wechat
        sharing = self.rng.random(buyers.size) < wc.share_prob
        if not sharing.any():
            return
        contacts = c.wechat_ties[buyers[sharing]]
        store = np.repeat(stores[sharing], contacts.shape[1])
        contacts = contacts.ravel()
        adopt = (contacts >= 0) & (self.rng.random(contacts.size) < wc.share_adopt_prob)
        if not adopt.any():
            return
        who, store = contacts[adopt], store[adopt]
        who, first = np.unique(who, return_index=True)
        store = store[first]
        slot, new = relationships.find_or_assign_slot(c.rel_merchant, c.rel_level, c.rel_last, who, store, self.day)
        self._reset_new_slots(who, slot, new)
        c.rel_wechat[who, slot] = True

    # -------------------------------------------------------------- end of day
    def _end_day(self) -> None:
        c, m, s = self.consumers, self.merchants, self.scenario
        m.sales_total += m.sales_today
        ranking.decay_trailing(m.trailing_gmv, m.site_sales_today, s.ranking.memory_days)
        ranking.decay_trailing(m.trailing_wechat, m.wechat_sales_today, s.ranking.memory_days)
        if self.modulated:
            price_sensitivity.decay_toward_baseline(c.deal_proneness, c.deal_proneness_baseline,
                                                    s.price_sensitivity.decay_days)
        c.spend_365 *= np.float32(np.exp(-1.0 / 365.0))
        if (self.day + 1) % 7 == 0:
            c.active_weeks <<= np.uint32(1)
            c.active_weeks &= _WEEKS_MASK
            c.update_spend_percentile(self.rng)
            if self.modulated:
                relationships.lapse(c.rel_merchant, c.rel_level, c.rel_last, self.day, s.relationships.lapse_days)
                gone = c.rel_merchant < 0
                c.rel_wechat[gone] = False
                c.rel_orders[gone] = 0

    def _reset_flows(self) -> None:
        self.flows = dict.fromkeys(_FLOWS, 0.0)
        m = self.merchants
        m.sales_today = np.zeros(m.n)
        m.site_sales_today = np.zeros(m.n)
        m.wechat_sales_today = np.zeros(m.n)

    def _daily_outcomes(self) -> dict[str, float]:
        c, m, f, k = self.consumers, self.merchants, self.flows, self.scale
        from .outcomes import ratio
        by_tier = np.bincount(m.tier, weights=m.sales_today, minlength=3) * k
        hhi, gini, top = concentration(m.trailing_gmv + m.trailing_wechat)
        levels = c.rel_level
        prev = (c.active_weeks & _PREV13) != 0
        both = prev & ((c.active_weeks & _LAST13) != 0)
        bought = self._bought_in_run
        count = np.count_nonzero
        tied = levels > NONE
        fans = levels >= FAN
        recent = c.rel_last >= self.day - 30
        relationship_users = fans.any(axis=1)
        left_out = relationship_users & (c.left_out_day >= self.day - self.scenario.insider.slight_days)
        out = {name: f[name] * k for name in _FLOWS if name != "needs_unserved"}
        out.update({
            "gmv_top": by_tier[0], "gmv_growth": by_tier[1], "gmv_sme": by_tier[2],
            "aov": ratio(f["gmv_total"], f["orders"]),
            "share_gmv_private": ratio(f["gmv_private"], f["gmv_total"]),
            "share_gmv_relationship": ratio(f["gmv_relationship"], f["gmv_total"]),
            "share_gmv_wechat_direct": ratio(f["gmv_wechat_direct"], f["gmv_total"]),
            "leakage_ratio": ratio(f["gmv_offplatform"], f["gmv_total"]),
            "share_gmv_discounted": ratio(f["gmv_discounted"], f["gmv_total"]),
            "share_needs_deferred": ratio(f["needs_deferred"], f["needs"]),
            "hhi_merchant_gmv": hhi, "gini_merchant_gmv": gini, "top1pct_share_gmv": top,
            "mean_deal_proneness": float(c.deal_proneness.mean()),
            "mean_reference_price": float(c.reference_price.mean()),
            "active_share": count(c.last_day > self.day - 90) / c.n,
            "dormant_share": float(1.0 - c.alive.mean()),
            "repurchase_rate_90d": ratio(count(both), count(prev)),
            "repeat_buyer_share": float((c.run_orders >= 2).sum() / bought) if bought else 0.0,
            "share_left_out": ratio(count(left_out), count(relationship_users)),
            "n_fans": count(fans) * k, "n_members": count(levels >= MEMBER) * k,
            "n_group_members": count(levels == GROUP) * k,
            "n_wechat_community": count(c.rel_wechat) * k,
            "n_vip": count(c.vip_until > self.day) * k,
            "fan_return_visit_ratio": ratio(count(recent & fans), count(fans), count(recent & tied), count(tied)),
            "member_aov_ratio": ratio(f["gmv_member"], f["orders_member"], f["gmv_total"], f["orders"]),
            "wechat_aov_ratio": ratio(f["gmv_wechat"], f["orders_wechat"], f["gmv_public"], f["orders_public"]),
            "member_repurchase_share_top": ratio(f["gmv_top_member_repeat"], by_tier[0] / k),
        })
        return out

    # ---------------------------------------------------------------- results
    def timeseries(self):
        """Daily outcomes as a pandas DataFrame indexed by day."""
        return self.collector.frame()

    def summary(self) -> dict[str, float]:
        """One number per outcome for the run so far."""
        return self.collector.summary()
