"""The warm-state cache (issue 19): it touches only what it can prove is its own, verifies every entry
before use (a damaged or edited one is recomputed with one warning, so results equal --no-cache),
says in each run's row whether the burn-in came from it, and warns once when it cannot be used."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, small
from typer.testing import CliRunner

from ptsim import PrivateTrafficModel, load_scenario, warm_state
from ptsim.cli import app
from ptsim.experiment import run_experiment
from ptsim.experiment.runner import ScenarioModel

SEED = 3
SIZE = ["--set", "population.consumers=2000", "--set", "population.merchants=40", "--days", "10",
        "--set", "run.burn_in_days=20"]


def scenario(name="baseline.yaml"):
    return small(**{"run.days": 20}) if name == "baseline.yaml" else \
        load_scenario(ROOT / "scenarios" / name, {"population.consumers": 3000, "population.merchants": 60,
                                                  "run.days": 20, "run.burn_in_days": 30})


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def warnings_in(text):
    return [ln for ln in text.splitlines() if ln.startswith("warning:")]


def users_folder(root):
    """A folder of someone's own files, among them what the old cache mistook for its own."""
    (root / "abcdefghijklmnop").mkdir(parents=True)                     # 16 characters
    for name in ("data.json", "arrays.npz", "run.lock"):
        (root / "abcdefghijklmnop" / name).write_bytes(b"mine " + name.encode())
    (root / "0123456789abcdef").mkdir()                                 # 16 hex digits, entry-like names
    (root / "0123456789abcdef" / ("a" * 24 + ".npz")).write_bytes(b"mine too")
    (root / "notes.json").write_text('{"mine": true}')
    (root / "table.npz").write_bytes(b"not a warm state")
    return files(root)


def test_a_run_and_clearing_the_cache_leave_the_users_files_byte_for_byte(tmp_path, monkeypatch):
    root = tmp_path / "mine"
    before = users_folder(root)
    monkeypatch.setenv("PTSIM_CACHE", str(root))
    for _ in range(2):
        result = cli("run", "baseline", *SIZE, "--no-figures", "--out", tmp_path / f"out{_}")
        assert result.exit_code == 0, result.output
    assert {k: v for k, v in files(root).items() if k in before} == before
    assert len(list((root / "ptsim-warm").rglob("*.npz"))) == 1         # the states went to a folder of its own
    assert "1 warm states" in cli("cache").stdout
    cleared = cli("cache", "--clear")
    assert cleared.exit_code == 0 and "removed" in cleared.stdout, cleared.output
    assert not list((root / "ptsim-warm").rglob("*.npz"))
    assert {k: v for k, v in files(root).items() if not k.startswith("ptsim-warm/")} == before


def test_clearing_a_folder_that_is_not_a_ptsim_cache_is_refused_with_one_line(tmp_path, monkeypatch):
    root = tmp_path / "mine"
    before = users_folder(root)
    (tmp_path / "a_file").write_text("mine")
    for folder in (root, tmp_path / "a_file"):
        monkeypatch.setenv("PTSIM_CACHE", str(folder))
        result = cli("cache", "--clear")
        lines = result.stderr.splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert lines[0].startswith("error: PTSIM_CACHE") and str(folder) in lines[0] and "not a ptsim cache" in lines[0]
    assert files(root) == before and (tmp_path / "a_file").read_text() == "mine"


def test_only_marked_versions_are_pruned_and_only_the_caches_own_files(tmp_path):
    root = tmp_path / "cache"
    PrivateTrafficModel(scenario(), rng=SEED, create_agents=False, cache=root)
    current = root / warm_state.code_fingerprint()
    old = root / ("0" * 16)                                       # an older version's folder, as it marks it
    shutil.copytree(current, old)
    foreign_old = root / ("1" * 16)                               # also marked, but someone left a file in it
    shutil.copytree(current, foreign_old)
    (foreign_old / "keep.txt").write_text("mine")
    unmarked = root / ("2" * 16)                                  # not the cache's: no marker
    unmarked.mkdir()
    (unmarked / ("b" * 24 + ".npz")).write_bytes(b"mine")
    shutil.rmtree(current)                                        # the first state of a new version prunes
    m = PrivateTrafficModel(scenario(), rng=SEED, create_agents=False, cache=root)
    assert not m.warm_from_cache and not old.exists()
    assert sorted(p.name for p in foreign_old.iterdir()) == ["keep.txt", warm_state.MARKER]
    assert files(unmarked) == {"b" * 24 + ".npz": b"mine"}


def test_the_default_location_adopts_its_states_from_before_the_marker(tmp_path, monkeypatch):
    monkeypatch.delenv("PTSIM_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    legacy = tmp_path / "ptsim" / "warm" / "0123456789abcdef"     # as versions before the marker left it
    legacy.mkdir(parents=True)
    for suffix in ("npz", "json", "lock"):
        (legacy / f"{'c' * 24}.{suffix}").write_bytes(b"old")
    odd = tmp_path / "ptsim" / "warm" / "fedcba9876543210"         # holds a file the cache never names
    odd.mkdir()
    (odd / "notes.txt").write_text("mine")
    assert warm_state.usable()
    assert not legacy.exists() and files(odd) == {"notes.txt": b"mine"}
    assert (tmp_path / "ptsim" / "warm" / warm_state.MARKER).is_file()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A cache holding the baseline's warm state for SEED, and the run without the cache."""
    folder = tmp_path_factory.mktemp("pristine")
    PrivateTrafficModel(scenario(), rng=SEED, create_agents=False, cache=folder)
    cold = PrivateTrafficModel(scenario(), rng=SEED, create_agents=False, cache=False).run()
    return folder, cold.timeseries()


def key(seed=SEED):
    return warm_state.cache_key(scenario().status_quo(), warm_state.stream_root(seed))


def entry(folder, suffix):
    return folder / warm_state.code_fingerprint() / f"{key()}.{suffix}"


def flip_bytes(folder):
    path = entry(folder, "npz")
    data = bytearray(path.read_bytes())
    for at in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(suffix):
    def damage(folder):
        path = entry(folder, suffix)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    damage.__name__ = f"truncate_{suffix}"
    return damage


def rewrite_arrays(folder):
    """Valid arrays with other numbers (deal-proneness 0.9 for everyone), the JSON left alone."""
    path = entry(folder, "npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["consumers/deal_proneness"] = np.full_like(arrays["consumers/deal_proneness"], 0.9)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def rewrite_both(folder):
    rewrite_arrays(folder)
    path = entry(folder, "json")
    doc = json.loads(path.read_text())
    doc["state"]["prior_weight"] = 0.5
    path.write_text(json.dumps(doc))


def another_seeds_entry(folder):
    """A valid entry of another seed put in this seed's place."""
    PrivateTrafficModel(scenario(), rng=SEED + 1, create_agents=False, cache=folder)
    version = folder / warm_state.code_fingerprint()
    for suffix in ("npz", "json"):
        (version / f"{key(SEED + 1)}.{suffix}").replace(entry(folder, suffix))


@pytest.mark.parametrize("damage", [flip_bytes, truncate("npz"), truncate("json"), rewrite_arrays, rewrite_both,
                                    another_seeds_entry], ids=lambda f: getattr(f, "__name__", "damage"))
def test_a_damaged_or_edited_entry_is_recomputed_with_one_warning(pristine, damage, tmp_path, capsys):
    folder = tmp_path / "cache"
    shutil.copytree(pristine[0], folder)
    damage(folder)
    assert not warm_state.is_cached(scenario(), SEED, folder)
    m = PrivateTrafficModel(scenario(), rng=SEED, create_agents=False, cache=folder)
    lines = warnings_in(capsys.readouterr().err)
    assert not m.warm_from_cache and len(lines) == 1 and "cache" in lines[0] and "discarded" in lines[0], lines
    pd.testing.assert_frame_equal(m.run().timeseries(), pristine[1])
    again = PrivateTrafficModel(scenario(), rng=SEED, create_agents=False, cache=folder)    # stored afresh
    assert again.warm_from_cache and warnings_in(capsys.readouterr().err) == []
    pd.testing.assert_frame_equal(again.run().timeseries(), pristine[1])


def test_is_cached_says_whether_a_verified_state_exists_for_the_status_quo_and_seed(tmp_path):
    folder = tmp_path / "cache"
    assert not warm_state.is_cached(scenario(), SEED, folder) and not folder.exists()     # creates nothing
    PrivateTrafficModel(scenario(), rng=SEED, create_agents=False, cache=folder)
    assert warm_state.is_cached(scenario(), SEED, folder)
    assert warm_state.is_cached(scenario("wechat_open.yaml"), SEED, folder)             # same status quo
    assert not warm_state.is_cached(scenario(), SEED + 1, folder)
    assert not warm_state.is_cached(small(**{"population.consumers": 2500}), SEED, folder)
    flip_bytes(folder)
    assert not warm_state.is_cached(scenario(), SEED, folder)


def test_each_run_row_says_whether_its_burn_in_came_from_the_cache(tmp_path, monkeypatch):
    from ptsim.results import column_metadata
    monkeypatch.setenv("PTSIM_CACHE", str(tmp_path / "cache"))
    arms = [scenario(), scenario("wechat_open.yaml")]
    warm = run_experiment(arms, reps=2, out=tmp_path / "warm").runs
    assert warm["burn_in_cached"].tolist() == [False, False, True, True]
    cold = run_experiment(arms, reps=2, cache=False).runs
    assert cold["burn_in_cached"].tolist() == [False] * 4
    outcomes = [c for c in cold.columns if c != "burn_in_cached"]
    pd.testing.assert_frame_equal(warm[outcomes], cold[outcomes])
    assert pd.read_parquet(tmp_path / "warm" / "runs.parquet")["burn_in_cached"].tolist() == [False, False, True, True]
    assert "cache" in column_metadata("burn_in_cached")["description"]


@pytest.mark.parametrize("where", ["a_file", "a_file/below"])
def test_an_unusable_cache_warns_once_and_the_runs_go_on(tmp_path, monkeypatch, where):
    (tmp_path / "a_file").write_text("mine")
    monkeypatch.setenv("PTSIM_CACHE", str(tmp_path / where))
    monkeypatch.setattr(warm_state, "_warned", set())
    result = cli("run", "baseline", *SIZE, "--reps", "3", "--no-figures", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    lines = warnings_in(result.stderr)
    assert len(lines) == 1 and "PTSIM_CACHE" in lines[0] and str(tmp_path / where) in lines[0], result.stderr
    assert (tmp_path / "a_file").read_text() == "mine"
    model = ScenarioModel({"b": scenario()})
    model.check_cache()                                             # as run_design does, in the parent:
    assert model.cache is False                                     # workers never try it
