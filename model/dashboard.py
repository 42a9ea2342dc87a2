"""`ptsim dashboard`: a browser dashboard on Mesa's SolaraViz, in two pages.

**Simulation** (/): pick a library scenario, move the main levers, press Reset to build the model with
them, then Step or play (▶) and watch GMV by channel, price sensitivity and retention update day by
day, with units and the festival peaks marked. **Experiment** (/experiment): load a `ptsim compare` or
`ptsim sweep` folder (`ptsim dashboard --experiment DIR` opens with one) and see its paired differences
against the reference, or its responses to the swept levers, as tables and charts with 95% intervals;
the folder is read and drawn by the experiment API and `plots`, as the CLI writes it.

The server binds 127.0.0.1 unless told otherwise (bound beyond loopback, the Experiment page reads only
folders under the working directory or the --experiment one: see `check_listen`, `readable_folder`), and
serves Solara's front end from the installed `solara-assets` package (no CDN, works offline). This
module is the Solara app (`solara run ptsim.dashboard`); it imports solara and mesa.visualization at the
top, so only the `dashboard` command imports it (`ptsim --help` stays fast).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

# no calls home: Solara's usage telemetry off (before solara is imported); the version check is off in serve()
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from . import calendar as cal  # noqa: E402
from . import plots  # noqa: E402
from .errors import one_line  # noqa: E402
from .experiment.compare import Comparison  # noqa: E402
from .experiment.storage import load_experiment  # noqa: E402
from .experiment.sweep import SweepResult  # noqa: E402
from .model import PrivateTrafficModel  # noqa: E402
from .outcomes import outcome  # noqa: E402
from .scenario import ScenarioError, library  # noqa: E402

AS_SCENARIO = "(as in scenario)"
DEFAULT_CONSUMERS = 5_000
DEFAULT_DAYS = 365

# Okabe-Ito: readable with the common colour-vision deficiencies
COLOURS = {"gmv_public": "#0072B2", "gmv_private": "#E69F00", "gmv_wechat_direct": "#009E73",
           "gmv_offplatform": "#CC79A7", "mean_deal_proneness": "#D55E00", "mean_reference_price": "#56B4E9",
           "active_share": "#0072B2", "repurchase_rate_90d": "#E69F00"}
CHANNELS = {"gmv_public": "public traffic", "gmv_private": "private (in-app ties)",
            "gmv_wechat_direct": "WeChat direct", "gmv_offplatform": "off-platform leakage"}


def _choice(value: str):
    """A lever's select value: None for 'as in scenario', else a float when it reads as one."""
    if value in (None, "", AS_SCENARIO):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


class DashboardModel(PrivateTrafficModel):
    """The model as the dashboard builds it: a library scenario plus the levers of the sidebar as
    keyword arguments (what SolaraViz passes when Reset rebuilds the model). A lever left at
    'as in scenario' keeps the scenario's own value."""

    def __init__(self, library_scenario: str = "baseline", wechat_direct: str = AS_SCENARIO,
                 weight_bonus_share: str = AS_SCENARIO, insider_threshold: str = AS_SCENARIO,
                 group_entry: str = AS_SCENARIO, consumers: int = DEFAULT_CONSUMERS, days: int = DEFAULT_DAYS,
                 seed: int = 1, rng=None):
        overrides = {"population.consumers": int(consumers), "run.days": int(days)}
        for path, value in (("policies.wechat_direct.mode", wechat_direct),
                            ("policies.weight_bonus.share", weight_bonus_share),
                            ("insider.eligibility_threshold", insider_threshold),
                            ("groups.entry", group_entry)):
            if (v := _choice(value)) is not None:
                overrides[path] = v
        self.levers = {"scenario": library_scenario, **overrides}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # burn-in drift warnings: the CLI reports them
            super().__init__(library_scenario, rng=int(seed) if rng is None else rng, overrides=overrides,
                             create_agents=False)


def model_params() -> dict:
    """The sidebar's inputs (Mesa's ModelCreator format)."""
    def select(label, values, value=AS_SCENARIO):
        return {"type": "Select", "label": label, "value": value, "values": [AS_SCENARIO, *values]}
    names = list(library())
    return {
        "library_scenario": {"type": "Select", "label": "Scenario (library)", "value": "baseline",
                             "values": names},
        "wechat_direct": select("WeChat direct mode", ["off", "beta", "open"]),
        "weight_bonus_share": select("Weight bonus share (of WeChat GMV)", ["0", "0.25", "0.5", "1", "2"]),
        "insider_threshold": select("Insider-sale eligibility threshold (score 0..1)",
                                    ["0", "0.2", "0.4", "0.6", "0.7", "0.85", "1"]),
        "group_entry": select("Group entry condition", ["none", "visited", "favourited", "purchased",
                                                         "interest"]),
        "consumers": {"type": "SliderInt", "label": "Consumer agents", "value": DEFAULT_CONSUMERS,
                      "min": 1_000, "max": 50_000, "step": 1_000},
        "days": {"type": "SliderInt", "label": "Days to record", "value": DEFAULT_DAYS, "min": 30, "max": 730,
                 "step": 5},
        "seed": {"type": "SliderInt", "label": "Seed", "value": 1, "min": 1, "max": 100, "step": 1},
    }


# ------------------------------------------------------------------------- figures
def _frame(model):
    ts = model.timeseries()
    x = cal.dates(ts.index.to_numpy(), model.config.run.start_day_of_year)
    return ts, x


def _festivals(ax, model, n: int) -> None:
    if n == 0:
        return
    start = model.config.run.start_day_of_year
    for day, name in cal.festival_run_days(cal.festival_names(model.config.seasonality), start, 0, n - 1):
        x = cal.dates([day], start)[0]
        ax.axvline(x, color="grey", linestyle=":", linewidth=0.9)
        ax.annotate(name, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -10),
                    textcoords="offset points", fontsize=7, color="grey")


def _figure(title: str):
    fig = Figure(figsize=(7.5, 3.0), layout="constrained")
    ax = fig.subplots()
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    return fig, ax


def _finish(fig, ax, model, n, loc="upper left", legend=True):
    _festivals(ax, model, n)
    ax.set_xlabel("date (record day 0 = first day after the burn-in)", fontsize=8)
    if n == 0:
        ax.text(0.5, 0.5, "press Step or ▶ to simulate", transform=ax.transAxes, ha="center", color="grey")
    elif legend:
        ax.legend(fontsize=7, loc=loc)
    fig.autofmt_xdate()
    return fig


def gmv_figure(model) -> Figure:
    ts, x = _frame(model)
    fig, ax = _figure("GMV by channel (real scale)")
    for name, label in CHANNELS.items():
        if len(ts):
            ax.plot(x, ts[name] / 1e9, color=COLOURS[name], linewidth=1.2, label=label)
    ax.set_ylabel("bn yuan per day", fontsize=8)
    return _finish(fig, ax, model, len(ts))


def price_figure(model) -> Figure:
    ts, x = _frame(model)
    fig, ax = _figure("Price sensitivity")
    right = ax.twinx()
    right.tick_params(labelsize=8)
    if len(ts):
        ax.plot(x, ts["mean_deal_proneness"], color=COLOURS["mean_deal_proneness"], label="mean deal-proneness")
        right.plot(x, ts["mean_reference_price"], color=COLOURS["mean_reference_price"], linestyle="--",
                   label="mean reference price (right)")
        lines = ax.get_lines() + right.get_lines()
        ax.legend(lines, [line.get_label() for line in lines], fontsize=7, loc="lower left")
    ax.set_ylabel(f"deal-proneness ({outcome('mean_deal_proneness').unit})", fontsize=8)
    right.set_ylabel("reference price (index, 1 = base price)", fontsize=8)
    return _finish(fig, ax, model, len(ts), legend=False)


def retention_figure(model) -> Figure:
    ts, x = _frame(model)
    fig, ax = _figure("Retention")
    if len(ts):
        ax.plot(x, 100 * ts["active_share"], color=COLOURS["active_share"],
                label="active consumers (bought in the last 90 days)")
        ax.plot(x, 100 * ts["repurchase_rate_90d"], color=COLOURS["repurchase_rate_90d"],
                label="90-day repurchase rate")
    ax.set_ylabel("%", fontsize=8)
    return _finish(fig, ax, model, len(ts), loc="lower left")


# ------------------------------------------------------------------------- components
def _figure_component(make):
    @solara.component
    def Chart(model):
        update_counter.get()
        fig = make(model)
        return solara.FigureMatplotlib(fig, format="png", dpi=100)
    Chart.__name__ = make.__name__
    return Chart


GmvChart = _figure_component(gmv_figure)
PriceChart = _figure_component(price_figure)
RetentionChart = _figure_component(retention_figure)


def _html(text: str):
    """A paragraph with **bold** and `code`: plain HTML, because solara.Markdown loads KaTeX for maths,
    which solara-assets does not ship (the page would then ask the internet for it)."""
    import html
    import re
    text = html.escape(" ".join(text.split()))
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"`(.+?)`", r"<code>\1</code>", text)
    return solara.HTML(tag="p", unsafe_innerHTML=text, style={"margin": "4px 0"})


@solara.component
def Summary(model):
    """The scenario, its levers and the last recorded day's headline numbers, with units."""
    update_counter.get()
    c = model.collector
    s = model.config
    levers = (f"**{s.name}** · WeChat direct `{s.policies.wechat_direct.mode}` · weight bonus share "
              f"`{s.policies.weight_bonus.share:g}` · insider threshold `{s.insider.eligibility_threshold:g}` · "
              f"group entry `{s.groups.entry}` · {s.population.consumers:,} consumer agents "
              f"(each stands for {s.population.agent_scale:,.0f} real consumers)")
    if c.days == 0:
        status = "Record day 0 of {}: nothing simulated yet (burn-in done).".format(s.run.days)
    else:
        last = {n: c.latest(n) for n in ("gmv_total", "share_gmv_private", "mean_deal_proneness",
                                         "active_share", "repurchase_rate_90d")}
        date = cal.dates([c.days - 1], s.run.start_day_of_year)[0]
        status = (f"Recorded days: **{c.days}** of {s.run.days} (last: {date}). GMV that day "
                  f"**{last['gmv_total'] / 1e9:,.2f} bn yuan**, private share {100 * last['share_gmv_private']:.1f} %, "
                  f"mean deal-proneness {last['mean_deal_proneness']:.3f}, active {100 * last['active_share']:.1f} %, "
                  f"90-day repurchase {100 * last['repurchase_rate_90d']:.1f} %.")
    with solara.Column() as main:
        _html(levers)
        _html(status)
        solara.Text("Move the levers in the sidebar, press Reset to rebuild the model with them (a few seconds "
                    "for the burn-in), then Step or ▶.", style={"color": "grey", "font-size": "0.8em"})
    return main


@solara.component
def Charts(model):
    """The main area: the summary line and the three charts. (Mesa's own grid of components is not
    used: its draggable grid does not load with the Vue 3 front end of this solara release.)"""
    update_counter.get()
    with solara.Column(style={"padding": "8px"}) as main:
        Summary(model)
        with solara.Columns([1, 1]):
            GmvChart(model)
            PriceChart(model)
        with solara.Columns([1, 1]):
            RetentionChart(model)
            _html(LEGEND)
    return main


LEGEND = """
**Reading the charts.** GMV is at real scale (each agent stands for many consumers), in billions of yuan
per day, by channel: public traffic, private traffic (in-app, through fan/member/group ties), WeChat direct
(on-platform, bought inside WeChat) and off-platform leakage (not part of on-platform GMV). Price
sensitivity: consumers' mean deal-proneness (0..1) and mean reference price (index, 1 = the category's
base price). Retention: consumers who bought in the last 90 days, and the 90-day repurchase rate. Dotted
lines mark the festival peaks of the scenario's calendar.
"""


TITLE = "ptsim: private traffic on Tmall"


@solara.component
def Page():
    """The Simulation page: one model per browser session (built once, rebuilt by Reset with the
    sidebar's levers)."""
    initial = solara.use_memo(DashboardModel, [])
    model = solara.use_reactive(initial)
    SolaraViz(model, components=[], model_params=model_params(), name=TITLE, play_interval=50, render_interval=5)
    Charts(model.value)


# ------------------------------------------------------------------------- the Experiment page
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
    from .calibration.study import MANIFEST as CALIBRATION_MANIFEST
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
        _html(caption)
        solara.HTML(tag="div", unsafe_innerHTML=df.to_html(classes="ptsim-table", border=0))
    return main


def _png(fig: Figure) -> bytes:
    """The figure as PNG; pyplot's figure is closed (the plots module draws with pyplot)."""
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


@solara.component
def ExperimentResult(result):
    """A loaded comparison or sweep: choose the outcome (and the swept lever), see its table and chart."""
    outcome_name, set_outcome = solara.use_state(default_outcome(result))
    sweep = isinstance(result, SweepResult)
    grid = sweep and result.indices is None
    lever, set_lever = solara.use_state(result.parameters[0] if sweep else None)
    def draw():
        fig = experiment_figure(result, outcome_name, lever)
        return None if fig is None else _png(fig)
    png = solara.use_memo(draw, [result, outcome_name, lever])
    with solara.Column(gap="8px") as main:
        with solara.Row(gap="16px"):
            solara.Select("Outcome", value=outcome_name, values=list(result.outcomes), on_value=set_outcome,
                          style={"max-width": "24em"})
            if grid:
                solara.Select("Swept lever", value=lever, values=list(result.parameters), on_value=set_lever,
                              style={"max-width": "24em"})
        ok, runs = len(result.experiment.ok), len(result.runs)
        if isinstance(result, Comparison):
            _html(f"A **comparison** of {result.summary['scenario'].nunique()} scenarios against the reference "
                  f"`{result.reference}` ({ok} of {runs} runs finished; replications share seeds).")
        else:
            _html(f"A **{result.method} sweep** of {', '.join(f'`{p}`' for p in result.parameters)} over "
                  f"{len(result.points)} points ({ok} of {runs} runs finished).")
        if png is None:
            solara.Text(f"No chart of {plots.nice(outcome_name)}: no run finished, no other scenario, or the "
                        "reference's mean is 0 (no % difference; the table has the difference in its unit).",
                        style={"color": "grey"})
        else:
            solara.Image(png)
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


# ------------------------------------------------------------------------- layout and routes
# Solara's AppLayout gives Vuetify 3's navigation drawer the width "min-content", which Vuetify's layout
# cannot add up (--v-layout-left: NaN), so the sidebar covered the charts and the title on wide windows:
# give the drawer a fixed width and move the main area and the app bar beside it while it is open and
# docked. Mesa's sliders show their value only while dragged (Vuetify's v-show): always show it here.
# A checkbox's label is also put inside its box (a Vue 3 slot), where it spills over the sidebar: hide it;
# the sidebar's toggle in the app bar comes without its icon: draw one.
SIDEBAR = "400px"
CSS = f"""
.v-navigation-drawer.solara-content-main {{ width: {SIDEBAR} !important; }}
.v-application:has(.v-navigation-drawer--active:not(.v-navigation-drawer--temporary)) .v-main {{
    --v-layout-left: {SIDEBAR} !important; }}
.v-application:has(.v-navigation-drawer--active:not(.v-navigation-drawer--temporary)) .v-app-bar {{
    left: {SIDEBAR} !important; width: calc(100% - {SIDEBAR}) !important; }}
.v-slider-thumb__label-container {{ display: block !important; }}
.v-navigation-drawer .v-slider {{ margin-top: 30px; }}
.v-app-bar-nav-icon .v-btn__content::before {{ content: "☰"; font-size: 22px; }}
.v-selection-control__wrapper {{ font-size: 0; }}
.v-selection-control__wrapper .v-icon {{ font-size: 24px; }}
.ptsim-page {{ color: white !important; opacity: 0.75; }}
.ptsim-page-current {{ opacity: 1; border-bottom: 2px solid white; border-radius: 0; }}
.ptsim-table {{ border-collapse: collapse; font-size: 0.85em; }}
.ptsim-table th, .ptsim-table td {{ padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: right; }}
.ptsim-table tbody th {{ text-align: left; font-weight: normal; }}
"""


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's signature)
    """Solara's app layout with a button per page in the app bar (Solara's own page tabs need Vuetify 2's
    TabsSlider, missing from the Vuetify 3 front end of this release), and the style sheet above (in the
    app bar: a child of the layout itself would become its sidebar)."""
    _, routes = solara.use_route(peek=True)
    router = solara.use_router()
    with solara.AppLayout(children=children, navigation=False) as main:
        with solara.AppBar():
            solara.Style(CSS)
            for route in routes:
                path = solara.resolve_path(route, level=0)
                solara.Button(route.label, on_click=lambda path=path: router.push(path), text=True,
                              classes=["ptsim-page"] + (["ptsim-page-current"] if router.path == path else []))
    return main


routes = [solara.Route(path="/", component=Page, label="Simulation", layout=Layout),
          solara.Route(path="experiment", component=ExperimentPage, label="Experiment")]


def check_listen(host: str, port: int) -> tuple[int, bool]:
    """The port the server will listen on at `host` (a free one for port 0) and whether `host` is loopback
    only (127.0.0.0/8, ::1). Binds as the server will (every address `host` resolves to, SO_REUSEADDR),
    so an unresolvable name, an address not on this machine or a busy port is a one-line ScenarioError
    naming the option, instead of the server's own error later."""
    import errno
    import ipaddress
    import socket
    anywhere = "(127.0.0.1: this machine only; 0.0.0.0: all its addresses)"
    if not host.strip():
        raise ScenarioError(f"--host {host}: give an address of this machine {anywhere}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise ScenarioError(f"--host {host}: cannot be resolved ({getattr(exc, 'strerror', None) or exc}); "
                            f"give an address of this machine {anywhere}") from exc
    addresses = list(dict.fromkeys((family, address[0]) for family, *_, address in infos))
    loopback = all(ipaddress.ip_address(a.split("%")[0]).is_loopback for _, a in addresses)
    for _ in range(5):             # port 0: the first address's free port may be taken on another one
        chosen, sockets = port, []
        try:
            for family, address in addresses:
                try:
                    s = socket.socket(family, socket.SOCK_STREAM)
                except OSError:               # a family this machine lacks (no IPv6): skipped, as the server does
                    continue
                sockets.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((address, chosen))
                s.listen()
                chosen = s.getsockname()[1]
            return chosen, loopback
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and port == 0:
                continue
            if exc.errno == errno.EADDRINUSE:
                raise ScenarioError(f"--port {port}: already in use on {address} (choose another with --port, "
                                    "or --port 0 for any free port)") from exc
            if exc.errno == errno.EADDRNOTAVAIL:
                named = "" if host == address else f" (resolves to {address})"
                raise ScenarioError(f"--host {host}{named}: not an address of this machine {anywhere}") from exc
            if exc.errno == errno.EACCES:
                raise ScenarioError(f"--port {port}: not allowed to listen on it on {address} (ports below 1024 "
                                    "need administrator rights; choose another with --port)") from exc
            raise ScenarioError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})") \
                from exc
        finally:
            for s in sockets:
                s.close()
    raise ScenarioError(f"--host {host}: no port free on all of its addresses at once (give one with --port)")


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False,
          experiment: str | Path | None = None, folders: list[Path] | None = None) -> None:
    """Start the Solara server on host:port until interrupted; `experiment`: the folder the Experiment
    page opens with; `folders`: the only folders (and those under them) it may read, None for any."""
    from solara.__main__ import run
    if experiment is not None:
        os.environ[EXPERIMENT_ENV] = str(Path(experiment).expanduser().absolute())
    if folders:
        os.environ[FOLDERS_ENV] = os.pathsep.join(str(Path(f).expanduser().resolve()) for f in folders)
    else:
        os.environ.pop(FOLDERS_ENV, None)
    # the front end (JavaScript, CSS, fonts) comes from the installed solara-assets package through the
    # local server's /_solara/cdn path, never from the internet
    os.environ.setdefault("SOLARA_ASSETS_PROXY", "true")
    args = ["ptsim.dashboard", "--host", host, "--port", str(port), "--production", "--no-check-version",
            "--open" if open_browser else "--no-open", "--log-level", "warning"]
    run.main(args=args, prog_name="ptsim dashboard", standalone_mode=True)
