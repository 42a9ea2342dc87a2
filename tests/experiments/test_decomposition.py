"""The GMV decomposition's arithmetic (ptsim.experiment.decomposition) on hand-made run summaries: the
components sum to the change in on-platform GMV exactly, each count term lands in its component, and the
change in order value is split between prices paid and list value per order by their log changes."""

import math

import pytest

from ptsim.experiment.decomposition import COMPONENTS, FLOWS, decompose, order_terms, shares


def summary(own_clock=1000.0, moved=100.0, new=80.0, outside=150.0, no_offer=5.0, dropped=2.0, deferred=40.0,
            deferred_due=30.0, off=20.0, price_index=0.8, list_per_order=50.0, gmv_off=900.0):
    """A run summary whose orders follow the accounting: own-clock needs + pulls - given up - pending - off."""
    pending = deferred - deferred_due - dropped
    orders = own_clock + moved + new - (outside + no_offer + dropped) - pending - off
    gmv_list = orders * list_per_order
    return {"needs": own_clock + moved + new, "pulls_moved": moved, "pulls_new_demand": new,
            "needs_given_up": outside, "needs_no_offer": no_offer, "needs_dropped": dropped,
            "needs_deferred": deferred, "needs_deferred_due": deferred_due, "orders_offplatform": off,
            "orders": orders, "gmv_list": gmv_list, "gmv_total": gmv_list * price_index, "gmv_offplatform": gmv_off}


def total_of(parts):
    return sum(parts[c] for c in COMPONENTS)


def test_the_components_sum_to_the_change_in_on_platform_gmv_exactly():
    ref = summary()
    pol = summary(own_clock=1030.0, moved=130.0, new=95.0, outside=140.0, no_offer=3.0, dropped=4.0, deferred=55.0,
                  deferred_due=33.0, off=8.0, price_index=0.77, list_per_order=53.0, gmv_off=400.0)
    parts = decompose(pol, ref)
    assert parts["total"] == pol["gmv_total"] - ref["gmv_total"] != 0
    assert total_of(parts) == pytest.approx(parts["total"], rel=1e-12)
    assert parts["gap"] < 1e-12 and order_terms(ref)["gap"] == 0
    aov = ref["gmv_total"] / ref["orders"]
    assert parts["leakage"] == pytest.approx(12 * aov)                       # 20 - 8 off-platform orders
    assert parts["new_demand"] == pytest.approx(15 * aov)
    assert parts["outside_option"] == pytest.approx(-(147 - 157) * aov)      # given up: 157 -> 147
    pending_ref, pending_pol = 40 - 30 - 2, 55 - 33 - 4
    assert parts["needs"] == pytest.approx((1030 + 130 - pending_pol - (1000 + 100 - pending_ref)) * aov)
    # prices fell (0.8 -> 0.77) and list value rose (50 -> 53): opposite signs, in their log proportion
    assert parts["prices"] < 0 < parts["order_value"]
    assert parts["prices"] / parts["order_value"] == pytest.approx(math.log(0.77 / 0.8) / math.log(53 / 50))
    assert parts["offplatform"] == -500 and parts["on_and_off"] == parts["total"] - 500
    assert sum(shares(parts).values()) == pytest.approx(1.0)


@pytest.mark.parametrize("change", [
    {},                                                           # nothing changes
    {"price_index": 0.9},                                         # only prices
    {"list_per_order": 60.0},                                     # only order value
    {"price_index": 0.8 * 50 / 40, "list_per_order": 40.0},       # both, the mean order value unchanged
    {"off": 0.0, "new": 0.0},                                     # only counts
])
def test_zero_changes_divide_by_nothing(change):
    ref = summary()
    parts = decompose(summary(**change), ref)
    assert all(math.isfinite(parts[c]) for c in COMPONENTS)
    assert total_of(parts) == pytest.approx(parts["total"], abs=1e-9 * ref["gmv_total"])
    if "price_index" not in change:
        assert parts["prices"] == 0
    if "list_per_order" not in change:
        assert parts["order_value"] == pytest.approx(0, abs=1e-9 * ref["gmv_total"])
    if change.get("list_per_order") == 40.0:                     # offsetting: each moves, the sum does not
        assert parts["prices"] == pytest.approx(-parts["order_value"]) and parts["prices"] > 0
    if not change:
        assert all(parts[c] == 0 for c in COMPONENTS) and math.isnan(shares(parts)["leakage"])


def test_a_run_without_orders_puts_its_whole_order_value_change_in_order_value():
    ref = summary()
    none = {**summary(own_clock=0.0, moved=0.0, new=0.0, outside=0.0, no_offer=0.0, dropped=0.0, deferred=0.0,
                      deferred_due=0.0, off=0.0), "gmv_offplatform": 0.0}
    assert none["orders"] == 0 and none["gmv_total"] == 0
    for pol, rf in ((none, ref), (ref, none)):
        parts = decompose(pol, rf)
        assert total_of(parts) == pytest.approx(parts["total"]) and parts["prices"] == 0


def test_a_summary_without_the_flows_is_refused_with_their_names():
    s = summary()
    del s["pulls_new_demand"]
    with pytest.raises(KeyError, match="pulls_new_demand"):
        decompose(s, summary())
    assert set(FLOWS) == set(summary())
