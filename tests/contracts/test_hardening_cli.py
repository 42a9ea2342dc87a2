"""Options and values at the edges (issue 19, items 4, 6, 9 and 13): each refused with one line naming
what the user typed, or accepted as documented."""

import os
import subprocess

import pytest
from conftest import ROOT, ptsim_cmd
from test_hardening import TINY, one_error_line
from typer.testing import CliRunner

from ptsim import ScenarioError, load_scenario
from ptsim.cli import app
from ptsim.experiment.runner import available_cores

BASE = ROOT / "scenarios" / "baseline.yaml"
HUGE = "1" * 4400                     # beyond Python's 4,300-digit limit on reading text as an int


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("args, expected", [
    (["run", "baseline", "--set", f"population.consumers={HUGE}"], "--set: population.consumers"),
    (["run", "baseline", "--set", f"choice.price_sensitivity_mean=-{HUGE}"], "choice.price_sensitivity_mean"),
    (["run", "baseline", "--set", f"run.reps=[{HUGE}]"], "run.reps"),
    (["sweep", "baseline", "--grid", f"run.days=1,{HUGE}"], "--grid: run.days"),
])
def test_an_integer_of_thousands_of_digits_is_out_of_range_not_a_traceback(args, expected):
    line = one_error_line(cli(*args), expected)
    assert "4,400 digits" in line


def test_an_integer_of_thousands_of_digits_in_a_scenario_file_names_the_file_and_field(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(f"extends: baseline\npopulation:\n  consumers: {HUGE}\n")
    one_error_line(cli("run", path), str(path), "population.consumers", "<= 2e+07")
    with pytest.raises(ScenarioError, match="digits"):
        load_scenario("baseline", {"population.consumers": 10 ** 4400})


@pytest.mark.parametrize("option, field", [("--reps", "run.reps"), ("--days", "run.days")])
def test_a_value_out_of_range_is_named_by_the_option_typed(option, field):
    line = one_error_line(cli("run", "baseline", option, 10 ** 12), option, field)
    assert "--set" not in line


def test_calibrate_refuses_replications_beyond_the_scenario_limit(tmp_path):
    one_error_line(cli("calibrate", "baseline", "--reps", 10 ** 12, "--param", "choice.price_sensitivity_mean=2:6",
                       "--out", tmp_path / "cal"), "--reps", "10,000")
    assert not (tmp_path / "cal").exists()


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_a_scenario_path_that_is_not_a_file_says_what_it_is(tmp_path, kind):
    path = {"folder": tmp_path, "device": "/dev/null"}.get(kind)
    if kind == "fifo":
        path = tmp_path / "pipe.yaml"
        os.mkfifo(path)
    line = one_error_line(cli("run", path), str(path))
    assert {"folder": "a folder", "fifo": "a FIFO", "device": "a device"}[kind] in line
    assert "not found" not in line


def test_workers_auto_uses_the_cores_available_and_too_many_are_warned_about(tmp_path):
    cores = available_cores()
    ok = subprocess.run(ptsim_cmd("run", BASE, *TINY, "--workers", "auto", "--out", tmp_path / "a",
                                  "--no-figures"), capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "warning" not in ok.stderr
    many = subprocess.run(ptsim_cmd("run", BASE, *TINY, "--workers", 1000, "--out", tmp_path / "b",
                                    "--no-figures"), capture_output=True, text=True, timeout=300)
    warnings = [ln for ln in many.stderr.splitlines() if ln.startswith("warning:")]
    assert many.returncode == 0 and len(warnings) == 1, many.stderr
    assert "--workers 1000" in warnings[0] and f"{cores} core" in warnings[0]
    one_error_line(cli("run", "baseline", "--workers", "lots"), "--workers lots", "auto")


def test_version_is_printed():
    from ptsim import __version__
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"ptsim {__version__}"


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "calibrate", "cache", "validate", "answers",
                                     "dashboard"])
def test_flags_are_shown_as_flags_in_help(command):
    text = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout
    assert "--help" in text and "<bool>" not in text and "BOOLEAN" not in text


def test_options_that_take_a_value_still_show_its_type():
    text = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).stdout
    assert "<int>" in text and "N|auto" in text


def test_a_set_of_a_field_that_a_file_made_a_value_is_labelled_by_set_not_by_an_option(tmp_path):
    path = tmp_path / "odd.yaml"
    path.write_text("extends: baseline\nrun: 5\n")
    line = one_error_line(cli("run", path, "--set", "run.days=3"), "run is not a block")
    assert "--days" not in line
