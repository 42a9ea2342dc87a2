"""Choice: Gumbel-max sampling reproduces logit shares; losses weigh more than gains."""

import numpy as np

from ptsim.scenario import Choice
from ptsim.submodels import choice


def test_gumbel_max_matches_logit_shares():
    rng = np.random.default_rng(3)
    u = np.array([0.0, 0.5, 1.0, -1.0])
    n = 200_000
    util = np.tile(u, (n, 1))
    avail = np.ones_like(util, dtype=bool)
    avail[:, 3] = False
    pick = choice.choose(rng, util, avail)
    freq = np.bincount(pick, minlength=4) / n
    expect = choice.logit_shares(u[None, :3])[0]
    se = np.sqrt(expect * (1 - expect) / n)
    assert np.all(np.abs(freq[:3] - expect) < 4 * se) and freq[3] == 0


def test_no_available_offer_gives_minus_one():
    pick = choice.choose(np.random.default_rng(0), np.zeros((3, 2)), np.zeros((3, 2), bool))
    assert (pick == -1).all()


def test_loss_aversion_is_asymmetric():
    ref = np.ones(2)
    price = np.array([0.9, 1 / 0.9])     # same log distance below and above the reference
    g = choice.reference_gain(ref, price, 2.5)
    assert g[0] > 0 and g[1] < 0 and np.isclose(abs(g[1]), 2.5 * g[0])


def test_utility_prefers_cheaper_better_and_tied_offers():
    c = Choice()
    q = np.array([[0.0, 1.0, 0.0, 0.0]])
    price = np.array([[1.0, 1.0, 0.8, 1.0]])
    rel = np.array([[0.0, 0.0, 0.0, 1.0]])
    u = choice.offer_utility(q, price, np.ones(1), np.zeros((1, 4), bool), rel, np.array([2.0]),
                             np.array([0.3]), c)[0]
    assert u[1] > u[0] and u[2] > u[0] and u[3] > u[0]


def test_deal_proneness_raises_value_of_deals():
    c = Choice()
    on_deal = np.array([[True, False]])
    args = (np.zeros((1, 2)), np.ones((1, 2)), np.ones(1), on_deal, np.zeros((1, 2)), np.array([1.0]))
    low = choice.offer_utility(*args, np.array([0.0]), c)[0]
    high = choice.offer_utility(*args, np.array([1.0]), c)[0]
    assert (high[0] - high[1]) > (low[0] - low[1])


def test_offers_read_the_state_without_changing_it():
    from ptsim import PrivateTrafficModel

    from conftest import small
    m = PrivateTrafficModel(small(), rng=1, create_agents=False)
    before = (m.consumers.rel_level.copy(), m.consumers.rel_last.copy(), m.merchants.impressions.copy())
    buyers = np.arange(200)
    cats = np.arange(200) % m.n_categories
    o = choice.offers(m, buyers, cats, np.random.default_rng(0))
    assert (m.consumers.rel_level == before[0]).all() and (m.consumers.rel_last == before[1]).all()
    assert (m.merchants.impressions == before[2]).all()
    slots = m.consumers.rel_merchant.shape[1] + m.config.ranking.public_slots
    assert o["util"].shape == o["available"].shape == (200, slots)
    # every available offer is a store of the need's category
    rows, cols = np.nonzero(o["available"])
    assert (m.merchants.category[o["stores"][rows, cols]] == cats[rows]).all()


def test_expected_price_is_the_logit_mean_over_the_offer_grid():
    from ptsim import PrivateTrafficModel

    from conftest import small
    m = PrivateTrafficModel(small(), rng=1, create_agents=False)
    buyers = np.arange(300)
    cats = np.arange(300) % m.n_categories
    o = choice.Offers(m, buyers, cats, np.random.default_rng(0))
    rows, paid = o.expected_price()
    g = o.grid()
    assert (rows == np.flatnonzero(g["available"].any(axis=1))).all()
    shares = choice.logit_shares(np.where(g["available"][rows], g["util"][rows], -np.inf))
    assert np.allclose(paid, (shares * np.where(g["available"][rows], g["price"][rows], 0.0)).sum(axis=1))
