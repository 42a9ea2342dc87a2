"""The hold-out check: expected (FHL 2005a eq. 9 and 10) against actual repeat transaction-days, by week,
and the tracking figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...bgnbd import (
    bgnbd_conditional_expected,
)
from .fit import MLFit
from .log import (
    BGNBD_PARAMS,
    RFM,
)

# ------------------------------------------------------------------------------------ hold-out

def holdout_by_week(fit: MLFit, rfm: RFM) -> dict | None:
    """Expected (FHL 2005a, eq. 10) against actual repeat transaction-days in the hold-out, in total and
    by week from the day after `until`; None without a hold-out."""
    days = rfm.holdout_days
    if days <= 0:
        return None
    r, alpha, a, b = (fit[k] for k in BGNBD_PARAMS)
    rows, inverse = np.unique(np.column_stack([rfm.x, rfm.t_x, rfm.T]), axis=0, return_inverse=True)
    weight = np.bincount(inverse.ravel(), minlength=len(rows))
    ends = np.minimum(np.arange(7, days + 7, 7), days)
    expected_cum = np.array([weight @ bgnbd_conditional_expected(float(t), r, alpha, a, b, *rows.T) for t in ends])
    offset = int((rfm.until - rfm.start).astype(int))
    hold = rfm.repeat_days[rfm.repeat_days > offset] - offset          # 1 .. days
    actual_cum = np.searchsorted(np.sort(hold), ends, side="right")
    weeks = []
    prev_e, prev_a, prev_t = 0.0, 0, 0
    for k, (t, e, n) in enumerate(zip(ends, expected_cum, actual_cum), start=1):
        weeks.append({"week": k, "first_day": str(rfm.until + np.timedelta64(int(prev_t) + 1, "D")),
                      "last_day": str(rfm.until + np.timedelta64(int(t), "D")), "days": int(t - prev_t),
                      "expected": float(e - prev_e), "actual": int(n - prev_a),
                      "expected_cumulative": float(e), "actual_cumulative": int(n)})
        prev_e, prev_a, prev_t = e, n, t
    total_e, total_a = float(expected_cum[-1]), int(actual_cum[-1])
    return {"first_day": str(rfm.until + np.timedelta64(1, "D")), "last_day": str(rfm.end), "days": days,
            "weeks": round(days / 7, 2), "customers": int(len(rfm.x)),
            "expected_repeat_transactions": total_e, "actual_repeat_transactions": total_a,
            "expected_over_actual": total_e / total_a if total_a else None,
            "expectation": "sum over calibration customers of E[Y(t) | x, t_x, T] (Fader, Hardie & Lee 2005a, "
                           "eq. 10); actual = their transaction-days in the hold-out",
            "by_week": weeks}


def tracking(fit: MLFit, rfm: RFM, step: int = 7) -> pd.DataFrame:
    """Cumulative repeat transaction-days of the calibration customers by day since the log's start
    (every `step` days, plus `until` and `end`): actual, expected from each customer's first day on
    (E[X(t)], FHL 2005a eq. 9, the tracking plot of their Figure 2) and, after `until`, the
    conditional forecast (eq. 10) added to the actual count at `until`."""
    from ...bgnbd import bgnbd_expected_repeats
    r, alpha, a, b = (fit[k] for k in BGNBD_PARAMS)
    offset = int((rfm.until - rfm.start).astype(int))
    last = int((rfm.end - rfm.start).astype(int))
    days = np.unique(np.concatenate([np.arange(0, last + 1, step), [offset, last]]))
    births, n_born = np.unique(rfm.birth, return_counts=True)
    expected = np.array([n_born @ np.where(s >= births, bgnbd_expected_repeats(np.maximum(s - births, 0.0),
                                                                               r, alpha, a, b), 0.0)
                         for s in days])
    actual = np.searchsorted(np.sort(rfm.repeat_days), days, side="right")
    rows, inverse = np.unique(np.column_stack([rfm.x, rfm.t_x, rfm.T]), axis=0, return_inverse=True)
    weight = np.bincount(inverse.ravel(), minlength=len(rows))
    at_until = int(np.searchsorted(np.sort(rfm.repeat_days), offset, side="right"))
    forecast = np.array([at_until + weight @ bgnbd_conditional_expected(float(s - offset), r, alpha, a, b, *rows.T)
                         if s >= offset else np.nan for s in days])
    return pd.DataFrame({"day": days, "week": days / 7, "actual": actual, "expected": expected,
                         "forecast": forecast})


def holdout_figure(track: pd.DataFrame, until_day: int, title: str):
    """Cumulative repeat transactions, actual against the BG/NBD, with the end of calibration marked."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(track["week"], track["actual"], color="black", lw=2, label="actual")
    ax.plot(track["week"], track["expected"], color="tab:blue", ls="--",
            label="BG/NBD expected from each first purchase (eq. 9)")
    after = track["day"] >= until_day
    ax.plot(track["week"][after], track["forecast"][after], color="tab:red",
            label="hold-out forecast given each history (eq. 10)")
    ax.axvline(until_day / 7, color="grey", ls=":", lw=1.5)
    ax.text(until_day / 7, ax.get_ylim()[1] * 0.98, "  end of calibration", va="top", ha="left", color="grey",
            fontsize=9)
    ax.set_xlabel("weeks since the first transaction in the log")
    ax.set_ylabel("cumulative repeat transactions")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=9, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
