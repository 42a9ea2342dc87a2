"""The notebooks run top to bottom at a tiny size and draw their figures; saved notebooks carry no
outputs. The `parameters` cell of each notebook is replaced with tiny values before execution. Their
answers print every result figure from what they computed: the written parts hold no typed result."""

import ast
import math
import re
import subprocess
import sys

import pytest
import yaml

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from conftest import ROOT  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TINY = """
CONSUMERS = 1500
MERCHANTS = 40
DAYS = 30
BURN_IN = 15
REPS = 2
SWEEP_REPS = 2
ROLLOUT_DAYS = 30
ROLLOUT_REPS = 2
WORKERS = 1
LEVER_VALUE = 0.2
BONUS_GRID = [0, 1, 4]
INSIDER_GRID = [0.2, 0.6, 1.0]
GROUP_ENTRY = ["none", "visited", "favourited", "purchased", "interest"]
VIP_GRID = [750, 1000, 1500]
SA_CONSUMERS = 1500
SA_MERCHANTS = 40
SA_TRAJECTORIES = 2
SA_REPS = 1
DRAWS = 2
CAL_DIR = None
CAL_DESIGN = 28
CAL_POPULATION = 40
CAL_GENERATIONS = 5
CAL_COVERAGE = 3
OUT_DIR = {out!r}
"""


def nbstripout(*args):
    """nbstripout (the test extra) with the cell ids kept, as `make notebooks` says to run it."""
    return subprocess.run([sys.executable, "-m", "nbstripout", "--keep-id", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def test_there_are_six_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_wechat_direct_and_weight_bonus.ipynb",
                                           "03_exclusivity_thresholds.ipynb", "04_sensitivity.ipynb",
                                           "05_calibration.ipynb", "06_store_experiments.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_notebook_has_no_outputs_and_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{path.name}: clear outputs with `.venv/bin/nbstripout --keep-id {path.relative_to(ROOT)}`"
    done = nbstripout("--verify", path)
    assert done.returncode == 0, f"{path.name}: nbstripout would change it: {done.stdout}{done.stderr}"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in tags(code[0]), "the first code cell must be tagged `parameters`"
    for name in ("CONSUMERS", "MERCHANTS", "DAYS", "BURN_IN", "REPS", "WORKERS", "OUT_DIR"):
        assert f"{name} = " in code[0].source, name
    heads = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Answer")]
    assert heads and "answer" in tags(nb.cells[heads[0]]), \
        "the notebook ends with its answer: a markdown cell starting with '## Answer', tagged `answer`"
    after = [c for c in nb.cells[heads[0]:] if c.cell_type == "code"]
    assert after and all("answer" in tags(c) for c in after), \
        "the answer's figures are printed by code cells after '## Answer', each tagged `answer`"


@pytest.mark.timeout(180)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_a_tiny_size_and_draws_its_figures(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    params = next(c for c in nb.cells if "parameters" in tags(c))
    params.source = TINY.format(out=str(tmp_path / "out"))
    # "python3" is the native kernel of this interpreter (jupyter_client provides it whenever ipykernel
    # is installed, as in .venv), so nothing has to be registered for the tests.
    client = nbclient.NotebookClient(nb, timeout=150, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()                        # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    figure_cells = [c for c in nb.cells if "figure" in tags(c)]
    assert figure_cells, "tag the cells that draw a figure with `figure`"
    for cell in figure_cells:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source[:80]
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert images >= len(figure_cells)
    assert len(list((tmp_path / "out").glob("*.png"))) >= len(figure_cells)    # figures saved to OUT_DIR
    answers = [c for c in nb.cells if c.cell_type == "code" and "answer" in tags(c)]
    assert answers, "tag the code cells that print the answer with `answer`"
    for cell in answers:                    # each prints its part of the answer, even from tiny results
        assert any(o.output_type in ("stream", "display_data", "execute_result") for o in cell.outputs), \
            cell.source[:80]


def test_nbstripout_clears_an_executed_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells[0].execution_count = 1
    path = tmp_path / "run.ipynb"
    nbformat.write(nb, path)
    assert nbstripout("--verify", path).returncode == 1              # outputs found
    assert nbstripout(path).returncode == 0
    cell = nbformat.read(path, as_version=4).cells[0]
    assert cell.outputs == [] and cell.execution_count is None and cell.id == nb.cells[0].id
    assert nbstripout("--verify", path).returncode == 0


# ----------------------------------------------------------------------------- typed result figures
# The answers' markdown may name inputs (the parameters cell's values, the published facts), never a
# result: results go stale silently when the model changes, so code cells print them.
NUMBER = re.compile(r"(?<![\w.])[-+\u2212]?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)([A-Za-z]*)")
UNIT_SUFFIXES = {"", "x", "M", "bn", "pp", "k"}     # a number followed by other letters is part of a name (88VIP)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
NOT_FIGURES = [                                     # numbers in text that are references or names, not figures
    r"\d{4}-\d{2}-\d{2}",                            # a date
    r"ODD\.md`?,?\s+(?:sections?\s+)?\d+(?:\.\d+)*(?:(?:,\s*|\s+and\s+)\d+(?:\.\d+)*)*",   # ODD sections
    r"\b(?:issues?|seeds?|notebooks?|parts?|questions?|sections?)\s+\d+(?:(?:\s*[-\u2013,]\s*|\s+and\s+)\d+)*",
    rf"\b\d{{1,2}}\s+(?:{MONTHS})\b",                 # a day of the year: 1 April
    r"\bDouble\s+11\b|\b618\b",                      # the festivals
    r"\b95\s*%\s*(?:t-|confidence\s+)?(?:intervals?|bands?)",   # the intervals' level
    r"\b5\s*[-\u2013]\s*95\s*%",                        # a spread's quantiles
    r"\btop[- ]1\s*%",                              # the label of an outcome (top-1% stores' share of GMV)
]
OTHER_INPUTS = {
    0.0,        # the line a difference's interval must exclude to be resolved
}


def numbers(text: str) -> list[str]:
    """The figures written in markdown `text`, as typed, without references and names that hold digits."""
    for pattern in NOT_FIGURES:
        text = re.sub(pattern, " ", text, flags=re.IGNORECASE)
    return [m.group(0) for m in NUMBER.finditer(text) if m.group(2) in UNIT_SUFFIXES]


def value_of(figure: str) -> float:
    """The size of a written figure: sign, thousands separators and unit dropped."""
    return abs(float(NUMBER.match(figure).group(1).replace(",", "")))


def literals(source: str) -> set[float]:
    """The numbers assigned in a parameters cell (lists included; comments are not values)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            found.add(abs(float(node.value)))
    return found


def published_values() -> set[float]:
    """The published facts and bands of targets/published.yaml, as the text writes them (60% for 0.6)."""
    factor = {"pct": 100.0, "M": 1e-6, "x": 1.0}
    found = set()
    for t in yaml.safe_load((ROOT / "targets" / "published.yaml").read_text())["targets"]:
        f = factor[t.get("display", "x")]
        found |= {abs(v * f) for v in (t["value"], t["band"].get("low"), t["band"].get("high")) if v is not None}
        for text in (str(t["source"].get("published", "")), str(t["band"].get("text", ""))):
            found |= {value_of(n) for n in numbers(text)}
    return found


def allowed_inputs(nb) -> set[float]:
    """Numbers the answers may write: the parameters cell's values, the published facts, `OTHER_INPUTS`."""
    params = next(c for c in nb.cells if "parameters" in tags(c))
    return literals(params.source) | published_values() | OTHER_INPUTS


def typed_figures(text: str, allowed: set[float]) -> list[str]:
    """The figures in markdown `text` that are no input: typed results."""
    return [n for n in numbers(text) if not any(math.isclose(value_of(n), a, rel_tol=1e-9, abs_tol=1e-12)
                                                for a in allowed)]


def answer_markdown(nb) -> list[int]:
    """Indices of the markdown cells that belong to the answer: tagged `answer`, or after the first such cell."""
    first = next((i for i, c in enumerate(nb.cells) if "answer" in tags(c)), len(nb.cells))
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and (i >= first or "answer" in tags(c))]


def test_a_typed_result_is_found_and_inputs_are_not():
    nb = nbformat.read(ROOT / "notebooks" / "02_wechat_direct_and_weight_bonus.ipynb", as_version=4)
    allowed = allowed_inputs(nb)
    assert typed_figures("Both regimes gain: +95 bn [73, 116] (+4.3%).", allowed) == ["+95", "73", "116", "+4.3"]
    assert typed_figures("`closed_2023` gains 66 bn, 4.39% of GMV; members' value 1.13x; 42.9M members",
                         allowed) == ["66", "4.39", "1.13x", "42.9M"]
    assert typed_figures("a t-interval of -0.0009 [-0.0040, 0.0022] pp", allowed) == ["-0.0009", "-0.0040", "0.0022"]
    assert typed_figures("HHI up 1,234 points", allowed) == ["1,234"]
    assert typed_figures("| `none` | `+228 bn` [190, 266] |", allowed) == ["+228", "190", "266"]   # code, tables
    # inputs: the parameters cell (40,000 consumers, the bonus grid), published facts, references and names
    inputs = ("At 40,000 consumers, 400 stores and 8 replications, bonuses 0.5 and 4 against 0; leakage is an "
              "assumption (1% to 8%), the elasticity -2.62, 88VIP 42M (band 33.6M to 50.4M), fans 2.5x; "
              "`docs/ODD.md` 7.17 and 7.5, issue 22, seed 004, questions 1 and 2, notebooks 02-04; from 1 April "
              "to Double 11 and 618; 95% intervals and the 5-95% spread; `wechat_beta_2025`, "
              "`relationships.touch_rate.1`, `results/cal21c`, the top-1% stores' share; 0 excluded")
    assert typed_figures(inputs, allowed) == []
    # the same figures become results where the parameters cell does not hold them
    assert typed_figures("bonuses 0.5 and 4", literals("X = 1")) == ["0.5", "4"]
    assert typed_figures("issue 22 gains 22 bn", allowed) == ["22"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_answers_hold_no_typed_result_figure(path):
    nb = nbformat.read(path, as_version=4)
    cells = answer_markdown(nb)
    assert any("answer" in tags(nb.cells[i]) for i in cells), "tag the answer's markdown cells with `answer`"
    allowed = allowed_inputs(nb)
    typed = {i: typed_figures(nb.cells[i].source, allowed) for i in cells}
    typed = {i: found for i, found in typed.items() if found}
    assert not typed, (f"{path.name}: typed result figures in the answer (cell: figures); print them from the "
                       f"computed tables in a code cell tagged `answer` instead: {typed}")
