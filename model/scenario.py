"""Scenario files: a typed schema, `extends:` inheritance and `--set` overrides.

Every parameter has a default, a unit and an allowed range, declared once here; `docs/scenarios.md`
is generated from this schema (`python -m model.scenario_docs`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CATEGORIES = ("fmcg", "apparel", "beauty", "mother_baby", "digital", "sports_outdoor")
TIERS = ("top", "growth", "sme")
GROUP_ENTRY = ("none", "visited", "favourited", "purchased", "interest")


class ScenarioError(Exception):
    """A malformed scenario: the message is one line naming file, field and what is allowed."""


def P(default, unit: str, doc: str, ge=None, le=None, gt=None, lt=None, source: str = ""):
    """A documented scenario parameter: default, unit, allowed range, one-line meaning, source."""
    return Field(default, ge=ge, le=le, gt=gt, lt=lt, description=doc,
                 json_schema_extra={"unit": unit, "source": source})


class Block(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Run(Block):
    days: int = P(365, "days", "Simulated horizon.", ge=1, le=3650)
    seed: int = P(20250101, "-", "Root seed; replication seeds are spawned from it.", ge=0)
    reps: int = P(1, "runs", "Replications (independent seeds) per scenario.", ge=1, le=10000)
    burn_in_days: int = P(365, "days", "Days simulated before day 0 and not recorded, so the synthetic "
                          "initial state settles.", ge=0, le=3650)
    start_day_of_year: int = P(0, "day", "Calendar day of year of simulation day 0 (0 = 1 January).",
                               ge=0, le=364)


class Population(Block):
    consumers: int = P(100_000, "agents", "Consumer agents.", ge=10, le=20_000_000)
    merchants: int = P(1_000, "agents", "Merchant (store) agents.", ge=6, le=200_000)
    scale: float = P(10_000.0, "real consumers per agent",
                     "Real consumers each agent stands for; GMV and counts are reported at real scale.",
                     gt=0, source="~1 billion Taobao/Tmall buyers (seed 003) / 100k agents")
    wechat_user_share: float = P(0.9, "share", "Consumers who use WeChat.", ge=0, le=1,
                                 source="1.2 billion WeChat MAU (seed 002)")
    new_user_share: float = P(0.08, "share", "Consumers who have never bought at day 0 (tier U).",
                              ge=0, le=1)
    category_concentration: float = P(0.6, "-", "Dirichlet concentration of each consumer's "
                                      "category preferences (small = specialised).", gt=0, le=100)


class Category(Block):
    share: float = P(1 / 6, "share", "Share of needs and of merchants in this category.", ge=0, le=1)
    base_price: float = P(150.0, "yuan", "Typical item price in the category.", gt=0, le=100_000)


def _cat(share, price):
    return Field(default_factory=lambda: Category(share=share, base_price=price))


class Categories(Block):
    fmcg: Category = _cat(0.30, 60.0)
    apparel: Category = _cat(0.22, 160.0)
    beauty: Category = _cat(0.16, 220.0)
    mother_baby: Category = _cat(0.12, 120.0)
    digital: Category = _cat(0.10, 900.0)
    sports_outdoor: Category = _cat(0.10, 260.0)


class Purchase(Block):
    """BG/NBD purchase timing (Fader, Hardie & Lee 2005), time unit = day."""
    r: float = P(0.6, "-", "Gamma shape of the latent purchase rate.", gt=0, le=100,
                 source="Fader, Hardie & Lee 2005 (form); value chosen for ~20 needs/yr")
    alpha: float = P(10.0, "days", "Gamma scale-inverse of the purchase rate (mean rate r/alpha per day).",
                     gt=0, le=10_000)
    a: float = P(0.8, "-", "Beta a of the dropout probability after each repeat purchase.", gt=0, le=100)
    b: float = P(150.0, "-", "Beta b of the dropout probability.", gt=0, le=10_000)
    modulations: bool = P(True, "flag", "Let relationships, seasonality, deals and policies modulate "
                          "timing and dropout; off = the plain BG/NBD process (docking).")
    reactivation_per_touch: float = P(0.05, "probability", "Chance a private touch or a festival "
                                      "reactivates a dormant consumer.", ge=0, le=1)
    initial_alive_share: float = P(0.85, "share", "Consumers alive (not dormant) at day 0.", ge=0, le=1)


class Seasonality(Block):
    enabled: bool = P(True, "flag", "Festival demand peaks and platform-wide discounts.")
    festival_days: list[int] = P([168, 314], "day of year", "Peak days (618 = 18 June, Double 11 = 11 Nov).")
    window_days: int = P(12, "days", "Length of each festival's sale window, ending on the peak day.",
                         ge=1, le=60)
    demand_multiplier: float = P(2.5, "x", "Need rate at the peak day relative to an ordinary day "
                                 "(ramps up over the window).", ge=1, le=20)
    festival_discount: float = P(0.15, "share of price", "Platform-wide discount during festival windows.",
                                 ge=0, le=0.9)


class MerchantSetup(Block):
    tier_shares: list[float] = P([0.02, 0.13, 0.85], "shares", "Shares of top brands, growth/original "
                                 "brands and SMEs among merchants.")
    size_sigma: float = P(1.0, "log-sd", "Heavy tail of initial store size (lognormal sigma within tier).",
                          ge=0, le=5)
    tier_size: list[float] = P([120.0, 10.0, 1.0], "x", "Median initial size of each tier relative to SMEs.")
    price_sigma: float = P(0.25, "log-sd", "Spread of price levels around the category base price.",
                           ge=0, le=2)
    deal_rate: float = P(0.04, "per day", "Chance a store runs an ordinary deal on a given day.", ge=0, le=1)
    deal_depth: float = P(0.12, "share of price", "Discount of an ordinary deal.", ge=0, le=0.9)
    lead: list[float] = P([0.8, 0.5, 0.2], "effort 0..1", "LEAD effort by tier (top, growth, sme).")
    interlock: list[float] = P([0.8, 0.5, 0.2], "effort 0..1", "INTERLOCK effort by tier.")
    engage: list[float] = P([0.8, 0.5, 0.2], "effort 0..1", "ENGAGE effort by tier.")
    keep: list[float] = P([0.8, 0.5, 0.2], "effort 0..1", "KEEP effort by tier.")


class Ranking(Block):
    prior_weight: float = P(0.1, "share of mean trailing sales", "Weight every store has regardless of "
                            "sales (the a0 of a Polya urn), relative to the mean store's trailing GMV.",
                            ge=0, le=1000)
    memory_days: float = P(30.0, "days", "Time constant of trailing GMV used for ranking weight.",
                           gt=0, le=1e9)
    exponent: float = P(0.75, "-", "Weight = (prior + trailing GMV)^exponent; 1 = linear reinforcement "
                        "(a Polya urn), below 1 damps the rich-get-richer loop.",
                        ge=0, le=3)
    public_slots: int = P(4, "stores", "Stores shown to a consumer from public traffic per need.", ge=1, le=20)
    lead_effect: float = P(0.5, "x per effort", "Extra public traffic per unit of LEAD effort (paid and "
                           "off-site traffic).", ge=0, le=10)


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
    relationship_utility: list[float] = P([0.4, 1.0, 1.6], "utils", "Utility of a store the consumer "
                                          "is a visitor, fan, member of.")


class PriceSensitivity(Block):
    reference_smoothing: float = P(0.3, "-", "Weight of the latest price paid in the reference price "
                                   "(exponential smoothing).", ge=0, le=1, source="Briesch et al. 1997")
    deal_proneness_mean: float = P(0.3, "0..1", "Mean initial deal-proneness.", gt=0, lt=1)
    deal_proneness_concentration: float = P(6.0, "-", "Beta concentration of initial deal-proneness.",
                                            gt=0, le=1000)
    deal_learning: float = P(0.6, "per unit depth", "Rise of deal-proneness after buying on a deal, per "
                             "unit of discount depth.", ge=0, le=10,
                             source="Mela, Gupta & Lehmann 1997; Zhang et al. 2020")
    decay_days: float = P(120.0, "days", "Time constant of deal-proneness returning to its baseline.",
                          gt=0, le=1e6)
    defer_horizon_days: int = P(14, "days", "A deal-prone consumer may wait for a sale this many days ahead.",
                                ge=0, le=120)
    defer_propensity: float = P(0.6, "probability", "Chance to wait for an anticipated sale, at full "
                                "deal-proneness.", ge=0, le=1)


class Relationships(Block):
    slots: int = P(4, "stores", "Store relationships a consumer remembers.", ge=1, le=16)
    follow_prob: float = P(0.06, "probability", "Chance a buyer becomes a fan after a purchase, at full "
                           "INTERLOCK effort (follow discount).", ge=0, le=1)
    join_prob: float = P(0.05, "probability", "Chance a fan joins membership after a purchase, at full "
                         "INTERLOCK effort (new-member gift).", ge=0, le=1)
    touch_rate: list[float] = P([0.0, 0.03, 0.06], "per day", "Private touches (push, member message) "
                                "per relationship at full ENGAGE effort: visitor, fan, member.")
    touch_pull_days: float = P(10.0, "days", "A touch turns into a purchase now if the consumer's next "
                               "need is due within this many days.", ge=0, le=365)
    keep_dropout_cut: float = P(0.5, "share", "Cut of members' dropout probability at full KEEP effort.",
                                ge=0, le=1)
    member_basket: float = P(1.8, "x", "Basket size of members relative to others.", ge=0.1, le=20)
    fan_basket: float = P(1.2, "x", "Basket size of fans relative to others.", ge=0.1, le=20)
    basket_sigma: float = P(0.5, "log-sd", "Spread of basket size per order.", ge=0, le=3)
    lapse_days: int = P(180, "days", "A tie not visited for this long drops one level (member -> fan -> "
                        "visitor -> forgotten).", ge=1, le=3650)
    member_discount: float = P(0.05, "share of price", "Member price cut at full KEEP effort.", ge=0, le=0.9)


class Lifecycle(Block):
    taoqi_base: float = P(400.0, "points", "Taoqi score of a consumer with no spending.", ge=0, le=5000)
    taoqi_per_yuan: float = P(0.05, "points per yuan", "Taoqi points per yuan spent over the trailing year.",
                              ge=0, le=100)
    taoqi_cap: float = P(2500.0, "points", "Maximum taoqi score.", ge=0, le=10000)
    mature_orders: int = P(2, "orders", "Orders after which a new user (U) is a mature consumer (C).",
                           ge=1, le=100)


class Exclusivity(Block):
    vip_taoqi_threshold: float = P(1000.0, "points", "Taoqi score needed to buy 88VIP.", ge=0, le=10000,
                                   source="seed 003: 88VIP open at taoqi >= 1000")


class VipProgramme(Block):
    enabled: bool = P(True, "flag", "88VIP exists.")
    fee: float = P(88.0, "yuan per year", "Annual fee.", ge=0, le=10000)
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


class Policies(Block):
    exclusivity: Exclusivity = Field(default_factory=Exclusivity)
    vip_programme: VipProgramme = Field(default_factory=VipProgramme)


class Scenario(Block):
    """A complete, validated scenario."""
    name: str = P("baseline", "-", "Short name used in tables and file names.")
    description: str = P("", "-", "What the scenario is for and which question it serves.")
    run: Run = Field(default_factory=Run)
    population: Population = Field(default_factory=Population)
    categories: Categories = Field(default_factory=Categories)
    purchase: Purchase = Field(default_factory=Purchase)
    seasonality: Seasonality = Field(default_factory=Seasonality)
    merchants: MerchantSetup = Field(default_factory=MerchantSetup)
    ranking: Ranking = Field(default_factory=Ranking)
    choice: Choice = Field(default_factory=Choice)
    price_sensitivity: PriceSensitivity = Field(default_factory=PriceSensitivity)
    relationships: Relationships = Field(default_factory=Relationships)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    policies: Policies = Field(default_factory=Policies)

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """Short hash of the resolved scenario (for manifests and caching)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> "Scenario":
        """A copy with dotted-path overrides applied and re-validated."""
        data = self.to_dict()
        origins: dict[str, str] = {}
        for path, value in overrides.items():
            _set_path(data, path, value, source, origins)
        return _validate(data, origins, default_origin=source)


# list-valued parameters with a fixed length, checked after field validation
_LIST_LENGTHS = {
    ("seasonality", "festival_days"): None,
    ("merchants", "tier_shares"): 3, ("merchants", "tier_size"): 3,
    ("merchants", "lead"): 3, ("merchants", "interlock"): 3,
    ("merchants", "engage"): 3, ("merchants", "keep"): 3,
    ("choice", "relationship_utility"): 3, ("relationships", "touch_rate"): 3,
}


def _check_lists(s: Scenario) -> list[tuple[tuple, str, Any]]:
    problems = []
    for (block, field), n in _LIST_LENGTHS.items():
        value = getattr(getattr(s, block), field)
        if n is not None and len(value) != n:
            problems.append(((block, field), f"needs exactly {n} values (top, growth, sme or "
                             f"visitor, fan, member)", value))
        elif any(v < 0 for v in value):
            problems.append(((block, field), "values must be >= 0", value))
    if abs(sum(s.merchants.tier_shares) - 1) > 1e-6:
        problems.append((("merchants", "tier_shares"), "shares must sum to 1", s.merchants.tier_shares))
    for f in ("lead", "interlock", "engage", "keep"):
        if any(v > 1 for v in getattr(s.merchants, f)):
            problems.append((("merchants", f), "efforts must lie in [0, 1]", getattr(s.merchants, f)))
    if any(not 0 <= d <= 364 for d in s.seasonality.festival_days):
        problems.append((("seasonality", "festival_days"), "days of year must lie in [0, 364]",
                         s.seasonality.festival_days))
    if sum(getattr(s.categories, c).share for c in CATEGORIES) <= 0:
        problems.append((("categories",), "at least one category share must be > 0", 0))
    return problems


def _describe_allowed(model_cls: type[BaseModel]) -> str:
    return ", ".join(model_cls.model_fields)


def _block_at(loc: tuple) -> type[BaseModel] | None:
    cls: Any = Scenario
    for part in loc:
        field = cls.model_fields.get(part) if isinstance(cls, type) and issubclass(cls, BaseModel) else None
        if field is None:
            return None
        cls = field.annotation
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _origin(loc: tuple, origins: dict[str, str], default: str) -> str:
    parts = [str(p) for p in loc]
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in origins:
            return origins[key]
    return default


def _range_text(loc: tuple) -> str:
    block = _block_at(loc[:-1])
    if block is None or loc[-1] not in block.model_fields:
        return ""
    f = block.model_fields[loc[-1]]
    bounds = []
    for m in f.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                bounds.append(f"{sym} {getattr(m, attr)}")
    return " and ".join(bounds)


def _validate(data: dict, origins: dict[str, str], default_origin: str) -> Scenario:
    try:
        s = Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        where = _origin(loc, origins, default_origin)
        path = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            parent = _block_at(loc[:-1])
            allowed = _describe_allowed(parent) if parent else "?"
            raise ScenarioError(f"{where}: {path}: unknown key; allowed keys here: {allowed}") from None
        rng = _range_text(loc)
        allowed = f"; allowed: {rng}" if rng and "than" in err["msg"] else ""
        raise ScenarioError(f"{where}: {path}: {err['msg']} (got {err.get('input')!r}){allowed}") from None
    problems = _check_lists(s)
    if problems:
        loc, msg, value = problems[0]
        where = _origin(loc, origins, default_origin)
        raise ScenarioError(f"{where}: {'.'.join(loc)}: {msg} (got {value!r})")
    return s


def _set_path(data: dict, path: str, value: Any, source: str, origins: dict[str, str]) -> None:
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ScenarioError(f"{source}: {path!r}: not a dotted field path like population.consumers")
    node, cls = data, Scenario
    for i, part in enumerate(parts):
        fields = cls.model_fields if cls is not None else {}
        if part not in fields:
            where = ".".join(parts[:i]) or "the top level"
            raise ScenarioError(f"{source}: {path}: unknown field {part!r} in {where}; allowed: "
                                f"{', '.join(fields)}")
        ann = fields[part].annotation
        sub = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if i == len(parts) - 1:
            node[part] = value
        else:
            if sub is None:
                raise ScenarioError(f"{source}: {path}: {'.'.join(parts[:i + 1])} is a value, not a block")
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ScenarioError(f"{source}: {path}: {'.'.join(parts[:i + 1])} is not a block")
        cls = sub
    origins[path] = source


def _deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _leaf_paths(d: dict, prefix: str = ""):
    for k, v in d.items():
        p = f"{prefix}{k}"
        yield p
        if isinstance(v, dict):
            yield from _leaf_paths(v, p + ".")


def _read_yaml(path: Path, chain: tuple[Path, ...]) -> tuple[dict, dict[str, str]]:
    """Read a scenario file and its `extends` ancestors; return merged data and field origins."""
    if path in chain:
        raise ScenarioError(f"{path}: extends: circular chain {' -> '.join(map(str, chain + (path,)))}")
    if not path.is_file():
        parent = chain[-1] if chain else None
        where = f"{parent}: extends" if parent else str(path)
        raise ScenarioError(f"{where}: scenario file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{path}:{line}: YAML syntax error: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read file: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: top level must be a mapping of blocks (got {type(raw).__name__})")
    raw = dict(raw)
    base_data: dict = {}
    origins: dict[str, str] = {}
    parent = raw.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(f"{path}: extends: must be a file name (got {parent!r})")
        base_data, origins = _read_yaml((path.parent / parent).resolve(), chain + (path,))
    for p in _leaf_paths(raw):
        origins[p] = str(path)
    return _deep_merge(base_data, raw), origins


def load_scenario(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario file (or the defaults if `path` is None), applying overrides.

    `overrides` maps dotted field paths to values, e.g. `{"population.consumers": 5000}`.
    Raises ScenarioError with a one-line message on any malformed input.
    """
    data: dict = {}
    origins: dict[str, str] = {}
    default_origin = "defaults"
    if path is not None:
        p = Path(path)
        data, origins = _read_yaml(p.resolve(), ())
        # name the file as the user gave it
        origins = {k: (str(p) if v == str(p.resolve()) else v) for k, v in origins.items()}
        default_origin = str(p)
        data.setdefault("name", p.stem)
    for key, value in (overrides or {}).items():
        _set_path(data, key, value, "--set", origins)
    return _validate(data, origins, default_origin)


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """Parse `--set path=value` strings; values are read as YAML scalars (numbers, booleans, lists)."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError(f"--set {item}: expected field.path=value, e.g. population.consumers=5000")
        key, text = item.split("=", 1)
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        out[key.strip()] = value
    return out

