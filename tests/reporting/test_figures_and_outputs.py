"""Issue 12 items 5-6: figures researchers can read and print (colour-blind-safe palette, labelled
bands, calendar dates, festival marks from the calendar), command output not cut to 80 columns, and
tidy outputs (units in Parquet schemas, sensitivity as Parquet, seeds typed alike, files 0644)."""

import json
import os
import subprocess

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from conftest import ptsim_cmd
from matplotlib.colors import to_hex

from ptsim import calendar, load_scenario, plots

matplotlib.use("Agg")
TINY = ["--days", "20", "--set", "population.consumers=300", "--set", "population.merchants=20",
        "--set", "run.burn_in_days=10", "--no-cache"]


def fake_timeseries(days=365, reps=3, scenarios=("baseline", "wechat_open")):
    """A labelled timeseries as Comparison.timeseries gives it, with every outcome plotted."""
    rng = np.random.default_rng(1)
    rows = []
    for s in scenarios:
        for r in range(reps):
            d = pd.DataFrame({"day": np.arange(days)})
            for name in ("gmv_public", "gmv_private", "gmv_wechat_direct", "gmv_offplatform", "active_share",
                         "repurchase_rate_90d", "dormant_share", "gmv_total"):
                d[name] = rng.uniform(1e9, 2e9, days) if name.startswith("gmv") else rng.uniform(0, 1, days)
            rows.append(d.assign(scenario=s, replication=r))
    return pd.concat(rows, ignore_index=True)


def data_colours(fig):
    """Colours of the data drawn (lines, error bars, bands, bars), festival marks left out."""
    out = set()
    for ax in fig.axes:
        for line in ax.get_lines():
            if not line.get_label().startswith(("_festival", "_timeline")):    # caps of error bars: markers only
                drawn = line.get_color() if line.get_linestyle() not in ("None", "none", "") else \
                    line.get_markeredgecolor()
                out.add(to_hex(drawn))
        for coll in ax.collections:
            out.update(to_hex(c) for c in coll.get_facecolors())
        for patch in ax.patches:
            out.add(to_hex(patch.get_facecolor()))
    return out


# ------------------------------------------------------------------------------- item 5: figures
def test_palette_is_okabe_ito_and_every_figure_uses_only_it():
    assert set(plots.COLOURS) == {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
                                  "#CC79A7"}
    palette = {c.lower() for c in plots.COLOURS}
    ts = fake_timeseries(days=60)
    figs = [plots.channel_figure(ts), plots.timeseries_figure(ts, ["active_share", "gmv_total"], "t"),
            plots.spread_figure(ts.assign(point=ts["scenario"]), ["active_share"], "s")]
    runs = ts.groupby(["scenario", "replication"], as_index=False)[["active_share", "gmv_total"]].mean()
    runs["x"] = runs["scenario"].map({"baseline": 0.0, "wechat_open": 1.0})
    figs.append(plots.response_figure(runs, "x", ["active_share", "gmv_total"]))
    diff = pd.DataFrame({"outcome": ["gmv_total"] * 2, "scenario": ["a", "b"], "mean": [1e9, -2e9],
                         "low": [0.5e9, -3e9], "high": [1.5e9, 1e9], "pct_mean": [1.0, -2.0],
                         "pct_low": [0.5, -3.0], "pct_high": [1.5, 1.0]})
    figs.append(plots.difference_figure(diff))
    summary = pd.DataFrame({"scenario": ["a", "b"], "outcome": "gmv_total", "mean": [1e9, 2e9],
                            "low": [0.9e9, 1.8e9], "high": [1.1e9, 2.2e9]})
    figs.append(plots.summary_figure(summary, ["gmv_total"], "s"))
    indices = pd.DataFrame({"outcome": "gmv_total", "parameter": ["a", "b"], "S1": [0.2, 0.5], "S1_conf": 0.1,
                            "ST": [0.3, 0.6], "ST_conf": 0.1})
    figs.append(plots.sensitivity_figure(indices, "gmv_total"))
    for fig in figs:
        used = data_colours(fig)
        assert used and used <= palette, used - palette
    # the four GMV channels differ in colour and in line style (they stay apart in greyscale print)
    lines = [ln for ln in figs[0].axes[0].get_lines() if not ln.get_label().startswith("_")]
    assert len({to_hex(ln.get_color()) for ln in lines}) == len({ln.get_linestyle() for ln in lines}) == 4
    matplotlib.pyplot.close("all")


def test_x_axis_holds_calendar_dates_from_the_start_day_and_festivals_come_from_the_calendar():
    s = load_scenario("baseline", {"run.start_day_of_year": 100, "seasonality.festival_days": [168, 314, 345]})
    cal = plots.calendar_of(s)
    assert cal == {"start_day_of_year": 100, "festivals": calendar.festival_names(s.seasonality),
                   "timeline": {181: "vip_programme.join_prob", 303: "vip_programme.join_prob"}}    # the baseline's
    assert cal["festivals"] == {168: "618", 314: "Double 11", 345: "Double 12"}
    fig = plots.channel_figure(fake_timeseries(days=300, scenarios=("baseline",)), **cal)
    ax = fig.axes[0]
    data = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    x = data[0].get_xdata()
    assert np.issubdtype(np.asarray(x).dtype, np.datetime64)
    assert x[0] == np.datetime64("2025-04-11")                  # day 0 = day of year 100 of 2025
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert "2025" in ax.get_xlabel()
    marks = sorted(str(np.datetime64(mdates.num2date(mdates.date2num(ln.get_xdata()[0])).date(), "D"))
                   for ln in ax.get_lines() if ln.get_label().startswith("_festival"))
    assert marks == ["2025-06-18", "2025-11-11", "2025-12-12"]
    assert {t.get_text() for t in ax.texts} == {"618", "Double 11", "Double 12"}
    # without seasonality there is nothing to mark; the defaults are the schema's
    assert calendar.festival_names(s.seasonality.model_copy(update={"enabled": False})) == {}
    assert plots.FESTIVALS == {168: "618", 314: "Double 11"}
    matplotlib.pyplot.close("all")


def test_timeline_days_are_marked_on_the_panels_of_the_scenarios_that_change_levers():
    """A comparison's figures mark every day a scenario's timeline changes a lever: a change all scenarios
    make on every panel, one only some make on theirs alone (the channel figure's panels are scenarios),
    each listed with its date and levers in the legend."""
    rollout = load_scenario("wechat_rollout_2025")
    marks = plots.calendar_of(rollout)["timeline"]
    assert marks == {90: "wechat_direct, weight_bonus.share", 181: "vip_programme.join_prob",
                     243: "wechat_direct.mode", 303: "vip_programme.join_prob"}
    merged = plots.merge_marks({"baseline": plots.calendar_of(load_scenario("baseline"))["timeline"],
                                "wechat_rollout_2025": marks})
    assert merged == [(90, "wechat_direct, weight_bonus.share", ("wechat_rollout_2025",)),
                      (181, "vip_programme.join_prob", ()), (243, "wechat_direct.mode", ("wechat_rollout_2025",)),
                      (303, "vip_programme.join_prob", ())]
    fig = plots.channel_figure(fake_timeseries(scenarios=("baseline", "wechat_rollout_2025")), timeline=merged,
                               start_day_of_year=0)

    def marked(ax):
        return sorted(str(np.datetime64(mdates.num2date(mdates.date2num(ln.get_xdata()[0])).date(), "D"))
                      for ln in ax.get_lines() if ln.get_label().startswith("_timeline"))
    assert marked(fig.axes[0]) == ["2025-07-01", "2025-10-31"]                              # baseline
    assert marked(fig.axes[1]) == ["2025-04-01", "2025-07-01", "2025-09-01", "2025-10-31"]  # the rollout
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "1 Apr: wechat_rollout_2025: wechat_direct, weight_bonus.share" in legend.replace("\n", " ")
    assert "31 Oct: vip_programme.join_prob" in legend.replace("\n", " ")
    # a scenario without a timeline: no mark, no legend entry
    fig = plots.timeseries_figure(fake_timeseries(), ["active_share"], "t", timeline={})
    assert not marked(fig.axes[0]) and "levers change" not in " ".join(t.get_text() for t in fig.legends[0].get_texts())
    matplotlib.pyplot.close("all")


def test_bands_are_labelled_as_confidence_intervals_of_the_mean():
    ts = fake_timeseries(days=30)
    for fig in (plots.channel_figure(ts), plots.timeseries_figure(ts, ["active_share"], "t")):
        texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        assert "95% confidence interval of the mean over replications" in texts
    matplotlib.pyplot.close("all")


def test_compare_output_in_a_pipe_is_not_cut_to_80_columns(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(ptsim_cmd("compare", "baseline", "wechat_open", "--reps", "2", "--no-figures",
                                    "--outcomes", "gmv_total,share_gmv_private", "--out", tmp_path / "c", *TINY),
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if "outcome" in line and "unit" in line)
    assert "wechat_open - baseline (%)" in header and len(header) > 80
    row = next(line for line in lines if "share_gmv_private" in line)
    assert row.count("[") == 3 and "…" not in done.stdout          # every interval whole, nothing elided
    assert row.rstrip("│ ").endswith(" pp")                          # a share's difference in points
    assert f"results written to {tmp_path / 'c'}/ (summary.csv" in done.stdout


# ------------------------------------------------------------------------------- item 6: tidy outputs
@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A tiny Latin-hypercube sweep by the command line, under a umask that would make files 0664."""
    out = tmp_path_factory.mktemp("sweep") / "s"
    done = subprocess.run(ptsim_cmd("sweep", "baseline", "--lhs", "--param", "ranking.exponent=0.5:1",
                                    "--samples", "8", "--reps", "1", "--outcomes", "gmv_total,active_share",
                                    "--out", out, *TINY),
                          cwd=out.parent, capture_output=True, text=True, timeout=180,
                          preexec_fn=lambda: os.umask(0o002))
    assert done.returncode == 0, done.stderr
    return out


def test_every_parquet_table_carries_units_and_descriptions(swept):
    import pyarrow.parquet as pq
    tables = sorted(swept.glob("*.parquet")) + sorted((swept / "runs").glob("*.parquet"))
    assert {p.name for p in tables} >= {"points.parquet", "runs.parquet", "timeseries.parquet",
                                        "responses.parquet", "sensitivity.parquet"}
    for path in tables:
        for field in pq.read_schema(path):
            meta = field.metadata or {}
            assert meta.get(b"unit") and meta.get(b"description"), (path.name, field.name)
    runs = pq.read_schema(swept / "runs.parquet")
    assert runs.field("gmv_total").metadata[b"unit"] == b"yuan"
    assert runs.field("active_share").metadata[b"unit"] == b"share"
    assert b"On-platform GMV" in runs.field("gmv_total").metadata[b"description"]
    assert b"seed" in runs.field("seed").metadata[b"description"].lower()
    assert pq.read_schema(swept / "timeseries.parquet").field("day").metadata[b"unit"] == b"day"
    points = pq.read_schema(swept / "points.parquet")
    assert b"Scenario field ranking.exponent" in points.field("ranking.exponent").metadata[b"description"]
    import pandas as pd
    assert len(pd.read_parquet(swept / "runs.parquet")) == 8            # the metadata does not change the data


def test_sensitivity_is_written_as_parquet_next_to_its_csv(swept):
    csv = pd.read_csv(swept / "sensitivity.csv")
    pqt = pd.read_parquet(swept / "sensitivity.parquet")
    assert list(pqt.columns) == list(csv.columns) == ["outcome", "parameter", "S1", "S1_conf"]
    pd.testing.assert_frame_equal(pqt, csv, check_dtype=False)


def test_seeds_are_decimal_strings_in_every_manifest(swept):
    from ptsim.results import manifest

    def seeds_in(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in ("seeds", "seed") and isinstance(v, list):
                    yield from v
                else:
                    yield from seeds_in(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from seeds_in(v)

    m = json.loads((swept / "manifest.json").read_text())
    found = list(seeds_in(m))
    assert found and all(isinstance(s, str) and s.isdigit() for s in found)
    assert m["seeds"] == m["design"]["seeds"]
    assert m["seeds"] == [str(s)
                          for s in pd.read_parquet(swept / "runs.parquet").drop_duplicates("replication")["seed"]]
    assert manifest({}, [1, 2**62])["seeds"] == ["1", str(2**62)]    # as the calibration's manifest too


def test_every_result_file_is_0644(swept):
    files = [p for p in swept.rglob("*") if p.is_file()]
    assert len(files) > 10
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}, \
        [(p.name, oct(p.stat().st_mode & 0o777)) for p in files if p.stat().st_mode & 0o777 != 0o644]
