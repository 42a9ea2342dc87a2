"""Ranking weight and public traffic: the Polya-urn docking check and the traffic table."""

import numpy as np
import pytest
from conftest import small

from ptsim import PrivateTrafficModel
from ptsim.submodels import ranking
from ptsim.validation.docking import simulate_polya


def test_traffic_table_draws_by_weight_within_category():
    rng = np.random.default_rng(1)
    category = np.array([0, 1, 0, 1, 0, 2])
    weight = np.array([1.0, 1.0, 3.0, 0.0, 6.0, 2.0])
    t = ranking.TrafficTable(category, 4)
    t.update(weight)
    draws = t.draw(rng, np.zeros(50_000, dtype=np.int64), 1)[:, 0]
    freq = np.bincount(draws, minlength=6) / draws.size
    assert np.allclose(freq[[0, 2, 4]], [0.1, 0.3, 0.6], atol=0.01)
    assert freq[[1, 3, 5]].sum() == 0
    assert (t.draw(rng, np.ones(100, dtype=np.int64), 1) == 1).all()      # zero-weight store never drawn
    assert (t.draw(rng, np.full(10, 3, dtype=np.int64), 2) == -1).all()    # empty category


def test_public_loss_per_yuan_is_what_the_ranking_weight_loses_when_sales_move_away():
    """Moving a little of a store's on-site sales away for good: its settled trailing GMV, its weight and so
    (in proportion) its public GMV fall by what `public_loss_per_yuan` says, to first order."""
    memory, prior, exponent, daily, public = 30.0, 500.0, 0.75, 100.0, 1200.0      # public: monthly
    settled = []
    for sales in (daily, daily - 1.0):                      # one yuan a day less: 30 a month moved away
        trailing = np.zeros(1)
        for _ in range(2000):
            ranking.decay_trailing(trailing, np.array([sales]), memory)
        settled.append(ranking.ranking_weight(trailing, prior, exponent)[0])
    lost = public * (1 - settled[1] / settled[0])
    trailing = daily * memory
    expected = 30.0 * ranking.public_loss_per_yuan(np.array([public]), np.array([trailing]), prior, exponent,
                                                   memory)[0]
    assert lost == pytest.approx(expected, rel=0.03)


@pytest.mark.slow
def test_linear_reinforcement_gives_dirichlet_spread():
    """K stores with weight a0 + past sales (a Polya urn) end with Dirichlet(a0) shares.

    Each of U independent urns is one 'category' of a traffic table; every step each urn sells one
    unit to a store drawn by weight, using the model's own weight and traffic functions (the same
    simulation `ptsim validate` reports).
    """
    K, a0, U, n = 10, 1.0, 3000, 400
    shares = simulate_polya(U, n, seed=11, k=K, a0=a0)
    p = 1 / K
    # Dirichlet-multinomial after n draws; tends to sqrt(p(1-p)/(K a0 + 1)) = 0.0905
    expected_sd = np.sqrt(p * (1 - p) * (n + K * a0) / (n * (K * a0 + 1)))
    sd = shares.std()
    se = shares.std(axis=1).std(ddof=1) / np.sqrt(U)     # urns are independent replicates
    assert abs(sd - expected_sd) < 3 * se, (sd, expected_sd, se)
    assert abs(np.sqrt(p * (1 - p) / (K * a0 + 1)) - 0.0905) < 1e-4


def test_stronger_reinforcement_concentrates_merchant_gmv():
    """The rich-get-richer loop: a higher ranking exponent gives a more concentrated market."""
    for seed in (5, 6, 7):
        hhi = {}
        for exponent in (0.5, 1.5):
            s = small(**{"ranking.exponent": exponent, "run.days": 120})
            hhi[exponent] = PrivateTrafficModel(s, rng=seed, create_agents=False).run().summary()["hhi_merchant_gmv"]
        assert hhi[1.5] > hhi[0.5], (seed, hhi)


def test_todays_sales_feed_ranking_by_channel_and_leakage_feeds_nothing():
    from ptsim.orders import Channel, Level, Orders

    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0}), rng=1, create_agents=False)
    mm = m.merchants
    mm.start_day()
    channel = np.array([Channel.PUBLIC, Channel.PRIVATE, Channel.DIRECT, Channel.OFFPLATFORM])
    orders = Orders(buyers=np.arange(4), stores=np.full(4, 2), category=np.zeros(4, np.int64),
                    level=np.full(4, Level.FAN, np.int8), price=np.ones(4), depth=np.zeros(4),
                    insider=np.zeros(4, bool), channel=channel, slot=np.zeros(4, np.int64))
    orders.value = np.array([1.0, 10.0, 100.0, 1000.0])
    ranking.on_purchase(m, orders)
    assert mm.site_sales_today[2] == 11.0 and mm.wechat_sales_today[2] == 100.0 and mm.sales_today[2] == 111.0
    assert mm.sales_today.sum() == 111.0


def test_guide_table_finds_what_a_binary_search_finds():
    """The guided draw is exact: the same store as `searchsorted` for random draws and for draws exactly on
    an edge, with categories empty, tiny or holding zero-weight stores."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        n, k = int(rng.integers(1, 300)), int(rng.integers(1, 8))
        table = ranking.TrafficTable(rng.integers(0, k, n), k)
        table.update(rng.gamma(0.3, 1.0, n) * (rng.random(n) < 0.9))
        assert (np.diff(table.edges) >= 0).all()
        u = np.concatenate([rng.random(2000) + rng.integers(0, k, 2000), table.edges, np.nextafter(table.edges, 0)])
        u = u[u < k]
        expected = np.minimum(np.searchsorted(table.edges, u, side="right"), n - 1)
        assert (table.locate(u) == expected).all()
