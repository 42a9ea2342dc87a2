"""Comparisons: common random numbers make paired differences tighter than unpaired ones; the
comparison folder holds summary and differences tables and figures."""

import numpy as np
import pandas as pd
from conftest import ROOT
from scipy import stats

from ptsim.experiment import Comparison, compare

SMALL = {"population.consumers": 2000, "population.merchants": 60, "run.days": 30, "run.burn_in_days": 30}


def steep_ranking(tmp_path):
    path = tmp_path / "steep.yaml"
    path.write_text(f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: steep\nranking:\n  exponent: 1.0\n")
    return path


def test_paired_difference_is_narrower_than_the_unpaired_interval(tmp_path):
    c = compare([ROOT / "scenarios" / "baseline.yaml", steep_ranking(tmp_path)], reps=6, overrides=SMALL)
    runs = c.runs
    assert (runs["status"] == "ok").all() and list(dict.fromkeys(runs["scenario"])) == ["baseline", "steep"]
    pivot = runs.pivot(index="replication", columns="scenario", values="seed")
    assert (pivot["baseline"] == pivot["steep"]).all()                  # common random numbers
    d = c.differences.set_index("outcome")
    for name in ("gmv_total", "orders", "active_share", "gini_merchant_gmv"):
        a = runs.loc[runs["scenario"] == "baseline", name].to_numpy()
        b = runs.loc[runs["scenario"] == "steep", name].to_numpy()
        unpaired = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
        paired = d.loc[name]
        assert np.isclose(paired["mean"], b.mean() - a.mean())
        assert np.isclose(paired["unpaired_low"], unpaired.low) and np.isclose(paired["unpaired_high"], unpaired.high)
        assert paired["high"] - paired["low"] < unpaired.high - unpaired.low, name


def test_comparison_folder_holds_tables_and_figures(tmp_path):
    out = tmp_path / "cmp"
    c = compare([ROOT / "scenarios" / "baseline.yaml", steep_ranking(tmp_path)], reps=3, overrides=SMALL,
                out=out, figures=True, outcomes=["gmv_total", "active_share"])
    for name in ("summary.csv", "summary.parquet", "differences.csv", "differences.parquet", "runs.parquet",
                 "timeseries.parquet", "points.parquet", "manifest.json", "fig_timeseries.png",
                 "fig_gmv_by_channel.png", "fig_differences.png"):
        assert (out / name).is_file(), name
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), c.summary)
    again = Comparison.load(out)
    pd.testing.assert_frame_equal(again.differences, c.differences)
    ts = again.timeseries
    assert {"scenario", "replication", "day", "gmv_total"} <= set(ts) and len(ts) == 2 * 3 * 30
    summary = c.summary.set_index(["scenario", "outcome"])
    assert summary.loc[("baseline", "gmv_total"), "low"] <= summary.loc[("baseline", "gmv_total"), "mean"] \
        <= summary.loc[("baseline", "gmv_total"), "high"]
    other = [n for n in c.summary["scenario"].unique() if n != "baseline"][0]
    back = c.differences_from(other).set_index("outcome")
    forth = c.differences.set_index("outcome")
    assert np.isclose(back.loc["gmv_total", "mean"], -forth.loc["gmv_total", "mean"])


def test_differences_from_any_reference_reverse_the_sign():
    """Paired differences against another scenario: b - a from a's side is -(a - b) from b's side."""
    import pandas as pd

    from ptsim.experiment.compare import paired_differences
    runs = pd.DataFrame({"scenario": ["a", "a", "a", "b", "b", "b"], "replication": [0, 1, 2] * 2,
                         "status": "ok", "gmv_total": [1.0, 2.0, 3.0, 2.0, 2.5, 4.0]})
    ab = paired_differences(runs, "a", ["gmv_total"])
    ba = paired_differences(runs, "b", ["gmv_total"])
    assert np.isclose(ab["mean"].iloc[0], -ba["mean"].iloc[0]) and np.isclose(ab["mean"].iloc[0], 0.8333333)


def test_the_first_arm_computes_the_burn_ins_before_the_other_arms_load_them():
    from ptsim.experiment.runner import warm_first
    runs = [("p0-r0", 0, 0), ("p1-r0", 1, 0), ("p0-r1", 0, 1), ("p1-r1", 1, 1)]
    assert warm_first(runs) == [("p0-r0", 0, 0), ("p0-r1", 0, 1), ("p1-r0", 1, 0), ("p1-r1", 1, 1)]
    assert warm_first([]) == []
