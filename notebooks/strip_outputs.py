"""Clear the outputs and execution counts of notebooks, so they are stored in git without bulky
results (figures, tables). Run it before committing a notebook you have executed:

    .venv/bin/python notebooks/strip_outputs.py notebooks/*.ipynb
    .venv/bin/python notebooks/strip_outputs.py --check notebooks/*.ipynb   # exit 1 if any has outputs
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def has_outputs(nb) -> bool:
    """True if any code cell has outputs or an execution count."""
    return any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
               for c in nb.cells)


def strip(nb):
    """The notebook with every code cell's outputs and execution count cleared (in place)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    return nb


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"]
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if has_outputs(nb):
            dirty.append(path)
            if not check:
                nbformat.write(strip(nb), path)
    for path in dirty:
        print(f"{path}: {'has outputs' if check else 'outputs cleared'}")
    return 1 if check and dirty else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
