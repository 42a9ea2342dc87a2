"""A self-contained package: the wheel carries the scenario library, and a non-editable install in a
fresh virtual environment runs `ptsim run baseline` from an empty folder, outside any checkout."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT

TINY = ["--set", "population.consumers=500", "--set", "population.merchants=40", "--set", "run.burn_in_days=0",
        "--days", "5"]


def test_every_subpackage_is_in_the_wheel_list():
    """pyproject lists the packages by hand (the source folder model/ installs as ptsim): a new
    subpackage missing there would work in the checkout and be absent from an installed ptsim."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    present = {"ptsim" + ".".join(("",) + p.parent.relative_to(ROOT / "model").parts)
               for p in (ROOT / "model").rglob("__init__.py") if "__pycache__" not in p.parts}
    assert present <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(present - listed)}"
    assert "ptsim.scenarios" in listed


@pytest.mark.timeout(120)       # about 15 s: a wheel, a fresh environment, two tiny runs
def test_non_editable_install_in_a_fresh_venv_runs_from_an_empty_folder(tmp_path):
    pytest.importorskip("setuptools", reason="the wheel is built with the test extra's setuptools "
                        "(pip install -c constraints.txt -e '.[test]'); not installed here")
    # build the wheel from a copy of the sources, so the checkout gets no build/ or egg-info
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("model", "scenarios", "targets"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    run = dict(capture_output=True, text=True, timeout=90)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-q", "-w", tmp_path / "dist", src], **run)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("ptsim-*.whl"))

    # a fresh environment (no system site-packages), ptsim installed from the wheel, not editable
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=60)
    py = venv / "bin" / "python"
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index",
                                "-q", wheel], **run)
    assert installed.returncode == 0, installed.stderr
    # its dependencies (numpy, Mesa, ...) come from this environment's site-packages, appended to the
    # path after the fresh environment's own; .pth files there (the editable ptsim) are not run
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               **run).stdout.strip())
    (site / "zz_ptsim_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": "", "PYTHONNOUSERSITE": "1"}
    where = subprocess.run([py, "-c", "import ptsim, ptsim.scenario as s; print(ptsim.__file__); "
                            "print(s.library_dir())"], cwd=empty, env=env, **run)
    assert where.returncode == 0, where.stderr
    module, library = map(Path, where.stdout.split())
    assert module.is_relative_to(venv) and library == module.parent / "scenarios", where.stdout
    assert (library / "baseline.yaml").is_file() and not module.is_relative_to(ROOT)
    # the calibration targets ship too (the validation report reads its facts' bands from them)
    targets = subprocess.run([py, "-c", "import ptsim.validation; from ptsim.calibration import load_targets; "
                              "print(load_targets().path)"], cwd=empty, env=env, **run)
    assert targets.returncode == 0 and Path(targets.stdout.strip()) == module.parent / "targets" / "published.yaml", \
        targets.stderr + targets.stdout

    ptsim = venv / "bin" / "ptsim"
    listed = subprocess.run([ptsim, "scenarios"], cwd=empty, env={**env, "COLUMNS": "200"}, **run)
    assert listed.returncode == 0 and "wechat_open" in listed.stdout, listed.stderr

    done = subprocess.run([ptsim, "run", "baseline", *TINY, "--out", "out", "--no-figures"], cwd=empty, env=env,
                          **run)
    assert done.returncode == 0, done.stderr
    out = empty / "out"
    assert (out / "runs.parquet").is_file() and (out / "timeseries.parquet").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["ptsim_version"] == manifest["versions"]["ptsim"]
    assert manifest["git_commit"] is None                    # an installed package: no checkout to name
    assert sorted(p.name for p in empty.iterdir()) == ["out"]   # nothing else written to the folder

    bench = subprocess.run([ptsim, "bench", "--consumers", "300", "--days", "3"], cwd=empty, env=env, **run)
    assert bench.returncode == 0 and "consumer-days per second" in bench.stdout, bench.stderr


# ---------------------------------------------------------------- the library by name, from any folder
def test_library_scenarios_load_by_name_from_any_folder(tmp_path, monkeypatch):
    from ptsim import ScenarioError, load_scenario
    from ptsim.scenario import library
    monkeypatch.chdir(tmp_path)
    assert set(library()) == {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    by_name = load_scenario("wechat_open", {"population.consumers": 500})          # extends: baseline.yaml
    by_path = load_scenario(ROOT / "scenarios" / "wechat_open.yaml", {"population.consumers": 500})
    assert by_name.digest() == by_path.digest() and by_name.name == "wechat_open"
    (tmp_path / "baseline").write_text("extends: " + str(ROOT / "scenarios" / "baseline.yaml") + "\nname: mine\n")
    assert load_scenario("baseline").name == "mine"               # an existing file wins over the library
    # a scenario of one's own extends a library scenario by name, wherever ptsim is installed
    (tmp_path / "half_bonus.yaml").write_text("extends: wechat_open\nname: half_bonus\n"
                                              "policies: {weight_bonus: {share: 0.5}}\n")
    own = load_scenario("half_bonus.yaml")
    assert own.name == "half_bonus" and own.policies.weight_bonus.share == 0.5
    assert own.policies.wechat_direct.mode == "open"
    for bad in ("no_such_scenario", "no_such.yaml", "sub/baseline"):
        with pytest.raises(ScenarioError, match="not found") as err:
            load_scenario(bad)
        assert "\n" not in str(err.value)


def test_cli_lists_the_library_and_refuses_an_unknown_name(tmp_path):
    from conftest import ptsim_cmd
    listed = subprocess.run(ptsim_cmd("scenarios"), capture_output=True, text=True, cwd=tmp_path, timeout=60,
                            env={**os.environ, "COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    for p in (ROOT / "scenarios").glob("*.yaml"):
        assert p.stem in listed.stdout
    assert "Question 1" in listed.stdout                         # the descriptions
    bad = subprocess.run(ptsim_cmd("run", "no_such_scenario"), capture_output=True, text=True, cwd=tmp_path,
                         timeout=60)
    lines = bad.stderr.strip().splitlines()
    assert bad.returncode == 2 and len(lines) == 1 and "library" in lines[0] and "baseline" in lines[0], bad.stderr
    assert list(tmp_path.iterdir()) == []


def test_manifest_names_the_version_and_the_checkouts_commit():
    from ptsim import __version__, results
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    assert results.git_commit() == head.stdout.strip()
    m = results.manifest({}, [1])
    assert m["ptsim_version"] == __version__ and m["git_commit"] == head.stdout.strip()
