"""PrivateTrafficModel: consumers, merchants and the platform, one day per step.

This file holds the construction of the model and the day (`_simulate_day`, top to bottom), which hands
every source of purchases to the purchase pipeline (`shopping.py`). Each mechanism lives in the submodel
file named after it (`model/submodels/`), each lever in its policy file (`model/policies/`). Consumer
state lives in numpy arrays (`model.consumers`), merchant state in `model.merchants`; the Mesa agents
in `model.agents_by_type` are views onto those arrays.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import mesa
import numpy as np

from . import outcomes, shopping, stationarity, treatment, unit_outcomes, warm_state
from .agents import Consumer, Merchant, Platform
from .calendar import Calendar
from .instruments import build_instruments
from .orders import Prompt
from .policies import build_policies
from .population import ConsumerState, MerchantState
from .scenario import CATEGORIES, Scenario, load_scenario
from .submodels import (
    adaptation,
    browsing,
    insider_sales,
    lifecycle,
    price_sensitivity,
    pricing,
    purchase_timing,
    ranking,
    relationships,
    wechat,
)


class PrivateTrafficModel(mesa.Model):
    """Tmall's private-traffic ecosystem as an agent-based model.

    Args:
        scenario: a validated `Scenario`, a path to a scenario file, or None for the defaults.
        rng: seed or numpy Generator (Mesa convention); None draws fresh entropy, recorded in `seed`.
        overrides: dotted-field overrides of the scenario (as `--set`), e.g. {"population.consumers": 2000}.
        create_agents: give the model Mesa agent views of its consumers and merchants (created when
            `agents` or `agents_by_type` is first read); False leaves only the platform agent.
        cache: reuse the warm state after the burn-in from the cache folder (`warm_state.cache_dir()`), or
            from the folder given; False simulates the burn-in every time. Results are identical either way.
        spin_up: before the burn-in, settle the ranking loop on a subsample of consumers (ranking.spin_up).

    The burn-in simulates the status quo: the scenario with its levers (`scenario.LEVER_FIELDS`) at their
    defaults. The scenario's own levers take over on record day 0, and its timeline (`timeline:`) changes
    them on the record days it lists.
    """

    def __init__(self, scenario: Scenario | str | None = None, rng=None, overrides: dict | None = None,
                 create_agents: bool = True, cache: bool | str | Path = True, spin_up: bool = True):
        if scenario is None or not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario, overrides)
        elif overrides:
            scenario = scenario.with_overrides(overrides)
        super().__init__(rng=rng)
        self._mesa_step, self.step = self.step, self._step_within_horizon
        seed_seq = self.rng.bit_generator.seed_seq
        self.seed = rng if isinstance(rng, (int, np.integer)) else seed_seq.entropy
        self._stream_root = warm_state.stream_root(self.rng)
        self._streams: dict[str, np.random.Generator] = {}
        self._lever_config = scenario
        self.timeline = scenario.timeline_configs()   # record day -> the scenario from that day on
        self.status_quo = s = scenario.status_quo()
        self.config = s                        # the status quo until record day 0, then the scenario
        self.spin_up = spin_up and s.run.burn_in_days >= ranking.SPIN_UP_MIN_BURN_IN
        self.day = 0
        self.burn_in = s.run.burn_in_days
        self.modulated = s.purchase.modulations
        self.scale = s.population.agent_scale
        self.n_categories = len(CATEGORIES)
        seasonality = s.seasonality if self.modulated else s.seasonality.model_copy(update={"enabled": False})
        self.calendar = Calendar(self.burn_in + s.run.days, (s.run.start_day_of_year - self.burn_in) % 365,
                                 seasonality, s.price_sensitivity.defer_horizon_days)
        self.clock = purchase_timing.seasonal_clock(self.calendar.demand)
        self.base_price = np.array([getattr(s.categories, c).base_price for c in CATEGORIES])

        self.merchants = MerchantState(s, self.stream("population"))
        self.consumers = ConsumerState(s, self.stream("population"))
        self.policies = build_policies(s)
        self.touching = ()
        self._each_policy("setup")
        ranking.initial_trailing_gmv(self)
        self.traffic = ranking.TrafficTable(self.merchants.category, self.n_categories)
        self.offsite_traffic = ranking.TrafficTable(self.merchants.category, self.n_categories)   # browsing.py
        ranking.rank_stores(self)
        self.consumers.seed_relationships(self.stream("population"), self.merchants, self.traffic)

        self._views_pending = create_agents
        self.platform = Platform(self, self.policies)

        self.collector = outcomes.Collector(s.run.days, ties=self.consumers.rel_merchant.shape)
        self.datacollector = outcomes.mesa_datacollector()
        self.flows: dict[str, float] = {}
        self.treated: treatment.Units | None = None       # the units the instruments reach (None: all)
        self.units: unit_outcomes.UnitTracker | None = None     # treated and comparable units' outcomes
        folder = None if cache is False or rng is None else (warm_state.cache_dir() if cache is True else Path(cache))
        self.burn_in_trends: dict[str, dict[str, float]] = {}       # stocks' trends at the end of the burn-in
        self.warm_from_cache = warm_state.warm_up(self, self._burn_in, folder)
        stationarity.warn_if_moving(self.burn_in_trends, self.burn_in)
        self._start_levers()

    def stream(self, mechanism: str) -> np.random.Generator:
        """The random stream of one mechanism, spawned from the run's seed by the mechanism's name, so a
        lever that adds draws in one mechanism leaves the draws of the others unchanged."""
        if mechanism not in self._streams:
            entropy, key = self._stream_root
            seq = np.random.SeedSequence(entropy, spawn_key=key + (zlib.crc32(mechanism.encode()),))
            self._streams[mechanism] = np.random.default_rng(seq)
        return self._streams[mechanism]

    def day_stream(self, mechanism: str) -> np.random.Generator:
        """A fresh stream for one mechanism on one day (from the run's seed, the name and the day): two runs
        that differ in a few consumers differ in that day's draws only, not in every later one, which keeps
        common random numbers close for a mechanism that draws over the whole population each day."""
        entropy, key = self._stream_root
        return np.random.default_rng(np.random.SeedSequence(
            entropy, spawn_key=key + (zlib.crc32(mechanism.encode()), self.day)))

    def _create_views(self) -> None:
        if self._views_pending:
            self._views_pending = False
            for agent_class, n in ((Consumer, self.consumers.n), (Merchant, self.merchants.n)):
                for index in range(n):
                    agent_class(self, index)

    @property
    def agents(self):
        """Mesa's set of all agents. The consumer and merchant views are created on first use: a million
        take seconds and hundreds of MB, and the simulation itself never reads them."""
        self._create_views()
        return super().agents

    @property
    def agents_by_type(self):
        """Mesa's agent sets by type (views created on first use, as for `agents`)."""
        self._create_views()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._create_views()
        return super().agent_types

    @property
    def record_day(self) -> int:
        """Day of the record: negative during the burn-in, 0 on the first recorded day."""
        return self.day - self.burn_in

    def _burn_in(self) -> None:
        """Settle reference prices, simulate `run.burn_in_days` unrecorded days, then start the run's
        counters afresh (all of it skipped when the warm state comes from the cache)."""
        if self.modulated:
            if self.spin_up:
                ranking.spin_up(self, PrivateTrafficModel)
            price_sensitivity.settle_reference_prices(self, self.stream("population"))
            self.consumers.entry_reference_price[:] = self.consumers.reference_price.mean(axis=0)
        check = stationarity.BurnInCheck(self.burn_in if self.modulated else 0)
        for _ in range(self.burn_in):
            self._simulate_day()
            check.observe(self)
            self.day += 1
        self.burn_in_trends = check.trends()
        self.consumers.run_orders[:] = 0
        self.merchants.impressions[:] = 0
        m = self.merchants
        for counts in (m.visits, m.offsite_visits, m.coupons_issued, m.coupons_redeemed, m.credit_topups,
                       m.credit_repeat_topups, m.credit_repurchases):
            counts[:] = 0

    def _start_levers(self) -> None:
        """Record day 0: the scenario's levers replace the status quo's (with its timeline's day-0 values);
        the treated units are chosen, and the units to report begin their record."""
        config = self.timeline.get(0, self._lever_config)
        if config.treatment.enabled:
            self.treated = treatment.select(self, config.treatment)
        self._set_levers(config)
        tracked = dict(config.tracked_units)
        if config.treatment.enabled and config.treatment not in tracked.values():
            tracked[config.name] = config.treatment
        self.units = unit_outcomes.UnitTracker(self, tracked) if tracked else None

    def _follow_timeline(self) -> None:
        """On a timeline day after day 0, the levers take that day's values."""
        if self.record_day > 0 and self.record_day in self.timeline:
            self._set_levers(self.timeline[self.record_day])

    def _set_levers(self, config: Scenario) -> None:
        """The config becomes `config`, and the policies and instruments follow it: one in both keeps its
        state with the new settings (told by `retune` when they changed); a new one is set up now; one
        turned off stops."""
        self.config = config
        running = {p.name: p for p in self.policies}
        policies = []
        for policy in build_policies(config) + build_instruments(config):
            kept = running.pop(policy.name, None)
            if kept is None:
                policy.setup(self)
                policies.append(policy)
                continue
            old_params = kept.params
            kept.params, kept.config = policy.params, policy.config
            if old_params != policy.params:
                kept.retune(self, old_params)
            policies.append(kept)
        for policy in running.values():
            policy.stop(self)
        self.policies = self.platform.policies = tuple(policies)
        self.touching = tuple(p for p in self.policies if p.touches_consumers)

    def _each_policy(self, hook: str, *args) -> None:
        for policy in self.policies:
            getattr(policy, hook)(self, *args)

    # ------------------------------------------------------------------ the day
    def _step_within_horizon(self) -> None:
        """Mesa's step, refused past the horizon before Mesa's clock moves: raised inside `step`, the error
        would stop Mesa rescheduling steps, and every later call would silently do nothing."""
        if self.collector.days >= self.config.run.days:
            raise RuntimeError(f"the run is over: the scenario's horizon is run.days = {self.config.run.days}; "
                               "build the model with a longer run.days to simulate further")
        self._mesa_step()

    def step(self) -> None:
        """Advance one recorded day (day 0 is the first day after the burn-in)."""
        self._follow_timeline()
        self._simulate_day()
        self.collector.record(outcomes.daily_outcomes(self))
        self.datacollector.collect(self)
        self.day += 1
        if self.collector.days >= self.config.run.days:
            self.running = False

    def _simulate_day(self) -> None:
        self.flows = dict.fromkeys(outcomes.FLOWS, 0.0)
        self.merchants.start_day()
        self._each_policy("start_day")
        wechat.update_regime(self)
        pricing.set_prices(self)
        ranking.rank_stores(self)
        browsing.browse(self)
        purchase_timing.festival_reactivation(self)
        shopping.respond(self, insider_sales.start_sales(self), Prompt.INVITATION)
        for policy in self.touching:        # instruments' own: a one-off sale's invitations, member days, launches
            shopping.respond(self, policy.touches(self), policy.prompt)
        shopping.respond(self, relationships.private_touches(self), Prompt.TOUCH)
        shopping.respond(self, wechat.community_messages(self), Prompt.WECHAT_TOUCH)
        shopping.serve_deferred(self)
        shopping.serve_due_needs(self)
        self._end_of_day()

    def _end_of_day(self) -> None:
        ranking.end_day(self)
        price_sensitivity.end_day(self)
        lifecycle.end_day(self)
        purchase_timing.renew_seats(self)
        if self.calendar.week_ends(self.day):
            relationships.end_week(self)
        self._each_policy("end_day")
        for policy in self.policies:
            for name, value in policy.flows(self).items():
                self.flows[name] += value
        if self.modulated and self.calendar.month_ends(self.day):
            if adaptation.adapt(self):
                insider_sales.reschedule(self)
            wechat.decide_diversion(self)
        self.collector.end_day(self)

    def run(self, days: int | None = None, progress=None) -> "PrivateTrafficModel":
        """Run for `days` (default: the rest of the scenario's horizon); `progress(day)` is called daily."""
        for _ in range(days if days is not None else self.config.run.days - self.collector.days):
            self.step()
            if progress is not None:
                progress(self.collector.days)
        return self

    # ---------------------------------------------------------------- results
    def timeseries(self):
        """Daily outcomes as a pandas DataFrame indexed by day."""
        return self.collector.frame()

    def summary(self) -> dict[str, float]:
        """One number per outcome for the run so far (and per tracked treatment's units: unit_outcomes.py)."""
        out = self.collector.summary()
        if self.units is not None:
            out.update(self.units.summary(self))
        return out
