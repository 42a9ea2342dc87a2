"""Careless and hostile input (issue 13): every case exits 2 with one line naming the file and the field,
nothing that exists is overwritten, no path escapes, no number that is not a number, no runaway design."""

import contextlib
import errno
import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Literal, get_args, get_origin

import numpy as np
import pytest
import yaml
from conftest import ROOT, ptsim_cmd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ptsim import ScenarioError, load_scenario
from ptsim.cli import app
from ptsim.experiment import compare, load_experiment
from ptsim.outcomes import OUTCOME_NAMES
from ptsim.scenario import MAX_EXTENDS, Scenario, bounds, one_line, parse_set_options
from ptsim.scenario.schema import _LIST_LENGTHS

BASE = ROOT / "scenarios" / "baseline.yaml"
TINY = ["--set", "population.consumers=500", "--set", "population.merchants=40", "--days", "5",
        "--set", "run.burn_in_days=0"]


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(result, *expected, started=False):
    """Exit 2, exactly one line on stderr, starting `error:` and containing each of `expected`
    (`started`: the runs had started, so the line saying how many runs comes first)."""
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    if started and len(lines) == 2 and "roughly" in lines[0]:
        lines = lines[1:]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for text in expected:
        assert text in lines[0], (text, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- numbers

NOT_NUMBERS = {
    "scale .inf in a file": ("population:\n  scale: .inf\n", {}, "population.scale", "finite"),
    "scale 1e308 in a file": ("population:\n  scale: 1.0e+308\n", {}, "population.scale", "<= 1e+10"),
    "scale .inf in --set": (None, ["population.scale=.inf"], "population.scale", "finite"),
    "scale 1e400 in --set": (None, ["population.scale=1e400"], "population.scale", "finite"),
    "NaN in tier_quality": ("merchants:\n  tier_quality: [1.0, .nan, 0.0]\n", {}, "merchants.tier_quality[1]",
                            "finite"),
    "NaN in relationship_utility": (None, ["choice.relationship_utility=[0.4, 1, .nan, 1.9]"],
                                    "choice.relationship_utility[2]", "finite"),
    ".inf in tier_price": ("merchants:\n  tier_price: [.inf, 0.05, -0.05]\n", {}, "merchants.tier_price[0]",
                           "finite"),
    "huge tier_price": (None, ["merchants.tier_price=[700, 0, 0]"], "merchants.tier_price[0]", "<= 3"),
    "effort above 1": (None, ["merchants.lead=[0.5, 1.5, 0.2]"], "merchants.lead[1]", "<= 1"),
}


@pytest.mark.parametrize("case", NOT_NUMBERS)
def test_numbers_that_are_not_finite_or_out_of_range_are_refused_naming_the_field(tmp_path, case):
    text, sets, field, why = NOT_NUMBERS[case]
    path = write(tmp_path, "s.yaml", f"extends: {BASE}\n{text}") if text else BASE
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, parse_set_options(sets))
    msg = str(info.value)
    assert "\n" not in msg and field in msg and why in msg, msg
    assert (str(path) if text else "--set") in msg


def test_an_infinite_tier_price_exits_2_instead_of_a_traceback(tmp_path):
    path = write(tmp_path, "s.yaml", f"extends: {BASE}\nmerchants:\n  tier_price: [.inf, 0.05, -0.05]\n")
    one_error_line(cli("run", path, *TINY, "--out", tmp_path / "out"), "merchants.tier_price[0]", str(path))
    assert not (tmp_path / "out").exists()


def _leaf_fields(cls, prefix=""):
    from pydantic import BaseModel
    for name, field in cls.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from _leaf_fields(field.annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def test_every_float_field_and_list_item_has_a_finite_documented_range():
    """A float without an upper (or lower) bound would let 1e308 through; the docs show every range."""
    from typing import get_args

    from ptsim.scenario import Scenario
    from ptsim.scenario.docs import _range
    unbounded = []
    for path, field in _leaf_fields(Scenario):
        annotation = str(field.annotation)
        if "float" not in annotation:
            continue
        items = get_args(field.annotation)[0] if annotation.startswith("list") else None
        metadata = field.metadata if items is None else [m for i in items.__metadata__ for m in i.metadata]
        low = any(getattr(m, a, None) is not None for m in metadata for a in ("ge", "gt"))
        high = any(getattr(m, a, None) is not None for m in metadata for a in ("le", "lt"))
        if not (low and high) or _range(field) == "-":
            unbounded.append(path)
    assert unbounded == []


# ---------------------------------------------------------------- YAML documents

def test_a_duplicate_key_is_refused_naming_the_key_and_both_lines(tmp_path):
    path = write(tmp_path, "dup.yaml", "population:\n  consumers: 500\nrun:\n  days: 5\npopulation:\n  merchants: 40\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}: line 5 column 1: duplicate key 'population' (lines 1 and 5); give each key once"


def test_a_duplicate_key_inside_a_block_and_in_a_set_value_is_refused(tmp_path):
    path = write(tmp_path, "dup.yaml", "run:\n  days: 5\n  seed: 1\n  days: 6\n")
    with pytest.raises(ScenarioError, match=r"duplicate key 'days' \(lines 2 and 4\)"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match=r"--set description: .*duplicate key 'a' \(twice on line 1\)"):
        parse_set_options(["description={a: 1, a: 2}"])


def test_merge_keys_are_not_duplicates(tmp_path):
    path = write(tmp_path, "merge.yaml", "run:\n  <<: {days: 4, seed: 3}\n  days: 5\n")
    assert load_scenario(path).run.days == 5 and load_scenario(path).run.seed == 3


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_an_empty_scenario_file_is_refused(tmp_path, text):
    path = write(tmp_path, "empty.yaml", text)
    with pytest.raises(ScenarioError, match="empty scenario file") as info:
        load_scenario(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_very_long_extends_chain_is_refused_in_one_line(tmp_path):
    n = 3000
    for i in range(n):
        write(tmp_path, f"s{i}.yaml", f"extends: s{i + 1}.yaml\n" if i < n - 1 else "name: end\n")
    result = cli("run", tmp_path / "s0.yaml", *TINY, "--out", tmp_path / "out")
    one_error_line(result, str(tmp_path / "s0.yaml"), f"longer than {MAX_EXTENDS} files")
    write(tmp_path, f"s{MAX_EXTENDS - 1}.yaml", "name: end\n")             # a chain at the cap still loads
    assert load_scenario(tmp_path / "s0.yaml").name == "end"


def alias_bomb(levels=9):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\ndescription: *a{levels - 1}\n"


def test_an_alias_bomb_is_refused_at_once_with_a_short_message(tmp_path):
    path = write(tmp_path, "bomb.yaml", alias_bomb())
    start = time.monotonic()
    result = cli("run", path, *TINY, "--out", tmp_path / "out")
    assert time.monotonic() - start < 10
    line = one_error_line(result, str(path), "expands to more than")
    assert len(line) < 300


def test_an_alias_bomb_in_a_set_value_is_refused():
    bomb = alias_bomb(6).replace("\n", ", ").replace("description: ", "d: ")
    with pytest.raises(ScenarioError, match="--set description: the document expands"):
        parse_set_options([f"description={{{bomb}}}"])


@pytest.mark.parametrize("text", [f"description: [{', '.join(['word'] * 5000)}]\n",
                                  f"run:\n  days: {'9' * 20000}x\n",
                                  f"name: {'n' * 5000}\n"])
def test_values_quoted_in_errors_are_short(tmp_path, text):
    path = write(tmp_path, "big.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert len(str(info.value)) < 400 and "..." in str(info.value)


# ---------------------------------------------------------------- names that become file names

BAD_NAMES = ["../../x", "/tmp/abs", "a" * 300, ".hidden", "a\\b", "tab\tname", ""]


@pytest.mark.parametrize("name", BAD_NAMES, ids=["parent", "absolute", "300 chars", "dot", "backslash", "tab",
                                                 "empty"])
def test_names_that_would_escape_or_break_file_names_are_refused(tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    around = sorted(tmp_path.parent.iterdir())                  # where results/../../x would land
    one_error_line(cli("run", BASE, *TINY, "--set", f"name={name}"), "--set: name: must be a plain file name")
    path = write(tmp_path, "named.yaml", f"extends: {BASE}\nname: {json.dumps(name)}\n")
    one_error_line(cli("run", path, *TINY), f"{path}: name: must be a plain file name")
    assert list(tmp_path.iterdir()) == [path]                   # no results/ folder
    assert sorted(tmp_path.parent.iterdir()) == around and not list(Path("/tmp").glob("abs-*"))


def test_plain_names_with_spaces_and_unicode_still_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("run", BASE, *TINY, "--no-figures", "--set", "name=politique été 2025")
    assert result.exit_code == 0, result.output
    [folder] = (tmp_path / "results").iterdir()
    assert folder.name.startswith("politique été 2025-")


def test_string_grid_values_that_would_escape_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    one_error_line(cli("sweep", BASE, "--grid", "name=fine,../../escape", *TINY), "--grid: name:", "../../escape")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the output folder

def test_run_refuses_an_existing_run_or_experiment_folder_and_leaves_it_as_it_was(tmp_path):
    run_dir, cmp_dir = tmp_path / "run", tmp_path / "cmp"
    assert cli("run", BASE, *TINY, "--no-figures", "--out", run_dir).exit_code == 0
    assert cli("compare", BASE, *TINY, "--reps", "2", "--no-figures", "--out", cmp_dir).exit_code == 0
    before = snapshot(tmp_path)
    one_error_line(cli("run", BASE, *TINY, "--seed", "3", "--out", run_dir), "already holds an experiment")
    one_error_line(cli("run", BASE, *TINY, "--out", cmp_dir), "already holds an experiment")
    one_error_line(cli("run", BASE, *TINY, "--out", cmp_dir, "--resume"), "different design")
    one_error_line(cli("compare", BASE, *TINY, "--reps", "1", "--out", run_dir, "--resume"),
                   "the folder holds an experiment of `ptsim run`, not `compare`")
    assert snapshot(tmp_path) == before
    (tmp_path / "mine").mkdir()
    write(tmp_path / "mine", "notes.txt", "my notes\n")
    before = snapshot(tmp_path)
    one_error_line(cli("run", BASE, *TINY, "--out", tmp_path / "mine"), "not empty")
    one_error_line(cli("run", BASE, *TINY, "--out", tmp_path / "mine", "--resume"), "holds no experiment")
    assert snapshot(tmp_path) == before


def test_out_empty_is_refused_and_the_current_folder_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "manifest.json", '{"mine": true}\n')
    for command in (["run", BASE], ["compare", BASE], ["sweep", BASE, "--grid", "ranking.exponent=1"]):
        one_error_line(cli(*command, *TINY, "--out", ""), "--out ''")
    assert snapshot(tmp_path) == {"manifest.json": b'{"mine": true}\n'}
    with pytest.raises(ScenarioError, match="--out ''"):
        compare([BASE], reps=1, out="", overrides={"population.consumers": 500, "population.merchants": 40,
                                                   "run.days": 5, "run.burn_in_days": 0})


def test_out_that_is_a_file_or_lies_under_a_file_is_refused(tmp_path):
    write(tmp_path, "a_file", "mine\n")
    one_error_line(cli("run", BASE, *TINY, "--out", tmp_path / "a_file"), "exists and is not a folder")
    one_error_line(cli("run", BASE, *TINY, "--out", tmp_path / "a_file" / "x"), "cannot be created")
    assert snapshot(tmp_path) == {"a_file": b"mine\n"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_an_unwritable_out_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        one_error_line(cli("run", BASE, *TINY, "--out", locked / "x"), "not a writable folder")
        one_error_line(cli("run", BASE, *TINY, "--out", locked), "not writable")
    finally:
        locked.chmod(0o755)


def disk_full_after(monkeypatch, writes: int):
    """Make every atomic write after the first `writes` fail as on a full disk."""
    real, count = os.fsync, [0]

    def fsync(fd):
        count[0] += 1
        if count[0] > writes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)
    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("writes", [0, 2, 3])      # manifest; the run's file; runs.parquet (after the timeseries)
def test_a_full_disk_gives_one_line_and_no_folder_that_looks_finished(tmp_path, monkeypatch, writes):
    out = tmp_path / "out"
    disk_full_after(monkeypatch, writes)
    one_error_line(cli("run", BASE, *TINY, "--no-figures", "--out", out), "No space left on device", str(out),
                   started=writes > 0)
    assert [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []
    with pytest.raises(ScenarioError):
        load_experiment(out)                      # "not an experiment folder" or "not finished"


def test_a_full_disk_during_resume_keeps_every_file_that_was_there(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert cli("run", BASE, *TINY, "--reps", "2", "--out", out).exit_code == 0
    (out / "runs" / "p0000-r01.parquet").unlink()
    before = snapshot(out)
    disk_full_after(monkeypatch, 0)
    one_error_line(cli("run", BASE, *TINY, "--reps", "2", "--out", out, "--resume"), "No space left on device",
                   "--resume")
    assert snapshot(out) == before


# ---------------------------------------------------------------- designs too large to mean it

def test_a_runaway_compare_is_refused_before_it_starts_and_says_how_to_allow_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    one_error_line(cli("compare", BASE, "--reps", "100000000", *TINY), "100,000,000 runs", "--max-runs 100000000")
    one_error_line(cli("sweep", BASE, "--sobol", "--param", "ranking.exponent=0.5:1", "--samples", "1048576", *TINY),
                   "3,145,728 runs", "--max-runs 3145728")
    one_error_line(cli("sweep", BASE, "--grid", "ranking.exponent=0.5,1", "--grid", "choice.deal_utility=1,2",
                       "--reps", "3000", *TINY), "4 point(s) x 3,000 replication(s) = 12,000 runs")
    one_error_line(cli("compare", BASE, "--reps", "3", "--max-runs", "2", *TINY), "3 runs", "limit of 2")
    assert time.monotonic() - start < 20 and list(tmp_path.iterdir()) == []
    with pytest.raises(ScenarioError, match="max_runs="):
        compare([BASE], reps=10 ** 8)


def test_the_size_and_rough_duration_are_said_before_the_runs_start(tmp_path):
    result = cli("compare", BASE, BASE.parent / "wechat_open.yaml", "--reps", "2", *TINY, "--no-figures",
                 "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith("4 runs, each 5 days x 500 consumers; ") and "roughly" in first and "on 1 worker" in first


# ---------------------------------------------------------------- Dask scheduler addresses

def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("address,expected", [("not-a-url", "not a Dask scheduler address"),
                                              ("http://127.0.0.1:80", "unknown address scheme 'http'"),
                                              ("tcp://127.0.0.1", "missing port"),
                                              ("closed", "cannot connect")])
def test_a_bad_scheduler_address_exits_2_at_once_with_one_line(tmp_path, address, expected):
    address = f"tcp://127.0.0.1:{closed_port()}" if address == "closed" else address
    start = time.monotonic()
    line = one_error_line(cli("compare", BASE, *TINY, "--scheduler", address, "--out", tmp_path / "o"), expected)
    assert time.monotonic() - start < 5                      # no waiting out connection timeouts
    assert line.startswith(f"error: --scheduler {address}: ") and not (tmp_path / "o").exists()


def test_a_malformed_scheduler_address_leaves_nothing_hanging_at_exit(tmp_path):
    """A Dask Client built on a bad address used to print a traceback when the interpreter exited."""
    done = subprocess.run(ptsim_cmd("compare", BASE, *TINY, "--scheduler", "not-a-url", "--out", tmp_path / "o"),
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2 and len(lines) == 1 and "not a Dask scheduler address" in lines[0], done.stderr


# ---------------------------------------------------------------- the contract, on random input

FIELDS = {path: field for path, field in _leaf_fields(Scenario)}
SIZE = ["--set", "population.consumers=300", "--set", "population.merchants=20", "--set", "run.days=3",
        "--set", "run.burn_in_days=0", "--set", "run.reps=1", "--no-figures"]
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 6, 10 ** 12),
                    st.sampled_from([0, 1, -1, 0.5, 2 ** 64, 1e308]))
values = st.one_of(numbers, st.booleans(), st.none(), st.text(max_size=12),
                   st.lists(numbers, max_size=5), st.dictionaries(st.text(max_size=5), numbers, max_size=2))
set_texts = st.one_of(st.sampled_from([".inf", "-.inf", ".nan", "nan", "1e400", "1.0e+308", "-1", "0", "0.5", "3",
                                       "[1, 2, 3]", "[0.1, .nan, 0.2]", "abc", "", "../../x", "{a: 1}", "true",
                                       "[", "- x"]),
                      st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12))


def _valid(path, field):
    """Values the schema accepts for one field (lists of the right length, numbers within range)."""
    annotation, (parts, of_items) = field.annotation, bounds(field)
    if annotation is bool:
        return st.booleans()
    if get_origin(annotation) is Literal:
        return st.sampled_from(get_args(annotation))
    if annotation is str:
        return st.from_regex(r"[a-z][a-z0-9_ -]{0,20}", fullmatch=True)
    if of_items or get_origin(annotation) is list:
        item = get_args(annotation)[0]
        n = _LIST_LENGTHS.get(tuple(path.split(".")))
        one = st.sampled_from(get_args(item)) if get_origin(item) is Literal else _number(parts, "int" in str(item))
        return st.lists(one, min_size=n or 1, max_size=n or 3)
    number = _number(parts, "int" in str(annotation))
    return st.one_of(st.none(), number) if "None" in str(annotation) else number


def _number(parts, integer):
    limits = {p.split()[0]: float(p.split()[1]) for p in parts}      # ">=": 0, "<=": 1, ...
    low, high = limits.get(">=", limits.get(">")), limits.get("<=", limits.get("<"))
    if integer:                                                       # a field may have no lower or upper bound
        lo, hi = (None if low is None else int(low)), (None if high is None else int(high))
        return st.integers(lo, min(hi, lo + 400) if lo is not None and hi is not None else hi)
    return st.floats(low, high, exclude_min=">" in limits, exclude_max="<" in limits)


def _render(value):
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


@st.composite
def documents(draw, valid):
    """A scenario document: some real fields with valid values, or with anything, maybe an unknown key."""
    doc = {}
    for path in draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=4, unique=True)):
        value = draw(_valid(path, FIELDS[path]) if valid else st.one_of(_valid(path, FIELDS[path]), values))
        node = doc
        *blocks, leaf = path.split(".")
        for b in blocks:
            node = node.setdefault(b, {})
        node[leaf] = value
    if not valid and draw(st.booleans()):
        doc[draw(st.sampled_from(["population", "run", "nonsense"]))] = {draw(st.text(max_size=6)): 1}
    return doc


@st.composite
def set_options(draw, valid):
    paths = sorted(FIELDS) + ([] if valid else ["population.nope", "run", "a..b"])
    out = []
    for path in draw(st.lists(st.sampled_from(paths), max_size=2, unique=True)):
        good = _valid(path, FIELDS[path]).map(_render) if path in FIELDS else st.nothing()
        out.append((path, draw(good if valid else st.one_of(good, set_texts))))
    return out


@st.composite
def inputs(draw):
    valid = draw(st.booleans())
    return draw(documents(valid)), draw(set_options(valid))


@settings(max_examples=30, deadline=None, database=None, derandomize=True,     # the same examples on every machine
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(given_input=inputs(), explicit_out=st.booleans())
def test_random_documents_and_sets_give_a_clean_run_or_one_line_naming_the_field(tmp_path_factory, given_input,
                                                                                  explicit_out):
    """Half the examples are valid (they must run cleanly), half anything (they may be refused)."""
    doc, sets = given_input
    root = tmp_path_factory.mktemp("fuzz")
    work = root / "work"
    work.mkdir()
    path = write(root, "scenario.yaml", yaml.safe_dump({"extends": str(BASE), **doc}))
    before = snapshot(root)
    out = root / "out"
    args = ["run", path, *[a for k, v in sets for a in ("--set", f"{k}={v}")], *SIZE]
    with contextlib.chdir(work):
        result = cli(*args, *(["--out", out] if explicit_out else []))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        folder = out if explicit_out else next((work / "results").iterdir())
        runs = load_experiment(folder).runs
        assert runs["status"].eq("ok").all()
        assert np.isfinite(runs[list(OUTCOME_NAMES)].to_numpy(float)).all()     # no NaN or inf let through
    else:
        line = one_error_line(result)
        assert any(origin in line for origin in ("--set", str(path))), line
        fields = [k for k, _ in sets] + [".".join(p) for p in _key_paths(doc)] + ["categories"]
        assert any(one_line(f) in line for f in fields if f), line
        assert not out.exists() and not (work / "results").exists()
    after = {k: v for k, v in snapshot(root).items() if not k.startswith(("out/", "work/results/"))}
    assert after == before                       # nothing outside the output folder was written


def _key_paths(doc, prefix=()):
    for k, v in doc.items():
        yield prefix + (str(k),)
        if isinstance(v, dict):
            yield from _key_paths(v, prefix + (str(k),))
