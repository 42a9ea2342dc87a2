"""The per-agent Mesa core of benchmarks/bench_mesa_core.py does the work it claims (no timing here)."""

import importlib.util
import math
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_mesa_core.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_mesa_core", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("needs", ["clock", "daily"])
def test_mesa_core_needs_orders_and_ranking(bench, needs):
    params = bench.load_params()
    pur, rk = params.purchase, params.ranking
    days = 10
    model = bench.MesaCoreModel(params, consumers=300, merchants=20, rng=3, needs=needs)
    shoppers = list(model.shoppers)
    alive_at_start = sum(s.alive for s in shoppers)
    assert 0.7 * 300 < alive_at_start < 0.97 * 300             # initial_alive_share 0.85
    assert sum(len(s.ties) for s in shoppers) > 300            # veterans start with ties
    assert all(len(s.ties) <= model.slots for s in shoppers)
    assert len({st.category for st in model.stores}) == 6      # every category has a store
    trailing0 = {st: st.trailing_gmv for st in model.stores}
    weight0 = {st: st.weight for st in model.stores}

    for _ in range(days):
        model.step()

    # BG/NBD: needs per alive consumer-day near r / alpha (dropout over 10 days is ~0.3%)
    rate = model.needs / (alive_at_start * days)
    assert 0.7 * pur.r / pur.alpha < rate < 1.4 * pur.r / pur.alpha
    # every need finds a store here (all categories stocked), and the totals match the data collector
    assert model.orders == model.needs > 0
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == days and frame["orders"].sum() == model.orders
    assert frame["gmv"].sum() == pytest.approx(model.gmv) and model.gmv > 0
    # dead consumers have no pending need
    assert all(s.next_need == math.inf for s in shoppers if not s.alive and needs == "clock")
    assert all(len(s.ties) <= model.slots for s in shoppers)

    # ranking: trailing GMV decayed and took the sales; weights follow (prior + trailing)^exponent
    decay = math.exp(-days / rk.memory_days)
    sold = [st for st in model.stores if st.trailing_gmv > trailing0[st] * decay * (1 + 1e-9)]
    assert sold                                               # some store's trailing GMV grew by its sales
    assert all(st.trailing_gmv >= trailing0[st] * decay * (1 - 1e-9) for st in model.stores)
    assert any(st.weight != weight0[st] for st in model.stores)
    daily_decay = math.exp(-1 / rk.memory_days)                # all stores: the start faded, each day's GMV entered
    entered = sum(g * daily_decay ** (days - 1 - d) for d, g in enumerate(frame["gmv"]))
    assert sum(st.trailing_gmv for st in model.stores) == pytest.approx(sum(trailing0.values()) * decay + entered)
    for st in model.stores:
        expected = (model.prior_weight + st.trailing_gmv) ** rk.exponent * (1 + rk.lead_effect * st.lead)
        assert st.weight == pytest.approx(expected)
    for group, cum in zip(model.stores_by_category, model.cum_weights):
        assert cum[-1] == pytest.approx(sum(st.weight for st in group))


def test_mesa_core_is_reproducible(bench):
    params = bench.load_params()
    runs = []
    for _ in range(2):
        model = bench.MesaCoreModel(params, consumers=200, merchants=12, rng=5)
        for _ in range(5):
            model.step()
        runs.append((model.needs, model.orders, model.gmv))
    assert runs[0] == runs[1]


def test_quota_gives_every_label_its_share(bench):
    import random
    labels = bench.quota(20, [0.34, 0.22, 0.16, 0.12, 0.06, 0.10], random.Random(0))
    counts = [labels.count(i) for i in range(6)]
    assert sum(counts) == 20 and min(counts) >= 1
    assert counts[0] == max(counts)
