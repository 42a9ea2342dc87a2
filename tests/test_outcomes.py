"""The outcome table is consistent: flows, ratios, labels and headlines all refer to declared outcomes."""

from ptsim.outcomes import FLOWS, HEADLINE, OUTCOME_NAMES, OUTCOMES, Collector, outcome
from ptsim.plots import nice


def test_every_outcome_is_declared_consistently():
    assert len(set(OUTCOME_NAMES)) == len(OUTCOMES)
    assert len({o.label for o in OUTCOMES}) == len(OUTCOMES)           # figures tell outcomes apart
    for o in OUTCOMES:
        assert o.summary in ("sum", "last", "mean", "ratio")
        assert (o.ratio_of is not None) == (o.summary == "ratio")
        assert not o.flow or o.summary == "sum"                         # a purchase flow adds up over days
        for part in o.ratio_of or ():
            assert outcome(part).summary == "sum"
    assert FLOWS == tuple(o.name for o in OUTCOMES if o.flow) and "gmv_top" not in FLOWS
    assert set(HEADLINE) <= set(OUTCOME_NAMES) and "gmv_total" in HEADLINE
    assert nice("gmv_offplatform") == outcome("gmv_offplatform").label
    assert nice("ranking.exponent") == "ranking.exponent"


def test_a_run_summary_follows_each_outcome_rule():
    c = Collector(3, ["orders", "gmv_total", "active_share", "aov"])
    for day in range(3):
        c.record({"orders": 2.0, "gmv_total": 10.0 * (day + 1), "active_share": 0.1 * day, "aov": 0.0})
    assert c.summary() == {"orders": 6.0, "gmv_total": 60.0, "active_share": 0.2, "aov": 10.0}
