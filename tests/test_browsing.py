"""Browsing visits (issue 22, first step): counted with their funnel, changing nothing else yet."""

import numpy as np
import pytest

from ptsim import PrivateTrafficModel
from ptsim.orders import Level
from ptsim.submodels import browsing

from conftest import small

VISITS = ("visits", "return_visits", "page_views", "favourites", "add_to_carts")


@pytest.fixture(scope="module")
def pair():
    """The same small world with browsing off and on (same seed)."""
    off = PrivateTrafficModel(small(), rng=3, create_agents=False).run()
    on = PrivateTrafficModel(small(**{"browsing.enabled": True}), rng=3, create_agents=False).run()
    return off, on


def test_browsing_draws_from_its_own_stream_and_changes_no_other_outcome(pair):
    off, on = (m.summary() for m in pair)
    assert all(off[k] == 0 for k in VISITS) and all(on[k] > 0 for k in VISITS)
    assert {k for k in off if off[k] != on[k]} == set(VISITS)


def test_the_funnel_follows_its_per_page_view_chances_and_the_mean_depth(pair):
    _, m = pair
    s, b = m.summary(), m.config.browsing
    pv, visits = s["page_views"] / m.scale, s["visits"] / m.scale
    for flow, p in (("favourites", b.fav_per_pv), ("add_to_carts", b.cart_per_pv)):
        rate = s[flow] / s["page_views"]
        assert rate == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / pv)), flow
    # every tie's depth factor is 1 by default: depth geometric, mean depth_mean
    q = 1 / b.depth_mean
    assert pv / visits == pytest.approx(b.depth_mean, abs=4 * np.sqrt(1 - q) / q / np.sqrt(visits))


def test_deeper_visits_through_a_tie_and_none_without_modulations():
    rel_merchant = np.array([[5, 7, -1], [2, -1, -1]])
    rel_level = np.array([[Level.MEMBER, Level.FAN, Level.NONE], [Level.VISITOR, Level.NONE, Level.NONE]], np.int8)
    assert list(browsing.tie_levels(rel_merchant, rel_level, np.array([0, 0, 1]), np.array([7, 9, 2]))) == \
        [Level.FAN, Level.NONE, Level.VISITOR]
    plain = PrivateTrafficModel(small(**{"browsing.enabled": True, "purchase.modulations": False}), rng=3,
                                create_agents=False).run().summary()
    assert plain["visits"] == 0


def test_fans_and_members_return_at_their_levels_rate_times_engage():
    """Own return visits: none without rates; with rates, about rate x ENGAGE per fan tie and day."""
    base = {"browsing.enabled": True, "run.days": 30}
    none = PrivateTrafficModel(small(**base, **{"browsing.return_rate": [0.0, 0.0, 0.0]}), rng=4,
                               create_agents=False).run().summary()
    assert none["return_visits"] == 0
    m = PrivateTrafficModel(small(**base, **{"browsing.return_rate": [0.2, 0.2, 0.2]}), rng=4, create_agents=False)
    c = m.consumers
    m.run()
    k = np.flatnonzero(c.rel_level.ravel() >= Level.FAN)
    expected = 0.2 * m.merchants.engage[c.rel_merchant.ravel()[k]].sum() * 30       # ties at the end, as a scale
    got = m.summary()["return_visits"] / m.scale
    assert 0.6 * expected < got < 1.4 * expected, (got, expected)     # ties and aliveness change over the month
