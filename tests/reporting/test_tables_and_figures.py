"""Issue 19 items 10-11: tables in readable units (bn yuan, %, pp, relative differences, no nan, intervals
below zero marked), summary.csv of `ptsim run`, intervals in a sweep's responses.csv; figures of one size
and style, without band legends where no band is drawn, labels inside the figure, a panel per unit in the
differences figure, Chinese scenario names drawn, sweep axes named by the field, and the weekly saw-tooth
of the 90-day repurchase rate averaged out."""

import io
import re
import warnings
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from rich.console import Console
from test_figures_and_outputs import fake_timeseries as figure_timeseries

from ptsim import plots
from ptsim.experiment.compare import paired_differences, summary_table

matplotlib.use("Agg")
TINY = ["--days", "20", "--set", "population.consumers=300", "--set", "population.merchants=20",
        "--set", "run.burn_in_days=10"]


def fake_runs(reps=3):
    """A runs table of two scenarios: GMV about 310 bn yuan, WeChat-direct GMV 0 in the reference,
    leakage that is 0 in most replications (its t-interval reaches below 0) and a share."""
    rng = np.random.default_rng(0)
    rows = []
    for point, scenario in enumerate(("baseline", "wechat_open")):
        for r in range(reps):
            rows.append({"run_id": f"p{point}-r{r}", "point": point, "scenario": scenario, "replication": r,
                         "seed": r, "status": "ok", "error": "",
                         "gmv_total": 3.1e11 + rng.normal(0, 1e10) + 5e9 * point,
                         "gmv_wechat_direct": (7e9 + rng.normal(0, 1e9)) * point,
                         "gmv_offplatform": 2e9 if r == reps - 1 else 0.0,
                         "share_gmv_private": 0.48 - 0.035 * point + rng.normal(0, 0.01)})
    return pd.DataFrame(rows)


def rendered(table, width=400) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def row_of(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if f" {name} " in line)


# ------------------------------------------------------------------------------------ item 10: tables
def test_comparison_table_reads_in_bn_yuan_pp_and_relative_differences_without_nan():
    from ptsim.cli import comparison_table
    runs = fake_runs()
    names = ["gmv_total", "gmv_wechat_direct", "gmv_offplatform", "share_gmv_private"]
    c = SimpleNamespace(reference="baseline", runs=runs, outcomes=names, summary=summary_table(runs, names),
                        differences=paired_differences(runs, "baseline", names))
    text = rendered(comparison_table(c))
    assert "nan" not in text.lower() and "e+" not in text
    header = next(line for line in text.splitlines() if "outcome" in line and "unit" in line)
    assert "wechat_open - baseline" in header and "wechat_open - baseline (%)" in header
    gmv = row_of(text, "gmv_total")
    assert "bn yuan" in gmv and re.search(r"\b3[01]\d \[\d{3}, \d{3}\]", gmv), gmv          # about 310 bn yuan
    assert re.search(r"[-+]\d+ \[[-+]\d+, [-+]\d+\] .*[-+]\d\.\d \[[-+]\d+\.\d, [-+]\d+\.\d\]", gmv), gmv
    # a reference mean of 0: the difference in bn yuan, a dash for the relative one
    wechat = row_of(text, "gmv_wechat_direct").split("│")
    assert wechat[-2].strip() == plots.MISSING
    assert re.fullmatch(r"\+\d+\.\d+ \[\+\d+\.\d+, \+\d+\.\d+\]", wechat[-3].strip())
    # shares in %, their differences in percentage points, no relative difference
    share = row_of(text, "share_gmv_private").split("│")
    assert share[2].strip() == "%" and share[-3].strip().endswith(" pp") and share[-2].strip() == ""
    pp = 100 * c.differences.set_index("outcome").loc["share_gmv_private", "mean"]
    assert float(share[-3].split("[")[0]) == pytest.approx(pp, abs=0.05)
    # a non-negative outcome whose interval reaches below 0 is marked, and the mark explained
    assert plots.BELOW_ZERO in row_of(text, "gmv_offplatform") and plots.BELOW_ZERO not in gmv
    assert "reaches below 0" in text
    assert summary_table(runs, names).set_index(["scenario", "outcome"])["crosses_zero"].to_dict() == {
        (s, n): n == "gmv_offplatform" for s in ("baseline", "wechat_open") for n in names}


def test_run_writes_summary_csv_and_prints_readable_units(tmp_path):
    from typer.testing import CliRunner

    from ptsim.cli import app
    from ptsim.experiment import load_experiment
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", "baseline", "--reps", "2", "--no-figures", "--out", str(out), *TINY])
    assert result.exit_code == 0, result.stdout + result.stderr
    written = pd.read_csv(out / "summary.csv")
    assert list(written.columns) == ["scenario", "outcome", "unit", "n", "mean", "low", "high", "crosses_zero"]
    expected = summary_table(load_experiment(out).runs)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert (out / "summary.parquet").is_file() and (out / "runs.parquet").is_file()
    assert "summary.csv" in result.stdout
    gmv = row_of(result.stdout, "gmv_total")
    assert "bn yuan" in gmv and "e+" not in result.stdout
    assert row_of(result.stdout, "active_share").split("│")[2].strip() == "%"


def test_a_sweeps_responses_carry_the_95_percent_interval_of_each_mean(tmp_path):
    import pyarrow.parquet as pq

    from ptsim.cli import grid_table
    from ptsim.experiment import sweep
    from ptsim.runs import summarise

    def model(params, seed):
        noise = np.random.default_rng(seed).normal()
        return {"gmv_total": 3e11 * params["x"] + 1e10 * noise, "share_gmv_private": 0.4 + 0.01 * noise}

    s = sweep(model, grid={"x": [1.0, 2.0]}, reps=3, out=tmp_path / "s")
    written = pd.read_csv(tmp_path / "s" / "responses.csv")
    assert {"gmv_total_low", "gmv_total_high", "share_gmv_private_low", "share_gmv_private_high"} <= set(written)
    for point, runs in s.experiment.ok.groupby("point"):
        row = written[written["point"] == point].iloc[0]
        assert [row["gmv_total"], row["gmv_total_low"], row["gmv_total_high"]] == \
            pytest.approx(summarise(runs["gmv_total"].to_numpy()))
    meta = pq.read_schema(tmp_path / "s" / "responses.parquet").field("gmv_total_low").metadata
    assert meta[b"unit"] == b"yuan" and meta[b"description"].startswith(b"Lower end of the 95%")
    text = rendered(grid_table(s))
    assert "gmv_total (bn yuan)" in text and "share_gmv_private (%)" in text
    assert re.search(r"\b3[01]\d \[\d+, \d+\]", text), text


# ----------------------------------------------------------------------------------- item 11: figures
def fake_timeseries(days=60, reps=3, scenarios=("baseline", "wechat_open")):
    """test_figures_and_outputs' labelled timeseries, two months long by default."""
    return figure_timeseries(days, reps, scenarios)


def fake_differences():
    return pd.DataFrame({"outcome": ["gmv_total", "gmv_total", "share_gmv_private", "share_gmv_private",
                                     "gmv_wechat_direct", "mean_deal_proneness"],
                         "scenario": ["a long scenario name", "b", "a long scenario name", "b", "b", "b"],
                         "n_pairs": 4, "mean": [5e9, -2e9, -0.035, 0.01, 7e9, 0.001],
                         "low": [1e9, -6e9, -0.05, -0.01, 2e9, -0.001], "high": [9e9, 2e9, -0.02, 0.03, 12e9, 0.003],
                         "pct_mean": [1.6, -0.6, -7.3, 2.0, np.nan, 0.3],
                         "pct_low": [0.3, -1.9, -10.0, -2.0, np.nan, -0.3],
                         "pct_high": [2.9, 0.6, -4.0, 6.0, np.nan, 0.9]})


def every_figure():
    ts = fake_timeseries()
    runs = ts.groupby(["scenario", "replication"], as_index=False)[["active_share", "gmv_total"]].mean()
    runs["ranking.exponent"] = runs["scenario"].map({"baseline": 0.5, "wechat_open": 1.0})
    summary = pd.DataFrame({"scenario": ["a", "b"], "outcome": "gmv_total", "n": 3, "mean": [1e9, 2e9],
                            "low": [0.9e9, 1.8e9], "high": [1.1e9, 2.2e9]})
    indices = pd.DataFrame({"outcome": "gmv_total", "parameter": ["a", "b"], "S1": [0.2, 0.5], "S1_conf": 0.1,
                            "ST": [0.3, 0.6], "ST_conf": 0.1})
    return {"channels": plots.channel_figure(ts), "timeseries": plots.timeseries_figure(ts, ["active_share"], "t"),
            "spread": plots.spread_figure(ts.assign(point=ts["scenario"]), ["active_share", "gmv_total"], "s"),
            "response": plots.response_figure(runs, "ranking.exponent", ["active_share", "gmv_total"]),
            "differences": plots.difference_figure(fake_differences()),
            "summary": plots.summary_figure(summary, ["gmv_total"], "s"),
            "sensitivity": plots.sensitivity_figure(indices, "gmv_total"),
            "sensitivity grid": plots.sensitivity_grid(indices, ["gmv_total"])}


def inside(fig) -> bool:
    """Whether everything drawn (labels, legends, notes) lies within the figure."""
    fig.canvas.draw()
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())                  # inches
    return drawn.x0 >= -0.01 and drawn.y0 >= -0.01 and drawn.x1 <= fig.get_figwidth() + 0.01 \
        and drawn.y1 <= fig.get_figheight() + 0.01


def test_every_figure_has_one_width_one_set_of_font_sizes_and_every_label_inside():
    figs = every_figure()
    assert {name: fig.get_figwidth() for name, fig in figs.items()} == dict.fromkeys(figs, plots.WIDTH)
    for name, fig in figs.items():
        assert inside(fig), name
        axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
        assert {ax.title.get_fontsize() for ax in axes} <= {plots.STYLE["axes.titlesize"]}, name
        assert {ax.xaxis.label.get_fontsize() for ax in axes if ax.get_xlabel() and not ax.get_xlabel().startswith(
            "date")} <= {plots.STYLE["axes.labelsize"]}, name
    matplotlib.pyplot.close("all")


def test_the_differences_figure_has_a_panel_per_unit_shares_in_pp_and_relative_differences_beside():
    fig = plots.difference_figure(fake_differences())
    panels = [ax for ax in fig.axes if ax.get_xlabel()]
    assert [ax.get_xlabel() for ax in panels] == ["difference (bn yuan)", "difference (pp)", "difference (0..1)"]
    gmv, shares, deal = panels
    assert [t.get_text() for t in gmv.get_yticklabels()] == ["GMV on platform | a long scenario name",
                                                             "GMV on platform | b", "WeChat-direct GMV | b"]
    # bars in the panel's unit: GMV in bn yuan, shares in percentage points
    assert sorted(p.get_width() for p in gmv.patches if p.get_width()) == pytest.approx([-2, 5, 7])
    assert sorted(p.get_width() for p in shares.patches if p.get_width()) == pytest.approx([-3.5, 1])
    right = {t.get_text() for ax in fig.axes if not ax.get_xlabel() for t in ax.get_yticklabels()}
    assert {"+1.6 [+0.3, +2.9] %", plots.MISSING} <= right and not any("-7.3" in t for t in right)
    assert inside(fig)
    matplotlib.pyplot.close("all")


def test_one_replication_draws_no_band_and_names_none():
    one = fake_timeseries(reps=1)
    runs = one.groupby(["scenario", "replication"], as_index=False)[["active_share"]].mean()
    runs["x"] = [0.0, 1.0]
    for fig in (plots.channel_figure(one), plots.timeseries_figure(one, ["active_share", "gmv_total"], "t"),
                plots.response_figure(runs, "x", ["active_share"])):
        texts = [t.get_text() for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
                 for t in legend.get_texts()]
        assert plots.BAND_LABEL not in texts, texts
        assert not any(len(ax.collections) for ax in fig.axes)
    assert plots.BAND_LABEL in [t.get_text() for legend in plots.channel_figure(fake_timeseries()).legends
                                for t in legend.get_texts()]
    matplotlib.pyplot.close("all")


def test_chinese_scenario_names_render_without_missing_glyphs():
    assert plots.cjk_font() is not None
    ts = fake_timeseries(scenarios=("基线", "微信开放"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fig in (plots.timeseries_figure(ts, ["gmv_total"], "情景比较"), plots.channel_figure(ts)):
            fig.savefig(io.BytesIO(), format="png")
    assert not [str(w.message) for w in caught if "Glyph" in str(w.message)]
    matplotlib.pyplot.close("all")


def test_without_the_font_package_a_chinese_font_is_found_at_run_time(monkeypatch):
    import subprocess
    import sys
    font = pytest.importorskip("noto_cjk_sans_otc").FONT_PATH
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)          # as if not installed
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: SimpleNamespace(stdout=f"{font}: \n")
                        if args[:2] == ["fc-list", ":lang=zh"] else pytest.fail(args))
    plots.cjk_font.cache_clear()
    try:
        assert plots.cjk_font() == "Noto Sans CJK JP"                      # the collection's first face
    finally:
        plots.cjk_font.cache_clear()


def test_sweep_axes_are_labelled_with_the_fields_name_and_unit():
    runs = pd.DataFrame({"replication": [0, 1, 0, 1], "gmv_total": [1e9, 1.1e9, 2e9, 2.1e9],
                         "choice.price_sensitivity_mean": [3.0, 3.0, 4.3, 4.3], "ranking.exponent": 0.5})
    fig = plots.response_figure(runs, "choice.price_sensitivity_mean", ["gmv_total"], by="ranking.exponent")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "choice: price sensitivity mean (utils per log price)"
    assert [t.get_text() for t in ax.get_legend().get_texts()][0] == "ranking: exponent = 0.5"
    assert plots.field_label("ranking.exponent") == "ranking: exponent"                  # unit "-": none
    assert plots.field_label("x") == "x"                                                # a model function's input
    matplotlib.pyplot.close("all")


def test_the_90_day_repurchase_rate_is_drawn_without_its_weekly_saw_tooth():
    ts = fake_timeseries(days=70, reps=2)
    ts["repurchase_rate_90d"] = 0.85 + 0.01 * ((ts["day"] + 3) % 7)      # its 84-90-day window, week by week
    fig = plots.timeseries_figure(ts, ["repurchase_rate_90d"], "t")
    ax = fig.axes[0]
    assert "7-day mean" in ax.get_title()
    y = ax.get_lines()[0].get_ydata()
    assert np.ptp(y[6:]) == pytest.approx(0, abs=1e-9)                  # a full week's mean: flat
    matplotlib.pyplot.close("all")


def test_the_cjk_font_is_a_declared_dependency():
    import tomllib
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("noto-cjk-sans-otc") for d in deps)
    assert "noto-cjk-sans-otc==" in (ROOT / "constraints.txt").read_text()
