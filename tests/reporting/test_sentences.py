"""The notebooks' answer sentences (ptsim.plots.sentences): a difference with its 95% interval in display
units, marked when its interval holds 0, and the one-line answer with the levels before and after."""

import pandas as pd

from ptsim.plots.sentences import answer_line, change, interval_of, pick_row, resolved
from ptsim.stats import MISSING

DIFFERENCES = pd.DataFrame([
    {"outcome": "gmv_total", "scenario": "a", "mean": 2e9, "low": 1e9, "high": 3e9,
     "pct_mean": 5.0, "pct_low": 2.5, "pct_high": 7.5, "n_pairs": 6},
    {"outcome": "share_gmv_private", "scenario": "a", "mean": 0.01, "low": -0.002, "high": 0.02,
     "pct_mean": 1.0, "pct_low": -1.0, "pct_high": 3.0, "n_pairs": 6}])
LEVELS = pd.DataFrame([{"outcome": "gmv_total", "mean": 40e9, "n": 6}])


def test_a_resolved_difference_reads_in_its_unit_and_in_percent_of_the_reference():
    r = pick_row(DIFFERENCES, "gmv_total", scenario="a")
    assert resolved(r) == 1
    assert interval_of(r, "gmv_total") == "+2.0 bn yuan [+1.0, +3.0]"
    assert interval_of(r, "gmv_total", pct=True) == "+5.0% [+2.5, +7.5]"
    before = after = pick_row(LEVELS, "gmv_total")
    assert answer_line("gmv_total", r, before, after) == (
        "- GMV on platform: +2.0 bn yuan [+1.0, +3.0], +5.0% [+2.5, +7.5] of the reference; "
        "level 40.0 bn yuan -> 40.0 bn yuan")


def test_an_interval_holding_zero_is_said_not_resolved_and_a_missing_row_is_no_number():
    s = pick_row(DIFFERENCES, "share_gmv_private")
    assert resolved(s) == 0 and change(s, "share_gmv_private") == "+1.0 pp [-0.2, +2.0] (not resolved)"
    assert pick_row(DIFFERENCES, "gmv_total", scenario="b") is None
    assert interval_of(None, "gmv_total") == MISSING and resolved(None) == 0
