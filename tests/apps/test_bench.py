"""`ptsim bench --check`: the recorded speed figures and their comparison (no timing here: a guard runs by
hand, never as a timed test)."""

import json
import subprocess

import pytest
from conftest import ROOT, ptsim_cmd

from ptsim import bench


def test_the_repository_records_every_figure_as_a_ratio_to_the_yardstick():
    recorded = bench.read_figures()
    for f in bench.FIGURES:
        assert recorded[f.name] > 0, f.name
    doc = recorded["_doc"]
    assert doc["command"].startswith("ptsim bench --record") and doc["commit"]


def test_a_figure_more_than_1_5x_worse_fails_and_a_faster_one_passes():
    rows = {r[0]: r for r in bench.compare_figures({"a": 0.5, "b": 0.3, "c": 2.0, "new": 1.0},
                                                   {"a": 0.6, "b": 0.6, "c": 1.0})}
    assert rows["a"][4] is False and rows["b"][4] is True and rows["c"][4] is False
    assert rows["b"][3] == pytest.approx(0.5)
    assert rows["new"][1] is None and rows["new"][4] is None          # not recorded: no verdict


def test_record_then_read_round_trips(tmp_path):
    path = tmp_path / "figures.json"
    fake = {"recorded_100k": {"cpu_s": 1.0, "consumer_days_per_s": 3e6, "yardstick_agent_steps_per_s": 3e6,
                              "burn_in_days": 60, "peak_rss_mb": 200.0, "ratio": 1.0}}
    bench.record(fake, path, "test")
    assert bench.read_figures(path)["recorded_100k"] == 1.0
    assert json.loads(path.read_text())["figures"]["recorded_100k"]["what"].startswith("recorded days")


def test_check_without_a_figures_file_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "none.json"
    done = subprocess.run(ptsim_cmd("bench", "--check", "--figures", bad), capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 2 and "no recorded speed figures" in done.stderr and "Traceback" not in done.stderr
    bad.write_text("[1, 2]")
    done = subprocess.run(ptsim_cmd("bench", "--check", "--figures", bad), capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 2 and "not a figures file" in done.stderr
