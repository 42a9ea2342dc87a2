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


def test_return_visits_are_read_from_a_cohort_a_month_later():
    """Fans' return-visit ratio: of the ties visited in a 30-day window, the share visiting the same store
    again in the next 30 days, fans over all; a tie whose slot now holds another store did not return."""
    from types import SimpleNamespace

    import numpy as np

    from ptsim.cohorts import RETURN_WINDOW, ReturnVisits
    from ptsim.orders import Level
    c = SimpleNamespace(rel_level=np.array([[Level.FAN, Level.VISITOR, Level.VISITOR, Level.NONE],
                                            [Level.MEMBER, Level.VISITOR, Level.VISITOR, Level.VISITOR]], np.int8),
                        rel_merchant=np.array([[5, 6, 7, -1], [5, 8, 9, 3]], np.int32),
                        rel_last=np.array([[20, 25, 29, -100], [10, 29, 1, 29]], np.int32))
    cohort = ReturnVisits(*c.rel_merchant.shape)
    cohort.update(RETURN_WINDOW - 2, c)              # not a cohort day: nothing happens
    assert (cohort.store == -1).all()
    cohort.update(RETURN_WINDOW - 1, c)              # day 29: visits on days 0..29 form the cohort
    assert cohort.store.tolist() == [[5, 6, 7, -1], [5, 8, 9, 3]]
    assert cohort.fan.tolist() == [[True, False, False, False], [True, False, False, False]]
    assert cohort.rates.tolist() == [0.0, 0.0]       # no cohort read yet
    # 30 days on: one fan tie came back, one did not; 2 of the 5 others came back, 1 slot holds a new store
    c.rel_last[:] = [[40, 59, 29, -100], [10, 45, 50, 29]]
    c.rel_merchant[1, 2] = 11
    cohort.update(2 * RETURN_WINDOW - 1, c)
    assert np.allclose(cohort.rates, [1 / 2, 3 / 7])
    assert cohort.store.tolist() == [[5, 6, -1, -1], [-1, 8, 11, -1]]   # the next cohort: days 30..59


def test_repurchase_is_read_from_a_cohort_a_quarter_later():
    """Relationship customers' repurchase: of a store's customers at a quarter's end, the share with more
    orders there 90 days later, relationship ties (fan and above) over all; visitors who never bought are
    not customers."""
    from types import SimpleNamespace

    import numpy as np

    from ptsim.cohorts import REPURCHASE_WINDOW, Repurchase
    from ptsim.orders import Level
    c = SimpleNamespace(rel_level=np.array([[Level.FAN, Level.VISITOR, Level.VISITOR]], np.int8),
                        rel_merchant=np.array([[5, 6, 7]], np.int32),
                        rel_orders=np.array([[2, 1, 0]], np.int16))
    cohort = Repurchase(*c.rel_merchant.shape)
    cohort.update(REPURCHASE_WINDOW - 1, c)
    assert cohort.store.tolist() == [[5, 6, -1]] and cohort.fan.tolist() == [[True, False, False]]
    c.rel_orders[:] = [[3, 1, 4]]                    # the fan bought again; the visitor's orders do not count
    cohort.update(2 * REPURCHASE_WINDOW - 1, c)
    assert cohort.rates.tolist() == [1.0, 0.5]


def test_relationship_share_in_fmcg_and_sports_counts_only_those_categories():
    """Seed 004's '> 60%' is for FMCG and sports-outdoor (and health): the focus flows take only orders in
    those two categories, on platform; the relationship flow only fans' and members' among them."""
    from types import SimpleNamespace

    import numpy as np

    from ptsim.orders import Channel, Level, Orders
    from ptsim.outcomes import FLOWS, record_flows
    from ptsim.scenario import CATEGORIES
    fmcg, sports, beauty = (CATEGORIES.index(c) for c in ("fmcg", "sports_outdoor", "beauty"))
    n = 5
    orders = Orders(buyers=np.arange(n), stores=np.zeros(n, int),
                    category=np.array([fmcg, sports, beauty, fmcg, sports]),
                    level=np.array([Level.FAN, Level.VISITOR, Level.MEMBER, Level.MEMBER, Level.FAN]),
                    price=np.ones(n), depth=np.zeros(n), insider=np.zeros(n, bool), slot=np.zeros(n, int),
                    channel=np.array([Channel.PRIVATE, Channel.PUBLIC, Channel.PRIVATE, Channel.PRIVATE,
                                      Channel.OFFPLATFORM]),
                    value=np.array([10.0, 20.0, 40.0, 80.0, 160.0]), orders_before=np.zeros(n, int))
    flows = dict.fromkeys(FLOWS, 0.0)
    record_flows(flows, SimpleNamespace(tier=np.zeros(1, int)), orders)
    assert flows["gmv_fmcg_sports"] == 10 + 20 + 80                   # beauty and off-platform left out
    assert flows["gmv_relationship_fmcg_sports"] == 10 + 80
    assert flows["gmv_relationship"] == 10 + 40 + 80


def test_list_value_and_off_platform_orders_are_counted_from_value_and_price():
    """gmv_list is the on-platform orders' value at the category base price (value over the price index
    paid), so gmv_total / gmv_list is the value-weighted price index paid; off-platform orders are
    counted apart from `orders`."""
    from types import SimpleNamespace

    import numpy as np

    from ptsim.orders import Channel, Level, Orders
    from ptsim.outcomes import FLOWS, record_flows
    n = 3
    orders = Orders(buyers=np.arange(n), stores=np.zeros(n, int), category=np.zeros(n, int),
                    level=np.full(n, Level.VISITOR), price=np.array([0.5, 0.8, 0.9]), depth=np.zeros(n),
                    insider=np.zeros(n, bool), slot=np.zeros(n, int),
                    channel=np.array([Channel.PUBLIC, Channel.DIRECT, Channel.OFFPLATFORM]),
                    value=np.array([10.0, 40.0, 90.0]), orders_before=np.zeros(n, int))
    flows = dict.fromkeys(FLOWS, 0.0)
    record_flows(flows, SimpleNamespace(tier=np.zeros(1, int)), orders)
    assert flows["gmv_list"] == 10 / 0.5 + 40 / 0.8 and flows["gmv_total"] == 50
    assert flows["orders"] == 2 and flows["orders_offplatform"] == 1 and flows["gmv_offplatform"] == 90
