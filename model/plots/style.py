"""Fonts, sizes, the colour palette, the calendar of figures over days, and each outcome's display unit and label."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt

from .. import calendar
from ..outcomes import OUTCOME_NAMES, outcome

_PERCENT_UNITS = {"share"}

# Every figure is WIDTH inches wide (1,320 px at the 110 dpi of `results.write_figures`), panels
# PANEL_HEIGHT high, in one set of font sizes (`style`).
WIDTH = 12.0
PANEL_HEIGHT = 3.4
STYLE = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
         "legend.fontsize": 8, "legend.frameon": False, "figure.titlesize": 12}
CJK_FONT = "Noto Sans CJK SC"     # from the noto-cjk-sans-otc package


@functools.cache
def cjk_font() -> str | None:
    """The family of a font with Chinese glyphs, registered with matplotlib, for scenario names in
    Chinese: Noto Sans CJK SC from the noto-cjk-sans-otc package, else the first font fontconfig
    lists for Chinese; None when there is none (Chinese then draws as boxes, with matplotlib's warning)."""
    import subprocess
    try:
        from noto_cjk_sans_otc import FONT_PATH
        return _register(str(FONT_PATH), CJK_FONT)
    except (ImportError, OSError, RuntimeError, StopIteration):
        pass
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for path in (line.split(":")[0].strip() for line in listed.splitlines()):
        try:
            return _register(path)
        except (OSError, RuntimeError, ValueError, StopIteration):
            continue
    return None


def _register(path: str, prefer: str | None = None) -> str:
    """Add a font file (every face of a collection) to matplotlib; the family `prefer` if the file
    has it, else its first face's."""
    from matplotlib import font_manager
    font_manager.fontManager.addfont(path)
    names = [f.name for f in font_manager.fontManager.ttflist if f.fname == path]
    return prefer if prefer in names else next(iter(names))


def style() -> dict:
    """Matplotlib settings of every figure: `STYLE`, and the CJK font as the fallback of DejaVu Sans."""
    return {**STYLE, "font.family": ["DejaVu Sans"] + ([cjk_font()] if cjk_font() else [])}


def styled(draw):
    """Draw a figure function's artists in `style()` (fonts are fixed when an artist is made)."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with plt.rc_context(style()):
            return draw(*args, **kwargs)
    return wrapper


# Okabe & Ito (2008), "Color Universal Design": eight colours told apart with any common form of
# colour blindness. Lines take them in this order (yellow last: it is faint on white paper).
PALETTE = {"blue": "#0072B2", "vermillion": "#D55E00", "bluish green": "#009E73", "orange": "#E69F00",
           "reddish purple": "#CC79A7", "sky blue": "#56B4E9", "black": "#000000", "yellow": "#F0E442"}
COLOURS = tuple(PALETTE.values())
# GMV channels: a fixed colour and line style each (public, private, WeChat direct, off-platform)
CHANNEL_STYLE = {"gmv_public": (PALETTE["blue"], "-"), "gmv_private": (PALETTE["orange"], "--"),
                 "gmv_wechat_direct": (PALETTE["bluish green"], "-."),
                 "gmv_offplatform": (PALETTE["reddish purple"], ":")}
BAND_LABEL = "95% confidence interval of the mean over replications"


def colour(k: int) -> str:
    """The k-th colour of the palette (cycling)."""
    return COLOURS[k % len(COLOURS)]


def timeline_marks(timeline: dict | None) -> dict[int, str]:
    """A scenario's lever timeline (record day -> {field: value}) as record day -> the levers that change
    that day, for marking on figures over days: a block with several fields changing is named once, a
    single field in full (without the `policies.` prefix)."""
    out = {}
    for day, changes in sorted((timeline or {}).items(), key=lambda item: int(item[0])):
        blocks: dict[str, list[str]] = {}
        for field in changes:
            path = str(field).removeprefix("policies.")
            blocks.setdefault(path.split(".")[0], []).append(path)
        out[int(day)] = ", ".join(paths[0] if len(paths) == 1 else block for block, paths in blocks.items())
    return out


def merge_marks(marks: dict[str, dict[int, str]]) -> list[tuple[int, str, tuple[str, ...]]]:
    """Several scenarios' timeline marks on one figure, as (record day, levers, scenarios) with no
    scenarios named for a change every scenario makes."""
    out = []
    for day in sorted({d for m in marks.values() for d in m}):
        by_label: dict[str, list[str]] = {}
        for name, m in marks.items():
            if day in m:
                by_label.setdefault(m[day], []).append(name)
        out += [(day, label, () if len(names) == len(marks) else tuple(names)) for label, names in by_label.items()]
    return out


def calendar_of(scenario=None) -> dict:
    """`start_day_of_year`, `festivals` (day of year -> name) and `timeline` (record day -> the levers that
    change) of a scenario (a `Scenario` or a resolved scenario dict, as in a manifest), as keywords for the
    figures over days; without a scenario, the defaults of the scenario schema (no timeline)."""
    from ..scenario import Run, Seasonality
    if scenario is None:
        run, seasonality, timeline = Run(), Seasonality(), {}
    elif isinstance(scenario, dict):
        run, seasonality = Run(**scenario.get("run", {})), Seasonality(**scenario.get("seasonality", {}))
        timeline = scenario.get("timeline", {})
    else:
        run, seasonality, timeline = scenario.run, scenario.seasonality, scenario.timeline
    return {"start_day_of_year": run.start_day_of_year, "festivals": calendar.festival_names(seasonality),
            "timeline": timeline_marks(timeline)}


# The default festivals (day of year -> name), read from the calendar of the default scenario.
FESTIVALS = calendar_of()["festivals"]


def scale_for(name: str) -> tuple[float, str]:
    """Factor and axis label for an outcome: yuan -> bn yuan, shares -> %, counts -> millions.

    Names that are not model outcomes (e.g. of a model function in a sweep) are shown as they are.
    """
    if name not in OUTCOME_NAMES:
        return 1.0, ""
    o = outcome(name)
    if o.unit == "yuan":
        return 1e-9, "bn yuan"
    if o.unit in _PERCENT_UNITS:
        return 100.0, "%"
    if o.unit in ("consumers", "orders", "needs"):
        return 1e-6, "million"
    return 1.0, o.unit


_scale_for = scale_for


def nice(name: str) -> str:
    """A readable name of an outcome (its label) or of a dotted scenario field."""
    return outcome(name).label if name in OUTCOME_NAMES else name.replace("_", " ")


def label(name: str, difference: bool = False) -> str:
    """Axis label with unit; for a difference, shares are in percentage points."""
    _, unit = display_unit(name, difference)
    text = f"{'difference in ' if difference else ''}{nice(name)}"
    return f"{text} ({unit})" if unit else text


def field_label(path: str, unit: bool = True) -> str:
    """Label of a swept scenario field: block and name in words and its unit from the scenario
    schema, e.g. 'choice: price sensitivity mean (utils per log price)'. A name that is no field
    (a model function's input) is shown in words."""
    from ..results import column_metadata
    *block, name = path.split(".")
    text = (" ".join(block).replace("_", " ") + ": " if block else "") + name.replace("_", " ")
    u = column_metadata(path)["unit"] if unit and block else "-"
    return f"{text} ({u})" if u not in ("-", "") else text


def display_unit(name: str, difference: bool = False) -> tuple[float, str]:
    """Factor and unit an outcome is shown in (`scale_for`); a difference of shares is in pp."""
    factor, unit = scale_for(name)
    return factor, "pp" if difference and unit == "%" else unit


def relative(name: str) -> bool:
    """Whether a difference is also worth reading in % of the reference's mean: all but shares,
    whose differences read in percentage points."""
    return scale_for(name)[1] != "%"
