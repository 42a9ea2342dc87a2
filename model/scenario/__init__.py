"""Scenarios: the schema (schema.py), safe YAML reading (yaml_safe.py), the library (library.py), files
and their `extends:` chains (extends.py), `--set` options (overrides.py), the docs generator (docs.py).

    from ptsim.scenario import load_scenario, Scenario, ScenarioError
"""

from ..errors import MAX_MESSAGE, InputError, one_line, quote
from .extends import load_scenario
from .library import extends_ref, library, library_dir, not_a_file, scenario_path
from .overrides import parse_set_options
from .schema import (
    CATEGORIES,
    LEVER_FIELDS,
    MAX_DEPTH,
    MAX_EXTENDS,
    MAX_FILE_BYTES,
    MAX_NAME,
    MAX_REPS,
    MAX_RUNS,
    MAX_TEXT,
    MAX_TIMELINE_DAY,
    MAX_VALUES,
    MOVED,
    RETIRED,
    STAGE_NAMES,
    TIER_NAMES,
    AntiDiversion,
    Block,
    Browsing,
    Categories,
    Category,
    Choice,
    Commission,
    ConsumerSelection,
    Coupons,
    FanPerks,
    Groups,
    Insider,
    InsiderSaleOnce,
    Instruments,
    Launch,
    Lifecycle,
    MerchantSetup,
    NewProductWindow,
    OffsiteContent,
    P,
    Policies,
    Population,
    PriceSensitivity,
    Purchase,
    Range,
    Ranking,
    Relationships,
    Run,
    SavingsCard,
    Scenario,
    ScenarioError,
    Seasonality,
    Share,
    Spend,
    StoreCredit,
    StoreSelection,
    Treatment,
    VipProgramme,
    WeChat,
    WeChatDirect,
    WeightBonus,
    bounds,
    field_value,
    is_lever,
    nested_fields,
    schema_field,
)
from .yaml_safe import NotYAML, parse_yaml

__all__ = ['MAX_MESSAGE', 'InputError', 'one_line', 'quote', 'CATEGORIES', 'MAX_FILE_BYTES', 'MAX_VALUES', 'MAX_TEXT', 'MAX_DEPTH', 'MAX_EXTENDS', 'MAX_NAME', 'MAX_RUNS', 'MAX_REPS', 'ScenarioError', 'P', 'Range', 'Share', 'Block', 'Run', 'Population', 'Category', 'Categories', 'Purchase', 'Spend', 'Seasonality', 'MerchantSetup', 'Ranking', 'Choice', 'PriceSensitivity', 'Relationships', 'Groups', 'Insider', 'WeChat', 'Lifecycle', 'VipProgramme', 'SavingsCard', 'WeChatDirect', 'WeightBonus', 'AntiDiversion', 'Commission', 'NewProductWindow', 'Browsing', 'InsiderSaleOnce', 'FanPerks', 'Coupons', 'StoreCredit', 'OffsiteContent', 'Launch', 'Instruments', 'TIER_NAMES', 'STAGE_NAMES', 'StoreSelection', 'ConsumerSelection', 'Treatment', 'Policies', 'Scenario', 'LEVER_FIELDS', 'is_lever', 'schema_field', 'field_value', 'nested_fields', 'MOVED', 'RETIRED', 'bounds', 'MAX_TIMELINE_DAY', 'NotYAML', 'parse_yaml', 'not_a_file', 'library_dir', 'library', 'scenario_path', 'extends_ref', 'load_scenario', 'parse_set_options']
