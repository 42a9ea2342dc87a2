"""Insider sales: eligibility, exclusivity value, sale rhythm; a looser threshold trains deal-waiting."""

import numpy as np

from ptsim.orders import Level
from ptsim.submodels import insider_sales

from conftest import lever_runs, paired_interval


def test_insider_eligibility_threshold_bounds():
    score = np.array([0.0, 0.5, 0.99])
    level = np.array([Level.VISITOR, Level.FAN, Level.MEMBER])
    assert insider_sales.eligible(score, level, 0.0).all()
    assert list(insider_sales.eligible(score, level, 0.5)) == [False, True, True]
    assert not insider_sales.eligible(score, level, 1.0).any()
    assert not insider_sales.eligible(np.array([1.0]), np.array([Level.NONE]), 0.0).any()


def test_value_score_is_half_spend_half_tie_and_within_bounds():
    score = insider_sales.value_score(np.array([0.0, 1.0, 0.5, 1.0]),
                                      np.array([Level.VISITOR, Level.VISITOR, Level.FAN, Level.GROUP]))
    assert np.allclose(score, [0.0, 0.5, 0.25 + 0.5 / 3, 1.0])


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
    from ptsim import PrivateTrafficModel

    from conftest import small
    s = small(**{"run.burn_in_days": 0, "insider.eligibility_threshold": 0.0, "insider.quantity_cap": 2.0,
                 "insider.notice_prob": 1.0})
    m = PrivateTrafficModel(s, rng=1, create_agents=False)
    c, mm = m.consumers, m.merchants
    m.flows = {"needs": 0.0}
    store = int(np.argmax(np.bincount(c.rel_merchant[c.rel_merchant >= 0], minlength=mm.n)))
    mm.next_sale_day[:] = -1
    mm.next_sale_day[store] = m.day
    invited = insider_sales.start_sales(m)                # the invitations, not yet acted on
    tied = c.rel_merchant == store
    assert tied.sum() > 0
    assert invited.who.size == tied.sum() and (c.rel_merchant[invited.who, invited.slot] == store).all()
    assert (c.rel_invited_until[tied] == m.day + s.insider.window_days - 1).all()   # threshold 0: every tie
    assert mm.insider_stock[store] == 2.0 * tied.sum() and mm.invited_share[store] == 1.0
    assert mm.sale_end_day[store] == m.day + s.insider.window_days - 1 and mm.next_sale_day[store] > m.day
    assert not (c.rel_slighted_until[tied] >= m.day).any()                         # nobody left out
