"""`ptsim dashboard`: a browser dashboard on Mesa's SolaraViz, in two pages.

**Simulation** (/, `simulation.py`): a library scenario with its main levers, stepped or played day by
day, drawn with the figures `ptsim run` writes. **Experiment** (/experiment, `experiment.py`): a
`ptsim compare` or `ptsim sweep` folder's paired differences or responses, as tables and charts with 95%
intervals. `layout.py` holds what both share; `server.py` checks the address and starts Solara.

The server binds 127.0.0.1 unless told otherwise (beyond loopback, the Experiment page reads only folders
under the working directory or the --experiment one) and serves Solara's front end from the installed
`solara-assets` package (no CDN, works offline). This package is the Solara app (`solara run
ptsim.dashboard`); it imports solara and mesa.visualization, so only the `dashboard` command imports it
(`ptsim --help` stays fast).
"""

import os

# no calls home: Solara's usage telemetry off (before solara is imported); the version check is off in serve()
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import solara  # noqa: E402

from .experiment import (  # noqa: E402, F401
    EXPERIMENT_ENV,
    FOLDERS_ENV,
    ExperimentPage,
    allowed_roots,
    default_outcome,
    difference_table,
    experiment_figure,
    load_folder,
    open_experiment,
    readable_folder,
    response_table,
)
from .layout import Layout  # noqa: E402
from .server import check_listen, serve  # noqa: E402, F401
from .simulation import DashboardModel, Page, model_params  # noqa: E402, F401

routes = [solara.Route(path="/", component=Page, label="Simulation", layout=Layout),
          solara.Route(path="experiment", component=ExperimentPage, label="Experiment")]
