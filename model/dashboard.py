"""`ptsim dashboard`: a browser dashboard on Mesa's SolaraViz.

Pick a library scenario, move the main levers, press Reset to build the model with them, then Step
or play (▶) and watch GMV by channel, price sensitivity and retention update day by day, with
units and the festival peaks marked. The server binds 127.0.0.1 unless told otherwise, and serves
Solara's front end from the installed `solara-assets` package (no CDN, works offline).

This module is the Solara app (`solara run ptsim.dashboard`); it imports solara and
mesa.visualization at the top, so only the `dashboard` command imports it (`ptsim --help` stays fast).
"""

from __future__ import annotations

import os
import warnings

# no calls home: Solara's usage telemetry off (before solara is imported); the version check is off in serve()
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from . import calendar as cal  # noqa: E402
from .model import PrivateTrafficModel  # noqa: E402
from .outcomes import outcome  # noqa: E402
from .scenario import library  # noqa: E402

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
                                    ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
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


@solara.component
def Page():
    """One model per browser session (built once, rebuilt by Reset with the sidebar's levers)."""
    initial = solara.use_memo(DashboardModel, [])
    model = solara.use_reactive(initial)
    SolaraViz(model, components=[], model_params=model_params(), name="ptsim: private traffic on Tmall",
              play_interval=50, render_interval=5)
    Charts(model.value)


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> None:
    """Start the Solara server on host:port until interrupted."""
    from solara.__main__ import run
    # the front end (JavaScript, CSS, fonts) comes from the installed solara-assets package through the
    # local server's /_solara/cdn path, never from the internet
    os.environ.setdefault("SOLARA_ASSETS_PROXY", "true")
    args = ["ptsim.dashboard:Page", "--host", host, "--port", str(port), "--production", "--no-check-version",
            "--open" if open_browser else "--no-open", "--log-level", "warning"]
    run.main(args=args, prog_name="ptsim dashboard", standalone_mode=True)
