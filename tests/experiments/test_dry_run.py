"""--dry-run and the estimate said before runs start (issue 19, item 12): the resolved scenarios, the
run count, the burn-ins already cached and a duration that counts cold burn-ins; nothing run or written."""

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ptsim import load_scenario
from ptsim.cli import app
from ptsim.experiment import compare, run_experiment
from ptsim.experiment.plan import run_seconds

TINY = {"population.consumers": 400, "population.merchants": 30, "run.days": 5, "run.burn_in_days": 20}
SETS = [x for k, v in TINY.items() for x in ("--set", f"{k}={v}")]


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def files_under(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*")} if folder.exists() else {}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("PTSIM_CACHE", str(folder))
    return folder


def test_run_dry_run_prints_the_resolved_scenario_and_writes_nothing(tmp_path, cache, monkeypatch):
    mine = tmp_path / "mine.yaml"
    mine.write_text("extends: baseline\nname: mine\npolicies:\n  weight_bonus:\n    share: 0.25\n")
    monkeypatch.chdir(tmp_path)
    before = files_under(tmp_path)
    result = cli("run", mine, *SETS, "--reps", 2, "--dry-run", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(result.stdout.split("---")[0])
    assert doc["name"] == "mine" and doc["policies"]["weight_bonus"]["share"] == 0.25    # from the file
    assert doc["population"]["consumers"] == 400 and doc["run"]["reps"] == 2             # from --set, --reps
    assert doc["ranking"] == load_scenario("baseline").to_dict()["ranking"]              # from extends:
    assert "dry run: 2 runs" in result.stdout and "2 of 2 burn-ins to simulate (0 cached)" in result.stdout
    assert files_under(tmp_path) == before and not (tmp_path / "results").exists()


def test_compare_dry_run_says_which_burn_ins_are_cached(tmp_path, cache):
    run_experiment([load_scenario("baseline", TINY)], reps=2)                # stores two replications' burn-ins
    before = files_under(cache)
    result = cli("compare", "baseline", "wechat_open", *SETS, "--reps", 3, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("# arm: ") == 2
    assert "dry run: 6 runs" in result.stdout and "1 of 3 burn-ins to simulate (2 cached)" in result.stdout
    assert files_under(cache) == before


def test_the_estimate_counts_cold_burn_ins_and_not_cached_ones(cache):
    cold = compare(["baseline", "wechat_open"], reps=2, overrides=TINY, dry_run=True)
    no_cache = compare(["baseline", "wechat_open"], reps=2, overrides=TINY, dry_run=True, cache=False)
    run_experiment([load_scenario("baseline", TINY)], reps=2)
    warm = compare(["baseline", "wechat_open"], reps=2, overrides=TINY, dry_run=True)
    burn_in = run_seconds(load_scenario("baseline", TINY), 0, 1)
    assert (cold.burn_ins, cold.cached, warm.cached, no_cache.burn_ins) == (2, 0, 2, 4)
    assert cold.seconds - warm.seconds == pytest.approx(2 * burn_in)          # arms share each seed's burn-in
    assert no_cache.seconds - warm.seconds == pytest.approx(4 * burn_in)      # without the cache every run pays


def test_sweep_dry_run_shows_the_design_and_resume_counts_what_is_left(tmp_path, cache):
    grid = ["--grid", "policies.weight_bonus.share=0,0.5,1"]
    result = cli("sweep", "baseline", *grid, *SETS, "--reps", 2, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "# the design: 3 point(s)" in result.stdout and "dry run: 6 runs" in result.stdout
    out = tmp_path / "s"
    assert cli("sweep", "baseline", *grid, *SETS, "--reps", 2, "--out", out, "--no-figures").exit_code == 0
    (out / "runs" / "p0001-r01.parquet").unlink()
    again = cli("sweep", "baseline", *grid, *SETS, "--reps", 2, "--out", out, "--resume", "--dry-run")
    assert again.exit_code == 0 and "6 runs (1 still to do)" in again.stdout, again.output
    assert not (out / "runs" / "p0001-r01.parquet").exists()


def test_calibrate_dry_run_checks_the_parameters_and_writes_nothing(tmp_path, cache):
    args = ["calibrate", "baseline", *SETS, "--trials", 3, "--reps", 2, "--out", tmp_path / "cal"]
    result = cli(*args, "--param", "choice.price_sensitivity_mean=2:6", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "choice.price_sensitivity_mean: 2 to 6" in result.stdout
    assert "3 trial(s) x 2 replication(s)" in result.stdout and not (tmp_path / "cal").exists()
    bad = cli(*args, "--param", "choice.no_such_field=2:6", "--dry-run")
    assert bad.exit_code == 2 and "choice.no_such_field" in bad.stderr
    assert not os.listdir(tmp_path) or set(os.listdir(tmp_path)) <= {"cache"}
