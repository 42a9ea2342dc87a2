"""Choice: Gumbel-max sampling reproduces logit shares; losses weigh more than gains."""

import numpy as np

from ptsim.scenario import Choice
from ptsim.submodels import choice


def offers_with(pub_util, public_ok, t_util, row):
    """An `Offers` holding the given utilities (public grid, flat tied offers of rows `row`)."""
    o = object.__new__(choice.Offers)
    o.buyers, o.pub_util, o.public_ok, o.t_util, o.row = np.arange(len(pub_util)), pub_util, public_ok, t_util, row
    return o


def test_gumbel_max_over_public_and_tied_offers_matches_logit_shares():
    rng = np.random.default_rng(3)
    n = 200_000
    pub = np.tile([0.0, 0.5, 1.0, -1.0], (n, 1))
    ok = np.ones_like(pub, dtype=bool)
    ok[:, 3] = False
    t_util, row = np.full(n // 2, 0.7), np.arange(0, n, 2)           # every other buyer has a tied offer too
    rows, col, tied_pick = offers_with(pub, ok, t_util, row).choose(rng)
    assert rows.size == n and (col[tied_pick >= 0] == -1).all() and (tied_pick[col >= 0] == -1).all()
    for has_tie, utils in ((True, [0.0, 0.5, 1.0, 0.7]), (False, [0.0, 0.5, 1.0])):
        mine = (np.arange(n) % 2 == 0) == has_tie
        pick = np.where(tied_pick[mine] >= 0, 3, col[mine])
        freq = np.bincount(pick, minlength=4)[:len(utils)] / mine.sum()
        expect = choice.logit_shares(np.array([utils]))[0]
        se = np.sqrt(expect * (1 - expect) / mine.sum())
        assert np.all(np.abs(freq - expect) < 4 * se)


def test_no_available_offer_means_no_choice():
    rows, _, _ = offers_with(np.zeros((3, 2)), np.zeros((3, 2), bool), np.zeros(0), np.zeros(0, int)).choose(
        np.random.default_rng(0))
    assert rows.size == 0


def test_loss_aversion_is_asymmetric():
    ref = np.ones(2)
    price = np.array([0.9, 1 / 0.9])     # same log distance below and above the reference
    g = choice.reference_gain(np.log(ref), np.log(price), 2.5)
    assert g[0] > 0 and g[1] < 0 and np.isclose(abs(g[1]), 2.5 * g[0])


def test_utility_prefers_cheaper_better_and_tied_offers():
    c = Choice()
    q = np.array([[0.0, 1.0, 0.0, 0.0]])
    price = np.array([[1.0, 1.0, 0.8, 1.0]])
    rel = np.array([[0.0, 0.0, 0.0, 1.0]])
    u = choice.offer_utility(q, np.log(price), np.zeros(1), np.zeros((1, 4), bool), rel, np.array([2.0]),
                             np.array([0.3]), c)[0]
    assert u[1] > u[0] and u[2] > u[0] and u[3] > u[0]


def test_deal_proneness_raises_value_of_deals():
    c = Choice()
    on_deal = np.array([[True, False]])
    args = (np.zeros((1, 2)), np.zeros((1, 2)), np.zeros(1), on_deal, np.zeros((1, 2)), np.array([1.0]))
    low = choice.offer_utility(*args, np.array([0.0]), c)[0]
    high = choice.offer_utility(*args, np.array([1.0]), c)[0]
    assert (high[0] - high[1]) > (low[0] - low[1])


def test_offers_read_the_state_without_changing_it():
    from conftest import small

    from ptsim import PrivateTrafficModel
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
    from conftest import small

    from ptsim import PrivateTrafficModel
    m = PrivateTrafficModel(small(), rng=1, create_agents=False)
    buyers = np.arange(300)
    cats = np.arange(300) % m.n_categories
    o = choice.Offers(m, buyers, cats, np.random.default_rng(0))
    rows, paid = o.expected_price()
    g = o.grid(m)
    assert (rows == np.flatnonzero(g["available"].any(axis=1))).all()
    shares = choice.logit_shares(np.where(g["available"][rows], g["util"][rows], -np.inf))
    assert np.allclose(paid, (shares * np.where(g["available"][rows], g["price"][rows], 0.0)).sum(axis=1))


def test_the_outside_option_takes_its_logit_share_and_is_counted():
    rng = np.random.default_rng(4)
    n = 200_000
    o = offers_with(np.tile([0.0, 1.0], (n, 1)), np.ones((n, 2), bool), np.zeros(0), np.zeros(0, int))
    o.outside = 0.5
    rows, col, _ = o.choose(rng)
    expect = choice.logit_shares(np.array([[0.0, 1.0, 0.5]]))[0]
    se = np.sqrt(expect * (1 - expect) / n)
    assert o.given_up == n - rows.size
    assert abs(o.given_up / n - expect[2]) < 4 * se[2]
    assert abs(np.mean(col == 1) * rows.size / n - expect[1]) < 4 * se[1]


def test_deal_proneness_scales_the_price_weight_around_its_starting_mean():
    w = choice.deal_scaled_weight(np.full(3, 2.0), np.array([0.3, 0.8, 0.0]), 0.6, 0.3)
    assert np.allclose(w, [2.0, 2.6, 2.0 * 0.82])
    assert choice.deal_scaled_weight(np.ones(1), np.zeros(1), 3.0, 0.9)[0] == 0.0
