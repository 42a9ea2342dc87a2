"""`ptsim run`, `compare` and `sweep`: malformed input exits 2 with one line and no traceback; a
small comparison prints its table and writes its folder."""

import subprocess

import pytest
from conftest import ROOT, ptsim_cmd

BASE = ROOT / "scenarios" / "baseline.yaml"
TINY = ["--set", "population.consumers=1000", "--set", "population.merchants=60", "--set", "run.days=20",
        "--set", "run.burn_in_days=20"]
# run as real processes: exit status, stderr and no traceback exactly as a user sees them
BAD = {
    "unknown --grid field": (["sweep", BASE, "--grid", "ranking.exponant=0.5,1"], "ranking.exponant"),
    "unknown --param field": (["sweep", BASE, "--sobol", "--param", "choice.nope=0:1"], "choice.nope"),
    "--param lo >= hi": (["sweep", BASE, "--lhs", "--param", "ranking.exponent=1:0.5"], "lo must be below hi"),
    "missing scenario file": (["compare", BASE, ROOT / "scenarios" / "no_such.yaml"], "not found"),
}
# the same checks in this process (typer's test runner), for speed
MORE_BAD = {
    "--param outside the schema": (["sweep", BASE, "--morris", "--param", "ranking.exponent=0:9"], "<= 3"),
    "--grid value outside the schema": (["sweep", BASE, "--grid", "choice.loss_aversion=0.5,2"], ">= 1"),
    "Sobol samples not a power of two": (["sweep", BASE, "--sobol", "--param", "ranking.exponent=0.5:1",
                                          "--samples", "100"], "power of two"),
    "two methods": (["sweep", BASE, "--sobol", "--lhs", "--param", "ranking.exponent=0.5:1"], "choose one"),
    "no design": (["sweep", BASE], "give a design"),
    "unknown outcome": (["compare", BASE, "--outcomes", "gmv_totl"], "unknown outcome"),
    "resume without --out": (["sweep", BASE, "--grid", "ranking.exponent=1", "--resume"], "--resume needs --out"),
    "run: resume without --out": (["run", BASE, "--resume"], "--resume needs --out"),
    "unknown backend": (["compare", BASE, "--workers", "2", "--backend", "threads"], "--backend threads"),
}


def check_one_line(name, code, out, err):
    lines = err.strip().splitlines()
    assert code == 2, (name, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), (name, err)
    assert (BAD | MORE_BAD)[name][1] in lines[0], (name, err)
    assert "Traceback" not in err + out


def test_malformed_compare_and_sweep_input_exits_2_with_one_line():
    procs = {name: subprocess.Popen(ptsim_cmd(*args, *TINY), cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for name, (args, _) in BAD.items()}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        check_one_line(name, proc.returncode, out, err)


@pytest.mark.parametrize("name", MORE_BAD)
def test_more_malformed_input_exits_2_with_one_line(name, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ptsim.cli import app
    monkeypatch.chdir(tmp_path)                    # a default results/ folder would land here
    result = CliRunner().invoke(app, [str(a) for a in MORE_BAD[name][0] + TINY])
    check_one_line(name, result.exit_code, result.stdout, result.stderr)
    assert not (tmp_path / "results").exists()     # bad input leaves no experiment folder behind


def test_compare_prints_a_table_and_writes_the_folder(tmp_path):
    other = tmp_path / "flat.yaml"
    other.write_text(f"extends: {BASE}\nname: flat\nranking:\n  exponent: 0.5\n")
    out = tmp_path / "cmp"
    done = subprocess.run(ptsim_cmd("compare", BASE, other, "--reps", "2", "--no-figures", "--out", out, *TINY),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "gmv_total" in done.stdout and "flat" in done.stdout
    assert (out / "differences.csv").is_file() and (out / "summary.csv").is_file()
