"""Figures shared by the CLI and the notebooks: time series with bands, paired differences,
sweep response curves and sensitivity bars, and the display units of tables. Money is shown in
real yuan (billions), shares in % and their differences in percentage points (pp).

Every figure is `WIDTH` inches wide in one set of font sizes (`STYLE`), with a CJK font as the
fallback of DejaVu Sans so that scenario names in Chinese draw (`cjk_font`).

Every function takes tidy tables as the experiment API returns them (`Comparison.timeseries`,
`SweepResult.runs` merged with `points`, `SweepResult.indices`) and returns a matplotlib Figure.
A single run's `model.timeseries()` (indexed by day, no scenario or replication columns) works too.

Colours are the Okabe-Ito palette (`PALETTE`), distinguishable with the common colour-vision
deficiencies; GMV channels also differ by line style, so figures read in greyscale print too.
Figures over days show dates of a nominal year (`calendar.NOMINAL_YEAR`, 2025) counted from the
scenario's `run.start_day_of_year`, with the scenario's festival peaks (`seasonality.festival_days`)
and the days its lever timeline changes a lever (`timeline`) marked; pass `**plots.calendar_of(scenario)`
to use a scenario's own start day, festivals and timeline.

Files: style.py (fonts, palette, units and labels), timeseries.py (figures over days), experiments.py
(differences, sensitivity, responses, summaries), tables.py (display tables), sentences.py (answers as text).
"""

from ..stats import BELOW_ZERO, BELOW_ZERO_NOTE, MISSING, interval_text, summarise  # noqa: F401  (re-exported)
from .experiments import (  # noqa: F401
    _numeric,
    _pct_text,
    difference_figure,
    response_figure,
    response_table,
    sensitivity_figure,
    sensitivity_grid,
    summary_figure,
)
from .style import (  # noqa: F401
    _PERCENT_UNITS,
    BAND_LABEL,
    CHANNEL_STYLE,
    CJK_FONT,
    COLOURS,
    FESTIVALS,
    PALETTE,
    PANEL_HEIGHT,
    STYLE,
    WIDTH,
    _register,
    _scale_for,
    calendar_of,
    cjk_font,
    colour,
    display_unit,
    field_label,
    label,
    merge_marks,
    nice,
    relative,
    scale_for,
    style,
    styled,
    timeline_marks,
)
from .tables import interval_table, outcome_table  # noqa: F401
from .timeseries import (  # noqa: F401
    CHANNELS,
    _band_handle,
    _date_axis,
    _grid,
    _legend_below,
    _mark_festivals,
    _mark_timeline,
    _smoothed,
    _tidy,
    band,
    channel_figure,
    plot_band,
    run_figures,
    spread_figure,
    timeseries_figure,
)
