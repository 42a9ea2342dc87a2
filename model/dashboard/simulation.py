"""The Simulation page (/): pick a library scenario, move the main levers, press Reset to build the model
with them, then Step or play (▶) and watch GMV by channel, price sensitivity and retention day by day:
the figures `ptsim run` writes (`plots.run_figures`), redrawn as the days are recorded."""

from __future__ import annotations

import warnings

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from .. import calendar as cal
from .. import plots
from ..model import PrivateTrafficModel
from ..scenario import library
from .layout import TITLE, paragraph, png

AS_SCENARIO = "(as in scenario)"
DEFAULT_CONSUMERS = 5_000
DEFAULT_DAYS = 365


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




# the figures of a results folder, in the order shown
FIGURES = {"fig_gmv_by_channel": "GMV by channel", "fig_retention": "Retention",
           "fig_price_sensitivity": "Price sensitivity"}


def figure(model, name: str) -> Figure:
    """One of `plots.run_figures` for the days recorded so far (the scenario's dates and festivals); before
    the first day, a placeholder saying to press Step."""
    ts = model.timeseries()
    if len(ts) == 0:
        fig = Figure(figsize=(12, 1.2))
        fig.text(0.5, 0.5, f"{FIGURES[name]}: press Step or ▶ to simulate", ha="center", va="center",
                 color="grey")
        return fig
    return plots.run_figures(ts.assign(scenario=model.config.name), model.config)[name]()


@solara.component
def Chart(model, name: str):
    """A figure as a PNG, drawn again only when a day has been recorded since."""
    update_counter.get()
    picture = solara.use_memo(lambda: png(figure(model, name)), [model, name, model.collector.days])
    return solara.Image(picture, width="100%")


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
        paragraph(levers)
        paragraph(status)
        solara.Text("Move the levers in the sidebar, press Reset to rebuild the model with them (a few seconds "
                    "for the burn-in), then Step or ▶.", style={"color": "grey", "font-size": "0.8em"})
    return main




@solara.component
def Charts(model):
    """The main area: the summary line, the three figures and how to read them. (Mesa's own grid of
    components is not used: its draggable grid does not load with the Vue 3 front end of this solara
    release.)"""
    update_counter.get()
    with solara.Column(style={"padding": "8px"}) as main:
        Summary(model)
        for name in FIGURES:
            Chart(model, name)
        paragraph(LEGEND)
    return main


LEGEND = """
**Reading the charts.** GMV is at real scale (each agent stands for many consumers), in billions of yuan
per day, by channel: public traffic, private traffic (in-app, through fan/member/group ties), WeChat direct
(on-platform, bought inside WeChat) and off-platform leakage (not part of on-platform GMV); flows are 7-day
means, as in the figures of `ptsim run`. Retention: consumers who bought in the last 90 days, the 90-day
repurchase rate and the dormant share. Price sensitivity: consumers' mean deal-proneness (0..1), the share
of needs deferred to a promotion and the mean reference price (index, 1 = the category's base price).
Dotted lines mark the festival peaks of the scenario's calendar.
"""


@solara.component
def Page():
    """The Simulation page: one model per browser session (built once, rebuilt by Reset with the
    sidebar's levers)."""
    initial = solara.use_memo(DashboardModel, [])
    model = solara.use_reactive(initial)
    SolaraViz(model, components=[], model_params=model_params(), name=TITLE, play_interval=50, render_interval=5)
    Charts(model.value)
