"""The Experiment page: load a `ptsim compare` or `ptsim sweep` folder and see its paired differences
against the reference, or its responses to the swept levers, as tables and charts with 95% intervals,
read and drawn by the experiment API and `plots` as the CLI writes them. Beyond loopback it reads only
folders under the server's roots (`readable_folder`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from .. import plots
from ..errors import one_line
from ..experiment.compare import Comparison
from ..experiment.storage import load_experiment
from ..experiment.sweep import SweepResult
from ..scenario import ScenarioError
from .layout import TITLE, paragraph, png

EXPERIMENT_ENV = "PTSIM_DASHBOARD_EXPERIMENT"      # the folder of `ptsim dashboard --experiment DIR`


FOLDERS_ENV = "PTSIM_DASHBOARD_FOLDERS"       # os.pathsep-joined: the only folders it may read (beyond loopback)


def allowed_roots() -> list[Path]:
    """The folders under which the Experiment page may read, as serve() set them; none: any folder."""
    return [Path(p) for p in os.environ.get(FOLDERS_ENV, "").split(os.pathsep) if p]


def readable_folder(folder: str | Path, roots: list[Path]) -> Path:
    """`folder` resolved (symlinks, `..`, `~`) when it lies under one of `roots` (any folder when there
    are none), else a one-line ScenarioError: a dashboard reachable from the network must not read the
    whole machine."""
    resolved = Path(folder).expanduser().resolve()
    if not roots or any(resolved.is_relative_to(root.resolve()) for root in roots):
        return resolved
    raise ScenarioError(f"{folder}: outside the folders this dashboard may read (it listens beyond this "
                        f"machine): only folders under {' or '.join(str(r) for r in roots)}")


def load_folder(folder: str, roots: list[Path]) -> Comparison | SweepResult:
    """What the Experiment page's Load does: refuse a folder outside `roots` before reading anything,
    then open the experiment."""
    if roots and str(folder).strip():
        folder = readable_folder(folder, roots)
    return open_experiment(folder)


def open_experiment(folder: str | Path) -> Comparison | SweepResult:
    """The comparison or sweep stored in `folder`, read by the experiment API; anything else (no such
    folder, a calibration or `ptsim run` folder, an unfinished or unreadable one) is a ScenarioError
    with one line saying what the folder is."""
    from ..calibration.study import MANIFEST as CALIBRATION_MANIFEST
    if not str(folder).strip():
        raise ScenarioError("give the folder of a `ptsim compare` or `ptsim sweep` experiment")
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: no such folder")
    if (folder / CALIBRATION_MANIFEST).is_file():
        raise ScenarioError(f"{folder}: a calibration folder, not a compare or sweep experiment (see "
                            "notebooks/05_calibration.ipynb for its fit)")
    try:
        experiment = load_experiment(folder)
        command = experiment.manifest.get("command")
        if command == "compare":
            return Comparison(experiment)
        if command == "sweep":
            return SweepResult.load(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:      # a damaged table or manifest
        raise ScenarioError(f"{folder}: cannot be read as an experiment: {exc}") from exc
    raise ScenarioError(f"{folder}: an experiment of `ptsim {command}`, not of compare or sweep: nothing to "
                        "compare or respond to")


def default_outcome(result) -> str:
    """GMV when the experiment has it, else its first outcome."""
    return "gmv_total" if "gmv_total" in result.outcomes else result.outcomes[0]


def difference_table(c: Comparison) -> pd.DataFrame:
    """Every outcome (rows, with its unit) against each policy's paired difference from the reference:
    mean [95% interval] in display units and in % of the reference's mean (the folder's differences)."""
    if c.differences.empty:                           # the reference alone
        return pd.DataFrame()
    names = list(dict.fromkeys(c.differences["outcome"]))
    columns = {}
    for scenario, d in c.differences.groupby("scenario", sort=False):
        level = plots.interval_table(d, names, difference=True).T
        pct = plots.interval_table(d, names, pct=True).T
        columns[f"{scenario} − {c.reference}"] = level.iloc[:, 0].to_numpy()
        columns[f"{scenario} − {c.reference} (% of {c.reference})"] = pct.iloc[:, 0].to_numpy()
    table = pd.DataFrame(columns, index=level.index)
    return table.map(lambda cell: "–" if cell.startswith("nan") else cell)      # a reference mean of 0


def response_table(s: SweepResult, outcome_name: str, parameter: str | None = None) -> pd.DataFrame:
    """Mean [95% interval] of one outcome at each value of a swept lever (a column per value of the
    other lever, when the grid has two); for a sampled design, the sensitivity indices."""
    if s.indices is not None:
        d = s.indices[s.indices["outcome"] == outcome_name].drop(columns="outcome").set_index("parameter")
        return d.map(lambda v: f"{v:.3g}")
    parameter = parameter or s.parameters[0]
    others = [p for p in s.parameters if p != parameter]
    by = others[0] if len(others) == 1 else None
    runs = s.experiment.ok.merge(s.points.drop(columns="scenario"), on="point")    # as SweepResult.plot_response
    resp = plots.response_table(runs, parameter, [outcome_name], by=by)
    groups = resp.groupby(by, sort=False) if by else [(None, resp)]
    return pd.concat({(f"{by} = {key}" if by else plots.label(outcome_name)):
                      plots.interval_table(g, [outcome_name], rows=parameter).iloc[:, 0] for key, g in groups},
                     axis=1).rename_axis(parameter)


def experiment_figure(result, outcome_name: str, parameter: str | None = None) -> Figure | None:
    """The chart of one outcome: a comparison's paired differences (forest of 95% intervals, in % of the
    reference), a grid sweep's response to `parameter`, a sampled sweep's sensitivity indices; None when
    there is nothing to draw (no finished run, or a reference mean of 0)."""
    if not len(result.experiment.ok):
        return None
    if isinstance(result, Comparison):
        d = result.differences
        if d.empty or not np.isfinite(d.loc[d["outcome"] == outcome_name, "pct_mean"]).any():
            return None
        return result.plot_differences([outcome_name])
    if result.indices is not None:
        return result.plot_sensitivity(outcome_name)
    return result.plot_response(parameter, [outcome_name])


def _table(df: pd.DataFrame, caption: str):
    """A plain HTML table (escaped), which needs nothing from the internet, unlike Solara's DataTable."""
    with solara.Column(gap="2px") as main:
        paragraph(caption)
        solara.HTML(tag="div", unsafe_innerHTML=df.to_html(classes="ptsim-table", border=0))
    return main


@solara.component
def ExperimentResult(result):
    """A loaded comparison or sweep: choose the outcome (and the swept lever), see its table and chart."""
    outcome_name, set_outcome = solara.use_state(default_outcome(result))
    sweep = isinstance(result, SweepResult)
    grid = sweep and result.indices is None
    lever, set_lever = solara.use_state(result.parameters[0] if sweep else None)
    def draw():
        fig = experiment_figure(result, outcome_name, lever)
        return None if fig is None else png(fig)
    picture = solara.use_memo(draw, [result, outcome_name, lever])
    with solara.Column(gap="8px") as main:
        with solara.Row(gap="16px"):
            solara.Select("Outcome", value=outcome_name, values=list(result.outcomes), on_value=set_outcome,
                          style={"max-width": "24em"})
            if grid:
                solara.Select("Swept lever", value=lever, values=list(result.parameters), on_value=set_lever,
                              style={"max-width": "24em"})
        ok, runs = len(result.experiment.ok), len(result.runs)
        if isinstance(result, Comparison):
            paragraph(f"A **comparison** of {result.summary['scenario'].nunique()} scenarios against the reference "
                  f"`{result.reference}` ({ok} of {runs} runs finished; replications share seeds).")
        else:
            paragraph(f"A **{result.method} sweep** of {', '.join(f'`{p}`' for p in result.parameters)} over "
                  f"{len(result.points)} points ({ok} of {runs} runs finished).")
        if picture is None:
            solara.Text(f"No chart of {plots.nice(outcome_name)}: no run finished, no other scenario, or the "
                        "reference's mean is 0 (no % difference; the table has the difference in its unit).",
                        style={"color": "grey"})
        else:
            solara.Image(picture)
        if isinstance(result, Comparison):
            pairs = int(result.differences["n_pairs"].max()) if len(result.differences) else 0
            _table(difference_table(result), f"Paired difference from `{result.reference}` (same seeds): mean "
                   f"[95% confidence interval of the mean over {pairs} paired replications]; shares in "
                   "percentage points (pp).")
        elif grid:
            _table(response_table(result, outcome_name, lever), f"**{plots.nice(outcome_name)}** at each value of "
                   f"`{lever}`: mean [95% confidence interval of the mean over replications], in "
                   f"{plots.scale_for(outcome_name)[1] or 'its unit'}.")
        else:
            _table(response_table(result, outcome_name), f"Sensitivity of **{plots.nice(outcome_name)}** "
                   "to each parameter (`_conf`: half-width of the 95% confidence interval).")
    return main


@solara.component
def ExperimentPage():
    """The Experiment page: a folder field (filled from --experiment), Load, then the result or one line
    saying why the folder cannot be shown."""
    path = solara.use_reactive(os.environ.get(EXPERIMENT_ENV, ""))
    result, set_result = solara.use_state(None)
    message, set_message = solara.use_state("")
    roots = allowed_roots()

    def load():
        try:
            set_result(load_folder(path.value, roots))
            set_message("")
        except ScenarioError as exc:
            set_result(None)
            set_message(one_line(str(exc)))

    solara.use_effect(lambda: load() if path.value else None, [])       # the --experiment folder, once
    with solara.Column(style={"padding": "8px", "max-width": "1400px"}) as main:
        with solara.AppBar():
            solara.AppBarTitle(TITLE)
        with solara.Row(gap="12px", style={"align-items": "center"}):
            solara.InputText("Experiment folder (output of ptsim compare or ptsim sweep)", value=path,
                             continuous_update=False, style={"min-width": "40em"})
            solara.Button("Load", on_click=load, color="primary")
        if message:                    # (solara.Error's Vuetify 2 alert does not build with Vuetify 3)
            solara.Text(f"error: {message}", style={"color": "#D55E00", "font-weight": "bold"})
        elif result is None:
            where = f" under {' or '.join(str(r) for r in roots)}" if roots else ""
            solara.Text(f"Type the path of a compare or sweep folder{where} (e.g. results/compare-baseline-...) "
                        "and press Load.", style={"color": "grey"})
        else:
            ExperimentResult(result).key(f"result-{id(result)}")      # a new folder: fresh choices
    return main
