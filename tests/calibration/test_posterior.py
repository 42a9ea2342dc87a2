"""Parameter uncertainty: calibrated vectors drawn per replication, shared by the arms of a comparison."""

import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, ptsim_cmd, small

from ptsim.experiment import compare
from ptsim.experiment.posterior import Posterior, variance_shares
from ptsim.scenario import ScenarioError


def write_posterior(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(folder / "posterior.parquet")
    return folder


@pytest.mark.parametrize("rows, message", [
    ([{"purchase.r": 0.3}], "no `weight` column"),
    ([{"purchase.r": 0.3, "weight": -1.0}], "weight: must be finite"),
    ([{"purchase.r": float("nan"), "weight": 1.0}], "purchase.r: every value must be a finite number"),
    ([{"insider.eligibility_threshold": 0.5, "weight": 1.0}], "is a policy lever"),
    ([{"purchase.nonsense": 0.5, "weight": 1.0}], "nonsense"),
])
def test_a_bad_posterior_is_refused_in_one_line(tmp_path, rows, message):
    folder = write_posterior(tmp_path / "cal", rows)
    with pytest.raises(ScenarioError, match=message) as err:
        Posterior.load(folder).check(small())
    assert "\n" not in str(err.value)


def test_variance_shares_tell_parameters_from_noise():
    rng = np.random.default_rng(0)
    draws = np.repeat(np.arange(40), 5)
    noise_only = rng.normal(0, 1, draws.size)
    with_params = noise_only + rng.normal(0, 3, 40)[draws]          # between-vector variance 9, within 1
    assert variance_shares(noise_only, draws)[2] < 0.15
    assert 0.8 < variance_shares(with_params, draws)[2] < 0.97
    assert np.isnan(variance_shares(noise_only, np.arange(draws.size))[2])   # one replication per vector


def test_compare_with_a_posterior_shares_vectors_across_arms_and_widens_intervals(tmp_path):
    base = small(**{"run.days": 20, "run.burn_in_days": 0})
    twin = base.with_overrides({"name": "twin"})
    folder = write_posterior(tmp_path / "cal", [{"purchase.r": 0.15, "weight": 0.5, "loss": 0.0, "trial": 0},
                                                {"purchase.r": 0.6, "weight": 0.5, "loss": 0.1, "trial": 1}])
    with_p = compare({"base": base, "twin": twin}, reps=8, posterior=folder, draws=4, cache=False)
    without = compare({"base": base, "twin": twin}, reps=8, cache=False)
    record = with_p.posterior
    assert record["draws"] == 4 and record["per_draw"] == 2 and len(record["drawn"]) == 4
    # the arms of a replication share seed and vector: identical twins differ by exactly nothing
    d = with_p.differences.set_index("outcome")
    assert d.loc["gmv_total", "mean"] == 0 and d.loc["gmv_total", "high"] == 0
    s = with_p.summary.set_index(["scenario", "outcome"]).loc[("base", "gmv_total")]
    s0 = without.summary.set_index(["scenario", "outcome"]).loc[("base", "gmv_total")]
    assert len(set(record["drawn"])) == 2       # this seed draws both vectors: need rates 4x apart
    assert s["share_parameter"] > 0.5
    assert s["high"] - s["low"] > s0["high"] - s0["low"]
    assert "share_parameter" not in without.summary


def test_compare_cli_takes_a_posterior_and_refuses_bad_draws(tmp_path):
    folder = write_posterior(tmp_path / "cal", [{"purchase.r": 0.2, "weight": 1.0}])
    common = ["--set", "population.consumers=500", "--set", "population.merchants=40", "--days", "5",
              "--set", "run.burn_in_days=0", "--no-figures", "--no-cache"]
    bad = subprocess.run(ptsim_cmd("compare", ROOT / "scenarios" / "baseline.yaml", "--reps", "3",
                                   "--posterior", folder,
                                   "--draws", "2", "--out", tmp_path / "x", *common),
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "multiple of --draws" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    good = subprocess.run(ptsim_cmd("compare", ROOT / "scenarios" / "baseline.yaml", "--reps", "2",
                                    "--posterior", folder,
                                    "--out", tmp_path / "ok", *common), capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert "parameter uncertainty: 2 vector(s)" in good.stdout
    assert "share_parameter" in pd.read_csv(tmp_path / "ok" / "summary.csv").columns


def test_an_optuna_study_is_not_a_posterior_and_compare_says_so_in_one_line(tmp_path):
    """A folder of `ptsim calibrate` (Optuna: near_best.parquet, no posterior.parquet) is refused by
    `compare --posterior` with exit 2 and one line naming what each method writes."""
    from ptsim.calibration import calibrate
    cal = tmp_path / "optuna"
    tiny = {"population.consumers": 300, "population.merchants": 30, "run.burn_in_days": 5, "run.days": 5}
    calibrate(ROOT / "scenarios" / "baseline.yaml", None, {"purchase.r": (0.1, 0.6)}, trials=1, reps=1, out=cal,
              overrides=tiny)
    assert (cal / "near_best.parquet").is_file() and not (cal / "posterior.parquet").exists()
    done = subprocess.run(ptsim_cmd("compare", ROOT / "scenarios" / "baseline.yaml", "--reps", "2", "--posterior", cal,
                                    "--out", tmp_path / "x", "--no-figures", "--no-cache",
                                    *[a for k, v in tiny.items() for a in ("--set", f"{k}={v}")]),
                          capture_output=True, text=True)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "an Optuna study finds a best point" in lines[0] and "`ptsim calibrate --method abc` writes a posterior" \
        in lines[0]
    assert not (tmp_path / "x").exists()
    # the table copied out of its folder, or named as a file, is no posterior either
    copied = tmp_path / "copied"
    copied.mkdir()
    (copied / "near_best.parquet").write_bytes((cal / "near_best.parquet").read_bytes())
    for path in (copied, cal / "near_best.parquet"):
        with pytest.raises(ScenarioError, match="finds a best point, not a posterior"):
            Posterior.load(path)
    # nor is the same table under the name an older ptsim gave it, in a study's folder
    (cal / "near_best.parquet").rename(cal / "posterior.parquet")
    with pytest.raises(ScenarioError, match="finds a best point, not a posterior"):
        Posterior.load(cal)
    # a folder without either table is told which command writes a posterior
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioError, match="no posterior.parquet there .*--method abc"):
        Posterior.load(tmp_path / "empty")
