"""The notebooks run top to bottom at a tiny size and draw their figures; saved notebooks carry no
outputs. The `parameters` cell of each notebook is replaced with tiny values before execution."""

import importlib.util

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
OUT_DIR = {out!r}
"""


def _strip_outputs_module():
    """notebooks/strip_outputs.py, loaded from its path (nothing added to sys.path)."""
    spec = importlib.util.spec_from_file_location("strip_outputs", ROOT / "notebooks" / "strip_outputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def test_there_are_four_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_wechat_direct_and_weight_bonus.ipynb",
                                           "03_exclusivity_thresholds.ipynb", "04_sensitivity.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_notebook_has_no_outputs_and_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{path.name}: clear outputs with `python notebooks/strip_outputs.py {path.relative_to(ROOT)}`"
    assert not _strip_outputs_module().has_outputs(nb)
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
