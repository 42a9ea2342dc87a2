"""The notebooks run top to bottom at a tiny size and draw their figures; saved notebooks carry no
outputs. The `parameters` cell of each notebook is replaced with tiny values before execution."""

import subprocess
import sys

import pytest

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
CAL_TRIALS = 6
CAL_REPS = 2
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
    assert any(c.cell_type == "markdown" and c.source.startswith("## Answer") for c in nb.cells[-2:]), \
        "the notebook ends with its written answer (a markdown cell starting with '## Answer')"


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
