"""Store instruments (model/instruments/): each does what its docstring says, at the treated stores only."""

import numpy as np
import pytest
from conftest import small

from ptsim import PrivateTrafficModel
from ptsim.orders import Level
from ptsim.submodels.relationships import convert

TREATED = {"treatment.enabled": True, "treatment.stores.count": 10}


def model_with(days=20, **instrument):
    """A small model with the instrument fields given (dotted under instruments.) at 10 treated stores."""
    over = {**TREATED, "run.days": days, **{f"instruments.{k}": v for k, v in instrument.items()}}
    return PrivateTrafficModel(small(**over), rng=11, create_agents=False)


def test_instruments_are_built_only_from_record_day_0_and_reach_the_treated_stores():
    m = model_with(**{"coupons.enabled": True})
    names = [p.name for p in m.policies]
    assert "coupons" in names
    coupons = next(p for p in m.policies if p.name == "coupons")
    assert coupons.stores.sum() == 10 and np.array_equal(coupons.stores, m.treated.stores)


def test_coupons_are_issued_to_fans_of_treated_stores_and_redeemed_there_only():
    m = model_with(**{"coupons.enabled": True, "coupons.interval_days": 10, "coupons.value": 0.2})
    m.run()
    mer = m.merchants
    assert mer.coupons_issued[~m.treated.stores].sum() == 0 and mer.coupons_issued[m.treated.stores].sum() > 0
    assert mer.coupons_redeemed[~m.treated.stores].sum() == 0
    assert (mer.coupons_redeemed <= mer.coupons_issued).all()
    assert mer.coupons_redeemed.sum() > 0


def test_a_coupon_cuts_the_price_at_its_store_only():
    m = model_with(**{"coupons.enabled": True, "coupons.value": 0.25})
    coupons = next(p for p in m.policies if p.name == "coupons")
    m.step()                                                    # day 0 issues
    c = m.consumers
    held = np.flatnonzero((coupons.book.store >= 0).any(axis=1))
    assert held.size
    who = held[:5]
    slot = (coupons.book.store[who] >= 0).argmax(axis=1)
    store = coupons.book.store[who, slot]
    assert np.allclose(coupons.offer_price_factor(m, who, store), 0.75)
    other = (store + 1) % m.merchants.n
    other = np.where(c.rel_merchant[who, slot] == other, (store + 2) % m.merchants.n, other)
    assert np.allclose(coupons.offer_price_factor(m, who, other), 1.0)


def test_the_one_off_sale_invites_old_customers_of_treated_stores_only_on_its_day():
    m = model_with(days=5, **{"insider_sale_once.enabled": True, "insider_sale_once.day": 2,
                              "insider_sale_once.window_days": 3})
    m.run(2)
    before = m.consumers.rel_invited_until.copy()
    m.step()                                                    # record day 2: the sale opens
    c = m.consumers
    new = (c.rel_invited_until != before) & (c.rel_invited_until >= m.day - 1)
    who, k = np.nonzero(new)
    assert who.size > 0
    assert m.treated.stores[c.rel_merchant[who, k]].all()
    assert (c.rel_orders[who, k] >= 1).all()
    assert (c.rel_invited_until[who, k] == m.day - 1 + 2).all()   # invited through the sale's last day


def test_store_credit_top_ups_are_by_members_and_repeat_top_ups_need_a_first():
    m = model_with(days=60, **{"store_credit.enabled": True, "store_credit.topup_prob": 0.5,
                               "store_credit.topup_orders": 1.0})
    m.run()
    mer = m.merchants
    credit = next(p for p in m.policies if p.name == "store_credit")
    assert mer.credit_topups[~m.treated.stores].sum() == 0 and mer.credit_topups.sum() > 0
    assert (mer.credit_repeat_topups <= mer.credit_topups).all() and mer.credit_repeat_topups.sum() > 0
    held = credit.book.store >= 0
    assert (m.consumers.rel_level[held] >= Level.MEMBER).mean() > 0.8   # members (a few lapsed since)
    assert (credit.balance >= 0).all()


def test_a_follow_discount_raises_the_odds_of_following_by_its_utility():
    level = np.full(400_000, Level.VISITOR, dtype=np.int8)
    base = convert(np.random.default_rng(1), level, np.ones(level.size), 0.2, 0.0).astype(int) == Level.FAN
    util = np.full(level.size, np.log(2.0))
    with_discount = convert(np.random.default_rng(1), level, np.ones(level.size), 0.2, 0.0,
                            follow_utility=util) == Level.FAN
    odds = with_discount.mean() / (1 - with_discount.mean())
    assert odds == pytest.approx(2 * 0.2 / 0.8, rel=0.02)       # odds doubled: 0.25 -> 0.5
    assert base.mean() == pytest.approx(0.2, abs=0.003)


def test_fan_perks_hold_campaign_effort_while_they_run_and_release_it():
    m = model_with(days=12, **{"fan_perks.enabled": True, "fan_perks.days": 5})
    m.run(3)
    assert (m.merchants.follow_discount[m.treated.stores] > 0).all()
    assert (m.merchants.follow_discount[~m.treated.stores] == 0).all()
    assert (m.merchants.effort_of(1)[m.treated.stores] == 1.0).all()
    m.run(5)
    assert (m.merchants.follow_discount == 0).all() and (m.merchants.campaign == 0).all()


def test_offsite_content_brings_treated_stores_more_offsite_visits():
    off = PrivateTrafficModel(small(**TREATED, **{"run.days": 30}), rng=5, create_agents=False).run()
    on = PrivateTrafficModel(small(**TREATED, **{"run.days": 30, "instruments.offsite_content.enabled": True}),
                             rng=5, create_agents=False).run()
    t = on.treated.stores
    assert on.merchants.offsite_visits[t].sum() > 1.5 * off.merchants.offsite_visits[t].sum()


def test_a_launch_boosts_treated_stores_weight_for_the_window_only():
    m = model_with(**{"launch.enabled": True, "launch.day": 0})
    launch = next(p for p in m.policies if p.name == "launch")
    mult = launch.weight_multiplier(m)
    w = m.config.policies.new_product_window
    assert np.allclose(mult[m.treated.stores], 1 + w.boost) and np.allclose(mult[~m.treated.stores], 1.0)
    m.day += w.days
    assert launch.weight_multiplier(m) == 1.0


def test_a_treated_arm_with_an_instrument_moves_its_stores_not_the_world_much():
    """Coupons at 10 stores raise their orders against the same stores without coupons (same seed)."""
    from ptsim.experiment import compare
    base = small(**TREATED, **{"run.days": 40})
    arms = {"none": base, "coupons": base.with_overrides({"name": "coupons", "instruments.coupons.enabled": True,
                                                          "instruments.coupons.value": 0.3})}
    c = compare(arms, reps=2)
    e = c.treatment_effects.set_index(["units", "outcome"])
    assert e.loc[("stores", "coupons_issued"), "treated"] > 0
    assert e.loc[("stores", "orders"), "effect"] > 0
    assert abs(e.loc[("stores", "gmv"), "spillover_pct"]) < 5
