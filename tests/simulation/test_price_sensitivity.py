"""Reference prices, deal-proneness learning and decay, waiting for a deal."""

import numpy as np

from ptsim.submodels import price_sensitivity as ps


def test_reference_price_moves_toward_price_paid():
    ref = ps.update_reference(np.array([1.0, 1.0]), np.array([0.8, 1.2]), 0.3)
    assert np.allclose(ref, [0.94, 1.06])


def test_deeper_deals_teach_more_deal_proneness_and_it_stays_below_one():
    dp = np.full(3, 0.3)
    out = ps.learn_from_deal(dp, np.array([0.0, 0.1, 0.5]), 0.6)
    assert out[0] == 0.3 and 0.3 < out[1] < out[2] < 1.0
    assert ps.learn_from_deal(np.array([0.99]), np.array([0.9]), 10.0)[0] <= 1.0


def test_deal_proneness_decays_to_baseline():
    dp = np.array([0.9, 0.1], dtype=np.float32)
    base = np.array([0.3, 0.3], dtype=np.float32)
    for _ in range(2000):
        ps.decay_toward_baseline(dp, base, 100.0)
    assert np.allclose(dp, base, atol=1e-3)


def test_only_deal_prone_consumers_without_a_deal_wait_when_a_sale_is_ahead():
    rng = np.random.default_rng(0)
    n = 100_000
    dp = np.full(n, 0.5)
    no_deal = np.zeros(n, bool)
    ahead = np.ones(n, bool)
    wait = ps.wait_for_deal(rng, dp, no_deal, ahead, 0.6)
    assert abs(wait.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    assert not ps.wait_for_deal(rng, dp, ~no_deal, ahead, 0.6).any()
    assert not ps.wait_for_deal(rng, dp, no_deal, ~ahead, 0.6).any()
