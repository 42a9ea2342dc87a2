"""Side-by-side speed benchmark: ptsim against a per-agent Mesa version of the same core consumer day.

Run by hand, on one core (the figures are CPU seconds, `time.process_time`, all in ONE process):

    taskset -c 1 .venv/bin/python benchmarks/bench_mesa_core.py --consumers 20000 --days 60
    taskset -c 1 .venv/bin/python benchmarks/bench_mesa_core.py --consumers 20000 --days 60 --json

Four things are measured, in this order:

1. Yardstick: a trivial Mesa model whose agents each increment a counter, stepped with Mesa's idiomatic
   `model.agents.shuffle_do("step")`; agent-steps per CPU second. It runs before and after the rest
   and the mean of the two rates is the yardstick (shared machines drift; both are reported).
2. Mesa core (`MesaCoreModel` below): ptsim's core consumer day written the way a competent Mesa 3 user
   would write it, one `mesa.Agent` per consumer and per store, plain Python per agent (stdlib
   `self.random`), no numpy across agents. A second run of it draws each day's needs as a Poisson count
   per agent (`self.model.rng.poisson(lam)`, `DailyPoissonShopper`) instead of keeping the clock time
   of the next need: the other way a Mesa user writes BG/NBD arrivals, reported as a sensitivity row.
3. ptsim core: `PrivateTrafficModel` with `purchase.modulations: false` (BG/NBD needs, logit choice over
   tied and ranked public stores, ranking loop; no seasonality, deals, touches, WeChat, conversions or
   lapses), `run.burn_in_days: 0`, `create_agents=False`, `cache=False`.
4. ptsim full: the same with modulations on (the whole model), `spin_up=False`, no burn-in.

For each: build CPU s, run CPU s, consumer-days per CPU second of the run, and that rate divided by the
yardstick's agent-steps per second; then ptsim core / Mesa core and ptsim full / Mesa core (the headline
ratios are against the faster, next-need-clock Mesa core). To show the two do comparable work it prints
needs, orders and GMV per consumer-day of each (they agree within a few per cent for the cores).

The Mesa core, step by step (parameters read from `scenarios/baseline.yaml` via `ptsim.load_scenario`):
- Shopper: need rate lam ~ Gamma(r, 1/alpha), dropout p ~ Beta(a, b), alive at start with
  `initial_alive_share`, category preferences ~ Dirichlet(category_concentration x 6 x shares), price
  weight ~ max(N(mean, sd), 0), reference price index 1 in every category (ptsim's core does not settle
  reference prices either), ties {store: Tie(level, last visit, orders)} in at most `relationships.slots`.
  Each day (`shuffle_do("step")`), while the clock time of its next need falls within today: draw the
  next one (`expovariate(lam)`, the BG/NBD Poisson process), pick the category from its preferences, see
  its tied stores of that category (a visit) plus `public_slots` stores drawn by ranking weight (with
  replacement, `random.choices` on the category's cumulative weights; tied ones not repeated), choose by
  logit (`random.choices` with weights exp(utility); utility = quality_weight x quality - price_weight x
  ln(price index) + reference_weight x gain, losses x loss_aversion, + relationship utility of the tie's
  level; members pay the KEEP member price), buy (value = category base price x price index x basket
  drawn around the consumer's own spend level, Gamma-Gamma), tie to a new store as a visitor (evicting
  the lowest-level, least recently visited tie when full), update the category's reference price, and
  after a repeat purchase drop out with probability p.
- Store: category and tier by quota, size, price level, quality, LEAD and KEEP effort as in ptsim;
  trailing GMV starts at its size share of the category's expected GMV; each day (`do("end_day")`)
  trailing GMV decays with time constant `memory_days` and takes the day's sales, and the ranking
  weight is (prior + trailing)^exponent x (1 + lead_effect x LEAD). The model then rebuilds each
  category's cumulative weights (one list per category) for tomorrow's public draws.
- Model: daily totals (needs, orders, GMV) in a `mesa.DataCollector` (model reporters only).

Simplifications against ptsim's core (none changes the work per need by much): no policies (ptsim's core
still runs 88VIP (price cut, joining), commission and the new-product ranking boost), no order channels
or per-order records, no outcome statistics beyond the daily totals (ptsim computes its daily outcomes
over all consumers and stores), no trailing-spend/lifecycle bookkeeping, initial ties drawn by weight and tier
in a short loop instead of ptsim's calibrated stationary seeding (same INITIAL_TIES numbers), and `lam` floored
at 1e-12 per day (expovariate needs a positive rate).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"

VISITOR, FAN, MEMBER, GROUP = 0, 1, 2, 3          # tie levels, as ptsim.orders.Level


# ----------------------------------------------------------------------------- 1. the yardstick

def bench_yardstick(n: int, steps: int, seed: int) -> dict:
    """The trivial Mesa agent step (`ptsim.bench.yardstick_run`): agents, steps, CPU s, agent-steps/s."""
    from ptsim.bench import yardstick_run
    return yardstick_run(n, steps, seed)


# ----------------------------------------------------------------------------- 2. the Mesa core

@dataclass(slots=True)
class Tie:
    level: int
    last_visit: int
    orders: int = 0


def quota(n: int, shares, rand) -> list[int]:
    """Labels 0..k-1 for n items in proportion to shares (largest remainder, at least one each), shuffled."""
    total = sum(shares)
    exact = [n * s / total for s in shares]
    counts = [max(1, int(x)) if s > 0 and n >= len(shares) else int(x) for x, s in zip(exact, shares)]
    while sum(counts) > n:
        counts[counts.index(max(counts))] -= 1
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - exact[i])
    for i in itertools.islice(itertools.cycle(by_remainder), max(0, n - sum(counts))):
        counts[i] += 1
    labels = [i for i, c in enumerate(counts) for _ in range(c)]
    rand.shuffle(labels)
    return labels


class Store(mesa.Agent):
    """A store: category, tier, price index, quality, efforts; trailing GMV sets its ranking weight."""

    def __init__(self, model, category: int, tier: int):
        super().__init__(model)
        ms = model.params.merchants
        self.category = category
        self.tier = tier
        self.size = ms.tier_size[tier] * self.random.lognormvariate(0.0, ms.size_sigma)
        self.price_level = math.exp(ms.tier_price[tier] + self.random.gauss(0.0, ms.price_sigma))
        self.quality = self.random.gauss(0.0, 1.0) + ms.tier_quality[tier]
        self.lead = ms.lead[tier]
        self.keep = ms.keep[tier]
        self.trailing_gmv = 0.0
        self.sales_today = 0.0
        self.weight = 1.0

    def update_weight(self):
        rk = self.model.params.ranking
        self.weight = (self.model.prior_weight + self.trailing_gmv) ** rk.exponent * (1.0 + rk.lead_effect * self.lead)

    def end_day(self):
        """Today's sales enter trailing GMV, older sales fade; tomorrow's ranking weight."""
        self.trailing_gmv = self.trailing_gmv * self.model.gmv_decay + self.sales_today
        self.sales_today = 0.0
        self.update_weight()


class Shopper(mesa.Agent):
    """A consumer: BG/NBD needs, logit choice over tied and ranked public stores, purchase, dropout."""

    def __init__(self, model):
        super().__init__(model)
        p = model.params
        pur, ch, pop = p.purchase, p.choice, p.population
        rand = self.random
        self.lam = max(rand.gammavariate(pur.r, 1.0 / pur.alpha), 1e-12)
        self.p_drop = rand.betavariate(pur.a, pur.b)
        self.alive = rand.random() < pur.initial_alive_share
        self.next_need = rand.expovariate(self.lam) if self.alive else math.inf
        pref = [rand.gammavariate(c, 1.0) if c > 0 else 0.0 for c in model.category_concentration]
        total = sum(pref) or 1.0
        self.pref = [x / total for x in pref]
        self.category_cdf = list(itertools.accumulate(self.pref))
        self.category_cdf[-1] = 1.0
        self.price_weight = max(rand.gauss(ch.price_sensitivity_mean, ch.price_sensitivity_sd), 0.0)
        self.spend_level = (model.spend_q - 1.0) / rand.gammavariate(model.spend_q, 1.0)
        self.reference_price = [1.0] * len(model.base_price)
        self.new = rand.random() < pop.new_user_share
        self.orders = 0 if self.new else 1          # only "bought before" matters (a repeat purchase)
        self.ties: dict[Store, Tie] = {}

    def step(self):
        if not self.alive:
            return
        end = self.model.day + 1
        while self.next_need < end:
            self.next_need += self.random.expovariate(self.lam)
            self.model.needs_today += 1
            self.shop()
            if not self.alive:
                return

    def shop(self):
        model, rand, ch = self.model, self.random, self.model.params.choice
        day = model.day
        cat = bisect_right(self.category_cdf, rand.random())
        offers: list[tuple[Store, Tie | None]] = []
        for store, tie in self.ties.items():
            if store.category == cat:
                offers.append((store, tie))
                tie.last_visit = day                       # shown with a need: a return visit
        if model.stores_by_category[cat]:
            for store in rand.choices(model.stores_by_category[cat], cum_weights=model.cum_weights[cat],
                                      k=model.public_slots):
                if store not in self.ties:
                    offers.append((store, None))
        if not offers:
            return

        ref = self.reference_price[cat]
        log_ref = math.log(ref)
        prices, weights = [], []
        for store, tie in offers:
            price = store.price_level
            bonus = 0.0
            if tie is not None:
                bonus = model.relationship_utility[tie.level]
                if tie.level >= MEMBER:
                    price *= 1.0 - model.member_discount * store.keep
            log_price = math.log(price)
            gain = log_ref - log_price
            if gain < 0:
                gain *= ch.loss_aversion
            utility = (ch.quality_weight * store.quality - self.price_weight * log_price
                       + ch.reference_weight * gain + bonus)
            prices.append(price)
            weights.append(math.exp(utility))
        pick = rand.choices(range(len(offers)), weights=weights)[0]
        store, tie = offers[pick]
        self.buy(store, tie, cat, prices[pick])

    def buy(self, store: Store, tie: Tie | None, cat: int, price: float):
        model = self.model
        basket = self.spend_level * self.random.gammavariate(model.spend_p, 1.0 / model.spend_p)
        value = model.base_price[cat] * price * basket
        store.sales_today += value
        model.orders_today += 1
        model.gmv_today += value
        self.reference_price[cat] += model.reference_smoothing * (price - self.reference_price[cat])
        repeat = self.orders >= 1
        self.orders += 1
        if tie is None:
            tie = self.tie_to(store)
        tie.orders += 1
        tie.last_visit = model.day
        if repeat and self.random.random() < self.p_drop:
            self.alive = False
            self.next_need = math.inf

    def tie_to(self, store: Store) -> Tie:
        """A new visitor tie; when the slots are full it replaces the lowest-level, least recent one."""
        if len(self.ties) >= self.model.slots:
            worst = min(self.ties, key=lambda s: (self.ties[s].level, self.ties[s].last_visit))
            del self.ties[worst]
        tie = self.ties[store] = Tie(VISITOR, self.model.day)
        return tie


class DailyPoissonShopper(Shopper):
    """The same shopper, with the day's needs drawn as a Poisson count (numpy, one scalar draw per agent
    and day) instead of from the clock time of its next need: the other way a Mesa user writes BG/NBD
    arrivals (the sensitivity row "Mesa core, daily Poisson")."""

    def step(self):
        if not self.alive:
            return
        for _ in range(self.model.rng.poisson(self.lam)):
            self.model.needs_today += 1
            self.shop()
            if not self.alive:
                return


class MesaCoreModel(mesa.Model):
    """ptsim's core consumer day, one Mesa agent per consumer and per store (see the module docstring).

    Args:
        params: a ptsim Scenario (only its parameter values are read).
        consumers, merchants: population sizes (default: the scenario's).
        rng: seed (Mesa convention).
        needs: "clock" (each shopper keeps the clock time of its next need, as ptsim) or "daily" (a Poisson
            count of needs per shopper and day, `DailyPoissonShopper`).
    """

    def __init__(self, params, consumers: int | None = None, merchants: int | None = None, rng=None,
                 needs: str = "clock"):
        super().__init__(rng=rng)
        from ptsim.population import INITIAL_TIES
        from ptsim.scenario import CATEGORIES
        self.params = p = params
        consumers = consumers or p.population.consumers
        merchants = merchants or p.population.merchants
        self.day = 0
        cats = [getattr(p.categories, c) for c in CATEGORIES]
        shares = [c.share / sum(c.share for c in cats) for c in cats]
        self.base_price = [c.base_price for c in cats]
        self.category_concentration = [p.population.category_concentration * len(cats) * s for s in shares]
        self.public_slots = p.ranking.public_slots
        self.gmv_decay = math.exp(-1.0 / p.ranking.memory_days)
        self.relationship_utility = list(p.choice.relationship_utility)
        rs = p.relationships
        self.slots = rs.slots
        self.member_discount = rs.member_discount
        self.spend_p, self.spend_q = p.spend.p, p.spend.q
        self.reference_smoothing = p.price_sensitivity.reference_smoothing
        self.needs_today = self.orders_today = 0
        self.gmv_today = 0.0
        self.needs = self.orders = 0
        self.gmv = 0.0

        # stores, with trailing GMV at the level demand implies and the ranking weights it gives
        for category, tier in zip(quota(merchants, shares, self.random),
                                  quota(merchants, p.merchants.tier_shares, self.random)):
            Store(self, category, tier)
        self.stores = list(self.agents_by_type[Store])
        shopper = {"clock": Shopper, "daily": DailyPoissonShopper}[needs]
        for _ in range(consumers):
            shopper(self)
        self.shoppers = self.agents_by_type[shopper]
        daily = [0.0] * len(cats)                          # expected GMV per category per day
        for s in self.shoppers:
            if s.alive:
                for c, x in enumerate(s.pref):
                    daily[c] += s.lam * x * self.base_price[c]
        size_by_cat = [0.0] * len(cats)
        for st in self.stores:
            size_by_cat[st.category] += st.size
        for st in self.stores:
            st.trailing_gmv = st.size / size_by_cat[st.category] * daily[st.category] * p.ranking.memory_days
        self.prior_weight = p.ranking.prior_weight * max(sum(st.trailing_gmv for st in self.stores)
                                                         / len(self.stores), 1e-9)
        self.stores_by_category: list[list[Store]] = [[] for _ in cats]
        for st in self.stores:
            self.stores_by_category[st.category].append(st)
        self.stores_by_category = [sorted(group, key=lambda st: st.unique_id) for group in self.stores_by_category]
        self.agents_by_type[Store].do("update_weight")
        self.update_ranking()
        self.seed_ties(INITIAL_TIES)

        self.datacollector = mesa.DataCollector(model_reporters={
            "needs": "needs_today", "orders": "orders_today", "gmv": "gmv_today"})

    def seed_ties(self, t: dict) -> None:
        """Ties held at day 0: more for heavier buyers, stores by weight thinned by tier, level by tier."""
        accept = [f / max(t["tier_factor"]) for f in t["tier_factor"]]
        level_mix = [list(row) for row in t["level_mix"]]
        for s in self.shoppers:
            if s.new:
                continue
            n_ties = min(int(self.rng.poisson(t["saturation"] * -math.expm1(-s.lam * t["days_per_tie"]))), self.slots)
            for _ in range(n_ties):
                cat = bisect_right(s.category_cdf, self.random.random())
                if not self.stores_by_category[cat]:
                    continue
                for _ in range(8):
                    store = self.random.choices(self.stores_by_category[cat], cum_weights=self.cum_weights[cat])[0]
                    if self.random.random() < accept[store.tier]:
                        break
                if store in s.ties:
                    continue
                level = min(self.random.choices(range(4), weights=level_mix[store.tier])[0], GROUP)
                last = -math.ceil(self.random.expovariate(1.0 / t["days_since_visit"][level]))
                s.ties[store] = Tie(level, last)

    def update_ranking(self) -> None:
        """Cumulative ranking weights per category, for drawing public stores by weight."""
        self.cum_weights = [list(itertools.accumulate(st.weight for st in group))
                            for group in self.stores_by_category]

    def step(self):
        self.needs_today = self.orders_today = 0
        self.gmv_today = 0.0
        self.shoppers.shuffle_do("step")
        self.agents_by_type[Store].do("end_day")
        self.update_ranking()
        self.datacollector.collect(self)
        self.needs += self.needs_today
        self.orders += self.orders_today
        self.gmv += self.gmv_today
        self.day += 1


def load_params(merchants: int | None = None):
    from ptsim import load_scenario
    return load_scenario(BASELINE, {"purchase.modulations": False, "run.burn_in_days": 0}
                         | ({"population.merchants": merchants} if merchants else {}))


def bench_mesa_core(consumers: int, days: int, merchants: int, seed: int, needs: str = "clock") -> dict:
    params = load_params(merchants)
    t0 = time.process_time()
    model = MesaCoreModel(params, consumers=consumers, merchants=merchants, rng=seed, needs=needs)
    t1 = time.process_time()
    for _ in range(days):
        model.step()
    t2 = time.process_time()
    cd = consumers * days
    return {"build_cpu_s": t1 - t0, "run_cpu_s": t2 - t1, "consumer_days": cd,
            "consumer_days_per_s": cd / (t2 - t1), "needs_per_consumer_day": model.needs / cd,
            "orders_per_consumer_day": model.orders / cd, "gmv_per_consumer_day": model.gmv / cd,
            "alive_share_end": sum(s.alive for s in model.shoppers) / consumers}


# ----------------------------------------------------------------------------- 3. ptsim

def bench_ptsim(consumers: int, days: int, merchants: int, seed: int, modulations: bool) -> dict:
    from ptsim import PrivateTrafficModel, load_scenario
    s = load_scenario(BASELINE, {"population.consumers": consumers, "population.merchants": merchants,
                                 "purchase.modulations": modulations, "run.burn_in_days": 0, "run.days": days})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # stationarity warnings: no burn-in here on purpose
        t0 = time.process_time()
        model = PrivateTrafficModel(s, rng=seed, create_agents=False, cache=False, spin_up=False)
        t1 = time.process_time()
        model.run()
        t2 = time.process_time()
    ts = model.timeseries()
    cd = consumers * days
    return {"build_cpu_s": t1 - t0, "run_cpu_s": t2 - t1, "consumer_days": cd,
            "consumer_days_per_s": cd / (t2 - t1),
            "needs_per_consumer_day": float(ts["needs"].sum()) / model.scale / cd,
            "orders_per_consumer_day": float(model.consumers.run_orders.sum()) / cd,
            "gmv_per_consumer_day": float(ts["gmv_total"].sum()) / model.scale / cd,
            "alive_share_end": float(model.consumers.alive.mean())}


# ----------------------------------------------------------------------------- the benchmark

def _git(*args) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


ROWS = {"mesa_core": "Mesa core", "mesa_core_daily": "Mesa core (daily)", "ptsim_core": "ptsim core",
        "ptsim_full": "ptsim full"}


def run_all(consumers: int, days: int, merchants: int, seed: int, yardstick_steps: int | None = None,
            log=print) -> dict:
    steps = yardstick_steps or days
    out = {"consumers": consumers, "days": days, "merchants": merchants, "seed": seed,
           "commit": _git("rev-parse", "--short", "HEAD"),
           "model_tree_dirty": bool(_git("status", "--porcelain", "--", "model")),
           # identifies uncommitted changes under model/ (the working tree is what ptsim runs, editable install)
           "model_diff_sha1": hashlib.sha1(_git("diff", "HEAD", "--", "model").encode()).hexdigest()[:10],
           "python": platform.python_version(), "mesa": mesa.__version__, "numpy": np.__version__,
           "cpus": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    log(f"yardstick: trivial Mesa step, {consumers:,} agents x {steps} steps ...")
    before = bench_yardstick(consumers, steps, seed)
    gc.collect()
    log(f"Mesa core: {consumers:,} consumers x {days} days, {merchants:,} stores ...")
    out["mesa_core"] = bench_mesa_core(consumers, days, merchants, seed)
    gc.collect()
    log("Mesa core with a daily Poisson draw of needs (sensitivity) ...")
    out["mesa_core_daily"] = bench_mesa_core(consumers, days, merchants, seed, needs="daily")
    gc.collect()
    log("ptsim core (purchase.modulations: false) ...")
    out["ptsim_core"] = bench_ptsim(consumers, days, merchants, seed, modulations=False)
    gc.collect()
    log("ptsim full (modulations on, no burn-in, no spin-up) ...")
    out["ptsim_full"] = bench_ptsim(consumers, days, merchants, seed, modulations=True)
    gc.collect()
    log("yardstick again ...")
    after = bench_yardstick(consumers, steps, seed)
    rate = (before["agent_steps_per_s"] + after["agent_steps_per_s"]) / 2
    out["yardstick"] = {"agents": consumers, "steps": steps, "agent_steps_per_s": rate,
                        "before_agent_steps_per_s": before["agent_steps_per_s"],
                        "after_agent_steps_per_s": after["agent_steps_per_s"],
                        "run_cpu_s": (before["run_cpu_s"] + after["run_cpu_s"]) / 2}
    for key in ROWS:
        out[key]["ratio_to_yardstick"] = out[key]["consumer_days_per_s"] / rate
    mesa_rate = out["mesa_core"]["consumer_days_per_s"]
    out["ptsim_core_over_mesa_core"] = out["ptsim_core"]["consumer_days_per_s"] / mesa_rate
    out["ptsim_full_over_mesa_core"] = out["ptsim_full"]["consumer_days_per_s"] / mesa_rate
    daily_rate = out["mesa_core_daily"]["consumer_days_per_s"]
    out["ptsim_core_over_mesa_core_daily"] = out["ptsim_core"]["consumer_days_per_s"] / daily_rate
    out["ptsim_full_over_mesa_core_daily"] = out["ptsim_full"]["consumer_days_per_s"] / daily_rate
    work = {k: out["ptsim_core"][k] / out["mesa_core"][k] if out["mesa_core"][k] else math.inf
            for k in ("needs_per_consumer_day", "orders_per_consumer_day", "gmv_per_consumer_day")}
    out["work_ptsim_core_over_mesa_core"] = work
    out["comparable_work"] = all(0.67 <= v <= 1.5 for v in work.values())
    # CPU over wall time of the whole benchmark: well below 1, the core was shared (timings noisier)
    out["cpu_over_wall"] = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    return out


def report(r: dict) -> list[str]:
    y = r["yardstick"]
    lines = [f"Mesa core vs ptsim: {r['consumers']:,} consumers x {r['days']} days, {r['merchants']:,} stores, "
             f"seed {r['seed']}; ptsim at {r['commit']}"
             f"{' + uncommitted model/ changes (diff ' + r['model_diff_sha1'] + ')' if r['model_tree_dirty'] else ''}; "
             f"Python {r['python']}, Mesa {r['mesa']}, numpy {r['numpy']}, CPUs {r['cpus']}",
             f"yardstick (trivial Mesa agent step, shuffle_do): {y['agent_steps_per_s'] / 1e6:.3f} M agent-steps/s "
             f"(before {y['before_agent_steps_per_s'] / 1e6:.3f}, after {y['after_agent_steps_per_s'] / 1e6:.3f}; "
             f"{y['agents']:,} agents x {y['steps']} steps)",
             "",
             f"{'':20}{'build s':>9}{'run s':>9}{'M c-days/s':>12}{'/yardstick':>12}"
             f"{'needs/c-day':>13}{'orders/c-day':>14}{'GMV/c-day':>11}{'alive end':>11}"]
    for key, name in ROWS.items():
        x = r[key]
        lines.append(f"{name:20}{x['build_cpu_s']:9.2f}{x['run_cpu_s']:9.2f}{x['consumer_days_per_s'] / 1e6:12.3f}"
                     f"{x['ratio_to_yardstick']:12.3f}{x['needs_per_consumer_day']:13.4f}"
                     f"{x['orders_per_consumer_day']:14.4f}{x['gmv_per_consumer_day']:11.2f}{x['alive_share_end']:11.3f}")
    w = r["work_ptsim_core_over_mesa_core"]
    lines += ["",
              f"ptsim core / Mesa core: {r['ptsim_core_over_mesa_core']:.1f}x    "
              f"ptsim full / Mesa core: {r['ptsim_full_over_mesa_core']:.1f}x   (consumer-days per CPU second)",
              "  against the Mesa core with a daily Poisson draw: "
              f"ptsim core {r['ptsim_core_over_mesa_core_daily']:.1f}x, "
              f"ptsim full {r['ptsim_full_over_mesa_core_daily']:.1f}x",
              f"work per consumer-day, ptsim core / Mesa core: needs {w['needs_per_consumer_day']:.2f}, "
              f"orders {w['orders_per_consumer_day']:.2f}, GMV {w['gmv_per_consumer_day']:.2f} -> "
              + ("comparable (all within 0.67-1.5x)" if r["comparable_work"]
                 else "NOT comparable (some ratio outside 0.67-1.5x): the speed ratios are suspect"),
              "(CPU seconds, time.process_time; the ptsim full model also serves touch-pulled needs, hence more needs)",
              f"CPU / wall time of the benchmark: {r['cpu_over_wall']:.2f}"
              + ("" if r["cpu_over_wall"] > 0.9 else " (the core was shared with other work: figures are noisier)")]
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Side-by-side speed: trivial Mesa step, a per-agent Mesa core, "
                                             "ptsim core and ptsim full, in one process (CPU time).")
    ap.add_argument("--consumers", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--merchants", type=int, default=None, help="default: the scenario's (1,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--yardstick-steps", type=int, default=None, help="default: --days")
    ap.add_argument("--json", action="store_true", help="print one JSON object with all figures, nothing else")
    a = ap.parse_args(argv)
    merchants = a.merchants or load_params().population.merchants
    log = (lambda msg: print(msg, file=sys.stderr)) if a.json else print
    r = run_all(a.consumers, a.days, merchants, a.seed, a.yardstick_steps, log=log)
    if a.json:
        print(json.dumps(r))
    else:
        print("\n".join(report(r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
