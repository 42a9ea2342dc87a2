"""`ptsim answers`: the quick report has the four questions, three layers and a command on every number, and
the commands it prints give its numbers back; PRIM finds a known sign flip; the pairs question 2 needs follow
the sample-size formula; the ranges come from the schema; bad options give one line and exit 2."""

import math
import re
import shlex
import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, ptsim_cmd

pytest.importorskip("ema_workbench")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """The quick size with a tiny fake posterior of two world parameters (three weighted vectors)."""
    from ptsim.answers import answers
    folder = tmp_path_factory.mktemp("answers")
    pd.DataFrame({"choice.price_sensitivity_mean": [3.5, 4.0, 4.5], "relationships.follow_prob": [0.5, 0.67, 0.8],
                  "weight": [1.0, 2.0, 1.0]}).to_parquet(folder / "posterior.parquet")
    out = folder / "docs" / "answers.md"
    result = answers("quick", out_md=out, posterior=folder, work=folder / "work")
    return result, out, out.read_text()


def test_quick_report_has_four_questions_three_layers_and_a_command_on_every_number(quick):
    result, out, text = quick
    assert text.startswith("# Answers to the four questions") and "Quick size" in text
    for q in ("Q1", "Q2", "Q3", "Q4"):
        assert f"## {q}. " in text and (out.parent / "answers" / f"fig_{q.lower()}.png").is_file()
    for layer in ("1. replications", "2. posterior", "3. assumptions"):
        assert layer in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and re.search(r"\[[-+]?\d", line)]
    assert len(rows) > 50
    for line in rows:                                   # every interval's row names the command that gives it
        assert "`ptsim compare " in line, line
    assert result["key"]["discovery"].map(lambda d: d["points"]).eq(len(result["layer3"]["x"])).all()
    from ptsim import load_scenario
    from ptsim.answers.questions import SIZES, store_trial_overrides
    size = SIZES["quick"].overrides()
    written = load_scenario(out.parent / "answers" / "store_insider_sale.yaml", size).to_dict()
    built = load_scenario("baseline", {**size, **store_trial_overrides(SIZES["quick"].merchants)}).to_dict()
    assert {**written, "description": ""} == {**built, "description": ""}    # the file is the arm that ran


def _variables(text: str) -> dict:
    """$SIZE and $ASSUMPTIONS as the report defines them."""
    return dict(re.findall(r"^(SIZE|ASSUMPTIONS)='(.*)'$", text, re.M))


def _run(command: str, values: dict, out) -> None:
    for name, value in values.items():
        command = command.replace(f"${name}", value)
    args = shlex.split(command)
    assert args[0] == "ptsim"
    done = subprocess.run(ptsim_cmd(*args[1:], "--out", out), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_the_printed_commands_give_the_reports_numbers_back(quick, tmp_path):
    """Layer 1 and 2 of one effect from `ptsim compare`, layer 3's reference arm from `ptsim sweep --morris`."""
    result, out, text = quick
    values = _variables(text)
    row = result["key"].iloc[0]
    e = row["effect"]
    line = next(row_text for row_text in text.splitlines()
                if row_text.startswith(f"| GMV on platform, {e.arm} − {e.reference}"))
    one, two = re.findall(r"`(ptsim compare [^`]*)`", line)
    for k, (command, prefix) in enumerate(((one, "rep"), (two, "post"))):
        _run(command, values, tmp_path / f"c{k}")
        d = pd.read_csv(tmp_path / f"c{k}" / "differences.csv").set_index(["scenario", "outcome"])
        assert d.loc[(e.arm, e.outcome), "mean"] == pytest.approx(row[f"{prefix}_mean"], rel=1e-9)
    sweep = re.search(r"`(ptsim sweep ARM --morris [^`]*)`", text).group(1).replace("ARM", "baseline")
    _run(sweep, values, tmp_path / "s")
    got = pd.read_csv(tmp_path / "s" / "responses.csv").sort_values("point")["gmv_total"].to_numpy()
    runs = result["layer3"]["runs"]
    want = runs[runs["scenario"] == "baseline"].sort_values("point")["gmv_total"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_prim_finds_the_assumption_that_flips_a_synthetic_effect():
    from ptsim.answers.discovery import discover, flips
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.uniform(0, 1, (300, 4)), columns=["a", "b", "c", "d"])
    effect = pd.Series(1.0 - 3.0 * (x["c"] > 0.6) + 0.2 * rng.normal(size=300))
    found = discover(x, flips(effect, +1.0))
    low, high = found["box"]["c"]
    assert abs(low - 0.6) < 0.05 and high is None
    assert found["coverage"] > 0.8 and found["density"] > 0.8


def test_pairs_needed_follow_the_sample_size_formula_and_the_verdict_its_interval():
    from ptsim.answers.precision import needed, verdict
    z = 1.959964 + 0.841621
    pilot = np.array([0.2 - 1.0, 0.2 + 1.0] * 5)            # mean 0.2, sd 1.054
    plan = needed(pilot)
    sd = pilot.std(ddof=1)
    assert plan["resolve"] == math.ceil((z * sd / 0.2) ** 2) and plan["bound"] == math.ceil((z * sd / 0.8) ** 2)
    assert plan["aim"] == "bound" and plan["n"] == plan["bound"]
    assert verdict(0.3, 0.1, 0.5)[0] == "resolved"
    assert verdict(0.1, -0.4, 0.6)[0] == "bounded"
    assert verdict(0.1, -1.2, 1.4)[0] == "neither"


def test_ranges_are_read_from_the_schemas_sources():
    from ptsim.answers.uncertainties import ranges
    r = ranges()
    assert (r["wechat.diversion_hassle"]["low"], r["wechat.diversion_hassle"]["high"]) == (-0.03, 0.12)
    assert (r["relationships.expansion_share"]["low"], r["relationships.expansion_share"]["high"]) == (0.3, 0.75)
    assert (r["wechat.diversion_spread"]["low"], r["wechat.diversion_spread"]["high"]) == (0.04, 0.1)
    assert r["relationships.touch_pull_days"]["source"].startswith("stated here: ")


BAD = {
    "unknown size": (["--size", "huge"], "--size huge"),
    "report not markdown": (["--quick", "--out", "answers.txt"], "ending in .md"),
    "no posterior there": (["--quick", "--posterior", "no_such_folder"], "no posterior.parquet"),
    "a lever in the posterior": (["--quick", "--posterior", "lever.parquet"], "policy lever"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_options_exit_2_with_one_line(name, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ptsim.cli import app
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"policies.weight_bonus.share": [1.0], "weight": [1.0]}).to_parquet(tmp_path / "lever.parquet")
    result = CliRunner().invoke(app, ["answers", *BAD[name][0]])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert BAD[name][1] in lines[0] and "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()
