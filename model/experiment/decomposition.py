"""Where a policy's change in on-platform GMV comes from: an exact accounting of two run summaries (a
policy run and its reference on the same seed), from the flows the model records.

On-platform orders over the recorded days are, exactly (tests/test_shopping.py),

    orders = needs on their own clock + pulls that moved a need + pulls that were new demand
             - needs given up - change in needs pending (deferred to a sale) - off-platform orders

and GMV = orders x mean order value, with the mean order value = the value-weighted price index paid
(gmv_total / gmv_list) x the list value per order (gmv_list / orders). So

    dGMV = d(orders) x reference order value + policy orders x d(order value)

splits into the change in each term of the orders times the reference's order value, and the change in
the order value, shared between prices paid and list value per order in proportion to their log
changes (their logarithmic-mean weights: exact, and defined when either change is 0). The components
sum to dGMV exactly; they are accounting shares, not the causal effect of one lever.

    from ptsim.experiment.decomposition import decompose
    parts = decompose(policy_summary, reference_summary)     # yuan; sum(parts[c] for c in COMPONENTS) == dGMV
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# the components, in the order of the table, with their labels
COMPONENTS = ("leakage", "new_demand", "needs", "outside_option", "prices", "order_value")
LABELS = {
    "leakage": "recaptured leakage",
    "new_demand": "new demand",
    "needs": "needs arising (timing, frequency, retention)",
    "outside_option": "the outside option",
    "prices": "prices paid",
    "order_value": "order value",
}
# what each component measures (for tables' introductions and tooltips)
MEANINGS = {
    "leakage": "minus the change in off-platform (diverted) orders, times the reference's order value",
    "new_demand": "the change in purchases touches pulled forward as new demand (relationships.expansion_share), "
                  "times the reference's order value",
    "needs": "the change in needs arising on their own clock plus pulls that moved a pending need forward, less "
             "the change in needs still waiting for a sale, times the reference's order value: demand moved in "
             "time, and more or fewer needs from changed rates and retention",
    "outside_option": "minus the change in needs given up (not buying now, no offer shown, a renewed seat), "
                      "times the reference's order value",
    "prices": "the policy's orders times the change in order value that comes from the value-weighted price "
              "index paid (gmv_total / gmv_list)",
    "order_value": "the policy's orders times the change in order value that comes from the list value per "
                   "order (gmv_list / orders: baskets, categories, stores)",
}
# the run-summary flows the decomposition reads
FLOWS = ("gmv_total", "gmv_list", "gmv_offplatform", "orders", "orders_offplatform", "needs", "pulls_moved",
         "pulls_new_demand", "needs_given_up", "needs_no_offer", "needs_dropped", "needs_deferred",
         "needs_deferred_due")
TOLERANCE = 1e-9        # relative gap between orders and their accounting that is only float rounding


def order_terms(s: Mapping[str, float]) -> dict[str, float]:
    """The terms of a run's on-platform orders from its summary flows: `arising` (needs on their own
    clock + pulls that moved a need - the change in needs pending), `new_demand`, `given_up`, `off`
    (off-platform orders) and `gap` (orders minus arising + new_demand - given_up - off; 0 up to rounding).
    Raises KeyError naming a missing flow (a summary older than these flows)."""
    missing = [f for f in FLOWS if f not in s]
    if missing:
        raise KeyError(f"the run summary lacks {', '.join(missing)}: rerun it with this version of the model")
    pulls = s["pulls_moved"] + s["pulls_new_demand"]
    own_clock = s["needs"] - pulls
    pending = s["needs_deferred"] - s["needs_deferred_due"] - s["needs_dropped"]
    given_up = s["needs_given_up"] + s["needs_no_offer"] + s["needs_dropped"]
    arising = own_clock + s["pulls_moved"] - pending
    off = s["orders_offplatform"]
    accounted = arising + s["pulls_new_demand"] - given_up - off
    return {"arising": arising, "new_demand": s["pulls_new_demand"], "given_up": given_up, "off": off,
            "gap": s["orders"] - accounted}


def _log_mean(a: float, b: float) -> float:
    """The logarithmic mean of two positive numbers, (a - b) / ln(a / b), and a where they are equal."""
    d = math.log(a) - math.log(b)
    return (a - b) / d if abs(d) > 1e-12 else (a + b) / 2


def decompose(policy: Mapping[str, float], reference: Mapping[str, float]) -> dict[str, float]:
    """Policy minus reference on-platform GMV (`total`, yuan) split into `COMPONENTS` that sum to it
    exactly (up to float rounding), from two run summaries. Also returns the reference's on-platform
    GMV (`reference_gmv`), the change in off-platform GMV (`offplatform`) and in on + off platform GMV
    (`on_and_off`), and the larger relative gap between a run's orders and their accounting (`gap`).
    A run without orders has no order value: its whole change in order value is `order_value`."""
    p, r = order_terms(policy), order_terms(reference)
    orders_p, orders_r = float(policy["orders"]), float(reference["orders"])
    gmv_p, gmv_r = float(policy["gmv_total"]), float(reference["gmv_total"])
    aov_r = gmv_r / orders_r if orders_r > 0 else 0.0
    aov_p = gmv_p / orders_p if orders_p > 0 else 0.0
    out = {
        "leakage": -(p["off"] - r["off"]) * aov_r,
        "new_demand": (p["new_demand"] - r["new_demand"]) * aov_r,
        # the arising term also takes the (rounding) gap, so the count terms sum to the change in orders
        "needs": (p["arising"] + p["gap"] - r["arising"] - r["gap"]) * aov_r,
        "outside_option": -(p["given_up"] - r["given_up"]) * aov_r,
    }
    value_change = orders_p * (aov_p - aov_r)
    list_p, list_r = float(policy["gmv_list"]), float(reference["gmv_list"])
    if min(aov_p, aov_r, list_p, list_r) > 0:
        price_log_change = math.log(gmv_p / list_p) - math.log(gmv_r / list_r)
        out["prices"] = orders_p * _log_mean(aov_p, aov_r) * price_log_change
    else:
        out["prices"] = 0.0
    out["order_value"] = value_change - out["prices"]
    out["total"] = gmv_p - gmv_r
    out["reference_gmv"] = gmv_r
    out["offplatform"] = float(policy["gmv_offplatform"]) - float(reference["gmv_offplatform"])
    out["on_and_off"] = out["total"] + out["offplatform"]
    out["gap"] = max(abs(t["gap"]) / max(float(s["orders"]), 1.0) for t, s in ((p, policy), (r, reference)))
    return out


def shares(parts: Mapping[str, float]) -> dict[str, float]:
    """Each component as a share of the GMV effect (nan where the effect is 0)."""
    total = parts["total"]
    return {c: parts[c] / total if total else math.nan for c in COMPONENTS}
