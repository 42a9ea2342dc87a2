"""The four questions of the model's purpose as data: the scenario pairs each compares, the outcomes it
reads, its key effects (carried through all three layers of uncertainty), and the report's sizes."""

from __future__ import annotations

from dataclasses import dataclass

STORE_TRIAL = "store_insider_sale"       # the store experiment (notebook 06's one-off insider sale)


@dataclass(frozen=True)
class Effect:
    """One paired effect: `arm` minus `reference` on `outcome` (a column of the runs table), per replication;
    `relative` gives arm / reference - 1 in % instead (the store experiment's treated stores)."""
    arm: str
    reference: str
    outcome: str
    relative: bool = False

    @property
    def key(self) -> str:
        return f"{self.arm}-{self.reference}-{self.outcome.split('.')[-1]}"


@dataclass(frozen=True)
class Question:
    """A question: its comparisons (arm, reference), the outcomes read for each, and its key effects."""
    key: str
    title: str
    text: str
    pairs: tuple[tuple[str, str], ...]
    outcomes: tuple[str, ...]
    key_effects: tuple[Effect, ...]


TREATED_GMV = f"units.{STORE_TRIAL}.stores.treated.gmv"

QUESTIONS = (
    Question("q1", "WeChat direct traffic: off, beta, open",
             "What happens to platform GMV, merchant GMV by tier and the split public / private / WeChat-direct / "
             "off-platform when WeChat direct traffic is off, in beta for some brands, or open to all?",
             (("closed_2023", "baseline"), ("wechat_beta_2025", "baseline"), ("wechat_open", "baseline"),
              ("wechat_rollout_2025", "baseline"), ("strategy_2025", "baseline")),
             ("gmv_total", "gmv_public", "gmv_private", "gmv_wechat_direct", "gmv_offplatform", "gmv_top",
              "gmv_growth", "gmv_sme", "platform_commission"),
             (Effect("wechat_open", "baseline", "gmv_total"), Effect("wechat_open", "baseline", "gmv_offplatform"))),
    Question("q2", "How large a weight bonus",
             "How large should the weight bonus be? It rewards private-domain work with public traffic, but may "
             "concentrate traffic on brands that already have big private pools (rich get richer).",
             (("wechat_open", "weight_bonus_none"), ("weight_bonus_full", "weight_bonus_none")),
             ("gini_merchant_gmv", "top1pct_share_gmv", "hhi_merchant_gmv", "gmv_total", "gmv_top", "gmv_sme"),
             (Effect("weight_bonus_full", "weight_bonus_none", "gini_merchant_gmv"),
              Effect("weight_bonus_full", "weight_bonus_none", "top1pct_share_gmv"),
              Effect("weight_bonus_full", "weight_bonus_none", "gmv_total"))),
    Question("q3", "Where the exclusivity thresholds sit",
             "Where should exclusivity thresholds sit (insider-sale eligibility, group entry)? Too low kills "
             "exclusivity and trains deal-waiting; too high leaves most users feeling forgotten.",
             (("insider_loose", "baseline"), ("insider_strict", "baseline"), ("group_entry_open", "baseline"),
              ("group_entry_purchased", "baseline")),
             ("gmv_total", "mean_deal_proneness", "share_needs_deferred", "share_left_out", "repurchase_rate_90d",
              "active_share", "n_group_members"),
             (Effect("insider_loose", "baseline", "gmv_total"),
              Effect("insider_loose", "baseline", "share_needs_deferred"),
              Effect(STORE_TRIAL, "baseline", TREATED_GMV, relative=True))),
    Question("q4", "Price sensitivity and retention",
             "How do these policies move consumers' price sensitivity (deal-waiting, reference prices) and "
             "retention (repurchase, churn) over a year, and how certain is each forecast?",
             (("closed_2023", "baseline"), ("wechat_open", "baseline"), ("strategy_2025", "baseline"),
              ("insider_loose", "baseline"), ("insider_strict", "baseline"), ("group_entry_purchased", "baseline")),
             ("mean_deal_proneness", "share_needs_deferred", "mean_reference_price", "share_gmv_discounted",
              "active_share", "repurchase_rate_90d", "dormant_share", "repeat_buyer_share"),
             (Effect("insider_loose", "baseline", "mean_deal_proneness"),
              Effect("wechat_open", "baseline", "repurchase_rate_90d"))),
)

# Question 2's concentration effects must be resolved, or bounded below one point (Gini points of 100, pp)
Q2_TARGETS = ("gini_merchant_gmv", "top1pct_share_gmv")
Q2_PAIR = ("weight_bonus_full", "weight_bonus_none")


def arms() -> list[str]:
    """Every arm the replications layer runs, the reference (baseline) first."""
    names = ["baseline"]
    for q in QUESTIONS:
        for arm, ref in q.pairs:
            names += [ref, arm]
        names += [e.arm for e in q.key_effects] + [e.reference for e in q.key_effects]
    return list(dict.fromkeys(names))


def key_effects() -> list[Effect]:
    """Every question's key effects, in question order."""
    return [e for q in QUESTIONS for e in q.key_effects]


def effect_arms() -> list[str]:
    """The arms the assumptions layer runs at every design point (those of the key effects), references first."""
    effects = key_effects()
    return list(dict.fromkeys([e.reference for e in effects] + [e.arm for e in effects]))


def scenarios(names, size) -> dict:
    """The named arms at `size` (library scenarios, and the store experiment on baseline), every arm tracking
    the store experiment's units so its reference arm reports the same stores untreated."""
    from ..experiment.compare import track_treated_units
    from ..scenario import load_scenario
    named = {}
    for name in names:
        if name == STORE_TRIAL:
            named[name] = load_scenario("baseline", {**size.overrides(), **store_trial_overrides(size.merchants)})
        else:
            named[name] = load_scenario(name, size.overrides())
    return track_treated_units(named)


def store_trial_overrides(merchants: int) -> dict:
    """Notebook 06's one-off insider sale as a store experiment on baseline: a dozen growth-tier stores
    (FMCG and beauty when there are 200 stores or more) invite their old customers on record day 0."""
    stores = {"tier": ["growth"], "category": ["fmcg", "beauty"] if merchants >= 200 else [],
              "count": max(2, min(12, merchants // 20))}
    return {"name": STORE_TRIAL, "treatment.enabled": True,
            **{f"treatment.stores.{k}": v for k, v in stores.items()},
            "instruments.insider_sale_once.enabled": True, "instruments.insider_sale_once.day": 0,
            "instruments.insider_sale_once.window_days": 7,
            "instruments.insider_sale_once.invite": "old_customers"}


@dataclass(frozen=True)
class Size:
    """How big each layer runs. `quick` exercises the machinery (tests); `medium` is the committed report;
    `full` is the answer (hours on two cores)."""
    name: str
    consumers: int
    merchants: int
    burn_in_days: int | None          # None: the scenarios' own (1,095 days)
    days: int
    reps: int                         # replications of every arm (layer 1), also question 2's pilot
    q2_max_pairs: int                 # question 2: at most this many paired replications
    draws: int                        # layer 2: posterior vectors drawn
    per_draw: int                     # layer 2: replications per vector
    trajectories: int                 # layer 3: Morris trajectories r (r x (D + 1) design points)

    def overrides(self) -> dict:
        """The size as dotted-field overrides of every arm."""
        over = {"population.consumers": self.consumers, "population.merchants": self.merchants,
                "run.days": self.days}
        if self.burn_in_days is not None:
            over["run.burn_in_days"] = self.burn_in_days
        return over


SIZES = {
    "quick": Size("quick", consumers=1500, merchants=30, burn_in_days=20, days=30, reps=3, q2_max_pairs=6,
                  draws=2, per_draw=2, trajectories=2),
    "medium": Size("medium", consumers=10_000, merchants=100, burn_in_days=None, days=365, reps=6,
                   q2_max_pairs=40, draws=4, per_draw=2, trajectories=3),
    "full": Size("full", consumers=20_000, merchants=200, burn_in_days=None, days=365, reps=20, q2_max_pairs=300,
                 draws=16, per_draw=2, trajectories=24),
}


ARM_TEXT = {
    "baseline": "the status quo (baseline)",
    "closed_2023": "the pre-2025 zero-tolerance platform (closed_2023)",
    "wechat_beta_2025": "the 2025 WeChat-direct beta for the largest brands (wechat_beta_2025)",
    "wechat_open": "WeChat direct open to every store, weight bonus 1 (wechat_open)",
    "wechat_rollout_2025": "a staged rollout, beta from 1 April and open from 1 September (wechat_rollout_2025)",
    "strategy_2025": "Tmall's 2025 strategy on top of the beta (strategy_2025)",
    "weight_bonus_none": "WeChat direct open with no weight bonus (weight_bonus_none)",
    "weight_bonus_full": "WeChat direct open with a weight bonus of 2 (weight_bonus_full)",
    "insider_loose": "insider sales open to almost every tied consumer (insider_loose)",
    "insider_strict": "insider sales for the most valuable customers only (insider_strict)",
    "group_entry_open": "store groups open to anyone shown the store (group_entry_open)",
    "group_entry_purchased": "store groups for the store's buyers only (group_entry_purchased)",
    STORE_TRIAL: "a one-off insider sale to old customers at a few growth-tier stores (the store experiment)",
}
