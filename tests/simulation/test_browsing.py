"""Browsing (issue 22): visits from four sources with their funnel; visits make ties, favourites and group
joins; off-site LEAD brings visits."""

import numpy as np
import pytest
from conftest import lever_runs, paired_interval, small

from ptsim import PrivateTrafficModel
from ptsim.orders import Level
from ptsim.submodels import browsing
from ptsim.submodels import relationships as rel

VISITS = ("visits", "visits_public", "visits_offsite", "visits_return", "visits_purchase", "page_views",
          "favourites", "add_to_carts")


@pytest.fixture(scope="module")
def pair():
    """The same small world with browsing off and on (same seed)."""
    off = PrivateTrafficModel(small(**{"browsing.enabled": False}), rng=3, create_agents=False).run()
    on = PrivateTrafficModel(small(**{"browsing.enabled": True}), rng=3, create_agents=False).run()
    return off, on


def test_visits_add_up_by_source_and_tier_and_every_order_is_a_visit(pair):
    off, on = (m.summary() for m in pair)
    assert all(off[k] == 0 for k in VISITS) and all(on[k] > 0 for k in VISITS)
    by_source = sum(on[f"visits_{s}"] for s in browsing.SOURCES)
    by_tier = sum(on[f"visits_{t}"] for t in ("top", "growth", "sme"))
    assert by_source == pytest.approx(on["visits"]) and by_tier == pytest.approx(on["visits"])
    assert pair[1].merchants.visits.sum() * pair[1].scale == pytest.approx(on["visits"])
    assert on["visits_purchase"] == pytest.approx(on["orders"])


def test_the_funnel_follows_its_per_page_view_chances_and_the_mean_depth(pair):
    _, m = pair
    s, b = m.summary(), m.config.browsing
    pv, visits = s["page_views"] / m.scale, s["visits"] / m.scale
    for flow, p in (("favourites", b.fav_per_pv), ("add_to_carts", b.cart_per_pv)):
        rate = s[flow] / s["page_views"]
        assert rate == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / pv)), flow
    # depth geometric with mean depth_mean x the tie's factor: 1 below member, the member factor above
    assert b.tie_depth[0] == b.tie_depth[1] == 1 and b.tie_depth[2] == b.tie_depth[3]
    members = s["member_visits"] / m.scale
    expected = b.depth_mean * (visits + (b.tie_depth[2] - 1) * members)
    sd = np.sqrt(visits) * b.depth_mean * b.tie_depth[2]          # a bound on the geometric's spread
    assert pv == pytest.approx(expected, abs=4 * sd)
    assert s["purchases_per_page_view"] == pytest.approx(s["orders"] / s["page_views"])


def test_no_visits_without_modulations():
    plain = PrivateTrafficModel(small(**{"browsing.enabled": True, "purchase.modulations": False}), rng=3,
                                create_agents=False).run().summary()
    assert plain["visits"] == 0


def test_members_browse_deeper_by_their_depth_factor():
    m = PrivateTrafficModel(small(**{"browsing.enabled": True, "browsing.tie_depth": [1.0, 1.0, 3.0, 3.0]}), rng=5,
                            create_agents=False).run()
    s = m.summary()
    members = (s["member_page_views"] / s["member_visits"])
    assert members == pytest.approx(3 * m.config.browsing.depth_mean, rel=0.15)
    assert s["member_browsing_depth"] > 1.5


def test_fans_and_members_return_at_their_levels_rate_times_engage():
    """Own return visits: none without rates; with rates, about rate x ENGAGE per fan tie and day."""
    base = {"browsing.enabled": True, "run.days": 30}
    none = PrivateTrafficModel(small(**base, **{"browsing.return_rate": [0.0, 0.0, 0.0]}), rng=4,
                               create_agents=False).run().summary()
    assert none["visits_return"] == 0
    m = PrivateTrafficModel(small(**base, **{"browsing.return_rate": [0.2, 0.2, 0.2]}), rng=4, create_agents=False)
    c = m.consumers
    m.run()
    k = np.flatnonzero(c.rel_level.ravel() >= Level.FAN)
    expected = 0.2 * m.merchants.engage[c.rel_merchant.ravel()[k]].sum() * 30       # ties at the end, as a scale
    got = m.summary()["visits_return"] / m.scale
    assert 0.6 * expected < got < 1.4 * expected, (got, expected)     # ties and aliveness change over the month


def test_a_browsing_visit_takes_only_a_free_slot_or_one_held_by_browsing_alone():
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0, "relationships.slots": 3}), rng=1, create_agents=False)
    c = m.consumers
    c.rel_merchant[:4] = [[1, 2, -1], [1, 2, 3], [1, 2, 3], [1, 2, 3]]
    c.rel_level[:4] = Level.VISITOR
    c.rel_level[0, 2] = Level.NONE
    c.rel_orders[:4] = 1
    c.rel_fav[:4] = False
    c.rel_orders[2, 1] = 0                     # consumer 2: slot 1 made by browsing alone
    c.rel_orders[3, 1] = 0
    c.rel_fav[3, 1] = True                     # consumer 3: slot 1 browsed but favourited, so kept
    c.rel_last[:4] = 0
    c.rel_level[4, :3] = [Level.MEMBER, Level.FAN, Level.NONE]
    c.rel_merchant[4, :3] = [5, 2, -1]
    slot, level = rel.browse_tie(m, np.arange(5), np.array([9, 9, 9, 9, 2]))
    assert list(slot) == [2, -1, 1, -1, 1]
    assert list(level) == [Level.NONE] * 4 + [Level.FAN]
    assert c.rel_merchant[0, 2] == 9 and c.rel_merchant[2, 1] == 9 and c.rel_orders[2, 1] == 0
    assert (c.rel_merchant[1] == [1, 2, 3]).all() and (c.rel_merchant[3] == [1, 2, 3]).all()
    assert c.rel_last[2, 1] == m.day


def test_a_purchase_evicts_a_tie_made_by_browsing_alone_before_a_buyers_tie():
    merchant = np.array([[1, 2, 3]], np.int32)
    level = np.full((1, 3), Level.VISITOR, np.int8)
    last = np.array([[0, 10, 5]], np.int32)
    kept = np.array([[True, False, True]])
    slot, new = rel.find_or_assign_slot(merchant, level, last, np.array([0]), np.array([9]), day=20, kept=kept)
    assert new[0] and slot[0] == 1                 # not slot 0, the least recent, which a buyer holds


def test_offsite_lead_raises_a_stores_visits_by_well_over_half():
    """beinspace (seed 004): off-site content raised the store's return traffic by 120%. Five SMEs' LEAD
    from their tier's level to full effort, everything else alike: their visits over 30 days."""
    def visits(lead):
        m = PrivateTrafficModel(small(**{"browsing.enabled": True, "run.days": 30}), rng=8, create_agents=False)
        stores = np.flatnonzero(m.merchants.tier == 2)[:5]
        before = m.merchants.lead[stores].max()
        if lead is not None:
            m.merchants.lead[stores] = lead
        m.run()
        return m.merchants.visits[stores].sum(), before
    before, lead0 = visits(None)
    after, _ = visits(1.0)
    assert lead0 < 0.5 and after > 1.5 * before, (before, after, lead0)


def test_group_entry_conditions_are_distinct_levers_once_visits_make_ties():
    """Seed 001: a loose condition gives large groups, a precise one small, active groups. With browsing the
    three conditions admit different consumers: visited > favourited > purchased in size, and purchased
    groups buy more per member than visited ones (paired over replications)."""
    on = {"browsing.enabled": True}
    runs = {e: lever_runs("baseline.yaml", {**on, "groups.entry": e}, reps=8)
            for e in ("visited", "favourited", "purchased")}
    for loose, precise in (("visited", "favourited"), ("favourited", "purchased")):
        lo, hi = paired_interval(runs[precise], runs[loose], "n_group_members")
        assert lo > 0, (loose, precise, lo, hi)
    for r in runs.values():
        for x in r:
            x["gmv_per_member"] = x["gmv_group"] / x["n_group_members"]
    lo, hi = paired_interval(runs["visited"], runs["purchased"], "gmv_per_member")
    assert lo > 0, ("purchased groups are more active", lo, hi)


def test_an_insider_sale_never_invites_a_mere_browser_and_an_unbought_tie_has_no_tie_utility():
    """A store cannot invite someone who only browsed it (no order, no favourite, visitor), even with the
    threshold at 0; and a tie without an order there adds no relationship utility to the store's offer."""
    from ptsim.submodels import choice, insider_sales
    m = PrivateTrafficModel(small(**{"run.burn_in_days": 0, "insider.eligibility_threshold": 0.0}), rng=2,
                            create_agents=False)
    c, store = m.consumers, int(np.flatnonzero(m.merchants.next_sale_day >= 0)[0])
    c.rel_merchant[:3] = -1
    c.rel_merchant[:3, 0] = store
    c.rel_level[:3, 0] = [Level.VISITOR, Level.VISITOR, Level.VISITOR]
    c.rel_orders[:3, 0] = [0, 0, 1]
    c.rel_fav[:3, 0] = [False, True, False]
    c.rel_last[:3, 0] = m.day
    m.merchants.next_sale_day[store] = m.day
    touches = insider_sales.start_sales(m)
    invited = set(touches.who[c.rel_merchant[touches.who, touches.slot] == store].tolist())
    assert 0 not in invited and {1, 2} <= invited
    def tie_utility():
        offers = choice.Offers(m, np.array([1]), m.merchants.category[[store]], np.random.default_rng(0))
        return offers.t_util[offers.t_store == store][0]
    unbought = tie_utility()
    c.rel_orders[1, 0] = 1
    # the same consumer and offer, now with an order there: the visitor's tie utility is added
    assert tie_utility() - unbought == pytest.approx(m.config.choice.relationship_utility[0], abs=1e-9)
