"""The `ptsim` command line: run, compare, sweep (experiments.py), calibrate (calibration.py), validate,
answers, scenarios, bench, dashboard, cache, fit-consumers (tools.py), sharing common.py.

Malformed input exits with status 2 and one line naming the file, the field and what is allowed.
"""

from __future__ import annotations

import sys

from ..scenario import ScenarioError
from .common import app, err_console

# isort: off
# each module registers its commands on `app` as it is imported: this order is the order of `ptsim --help`
from .experiments import run, compare, sweep, run_table, comparison_table, treatment_table, grid_table  # noqa: F401
from .calibration import calibrate, calibrate_abc  # noqa: F401
from .tools import validate, answers, list_scenarios, bench, dashboard, cache, fit_consumers  # noqa: F401
# isort: on


def main(argv=None) -> None:
    """Entry point of `ptsim` and `python -m ptsim`."""
    try:
        app(args=argv, prog_name="ptsim", standalone_mode=True)
    except ScenarioError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
