"""Compiled kernels and their numpy twins give the same numbers."""

import numpy as np
import pytest

from ptsim import PrivateTrafficModel, kernels

from conftest import small


def test_kernels_are_compiled_where_numba_is_installed():
    pytest.importorskip("numba")
    assert kernels.ENABLED, "numba is installed but the kernels are off (PTSIM_KERNELS=numpy?)"


@pytest.mark.parametrize("seed", [1, 2])
def test_slots_of_and_tie_counts_match_their_twins(seed, monkeypatch):
    pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    n, slots, stores = 5_000, 6, 50
    merchant = np.where(rng.random((n, slots)) < 0.5, rng.integers(0, stores, (n, slots)), -1).astype(np.int32)
    level = np.where(merchant >= 0, rng.integers(0, 4, (n, slots)), -1).astype(np.int8)
    last = rng.integers(0, 100, (n, slots)).astype(np.int32)
    wechat = (merchant >= 0) & (rng.random((n, slots)) < 0.2)
    left_out = rng.integers(0, 100, n).astype(np.int32)
    chosen = rng.random(stores) < 0.2
    compiled = kernels.slots_of(merchant, chosen), kernels.tie_counts(level, last, wechat, 70, left_out, 90)
    monkeypatch.setattr(kernels, "ENABLED", False)
    twins = kernels.slots_of(merchant, chosen), kernels.tie_counts(level, last, wechat, 70, left_out, 90)
    assert compiled[0].size > 0 and np.array_equal(compiled[0], twins[0])
    assert compiled[1] == twins[1] and compiled[1]["fans"] > 0 and compiled[1]["left_out_users"] > 0


def test_the_model_gives_the_same_numbers_with_kernels_and_with_numpy(monkeypatch):
    pytest.importorskip("numba")
    s = small(**{"run.days": 60})
    with_kernels = PrivateTrafficModel(s, rng=5, create_agents=False, cache=False).run().timeseries()
    monkeypatch.setattr(kernels, "ENABLED", False)
    with_numpy = PrivateTrafficModel(s, rng=5, create_agents=False, cache=False).run().timeseries()
    assert with_kernels["orders"].sum() > 0
    assert with_kernels.equals(with_numpy)
