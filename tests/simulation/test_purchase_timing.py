"""Purchase timing: the closed forms, and the model docked to the BG/NBD (CDNOW parameters)."""

import numpy as np
import pytest
from conftest import small

from ptsim import PrivateTrafficModel, bgnbd
from ptsim.submodels import purchase_timing as pt

# Fader, Hardie & Lee (2005), CDNOW, weeks as the unit
R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426


def test_closed_forms_match_published_values():
    assert bgnbd.bgnbd_expected_repeats(39, R, ALPHA, A, B) == pytest.approx(1.1967, abs=1e-3)
    assert bgnbd.bgnbd_expected_repeats(78, R, ALPHA, A, B) == pytest.approx(1.8605, abs=1e-3)
    assert bgnbd.bgnbd_pmf(0, 39, R, ALPHA, A, B) == pytest.approx(0.5738, abs=1e-4)
    # the pmf sums to one and its mean is E[X(t)]
    xs = np.arange(400)
    pmf = np.array([bgnbd.bgnbd_pmf(x, 39, R, ALPHA, A, B) for x in xs])
    assert pmf.sum() == pytest.approx(1.0, abs=1e-6)
    assert pmf @ xs == pytest.approx(bgnbd.bgnbd_expected_repeats(39, R, ALPHA, A, B), abs=1e-4)


@pytest.mark.slow
def test_model_docks_to_bgnbd_within_3_se():
    """Modulations off, CDNOW parameters in days: repeat purchases match E[X(t)] and P(X=0)."""
    n = 200_000
    s = small(**{"population.consumers": n, "population.merchants": 30, "run.days": 546,
                 "run.burn_in_days": 0, "purchase.modulations": False, "purchase.r": R,
                 "purchase.alpha": ALPHA * 7, "purchase.a": A, "purchase.b": B,
                 "population.new_user_share": 0.0, "purchase.initial_alive_share": 1.0})
    m = PrivateTrafficModel(s, rng=7, create_agents=False)
    m.run(273)
    x39 = m.consumers.run_orders.copy()
    m.run(273)
    x78 = m.consumers.run_orders
    for x, weeks in ((x39, 39), (x78, 78)):
        expected = bgnbd.bgnbd_expected_repeats(weeks, R, ALPHA, A, B)
        se = x.std(ddof=1) / np.sqrt(n)
        assert abs(x.mean() - expected) < 3 * se, (weeks, x.mean(), expected, se)
    p0 = bgnbd.bgnbd_pmf(0, 39, R, ALPHA, A, B)
    se0 = np.sqrt(p0 * (1 - p0) / n)
    assert abs((x39 == 0).mean() - p0) < 3 * se0


def test_seasonal_clock_raises_needs_in_festivals():
    s = small(**{"run.days": 365, "run.burn_in_days": 0})
    m = PrivateTrafficModel(s, rng=3, create_agents=False).run()
    ts = m.timeseries()
    peaks = [d for d in (168, 314)]
    ordinary = ts["needs"].iloc[30:120].mean()
    assert all(ts["needs"].iloc[p] > 1.5 * ordinary for p in peaks)


def test_dropout_only_after_repeat_purchases():
    rng = np.random.default_rng(0)
    p = np.full(1000, 1.0, dtype=np.float32)
    repeat = np.zeros(1000, bool)
    assert not pt.dropout(rng, p, repeat).any()
    assert pt.dropout(rng, p, ~repeat).all()


def test_keep_effort_cuts_members_dropout():
    from ptsim.orders import Channel, Level, Orders

    s = small(**{"run.burn_in_days": 0, "relationships.keep_dropout_cut": 1.0})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    c, n = m.consumers, 2000
    c.p_drop[:n] = 1.0
    c.alive[:n] = True
    m.merchants.keep[:] = 1.0                             # full KEEP: members never drop out
    level = np.where(np.arange(n) % 2, Level.MEMBER, Level.FAN).astype(np.int8)
    orders = Orders(buyers=np.arange(n), stores=np.full(n, 3), category=np.zeros(n, np.int64), level=level,
                    price=np.ones(n), depth=np.zeros(n), insider=np.zeros(n, bool),
                    channel=np.full(n, Channel.PRIVATE), slot=np.zeros(n, np.int64))
    orders.repeat = np.arange(n) < n // 2                 # only repeat purchases can end a customer
    pt.on_purchase(m, orders)
    gone = ~c.alive[:n]
    fan = level == Level.FAN
    assert gone[fan & orders.repeat].all() and not gone[~fan].any() and not gone[~orders.repeat].any()
    assert np.isinf(c.next_need[:n][gone]).all()


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_a_pull_takes_the_pending_need_except_for_the_expansion_share(share):
    """A pulled purchase is the pending need bought early (the next need drawn after its old due time) or,
    with chance `expansion_share`, new demand that leaves the pending need in place."""
    s = small(**{"run.burn_in_days": 0, "relationships.expansion_share": share})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    c = m.consumers
    who = np.flatnonzero(c.alive)
    due = c.next_need[who].copy()
    new = pt.pull_needs(m, who)
    assert (c.next_need[who][new] == due[new]).all()          # new demand: the pending need stays
    assert (c.next_need[who][~new] > due[~new]).all()        # else it is consumed: the next one comes after it
    assert abs(new.mean() - share) <= 4 * np.sqrt(share * (1 - share) / who.size)
