"""Joining's effect on a buyer's own order value vs members' cross-section (validation/joining.py)."""

import numpy as np
import pandas as pd
import pytest

from ptsim.validation.joining import join_effect

PRICE = {"fmcg": 60.0, "beauty": 220.0}


def log(rows):
    return pd.DataFrame(rows, columns=["consumer", "store", "day", "category", "tie_level", "value", "channel"])


def test_a_join_splits_the_joiners_orders_at_the_order_before_it_across_categories():
    """Consumer 1 joins store 7 after her day-3 order; her orders after it are twice as large (in base
    prices, whatever the category); consumer 2 never joins and does not count."""
    o = log([(1, 7, 1, "fmcg", "visitor", 60.0, "public"),
             (1, 8, 2, "beauty", "none", 220.0, "public"),
             (1, 7, 3, "fmcg", "fan", 60.0, "private"),
             (1, 7, 5, "fmcg", "member", 120.0, "private"),
             (1, 9, 6, "beauty", "visitor", 440.0, "public"),
             (2, 7, 1, "fmcg", "visitor", 30.0, "public"),
             (2, 7, 4, "fmcg", "visitor", 30.0, "public")])
    r = join_effect(o, PRICE)
    assert r["joiners"] == 1 and r["within"] == pytest.approx(2.0)
    on_all = o["value"].mean()
    assert r["cross_section"] == pytest.approx(120.0 / on_all)


def test_members_from_the_start_or_only_ever_members_are_not_joins():
    o = log([(1, 7, 1, "fmcg", "member", 60.0, "public"), (1, 7, 3, "fmcg", "group", 90.0, "private"),
             (2, 7, 2, "fmcg", "group", 60.0, "offplatform")])
    r = join_effect(o, PRICE)
    assert r["joiners"] == 0 and np.isnan(r["within"])
    assert r["cross_section"] == pytest.approx(1.0)            # off-platform orders are not in it


def test_the_quick_report_measures_joining_from_the_baselines_order_log(tmp_path):
    from ptsim.validation import validate
    checks = validate("quick", only=["joining"], out_md=tmp_path / "v.md")
    assert [c.name for c in checks] == ["a joiner's own order value, after / before joining",
                                        "members' order value over all orders' (the cross-section)"]
    assert checks[0].numbers["joiners"] > 0 and np.isfinite(checks[0].numbers["mean"])
    assert "Joining: selection or effect" in (tmp_path / "v.md").read_text()
