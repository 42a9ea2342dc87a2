"""Insider sales: eligibility, exclusivity value, sale rhythm; a looser threshold trains deal-waiting."""

import numpy as np
from conftest import lever_runs, paired_interval

from ptsim.orders import Level
from ptsim.submodels import insider_sales


def test_insider_eligibility_threshold_bounds():
    score = np.array([0.0, 0.5, 0.99])
    level = np.array([Level.VISITOR, Level.FAN, Level.MEMBER])
    assert insider_sales.eligible(score, level, 0.0).all()
    assert list(insider_sales.eligible(score, level, 0.5)) == [False, True, True]
    assert not insider_sales.eligible(score, level, 1.0).any()
    assert not insider_sales.eligible(np.array([1.0]), np.array([Level.NONE]), 0.0).any()


def test_value_score_is_each_component_alone_and_stays_below_one():
    """With one weight the score is that component; every score lies in [0, 1), the most valuable
    customer the model can hold (30,000 orders, top spender, visited today, group member) included."""
    spend, orders, days, level = (np.array([0.0, 0.495, 0.99]), np.array([0, 9.5, 30_000]), np.array([0, 29, 3000]),
                                  np.array([Level.VISITOR, Level.FAN, Level.GROUP]))
    alone = lambda *w: insider_sales.value_score(spend, orders, days, level, w, 5.0, 30.0)   # noqa: E731
    assert np.allclose(alone(1, 0, 0, 0), spend + 0.005)
    assert np.allclose(alone(0, 1, 0, 0), (orders + 0.5) / (orders + 0.5 + 5.0))
    assert np.allclose(alone(0, 0, 1, 0), 30.0 / (30.0 + days + 1.0))
    assert np.allclose(alone(0, 0, 0, 2), (level + 1) / 5)
    top = insider_sales.value_score(np.array([0.99]), np.array([30_000]), np.array([0]), np.array([Level.GROUP]))
    assert 0.99 < top[0] < 1.0
    assert (alone(1, 1, 1, 1) > 0).all() and (alone(1, 1, 1, 1) < 1).all()


def test_value_score_rises_with_spend_frequency_recency_and_tie_level():
    base = dict(spend_percentile=np.full(2, 0.5), orders=np.full(2, 5), days_since=np.full(2, 30),
                level=np.full(2, Level.FAN))
    for field, better in (("spend_percentile", 0.8), ("orders", 12), ("days_since", 3), ("level", Level.MEMBER)):
        args = {k: v.copy() for k, v in base.items()}
        args[field][1] = better
        score = insider_sales.value_score(**args)
        assert score[1] > score[0], field


def test_a_strict_threshold_invites_members_who_are_worth_it():
    """0.85 is not 'group members only': a member with a strong history with the store clears it, one with a
    weak history does not, and neither does a group member who seldom buys there."""
    score = insider_sales.value_score(np.array([0.95, 0.95, 0.5]), np.array([30, 2, 1]), np.array([1, 60, 60]),
                                      np.array([Level.MEMBER, Level.MEMBER, Level.GROUP]))
    assert list(insider_sales.eligible(score, np.array([Level.MEMBER, Level.MEMBER, Level.GROUP]), 0.85)) == \
        [True, False, False]


def test_exclusivity_value_vanishes_when_everyone_is_invited():
    v = insider_sales.exclusivity_value(1.0, 0.0, np.array([0.1, 1.0]))
    assert v[0] == 0.9 and v[1] == 0.0


def test_frequent_sales_are_expected_sooner():
    p = insider_sales.expects_sale(insider_sales.sale_interval(12.0, np.array([1.0, 0.25, 0.0])), 14)
    assert p[0] > p[1] > p[2] == 0


def test_looser_insider_threshold_trains_deal_waiting():
    strict = lever_runs("baseline.yaml", {"insider.eligibility_threshold": 0.85})
    loose = lever_runs("baseline.yaml", {"insider.eligibility_threshold": 0.1})
    for key in ("mean_deal_proneness", "share_needs_deferred"):
        lo, hi = paired_interval(strict, loose, key)
        assert lo > 0, (key, lo, hi)
    lo, hi = paired_interval(loose, strict, "share_left_out")
    assert lo > 0, ("stricter threshold leaves more out", lo, hi)


def test_a_starting_sale_invites_eligible_ties_and_stocks_for_them():
    from conftest import small

    from ptsim import PrivateTrafficModel
    s = small(**{"run.burn_in_days": 0, "insider.eligibility_threshold": 0.0, "insider.quantity_cap": 2.0,
                 "insider.notice_prob": 1.0})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    c, mm = m.consumers, m.merchants
    m.flows = {"needs": 0.0}
    store = int(np.argmax(np.bincount(c.rel_merchant[c.rel_merchant >= 0], minlength=mm.n)))
    mm.next_sale_day[:] = -1
    mm.next_sale_day[store] = m.day
    invited = insider_sales.start_sales(m)                # the invitations, not yet acted on
    from ptsim.submodels.relationships import browsed_only
    tied = (c.rel_merchant == store) & ~browsed_only(c.rel_level, c.rel_orders, c.rel_fav)   # mere browsers: never
    assert tied.sum() > 0
    assert invited.who.size == tied.sum() and (c.rel_merchant[invited.who, invited.slot] == store).all()
    assert (c.rel_invited_until[tied] == m.day + s.insider.window_days - 1).all()   # threshold 0: every tie
    assert mm.insider_stock[store] == 2.0 * tied.sum() and mm.invited_share[store] == 1.0
    assert mm.sale_end_day[store] == m.day + s.insider.window_days - 1 and mm.next_sale_day[store] > m.day
    assert not (c.rel_slighted_until[tied] >= m.day).any()                         # nobody left out


def test_an_insider_threshold_of_085_invites_members():
    """In a model after its burn-in, a sale at threshold 0.85 invites members of the store, not only its
    group members, and leaves out members below the threshold."""
    from conftest import small

    from ptsim import PrivateTrafficModel
    s = small(**{"insider.eligibility_threshold": 0.85})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    c, mm, ins = m.consumers, m.merchants, s.insider
    who, k = np.nonzero(c.rel_level == Level.MEMBER)
    score = insider_sales.value_score(c.spend_percentile[who], c.rel_orders[who, k], m.day - c.rel_last[who, k],
                                      c.rel_level[who, k], ins.score_weights, ins.score_orders,
                                      ins.score_recency_days)
    counts = np.bincount(c.rel_merchant[who[score >= 0.85], k[score >= 0.85]], minlength=mm.n)
    store = int(np.argmax(counts))
    assert counts[store] > 0 and (score < 0.85).any()
    m.flows = {"needs": 0.0}
    mm.next_sale_day[:] = -1
    mm.next_sale_day[store] = m.day
    invited = insider_sales.start_sales(m)
    level = c.rel_level[invited.who, invited.slot]
    assert (level == Level.MEMBER).sum() == counts[store]
    at_store = (c.rel_merchant[who, k] == store) & (score < 0.85)
    assert not np.isin(who[at_store], invited.who).any()
