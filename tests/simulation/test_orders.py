"""The Orders batch and the coded quantities (one IntEnum each)."""

import numpy as np

from ptsim.orders import TIER_BY_NAME, Channel, Level, Lever, Orders, Prompt, Route, Stage, Tier


def batch(n=5):
    return Orders(buyers=np.arange(n), stores=np.arange(n) + 10, category=np.arange(n) % 2,
                  level=np.array([Level.NONE, Level.VISITOR, Level.FAN, Level.MEMBER, Level.GROUP][:n], np.int8),
                  price=np.linspace(0.5, 1.0, n), depth=np.zeros(n), insider=np.arange(n) == 2,
                  channel=np.array([Channel.PUBLIC, Channel.PRIVATE, Channel.DIRECT, Channel.OFFPLATFORM,
                                    Channel.PRIVATE][:n]),
                  slot=np.array([-1, 0, 1, 2, 3][:n]), prompt=Prompt.TOUCH)


def test_take_keeps_the_orders_a_mask_selects_in_every_array():
    o = batch()
    o.value = np.arange(5) * 100.0
    keep = np.array([True, False, True, False, True])
    t = o.take(keep)
    assert len(t) == 3 and list(t.buyers) == [0, 2, 4] and list(t.stores) == [10, 12, 14]
    assert list(t.value) == [0.0, 200.0, 400.0] and list(t.slot) == [-1, 1, 3]
    assert list(t.insider) == [False, True, False] and list(t.level) == [Level.NONE, Level.FAN, Level.GROUP]
    assert t.prompt == Prompt.TOUCH                                   # scalars travel unchanged
    assert t.orders_before is None and t.community is None            # fields not yet filled stay empty
    assert len(o) == 5                                                # the original batch is untouched


def test_take_with_indices_and_nothing():
    o = batch()
    t = o.take(np.array([3, 1]))
    assert list(t.buyers) == [3, 1] and list(t.channel) == [Channel.OFFPLATFORM, Channel.PRIVATE]
    t.buyers[0] = 99                                                  # a copy, not a view
    assert o.buyers[3] == 3
    empty = o.take(np.zeros(5, bool))
    assert len(empty) == 0 and empty.price.shape == (0,)


def test_on_platform_excludes_only_diverted_orders():
    assert list(batch().on_platform) == [True, True, True, False, True]


def test_enums_used_as_indices_count_from_zero_without_gaps():
    """Channel, Lever, Stage, Tier and Route index bincounts and columns: values 0..n-1."""
    for enum in (Channel, Lever, Stage, Tier, Route, Prompt):
        assert sorted(int(e) for e in enum) == list(range(len(enum))), enum
    levels = [v for k, v in vars(Level).items() if k.isupper()]
    assert all(type(v) is int for v in levels)          # plain ints: numpy keeps int8 tie arrays int8
    assert sorted(levels) == list(range(-1, len(levels) - 1))
    assert TIER_BY_NAME == {"top": Tier.TOP, "growth": Tier.GROWTH, "sme": Tier.SME}


def test_no_two_coded_quantities_share_a_name():
    names = [e.name for enum in (Channel, Prompt, Route, Tier, Stage, Lever) for e in enum]
    names += [k for k in vars(Level) if k.isupper()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_no_module_redefines_a_coded_quantity():
    import importlib
    import pkgutil

    import ptsim
    import ptsim.policies
    import ptsim.submodels
    names = {e.name for enum in (Channel, Prompt, Route, Tier, Stage, Lever) for e in enum}
    names |= {k for k in vars(Level) if k.isupper()}
    modules = [ptsim.model, ptsim.outcomes, ptsim.population] + [
        importlib.import_module(f"{pkg.__name__}.{info.name}")
        for pkg in (ptsim.submodels, ptsim.policies) for info in pkgutil.iter_modules(pkg.__path__)]
    for module in modules:
        clash = {n for n in names if isinstance(getattr(module, n, None), (int, np.integer))
                 and not isinstance(getattr(module, n), (Channel, Prompt, Route, Tier, Stage, Lever))}
        assert not clash, (module.__name__, clash)
