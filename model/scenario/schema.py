"""The scenario schema: every parameter with its default, unit, allowed range and source, declared once,
and the validation, lever timelines and dotted field paths that read it.

`docs/scenarios.md` is generated from it (`python -m ptsim.scenario.docs`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ..errors import MAX_MESSAGE, InputError, one_line, quote  # noqa: F401  (re-exported: ptsim.scenario.one_line)

CATEGORIES = ("fmcg", "apparel", "beauty", "mother_baby", "digital", "sports_outdoor")

# what a scenario document may be: beyond these it is refused before validation
MAX_FILE_BYTES = 1_000_000
MAX_VALUES = 10_000          # values after expanding YAML aliases; a full scenario has about 250
MAX_TEXT = 1_000_000         # characters of all strings after expanding aliases
MAX_DEPTH = 20               # nesting of blocks and lists
MAX_EXTENDS = 32             # files in an `extends:` chain
MAX_NAME = 100               # characters of a scenario name (it becomes part of file names)
MAX_RUNS = 10_000            # runs (points x replications) of one experiment unless asked for more
MAX_REPS = 10_000            # replications of one scenario


class ScenarioError(InputError):
    """A malformed scenario: the message is one line naming file, field and what is allowed."""


def P(default, unit: str, doc: str, ge=None, le=None, gt=None, lt=None, source: str = ""):
    """A documented scenario parameter: default, unit, allowed range, one-line meaning, source."""
    return Field(default, ge=ge, le=le, gt=gt, lt=lt, description=doc,
                 json_schema_extra={"unit": unit, "source": source})


def Range(ge: float, le: float):
    """A float list item in [ge, le] (for list fields, whose items have a range of their own)."""
    return Annotated[float, Field(ge=ge, le=le)]


Share = Range(0, 1)


def _file_name(name: str) -> str:
    """The scenario name becomes part of file names: one plain path component of moderate length."""
    if not 1 <= len(name) <= MAX_NAME or name.startswith(".") or "/" in name or "\\" in name \
            or not name.isprintable():
        raise ValueError(f"must be a plain file name: 1 to {MAX_NAME} printable characters, no slash or "
                         "backslash, not starting with '.'")
    return name


class Block(BaseModel):
    # allow_inf_nan: every float field and list item must be a finite number
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Run(Block):
    days: int = P(365, "days", "Simulated horizon.", ge=1, le=3650)
    seed: int = P(20250101, "-", "Root seed; replication seeds are spawned from it.", ge=0)
    reps: int = P(1, "runs", "Replications (independent seeds) per scenario.", ge=1, le=MAX_REPS)
    burn_in_days: int = P(1095, "days", "Days simulated before day 0 and not recorded, so the synthetic "
                          "initial state settles into the status quo's steady state (checked by "
                          "`ptsim validate`; cached, see docs/experiments.md).", ge=0, le=3650)
    start_day_of_year: int = P(0, "day", "Calendar day of year of simulation day 0 (0 = 1 January).",
                               ge=0, le=364)


class Population(Block):
    consumers: int = P(100_000, "agents", "Consumer agents.", ge=10, le=20_000_000)
    merchants: int = P(1_000, "agents", "Merchant (store) agents.", ge=6, le=200_000)
    real_consumers: float = P(1e9, "consumers", "Real buyers the consumer agents stand for; each agent stands for "
                              "real_consumers / consumers of them unless `scale` is given.", ge=1, le=1e11,
                              source="seed 003: about 1 billion Taobao/Tmall active buyers, early 2025")
    scale: float | None = P(None, "real consumers per agent", "Real consumers each agent stands for (GMV and counts "
                            "are reported at real scale); empty = real_consumers / consumers.", gt=0, le=1e10)
    wechat_user_share: float = P(0.9, "share", "Consumers who use WeChat.", ge=0, le=1,
                                 source="1.2 billion WeChat MAU (seed 002)")
    new_user_share: float = P(0.08, "share", "Consumers who have never bought at day 0 (tier U).",
                              ge=0, le=1)
    category_concentration: float = P(0.6, "-", "Dirichlet concentration of each consumer's "
                                      "category preferences (small = specialised).", ge=0.01, le=100)


    @property
    def agent_scale(self) -> float:
        """Real consumers per consumer agent: `scale` if given, else real_consumers / consumers."""
        return self.scale if self.scale is not None else self.real_consumers / self.consumers


class Category(Block):
    share: float = P(1 / 6, "share", "Share of needs and of merchants in this category.", ge=0, le=1)
    base_price: float = P(150.0, "yuan", "Typical item price in the category.", ge=0.01, le=100_000)


def _cat(share, price):
    return Field(default_factory=lambda: Category(share=share, base_price=price))


class Categories(Block):
    fmcg: Category = _cat(0.34, 60.0)
    apparel: Category = _cat(0.22, 160.0)
    beauty: Category = _cat(0.16, 220.0)
    mother_baby: Category = _cat(0.12, 120.0)
    digital: Category = _cat(0.06, 600.0)
    sports_outdoor: Category = _cat(0.10, 260.0)


class Purchase(Block):
    """BG/NBD purchase timing (Fader, Hardie & Lee 2005), time unit = day."""
    r: float = P(0.6, "-", "Gamma shape of the latent purchase rate.", ge=0.01, le=100,
                 source="Fader, Hardie & Lee 2005 (form); value chosen for ~20 needs/yr")
    alpha: float = P(10.0, "days", "Gamma scale-inverse of the purchase rate (mean rate r/alpha per day).",
                     ge=0.1, le=10_000)
    a: float = P(0.8, "-", "Beta a of the dropout probability after each repeat purchase.", ge=0.01, le=100)
    b: float = P(150.0, "-", "Beta b of the dropout probability.", ge=0.01, le=10_000)
    modulations: bool = P(True, "flag", "Let relationships, seasonality, deals and policies modulate "
                          "timing and dropout; off = the plain BG/NBD process (docking).")
    reactivation_per_touch: float = P(0.05, "probability", "Chance a private touch or a festival "
                                      "reactivates a dormant consumer.", ge=0, le=1)
    initial_alive_share: float = P(0.85, "share", "Consumers alive (not dormant) at day 0, when seats are "
                                   "not renewed (renewal_days = 0); with renewal the stationary share is used.",
                                   ge=0, le=1)
    renewal_days: float = P(365.0, "days", "Mean days a dropped-out consumer's seat stays dormant before a new "
                            "user of the same type takes it (a stable buyer base); 0 = never (a closed cohort).",
                            ge=0, le=1e6, source="seed 003: ~1 billion active buyers, stable")
    need_at_start: bool = P(False, "flag", "Every consumer alive at the start has a need on the first simulated day "
                            "(off: her first need comes at her own rate). With population.new_user_share 1, no "
                            "burn-in and modulations off, that need is each consumer's first purchase, so the "
                            "order log is one cohort's BG/NBD history (scenario bgnbd_cohort).")


class Spend(Block):
    """Order value, Gamma-Gamma (Fader, Hardie & Lee 2005): each consumer has a persistent spend level, the
    mean of her orders' values relative to the population's; an order's value varies around it."""
    p: float = P(6.25, "-", "Gamma shape of an order's value around the consumer's own mean (coefficient of "
                 "variation 1 / sqrt(p)).", gt=0, le=10_000,
                 source="Fader & Hardie 2013, The Gamma-Gamma model of monetary value (CDNOW: p = 6.25); "
                 "`ptsim fit-consumers` estimates it from a transaction log")
    q: float = P(3.74, "-", "Gamma shape of the spread of consumers' mean order value (its inverse is Gamma(q) "
                 "across consumers; coefficient of variation 1 / sqrt(q - 2)).", gt=2, le=10_000,
                 source="Fader & Hardie 2013 (CDNOW: q = 3.74); `ptsim fit-consumers` estimates it")


class Seasonality(Block):
    enabled: bool = P(True, "flag", "Festival demand peaks and platform-wide discounts.")
    festival_days: list[Annotated[int, Field(ge=0, le=364)]] = P([168, 314], "day of year", "Peak days "
                                                                 "(618 = 18 June, Double 11 = 11 Nov).")
    window_days: int = P(12, "days", "Length of each festival's sale window, ending on the peak day.",
                         ge=1, le=60)
    demand_multiplier: float = P(2.5, "x", "Need rate at the peak day relative to an ordinary day "
                                 "(ramps up over the window).", ge=1, le=20)
    festival_discount: float = P(0.15, "share of price", "Platform-wide discount during festival windows.",
                                 ge=0, le=0.9)


class MerchantSetup(Block):
    tier_shares: list[Share] = P([0.02, 0.13, 0.85], "shares", "Shares of top brands, growth/original "
                                 "brands and SMEs among merchants.")
    size_sigma: float = P(1.0, "log-sd", "Heavy tail of initial store size (lognormal sigma within tier).",
                          ge=0, le=5)
    tier_size: list[Range(0.001, 1e5)] = P([120.0, 10.0, 1.0], "x", "Median initial size of each tier relative "
                                       "to SMEs.")
    tier_quality: list[Range(0, 10)] = P([1.0, 0.4, 0.0], "sd", "Quality (brand equity) of each tier above "
                                         "SMEs.")
    tier_price: list[Range(-3, 3)] = P([0.15, 0.05, -0.05], "log", "Price level of each tier relative to the "
                                "category base price.")
    price_sigma: float = P(0.25, "log-sd", "Spread of price levels around the category base price.",
                           ge=0, le=2)
    deal_rate: float = P(0.04, "per day", "Chance a store runs an ordinary deal on a given day.", ge=0, le=1)
    deal_depth: float = P(0.12, "share of price", "Discount of an ordinary deal.", ge=0, le=0.9)
    lead: list[Share] = P([0.8, 0.5, 0.2], "effort 0..1", "LEAD effort by tier (top, growth, sme): paid, "
                          "free and off-site traffic.")
    interlock: list[Share] = P([0.8, 0.5, 0.2], "effort 0..1", "INTERLOCK effort by tier.")
    engage: list[Share] = P([0.8, 0.5, 0.2], "effort 0..1", "ENGAGE effort by tier.")
    keep: list[Share] = P([0.8, 0.5, 0.2], "effort 0..1", "KEEP effort by tier (member prices, store "
                          "credit, coupon packs, insider sales).")
    effort_cost: list[Share] = P([0.02, 0.01, 0.01, 0.015], "share of GMV", "Daily cost of full LEAD, "
                                 "INTERLOCK, ENGAGE, KEEP effort, as a share of the store's trailing daily GMV.")
    adaptation_rate: float = P(0.2, "per month", "Share of the way merchants move each month from their effort "
                               "toward the effort a lever's changed return calls for (0 = fixed strategies).",
                               ge=0, le=1)
    launch_rate: float = P(4.0, "per year", "New-product launches per store per year.", ge=0, le=365)
    margin: float = P(0.25, "share of price", "A store's contribution margin: what a yuan of sales leaves after "
                      "goods, delivery and variable marketing (what lost sales cost a store deciding to divert).",
                      ge=0, le=1, source="assumption, range 0.1 to 0.4")


class Ranking(Block):
    prior_weight: float = P(0.1, "share of mean trailing sales", "Weight every store has regardless of "
                            "sales (the a0 of a Polya urn), relative to the mean store's trailing GMV.",
                            ge=0, le=1000)
    memory_days: float = P(30.0, "days", "Time constant of trailing GMV used for ranking weight.",
                           ge=1, le=1e9)
    exponent: float = P(0.75, "-", "Weight = (prior + trailing GMV)^exponent; 1 = linear reinforcement "
                        "(a Polya urn), below 1 damps the rich-get-richer loop.",
                        ge=0, le=3)
    public_slots: int = P(4, "stores", "Stores shown to a consumer from public traffic per need.", ge=1, le=20)
    lead_effect: float = P(0.5, "x per effort", "Extra public traffic per unit of LEAD effort (paid and free "
                           "on-site channels; off-site content brings visits through browsing.offsite_rate).",
                           ge=0, le=10)


class Choice(Block):
    """Multinomial logit choice over exposed offers with reference prices and loss aversion."""
    quality_weight: float = P(1.0, "utils per sd", "Utility of store quality.", ge=0, le=10)
    price_sensitivity_mean: float = P(1.8, "utils per log price", "Mean weight on log price "
                                      "(with the reference terms, store-level elasticity near -2.6).",
                                      ge=0, le=20, source="Bijmolt, van Heerde & Pieters 2005: "
                                      "mean elasticity -2.62")
    price_sensitivity_sd: float = P(0.8, "utils per log price", "Spread of price weight across consumers.",
                                    ge=0, le=10)
    reference_weight: float = P(0.5, "utils per log price", "Weight of gains against the reference price.",
                                ge=0, le=20, source="Briesch et al. 1997")
    loss_aversion: float = P(2.5, "x", "Losses against the reference price weigh this much more than gains.",
                             ge=1, le=10, source="Putler 1992")
    deal_utility: float = P(1.5, "utils", "Extra utility of an offer on deal for a fully deal-prone consumer.",
                            ge=0, le=20)
    relationship_utility: list[Range(0, 20)] = P([0.4, 1.0, 1.6, 1.9], "utils", "Utility of a store the "
                                                 "consumer is a visitor, fan, member, store-group member of.")
    outside_utility: float = P(3.0, "utils", "Utility of not buying now, the outside option of every need "
                               "shopped for (a need given up is gone). Sets the share of needs given up at "
                               "status-quo prices, and with it the category-level price elasticity (about minus "
                               "the mean price weight times that share).", ge=-20, le=20,
                               source="assumption, range 2 to 4: chosen so that the category-level elasticity "
                               "falls in -1.0 to -0.3 (Bell, Chiang & Padmanabhan 1999: 25% of a brand's "
                               "elasticity is primary demand, x Bijmolt et al. 2005's -2.62 = -0.65; Andreyeva, "
                               "Long & Brownell 2010: category elasticities 0.27 to 0.81)")
    deal_price_weight: float = P(0.6, "x per unit deal-proneness", "Deal-proneness scales the price weight: "
                                 "a consumer weighs log price by price weight x (1 + this x (deal-proneness - "
                                 "its population mean at the start)), so the average consumer keeps the "
                                 "calibrated weight and deal-trained consumers respond more to price.",
                                 ge=0, le=3, source="assumption, range 0.3 to 1.0, after Mela, Gupta & Lehmann "
                                 "1997 (consumers grew more price-sensitive as promotions rose, non-loyal ones "
                                 "most): a year of frequent deals that lifts deal-proneness by 0.2 to 0.4 raises "
                                 "the deal-prone segment's price weight by 10 to 30% at 0.6; Bijmolt et al. 2005: "
                                 "promotional elasticity -3.63 vs -2.62 regular")


class PriceSensitivity(Block):
    reference_smoothing: float = P(0.3, "-", "Weight of the latest price paid in the reference price "
                                   "(exponential smoothing).", ge=0, le=1, source="Briesch et al. 1997")
    deal_proneness_mean: float = P(0.3, "0..1", "Mean initial deal-proneness.", ge=0.01, le=0.99)
    deal_proneness_concentration: float = P(6.0, "-", "Beta concentration of initial deal-proneness.",
                                            ge=0.1, le=1000)
    deal_learning: float = P(0.6, "per unit depth", "Rise of deal-proneness after buying on a deal, per "
                             "unit of discount depth.", ge=0, le=10,
                             source="Mela, Gupta & Lehmann 1997; Zhang et al. 2020")
    decay_days: float = P(120.0, "days", "Time constant of deal-proneness returning to its baseline.",
                          ge=1, le=1e6)
    defer_horizon_days: int = P(14, "days", "A deal-prone consumer may wait for a sale this many days ahead.",
                                ge=0, le=120)
    defer_propensity: float = P(0.6, "probability", "Chance to wait for an anticipated sale, at full "
                                "deal-proneness.", ge=0, le=1)


class Relationships(Block):
    slots: int = P(6, "stores", "Store relationships a consumer remembers.", ge=1, le=16)
    follow_prob: float = P(0.04, "probability", "Chance a buyer becomes a fan after a purchase, at full "
                           "INTERLOCK effort (follow discount).", ge=0, le=1)
    join_prob: float = P(0.03, "probability", "Chance a fan joins membership after a purchase, at full "
                         "INTERLOCK effort (new-member gift).", ge=0, le=1)
    touch_rate: list[Range(0, 10)] = P([0.0, 0.06, 0.1], "per day", "Private touches (push, member message) "
                                "per relationship at full ENGAGE effort: visitor, fan, member.")
    touch_pull_days: float = P(10.0, "days", "A touch turns into a purchase now if the consumer's next "
                               "need is due within this many days.", ge=0, le=365)
    expansion_share: float = P(0.5, "share", "Share of the purchases touches and invitations pull forward that "
                               "are new demand (the consumer's pending need stays); the rest are that need, "
                               "bought early.", ge=0, le=1,
                               source="van Heerde, Leeflang & Wittink 2004: a promotion's extra units are about 1/3 "
                               "cross-brand, 1/3 cross-period, 1/3 category expansion; a pull takes no sale "
                               "another store makes today (choice does), so it is cross-period or expansion: "
                               "1/2. Assumption range 0.3-0.75 (Leeflang et al. 2008; Simester et al. 2009; "
                               "Sahni, Zou & Chintagunta 2017)")
    touch_conversion: float = P(0.6, "probability",
                                "Chance a touch is clicked (a return visit; a purchase if a need is near), "
                                "for a consumer of average interest in the store's category (scaled by interest).",
                                ge=0, le=1)
    keep_dropout_cut: float = P(0.5, "share", "Cut of members' dropout probability at full KEEP effort.",
                                ge=0, le=1)
    spend_selection: float = P(1.0, "-", "Who follows and joins: a buyer's chance to become a fan, member, store-"
                               "group or WeChat-community member scales with her spend level (`spend`) to this "
                               "power, normalised so the mean chance over consumers is unchanged; 0 = joining "
                               "ignores spend. Joining itself leaves order value unchanged (ODD 7.7).", ge=0, le=3,
                               source="assumption, range 0 to 1.3 (below (spend.q - 1) / 2, so members' mean order "
                               "value stays finite): heavier buyers enrol (Meyer-Waarden & Benavent 2009) and about "
                               "6/7 of members' advantage is who they are, not what joining does (Leenheer, van "
                               "Heerde, Bijmolt & Smidts 2007); what joining does to a buyer's order value is about "
                               "nil (Rishika et al. 2013 +0.4%; Narang & Shankar 2019 -12% to +3%). Calibrated so "
                               "that members' order value comes out near seed 004's 2.7x")
    tie_life_days: float = P(180.0, "days", "Mean life of a store tie before the consumer forgets the store "
                             "(tastes and needs change); 0 = ties are never forgotten this way.", ge=0, le=1e6)
    lapse_days: int = P(120, "days", "A tie not visited for this long drops one level (member -> fan -> "
                        "visitor -> forgotten).", ge=1, le=3650)
    member_discount: float = P(0.05, "share of price", "Member price cut at full KEEP effort.", ge=0, le=0.9)


class Groups(Block):
    """Store groups (seed 001): entry conditions, perks, entry flow, messaging."""
    entry: Literal["none", "visited", "favourited", "purchased", "interest"] = P(
        "visited", "-", "Who may join a store group: anyone shown the store, visitors, fans, buyers, or "
        "consumers with strong category interest.", source="seed 001")
    join_prob: float = P(0.02, "probability", "Chance a qualifying visitor joins the store group at a visit.",
                         ge=0, le=1)
    perks: list[Share] = P([0.8, 0.5, 0.3], "0..1", "Group perks (coupons, trials, service, content) by tier.")
    perks_effect: float = P(1.0, "x", "Joining multiplier per unit of perks: join x (1 + effect x perks).",
                            ge=0, le=20, source="seed 001: perks raise joining")
    complex_flow_share: float = P(0.3, "share", "Stores whose group entry flow is complex (not one-click).",
                                  ge=0, le=1)
    complex_flow_penalty: float = P(0.6, "share", "Cut of joining for a complex entry flow.", ge=0, le=1,
                                    source="seed 001: complex flows lower joining")
    message_rate: list[Range(0, 10)] = P([0.12, 0.08, 0.05], "per day", "Group messages per member per day by "
                                         "tier.")
    tolerable_rate: float = P(0.08, "per day", "Message rate members tolerate without leaving.", ge=0.001, le=10)
    leave_per_excess: float = P(0.5, "probability", "Chance to leave per message, per unit of relative "
                                "excess over the tolerable rate.", ge=0, le=1,
                                source="seed 001: over-messaging makes members leave")
    interest_threshold: float = P(0.3, "share of needs", "Category interest needed under the `interest` "
                                  "entry condition.", ge=0, le=1)
    exposure_join_prob: float = P(0.01, "probability", "Chance a consumer merely shown a store joins its "
                                  "group when entry is open to all (`none`).", ge=0, le=1)


class Insider(Block):
    """Exclusive insider sales (seed 000)."""
    eligibility_threshold: float = P(0.7, "score 0..1", "Value score an invitee must reach (the logistic of the "
                                     "weighted mean log-odds of spend, frequency, recency and tie level; ODD 7.11): "
                                     "0 invites every tied consumer, 1 nobody.", ge=0, le=1,
                                     source="assumption: invites about 13% of tied consumers at the calibrated "
                                     "baseline, as 0.6 did on the former score (half spend percentile, half tie "
                                     "level); the lever of question 3, 0.1 to 0.85 in the library")
    score_weights: list[Range(0, 10)] = P([1.0, 1.0, 1.0, 1.0], "weights", "Weights of spend, frequency, "
                                          "recency and tie level in the value score (a weighted mean of their "
                                          "log-odds).", source="seed 000 names the criteria (spend, purchase "
                                          "frequency, browsing, loyalty) but not their weights: equal weights, "
                                          "assumption (each 0.5 to 2)")
    score_orders: float = P(5.0, "orders", "Orders at the store of a customer neutral on frequency in the value "
                            "score.", gt=0, le=1000, source="assumption: the median orders of a fan tie at the "
                            "calibrated baseline (members 15); range 2 to 15")
    score_recency_days: float = P(30.0, "days", "Days since the last visit to the store of a customer neutral on "
                                  "recency in the value score.", gt=0, le=3650,
                                  source="seed 004 counts return visits within 30 days; assumption, range 7 to 90")
    frequency: float = P(8.0, "sales per year", "Insider sales per year of a store at full KEEP effort.",
                         ge=0, le=120)
    depth: float = P(0.3, "share of price", "Insider discount (deeper than festival prices).", ge=0, le=0.95,
                     source="seed 000: below daily and promotion prices")
    window_days: int = P(3, "days", "Length of an insider sale.", ge=1, le=60)
    quantity_cap: float = P(0.5, "units per invitee", "Stock of a sale per invited consumer.", ge=0.01, le=100)
    exclusivity_utility: float = P(1.0, "utils", "Value of an invitation when few are invited (scaled by "
                                   "the share not invited).", ge=0, le=20,
                                   source="seed 000: exclusivity and scarcity raise value")
    scarcity_utility: float = P(0.3, "utils", "Value of a limited, time-boxed offer to invitees.", ge=0, le=20)
    notice_prob: float = P(0.3, "probability", "Chance a relationship user left out of a sale notices.",
                           ge=0, le=1)
    left_out_penalty: float = P(0.8, "utils", "Lost utility of a store for a consumer who noticed being "
                                "left out.", ge=0, le=20, source="Newman et al. 2019; seed 000")
    slight_days: int = P(90, "days", "How long noticing being left out lasts.", ge=0, le=3650)
    anticipation_days: int = P(21, "days", "Invitees remember a store's sales this long when deciding to "
                               "wait for the next one.", ge=0, le=365)


class WeChat(Block):
    """Merchants' WeChat communities, messages, app switching, sharing and diversion (seed 002)."""
    effort: list[Share] = P([0.6, 0.5, 0.3], "0..1", "WeChat community effort by tier.")
    join_prob: float = P(0.08, "probability", "Chance a WeChat-using fan or member joins the store's "
                         "WeChat community at a purchase, at full effort.", ge=0, le=1)
    touch_rate: float = P(0.05, "per day", "WeChat community messages per member per day at full effort.",
                          ge=0, le=10)
    app_switch_friction: float = P(0.4, "share", "Share of WeChat-prompted purchases lost when the buyer must "
                                   "switch to the Tmall app.", ge=0, le=1,
                                   source="seed 002: direct buying removes app switching")
    ties_per_user: int = P(8, "ties", "WeChat social ties per WeChat user (random graph).", ge=0, le=200)
    share_prob: float = P(0.3, "probability", "Chance a WeChat-direct buyer shares a share-to-unlock coupon "
                          "with her ties.", ge=0, le=1)
    share_adopt_prob: float = P(0.05, "probability", "Chance a tie receiving a share visits and ties to the "
                                "store (imitation).", ge=0, le=1, source="Bass 1969 (imitation)")
    diversion_hassle: float = P(0.05, "share of GMV", "Mean net cost, per yuan of WeChat community buying moved "
                                "off-platform, of selling outside Tmall (own shop, payment and delivery, buyers' "
                                "trust, breaking the rules) net of what it brings besides the commission saved "
                                "(no app-switch losses, customer data kept).", ge=-1, le=1,
                                source="assumption, set so that the status quo's leakage is about 3% of "
                                "on-platform GMV (targets/published.yaml, leakage_ratio, an assumption of 1% to "
                                "8%): -0.03 to 0.12 span that range")
    diversion_spread: float = P(0.05, "share of GMV", "Spread (logistic scale) of that net cost across the real "
                                "stores a store agent stands for: the share that diverts is the logistic of the "
                                "net gain over it.", gt=0, le=1,
                                source="Xie, Platform Leakage (Kellogg working paper): introducing a commission "
                                "doubled leakage; set so that removing the 5% commission halves the status quo's "
                                "leakage over a year (2.6% -> 1.3%); range 0.04 to 0.1")
    diversion_propensity: list[Share] = P([0.1, 0.3, 0.5], "0..1", "Share of the way a tier's stores move each "
                                          "month toward a higher share of diverting stores (those not yet "
                                          "diverting start); diverters for which it no longer pays stop at once.",
                                          source="assumption (0.05 to 1): SMEs quickest, top brands slowest")


class Lifecycle(Block):
    taoqi_base: float = P(400.0, "points", "Taoqi score of a consumer with no spending.", ge=0, le=5000)
    taoqi_per_yuan: float = P(0.05, "points per yuan", "Taoqi points per yuan spent over the trailing year.",
                              ge=0, le=100)
    taoqi_cap: float = P(2500.0, "points", "Maximum taoqi score.", ge=0, le=10000)
    mature_orders: int = P(2, "orders", "Orders after which a new user (U) is a mature consumer (C).",
                           ge=1, le=100)


class VipProgramme(Block):
    enabled: bool = P(True, "flag", "88VIP exists.")
    taoqi_threshold: float = P(1000.0, "points", "Taoqi score needed to buy 88VIP.", ge=0, le=10000,
                               source="seed 003: 88VIP open at taoqi >= 1000")
    discount: float = P(0.05, "share of price", "88VIP price cut on Tmall items.", ge=0, le=0.9)
    rate_uplift: float = P(0.15, "x", "Rise in purchase rate of 88VIP members.", ge=0, le=10)
    join_prob: float = P(0.004, "probability", "Chance an eligible buyer joins at a purchase.",
                         ge=0, le=1)
    renew_prob: float = P(0.85, "probability", "Chance a member still eligible renews at expiry.",
                          ge=0, le=1)
    initial_uptake: float = P(0.5, "share", "Share of eligible consumers who are members at day 0.",
                              ge=0, le=1)
    festival_join_multiplier: float = P(4.0, "x", "Join chance multiplier during the Double 11 window.",
                                        ge=0, le=100, source="seed 003: 42M -> 49M, mostly after Double 11")


class SavingsCard(Block):
    """The savings monthly card: a low-threshold paid coupon pack (seed 003)."""
    enabled: bool = P(False, "flag", "The card is offered.")
    uptake: float = P(0.05, "share", "Share of non-88VIP consumers holding the card.", ge=0, le=1)
    coupon: float = P(0.03, "share of price", "Average red-packet saving per order.", ge=0, le=0.5)
    rate_uplift: float = P(0.1, "x", "Rise in need rate of holders (red packets drive purchases).", ge=0, le=10)


class WeChatDirect(Block):
    """WeChat direct traffic (seed 002, 2025 beta)."""
    mode: Literal["off", "beta", "open"] = P("off", "-", "off, beta (eligible brands only) or open to all.")
    beta_share: float = P(0.05, "share of stores", "Under beta, the largest stores by trailing GMV that are "
                          "eligible.", ge=0, le=1)
    beta_tiers: list[Literal["top", "growth", "sme"]] = P([], "-", "Under beta, tiers that are eligible as "
                                                          "well (e.g. [top]).")
    start_day: int = P(0, "day", "Day the policy starts.", ge=0, le=3650)
    authorisation_rate: float = P(0.7, "share", "Eligible stores that authorise WeChat data (others "
                                  "decline over privacy).", ge=0, le=1, source="seed 002: some hesitate")
    min_community: float = P(20_000, "real consumers", "A store joins only with a WeChat community of at least "
                             "this many real consumers.", ge=0, le=1e10)
    friction_removed: bool = P(True, "flag", "WeChat members buy without switching apps.")
    share_to_unlock: bool = P(True, "flag", "Share-to-unlock coupons spread over WeChat ties.")


class WeightBonus(Block):
    share: float = P(0.0, "share", "Share of WeChat-domain GMV counted toward store weight (1 = like on-site "
                     "GMV; above 1 favours it).", ge=0, le=10, source="seed 002")


class AntiDiversion(Block):
    enabled: bool = P(True, "flag", "The platform looks for diversion to WeChat.")
    detection_rate: float = P(0.05, "per month", "Share of diverting stores caught in a month.", ge=0, le=1)
    penalty: float = P(0.5, "share", "Cut of a caught store's ranking weight.", ge=0, le=1,
                       source="seed 002: zero tolerance")
    penalty_days: int = P(60, "days", "Duration of the penalty.", ge=0, le=3650)


class Commission(Block):
    rate: float = P(0.05, "share of GMV", "Platform commission on on-platform GMV.", ge=0, le=0.5)
    rebate_share: float = P(0.0, "share", "Share of commission rebated to stores that beat their growth "
                            "target in a round.", ge=0, le=1, source="seed 003: rebates in several rounds")
    rebate_rounds: int = P(1, "per year", "Rebate rounds per year.", ge=1, le=12)
    growth_target: float = P(0.1, "share", "Growth over the previous round that earns the rebate.", ge=-1, le=10)


class NewProductWindow(Block):
    days: int = P(30, "days", "Days a new product gets incubation traffic.", ge=0, le=365,
                  source="seed 003: 30 -> 90 days")
    boost: float = P(0.3, "x", "Extra ranking weight of a store with a product in its window.", ge=0, le=10,
                     source="seed 003: incubation resources doubled")


class Browsing(Block):
    """Store visits with and without a purchase (issue 22): sources, depth, funnel; visits make ties."""
    enabled: bool = P(False, "flag", "Consumers visit stores between needs (public browsing, off-site content, "
                      "fans' own returns) and each order is a visit; visits make ties, favourites and group joins.")
    browse_rate: float = P(0.3, "per day", "Chance an active consumer browses on a day, far from her next need.",
                           ge=0, le=1, source="assumption, range 0.1 to 0.6: to be calibrated to the purchases per 100 "
                           "page views of the Taobao UserBehavior data (2.25)")
    ahead_days: float = P(14.0, "days", "Browsing rises when the next need is due within this many days.",
                          ge=0, le=365, source="assumption, range 7 to 21")
    ahead_boost: float = P(1.0, "x", "Extra browsing chance ahead of a need: rate x (1 + this).", ge=0, le=100,
                           source="assumption, range 0 to 3")
    depth_mean: float = P(4.0, "page views", "Mean page views of a visit by a consumer without a fan tie.",
                          ge=1, le=1000, source="assumption, range 2 to 8")
    tie_depth: list[Range(0.1, 20)] = P([1.0, 1.0, 1.0, 1.0], "x", "Depth factor by tie level: visitor (or "
                                        "none), fan, member, group member; seed 004 reports members' browsing "
                                        "depth 1.8x all users' (a target, not imposed here).",
                                        source="assumption, 1 for every level (range 1 to 2.5 for members) until "
                                        "calibrated to seed 004's 1.8x")
    return_rate: list[Range(0, 10)] = P([0.03, 0.05, 0.05], "per day", "Own visits of a fan, member and group "
                                        "member to the tied store at full ENGAGE effort (return visits seed 004's "
                                        "ENGAGE stage activates).", source="assumption, range 0.01 to 0.2 a day: to "
                                        "be calibrated to fans' 30-day return-visit rate 2.5x all users' (seed 004)")
    offsite_rate: float = P(0.2, "per day", "Chance an active consumer visits a store of one of her categories "
                            "through off-site content (LEAD: Xiaohongshu, Douyin, Weibo; seed 003's 200+ partner "
                            "platforms) on a day, at full LEAD effort in the category; times the category's LEAD.",
                            ge=0, le=1, source="assumption, range 0.05 to 0.3, sized by seed 004's beinspace case "
                            "(off-site content: store return traffic +120%): at 0.2 an SME going from its tier's LEAD "
                            "to full effort gains 80-130% more visits, at 0.05 under 50% (a case used to size the "
                            "channel, so not a check)")
    offsite_size_exponent: float = P(0.5, "-", "A store's share of its category's off-site visits is LEAD x public "
                                     "weight ^ this: 0 gives content reach regardless of size, 1 in proportion to "
                                     "public traffic.", ge=0, le=2, source="assumption, range 0 to 1")
    fav_per_pv: float = P(0.0322, "per page view", "Chance a page view ends in a favourite.", ge=0, le=1,
                          source="Taobao UserBehavior (Tianchi, 25 Nov - 3 Dec 2017): 3.22 per 100 page views")
    cart_per_pv: float = P(0.0616, "per page view", "Chance a page view ends in an add-to-cart.", ge=0, le=1,
                           source="Taobao UserBehavior: 6.16 per 100 page views")


class InsiderSaleOnce(Block):
    """A one-off insider sale for a store's old customers (seed 004, IHIMI: old-customer insider sales)."""
    enabled: bool = P(False, "flag", "Run the sale.")
    day: int = P(0, "record day", "First day of the sale.", ge=0, le=3650)
    window_days: int = P(3, "days", "Length of the sale (its depth and stock are the insider block's).", ge=1, le=60)
    invite: Literal["old_customers", "value_score"] = P("old_customers", "-", "Whom it invites: every old "
                                                        "customer, or those whose value score clears "
                                                        "insider.eligibility_threshold (as a regular sale).")


class FanPerks(Block):
    """Fan-only perks (seed 004, Pond's): a follow discount, one-to-one service guiding buyers to follow
    and join, and store-group perks."""
    enabled: bool = P(False, "flag", "Offer the perks.")
    start_day: int = P(0, "record day", "First day of the perks.", ge=0, le=3650)
    days: int = P(30, "days", "How long the perks run.", ge=1, le=3650)
    follow_discount: float = P(0.08, "share of price", "Discount on the order at which a buyer follows the "
                               "store (关注立减; e.g. 5 yuan off a 60-yuan FMCG item).", ge=0, le=0.9,
                               source="seed 004 (follow discount); size an assumption, 0.03-0.15")
    service_interlock: float = P(1.0, "effort 0..1", "INTERLOCK effort during the perks: one-to-one service "
                                 "guiding buyers to follow and join (the store's own effort if lower).",
                                 ge=0, le=1, source="seed 004 (客服1v1引导); full effort an assumption")
    group_perks: float = P(1.0, "0..1", "Store-group perks during the perks (淘宝群传播).", ge=0, le=1,
                           source="seed 004; full perks an assumption")


class Coupons(Block):
    """Store coupons for the store's tied consumers (seed 004's KEEP tools: direct discounts, coupon packs)."""
    enabled: bool = P(False, "flag", "Issue coupons.")
    start_day: int = P(0, "record day", "First day coupons are issued.", ge=0, le=3650)
    days: int = P(30, "days", "How long coupons are issued.", ge=1, le=3650)
    interval_days: int = P(30, "days", "Days between issues: each issue gives every fan (or member) one coupon.",
                           ge=1, le=365)
    value: float = P(0.1, "share of price", "The coupon's saving on one order at the store.", ge=0, le=0.9,
                     source="assumption 0.05-0.2")
    valid_days: int = P(14, "days", "Days a coupon can be redeemed.", ge=1, le=365)
    holders: Literal["visitor", "fan", "member"] = P("fan", "-", "Lowest tie level that receives coupons.")


class StoreCredit(Block):
    """Prepaid store credit (购物金) with member perks (seed 004, Bibizan)."""
    enabled: bool = P(False, "flag", "Offer store credit.")
    start_day: int = P(0, "record day", "First day of the offer.", ge=0, le=3650)
    topup_prob: float = P(0.1, "probability", "Chance a member buying at the store tops up (when her balance "
                          "is empty).", ge=0, le=1, source="assumption 0.02-0.3")
    topup_orders: float = P(3.0, "orders", "A top-up's size in the member's mean orders.", ge=0.1, le=100,
                            source="assumption 2-5")
    bonus: float = P(0.0, "share", "Extra credit per yuan topped up (充值购物金折上折): a discount on orders paid "
                     "from credit.", ge=0, le=0.5, source="seed 004; size an assumption 0.03-0.1")
    balance_utility: float = P(0.3, "utils", "Utility of a store where the consumer holds credit (prepaid money "
                               "is a reason to return; Prelec & Loewenstein 1998).", ge=0, le=5,
                               source="assumption 0-1")
    member_day_interval: int = P(0, "days", "Days between member days (月度会员日: 30), each a touch to every "
                                 "member; 0: none.", ge=0, le=365)


class OffsiteContent(Block):
    """Off-site content (KOC posts on Xiaohongshu, Douyin, Weibo) and offline events for old customers
    (seed 004, beinspace)."""
    enabled: bool = P(False, "flag", "Run the content programme.")
    start_day: int = P(0, "record day", "First day.", ge=0, le=3650)
    days: int = P(365, "days", "How long it runs.", ge=1, le=3650)
    content_effort: float = P(1.0, "effort 0..1", "Off-site LEAD effort of the content (the store's own LEAD "
                              "if higher): a share of its category's off-site visits in proportion.", ge=0, le=1,
                              source="seed 004 (LEAD, off-site); full effort an assumption")
    events_engage: float = P(1.0, "effort 0..1", "ENGAGE effort of offline events for old customers (the "
                             "store's own if higher).", ge=0, le=1, source="assumption")


class Launch(Block):
    """A new-product launch (seed 004, IHIMI: regular launches; seed 003: the platform's new-product
    window gives a launch incubation traffic)."""
    enabled: bool = P(False, "flag", "Launch a product.")
    day: int = P(0, "record day", "Launch day.", ge=0, le=3650)
    preview_touch: bool = P(True, "flag", "Fans and members get a launch preview (新品预告), a touch, on the day.")


class Instruments(Block):
    """A store's own instruments (seed 004's LINK+ tools), off unless a scenario turns them on; with a
    `treatment` they act at the treated stores (and consumers) only, else at every store."""
    insider_sale_once: InsiderSaleOnce = Field(default_factory=InsiderSaleOnce)
    fan_perks: FanPerks = Field(default_factory=FanPerks)
    coupons: Coupons = Field(default_factory=Coupons)
    store_credit: StoreCredit = Field(default_factory=StoreCredit)
    offsite_content: OffsiteContent = Field(default_factory=OffsiteContent)
    launch: Launch = Field(default_factory=Launch)


TIER_NAMES = ("top", "growth", "sme")
STAGE_NAMES = ("U", "C", "M", "V")


class StoreSelection(Block):
    """Which stores a treatment reaches: those matching every filter given, then a random share or count
    of them (drawn from the treatment's own stream, so every arm of a comparison treats the same stores)."""
    ids: list[Annotated[int, Field(ge=0)]] = P([], "store index", "Only these stores (indices 0 to "
                                               "population.merchants - 1); empty: any.")
    tier: list[Literal[TIER_NAMES]] = P([], "-", "Only stores of these tiers (top, growth, sme); empty: any.")
    category: list[Literal[CATEGORIES]] = P([], "-", "Only stores of these categories; empty: any.")
    rank: list[Annotated[int, Field(ge=1)]] = P([], "rank", "Only stores ranked first to last ([first, last], 1 = "
                                                "largest trailing GMV on record day 0) within the tier and "
                                                "category filters; empty: any.")
    share: float = P(1.0, "share", "Random share of the matching stores treated (the rest are the comparable "
                     "untreated stores).", ge=0, le=1)
    count: int = P(0, "stores", "A random number of the matching stores instead of a share (0: use share).",
                   ge=0, le=200_000)


class ConsumerSelection(Block):
    """Which consumers a treatment reaches: those matching every filter, then a random share of them."""
    stage: list[Literal[STAGE_NAMES]] = P([], "-", "Only consumers at these lifecycle stages on record day 0 "
                                          "(U new, C mature, M store member, V 88VIP); empty: any.")
    relationship: Literal["any", "none", "visitor", "fan", "member", "group"] = P(
        "any", "-", "Only consumers with at least this tie to a treated store on record day 0 (`none`: no tie "
        "to any treated store; `any`: everyone).")
    share: float = P(1.0, "share", "Random share of the matching consumers treated.", ge=0, le=1)


class Treatment(Block):
    """Units a scenario's instruments apply to. Off: every store and consumer. On: the selected stores
    and consumers only, chosen on record day 0; the run reports them against comparable untreated units."""
    enabled: bool = P(False, "flag", "Apply the scenario's instruments to the selected units only.")
    stores: StoreSelection = Field(default_factory=StoreSelection)
    consumers: ConsumerSelection = Field(default_factory=ConsumerSelection)

    def selects_consumers(self) -> bool:
        c = self.consumers
        return bool(c.stage) or c.relationship != "any" or c.share < 1


class Policies(Block):
    vip_programme: VipProgramme = Field(default_factory=VipProgramme)
    savings_card: SavingsCard = Field(default_factory=SavingsCard)
    wechat_direct: WeChatDirect = Field(default_factory=WeChatDirect)
    weight_bonus: WeightBonus = Field(default_factory=WeightBonus)
    anti_diversion: AntiDiversion = Field(default_factory=AntiDiversion)
    commission: Commission = Field(default_factory=Commission)
    new_product_window: NewProductWindow = Field(default_factory=NewProductWindow)


class Scenario(Block):
    """A complete, validated scenario."""
    name: Annotated[str, AfterValidator(_file_name)] = P(
        "baseline", "-", f"Short name used in tables and file names: up to {MAX_NAME} printable characters, "
        "no slash or backslash, not starting with '.'.")
    description: str = P("", "-", "What the scenario is for and which question it serves.")
    timeline: dict[int, dict[str, Any]] = P({}, "record day -> {lever: value}", "Lever changes on given "
                                            "record days (day 0 = the first recorded day): from that day on "
                                            "each listed lever field takes the value given, over the arm's own "
                                            "setting. Only lever fields; days 0 to 3649 (a day at or past "
                                            "run.days is never reached). The baseline's timeline carries the "
                                            "world's trends, so every arm that extends it inherits them; "
                                            "`extends:` merges timelines by day and field.")
    run: Run = Field(default_factory=Run)
    population: Population = Field(default_factory=Population)
    categories: Categories = Field(default_factory=Categories)
    purchase: Purchase = Field(default_factory=Purchase)
    spend: Spend = Field(default_factory=Spend)
    seasonality: Seasonality = Field(default_factory=Seasonality)
    merchants: MerchantSetup = Field(default_factory=MerchantSetup)
    ranking: Ranking = Field(default_factory=Ranking)
    choice: Choice = Field(default_factory=Choice)
    price_sensitivity: PriceSensitivity = Field(default_factory=PriceSensitivity)
    relationships: Relationships = Field(default_factory=Relationships)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    groups: Groups = Field(default_factory=Groups)
    insider: Insider = Field(default_factory=Insider)
    wechat: WeChat = Field(default_factory=WeChat)
    browsing: Browsing = Field(default_factory=Browsing)
    policies: Policies = Field(default_factory=Policies)
    instruments: Instruments = Field(default_factory=Instruments)
    treatment: Treatment = Field(default_factory=Treatment)
    tracked_units: dict[Annotated[str, Field(min_length=1, max_length=MAX_NAME)], Treatment] = P(
        {}, "-", "Treatments of other arms whose units this run reports too (set by `compare`, so each arm "
        "reports the same units as the treated arm: their exact counterfactual).")

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """Short hash of the resolved scenario (for manifests and caching)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def status_quo(self) -> "Scenario":
        """This scenario with every lever (LEVER_FIELDS) at its default and no timeline: what the burn-in
        simulates. The burn-in ends before record day 0, so no timeline day is ever reached in it, and arms
        that differ only in their timelines share one warm state."""
        data, defaults = self.to_dict(), Scenario().to_dict()
        data["timeline"] = {}
        for path in LEVER_FIELDS:
            parent, _, leaf = path.rpartition(".")
            field_value(data, parent)[leaf] = field_value(defaults, path)
        return Scenario.model_validate(data)

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> "Scenario":
        """A copy with dotted-path overrides applied and re-validated."""
        return self._with(overrides, source)

    def _with(self, overrides: dict[str, Any], source: str, check_timeline: bool = True) -> "Scenario":
        data = self.to_dict()
        origins: dict[str, str] = {}
        for path, value in overrides.items():
            _set_path(data, path, value, source, origins)
        return _validate(data, origins, default_origin=source, check_timeline=check_timeline)

    def timeline_configs(self) -> dict[int, "Scenario"]:
        """The scenario as it stands from each timeline day within the horizon (`run.days`) on: every
        entry up to that day applied in day order, over the scenario's own lever values."""
        return {day: config for day, config in _timeline_configs(self, "timeline").items()
                if day < self.run.days}


# the levers: they act from record day 0; the burn-in before it runs the status quo (their defaults)
LEVER_FIELDS = ("policies", "insider.eligibility_threshold", "groups.entry", "instruments", "treatment",
                "tracked_units")


def is_lever(name: str) -> bool:
    """Whether a dotted field is (or lies under) a policy lever: set by the arms, not by the world."""
    return any(name == lever or name.startswith(lever + ".") for lever in LEVER_FIELDS)


# ------------------------------------------------------------------------------ dotted field paths
def schema_field(path: str | tuple) -> tuple[Any, Any]:
    """The annotation and the pydantic field of a dotted scenario field (`name.k`: an item of a list
    field, with the item type and the list's field); (None, None) for a path that names no field."""
    cls: Any = Scenario
    field = None
    for part in path.split(".") if isinstance(path, str) else path:
        if get_origin(cls) is list and str(part).isdigit():
            item = get_args(cls)[0]
            cls = get_args(item)[0] if get_origin(item) is Annotated else item
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return None, None
        field = cls.model_fields[part]
        cls = field.annotation
    return cls, field


def field_value(scenario: Any, path: str) -> Any:
    """The value at a dotted field path of a scenario or of its dict (`name.k`: item k of a list field);
    the empty path is the scenario itself."""
    node = scenario
    for part in path.split(".") if path else ():
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def nested_fields(values: dict[str, Any]) -> dict:
    """Dotted field paths and their values as nested blocks, as a scenario file writes them:
    {'a.b': 1} -> {'a': {'b': 1}} (numpy scalars as Python numbers)."""
    out: dict = {}
    for path, value in values.items():
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value.item() if hasattr(value, "item") else value
    return out


# fields that moved: old dotted path -> new one (a scenario using the old name gets an error naming the new)
MOVED = {"policies.exclusivity.insider_threshold": "insider.eligibility_threshold",
         "policies.exclusivity.group_entry": "groups.entry",
         "policies.exclusivity.vip_taoqi_threshold": "policies.vip_programme.taoqi_threshold"}


# fields retired without a successor of the same meaning: old dotted path -> what replaced it
_BASKETS = ("order value no longer depends on the tie: a consumer's spend level (spend.p, spend.q) sets it, and "
            "who joins depends on it (relationships.spend_selection), so members' larger orders are who they are "
            "(ODD 7.7)")
RETIRED = {"relationships.member_basket": _BASKETS, "relationships.fan_basket": _BASKETS,
           "relationships.basket_sigma": "the spread of an order's value is spend.p (Gamma-Gamma, ODD 7.7)",
           "wechat.basket": _BASKETS,
           "wechat.diversion_gain": "a diverting store's gain is now the commission it saves "
                                    "(policies.commission.rate, net of the rebate it expects) less its expected costs; "
                                    "the level of diversion is set by wechat.diversion_hassle (ODD 7.12)"}


def _moved_error(where: str, path: str) -> ScenarioError:
    if path in MOVED:
        return ScenarioError(f"{where}: {path}: this field moved; use {MOVED[path]}")
    moves = ", ".join(f"{old.rsplit('.', 1)[1]} -> {new}" for old, new in MOVED.items())
    return ScenarioError(f"{where}: {path}: policies.exclusivity was retired; its fields moved: {moves}")


# list-valued parameters with a fixed length, checked after field validation
_LIST_LENGTHS = {
    ("merchants", "tier_shares"): 3, ("merchants", "tier_size"): 3, ("merchants", "tier_quality"): 3,
    ("merchants", "tier_price"): 3,
    ("merchants", "lead"): 3, ("merchants", "interlock"): 3,
    ("merchants", "engage"): 3, ("merchants", "keep"): 3,
    ("choice", "relationship_utility"): 4, ("relationships", "touch_rate"): 3,
    ("merchants", "effort_cost"): 4, ("groups", "perks"): 3, ("groups", "message_rate"): 3,
    ("wechat", "effort"): 3, ("wechat", "diversion_propensity"): 3, ("insider", "score_weights"): 4,
    ("browsing", "tie_depth"): 4, ("browsing", "return_rate"): 3,
}


_LIST_MEANING = {3: "top, growth, sme; or visitor, fan, member", 4: "visitor, fan, member, group member; "
                 "or LEAD, INTERLOCK, ENGAGE, KEEP; or spend, frequency, recency, tie level"}


def _check_lists(s: Scenario) -> list[tuple[tuple, str, Any]]:
    """What the field types cannot say: list lengths, shares that must add up, fields bound to others.
    Each problem: (field, message, value), and for a bound field the other fields it was checked against
    with their values, so that an error can say where each came from."""
    problems = []
    for (block, field), n in _LIST_LENGTHS.items():
        value = getattr(getattr(s, block), field)
        if len(value) != n:
            problems.append(((block, field), f"needs exactly {n} values ({_LIST_MEANING[n]})", value))
    if abs(sum(s.merchants.tier_shares) - 1) > 1e-6:
        problems.append((("merchants", "tier_shares"), "shares must sum to 1", s.merchants.tier_shares))
    if 2 * s.relationships.spend_selection >= s.spend.q - 1:
        problems.append((("relationships", "spend_selection"), f"must be below (spend.q - 1) / 2 = "
                         f"{(s.spend.q - 1) / 2:g}, or members' mean order value is infinite",
                         s.relationships.spend_selection, {("spend", "q"): s.spend.q}))
    if sum(s.insider.score_weights) <= 0:
        problems.append((("insider", "score_weights"), "at least one weight must be > 0", s.insider.score_weights))
    if sum(getattr(s.categories, c).share for c in CATEGORIES) <= 0:
        problems.append((("categories",), "at least one category share must be > 0", 0))
    if s.treatment.enabled:
        problems += _check_store_selection(s.treatment.stores, s.population.merchants)
    return problems


def _check_store_selection(sel: StoreSelection, merchants: int) -> list[tuple[tuple, str, Any]]:
    """A treatment's store filters that cannot select a store whatever the population: indices beyond the
    stores, a rank range that is not [first, last], a share and count of 0 (the treatment would reach none)."""
    where, problems = ("treatment", "stores"), []
    bad = [i for i in sel.ids if i >= merchants]
    if bad:
        problems.append((where + ("ids",), f"store {bad[0]} does not exist; allowed: 0 to {merchants - 1} "
                         f"(population.merchants = {merchants})", sel.ids))
    if sel.rank and (len(sel.rank) != 2 or sel.rank[0] > sel.rank[1]):
        problems.append((where + ("rank",), "needs [first, last] with 1 <= first <= last", sel.rank))
    elif sel.rank and sel.rank[0] > merchants:
        problems.append((where + ("rank",), f"first must be <= population.merchants = {merchants}", sel.rank))
    if sel.share == 0 and sel.count == 0:
        problems.append((where + ("share",), "0 treats no store; allowed: > 0 and <= 1, or a count >= 1",
                         sel.share))
    return problems


def _describe_allowed(model_cls: type[BaseModel]) -> str:
    return ", ".join(model_cls.model_fields)


def _block_at(loc: tuple) -> type[BaseModel] | None:
    cls, _ = schema_field(loc)
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _origin(loc: tuple, origins: dict[str, str], default: str) -> str:
    parts = [str(p) for p in loc]
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in origins:
            return origins[key]
    return default


def bounds(field) -> tuple[list[str], bool]:
    """A field's allowed range as ([">= 0", "<= 1"], of_items): a list field's range is its items'."""
    metadata, of_items = field.metadata, False
    if not metadata and get_origin(field.annotation) is list:
        item = get_args(field.annotation)[0]
        metadata = [m for info in getattr(item, "__metadata__", ()) for m in getattr(info, "metadata", [])]
        of_items = True
    out = []
    for m in metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                out.append(f"{sym} {getattr(m, attr):g}")
    return out, of_items


def _range_text(loc: tuple) -> str:
    if loc and isinstance(loc[-1], int):            # an item of a list field
        loc = loc[:-1]
    block = _block_at(loc[:-1])
    if block is None or loc[-1] not in block.model_fields:
        return ""
    return " and ".join(bounds(block.model_fields[loc[-1]])[0])


def _validate(data: dict, origins: dict[str, str], default_origin: str, check_timeline: bool = True) -> Scenario:
    if "timeline" in data:
        data = {**data, "timeline": _timeline_data(data["timeline"], origins, default_origin)}
    try:
        s = Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        where = _origin(loc, origins, default_origin)
        path = ".".join(str(p) for p in loc if not isinstance(p, int)) + "".join(
            f"[{p}]" for p in loc if isinstance(p, int))
        if err["type"] == "extra_forbidden" and path.startswith("policies.exclusivity"):
            exclusivity = data.get("policies", {}).get("exclusivity")
            keys = list(exclusivity) if isinstance(exclusivity, dict) else []
            full = f"policies.exclusivity.{keys[0]}" if len(keys) == 1 else path
            raise _moved_error(_origin(loc + tuple(keys[:1]), origins, default_origin), full) from None
        if err["type"] == "extra_forbidden" and path in RETIRED:
            raise ScenarioError(f"{where}: {path}: this field was retired: {RETIRED[path]}") from None
        if err["type"] == "extra_forbidden":
            parent = _block_at(loc[:-1])
            allowed = _describe_allowed(parent) if parent else "?"
            raise ScenarioError(f"{where}: {path}: unknown key; allowed keys here: {allowed}") from None
        rng = _range_text(loc)
        allowed = f"; allowed: {rng}" if rng and "than" in err["msg"] else ""
        msg = err["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"{where}: {path}: {msg} (got {quote(err.get('input'))}){allowed}") from None
    problems = _check_lists(s)
    if problems:
        loc, msg, value, *others = problems[0]
        where = _origin(loc, origins, default_origin)
        # a field bound to another given elsewhere (a --set, an extended file): name where that one came from
        elsewhere = "".join(f"; {'.'.join(o)} = {quote(v)} from {_origin(o, origins, default_origin)}"
                            for o, v in (others[0] if others else {}).items()
                            if _origin(o, origins, default_origin) != where)
        raise ScenarioError(f"{where}: {'.'.join(loc)}: {msg} (got {quote(value)}{elsewhere})")
    if check_timeline:
        _timeline_configs(s, origins, default_origin)
    return s


# ------------------------------------------------------------------------------ lever timelines
MAX_TIMELINE_DAY = 3649      # run.days' upper limit less one
_MARK = "@timeline@"         # stands for "file: timeline.<day>." in errors raised while applying a day


def _flat(values: dict, prefix: str = "") -> dict[str, Any]:
    """A day's entries as dotted field -> value: a block given as a mapping sets its fields one by one
    (the fields it leaves out keep the scenario's values)."""
    out = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flat(value, path + "."))
        else:
            out[path] = value
    return out


_CHOSEN_ON_DAY_0 = ("treatment", "tracked_units")


def _timeline_data(raw: Any, origins: dict[str, str], default: str) -> dict[int, dict[str, Any]]:
    """The `timeline:` mapping checked for shape (days, mappings of lever fields), with dotted keys; the
    values are checked by applying them (`_timeline_configs`)."""
    def where(*parts) -> str:
        return _origin(tuple(".".join(map(str, ("timeline",) + parts)).split(".")), origins, default)

    lever_list = ", ".join(f"{lever}{'.*' if lever in ('policies', 'instruments') else ''}" for lever in LEVER_FIELDS
                           if lever not in _CHOSEN_ON_DAY_0)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where()}: timeline: must be a mapping of record day -> {{lever field: value}} "
                            f"(got {quote(raw)})")
    out: dict[int, dict[str, Any]] = {}
    for key, values in raw.items():
        day = key if isinstance(key, int) and not isinstance(key, bool) else \
            int(key) if isinstance(key, str) and key.isdigit() else None
        if day is None or not 0 <= day <= MAX_TIMELINE_DAY:
            raise ScenarioError(f"{where(key)}: timeline.{quote(key)}: not a record day; allowed: whole "
                                f"days 0 to {MAX_TIMELINE_DAY} (0 = the first recorded day)")
        if day in out:
            raise ScenarioError(f"{where(key)}: timeline.{day}: day given twice; give each day once")
        if not isinstance(values, dict) or not values:
            raise ScenarioError(f"{where(key)}: timeline.{day}: must be a mapping of lever field -> value, "
                                f"e.g. policies.wechat_direct.mode: open (got {quote(values)})")
        flat = _flat(values)
        for field in flat:
            if not isinstance(field, str) or not is_lever(field):
                raise ScenarioError(f"{where(key, field)}: timeline.{day}.{field}: not a lever field; a timeline "
                                    f"changes only levers: {lever_list}")
            if field.split(".")[0] in _CHOSEN_ON_DAY_0:
                raise ScenarioError(f"{where(key, field)}: timeline.{day}.{field}: the treated units are chosen on "
                                    "record day 0 and cannot change on a timeline; give treatment: at the top level "
                                    "(an instrument's start day and days time it)")
        out[day] = flat
    return out


def _timeline_configs(s: "Scenario", origins: dict[str, str] | str, default: str = "") -> dict[int, "Scenario"]:
    """The scenario from each timeline day on, the days' values applied in order; a value the schema
    refuses is a one-line error naming the file and `timeline.<day>.<field>`."""
    configs, config = {}, s
    for day in sorted(s.timeline):
        values = s.timeline[day]
        try:
            config = config._with(values, _MARK, check_timeline=False)
        except ScenarioError as exc:
            field = next((f for f in values if f in str(exc)), next(iter(values)))
            where = origins if isinstance(origins, str) else \
                _origin(tuple(f"timeline.{day}.{field}".split(".")), origins, default)
            raise ScenarioError(str(exc).replace(f"{_MARK}: ", f"{where}: timeline.{day}.")) from None
        configs[day] = config
    return configs


def _set_path(data: dict, path: str, value: Any, source: str, origins: dict[str, str]) -> None:
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ScenarioError(f"{source}: {path!r}: not a dotted field path like population.consumers")
    if path.startswith("policies.exclusivity"):
        raise _moved_error(source, path)
    if path in RETIRED:
        raise ScenarioError(f"{source}: {path}: this field was retired: {RETIRED[path]}")
    node, cls = data, Scenario
    for i, part in enumerate(parts):
        if i == len(parts) - 1 and isinstance(node, list):           # an item of a list field: name.2
            field = ".".join(parts[:-1])
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(f"{source}: {path}: {field} has {len(node)} items; allowed: "
                                    f"{field}.0 to {field}.{len(node) - 1}")
            node[int(part)] = value
            break
        fields = cls.model_fields if cls is not None else {}
        if part not in fields:
            where = ".".join(parts[:i]) or "the top level"
            raise ScenarioError(f"{source}: {path}: unknown field {part!r} in {where}; allowed: "
                                f"{', '.join(fields)}")
        ann = fields[part].annotation
        sub = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if i == len(parts) - 1:
            node[part] = value
        elif sub is None and i == len(parts) - 2 and isinstance(node.get(part, fields[part].default), list):
            node = node.setdefault(part, list(fields[part].default))
        else:
            if sub is None:
                raise ScenarioError(f"{source}: {path}: {'.'.join(parts[:i + 1])} is a value, not a block")
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ScenarioError(f"{source}: {path}: {'.'.join(parts[:i + 1])} is not a block")
        cls = sub
    origins[path] = source
