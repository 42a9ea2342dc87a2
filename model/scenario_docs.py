"""The docs generator's old path: `python -m ptsim.scenario_docs` runs `ptsim.scenario.docs`."""

from .scenario.docs import _range, render  # noqa: F401

if __name__ == "__main__":
    print(render(), end="")
