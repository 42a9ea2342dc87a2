"""Issue 19 item 10: tables in readable units (bn yuan, %, pp, relative differences, no nan, intervals
below zero marked), summary.csv of `ptsim run`, intervals in a sweep's responses.csv."""

import io
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from ptsim import plots
from ptsim.experiment.compare import paired_differences, summary_table

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
    assert wechat[-2].strip() == plots.MISSING and re.fullmatch(r"\+\d+\.\d+ \[\+\d+\.\d+, \+\d+\.\d+\]", wechat[-3].strip())
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
