"""Is the burn-in long enough? A trend test on the relationship stocks over its last part.

The stocks are counted weekly over the last `window` days of the burn-in. With 60 weeks or more the
test compares the last 8 weeks with the same 8 weeks a year earlier, so festivals (618, Double 11) do
not pass for trends; with a shorter burn-in a least-squares line through the weekly counts gives the
trend. Either way the change per year is relative to the stock's mean, with a standard error. A stock
that still moves by more than `TOLERANCE` (10%) a year, beyond twice its standard error, makes the
model warn that the status quo has not settled. One run's stocks wander by about 3% a year (20,000
agents, store-level randomness), so a single run can only catch gross failures such as a burn-in far
too short; the 3% criterion is tested over replications by `ptsim validate --only steady_state`.
"""

from __future__ import annotations

import warnings

import numpy as np

from .orders import Level

MIN_BURN_IN = 180          # shorter burn-ins (quick tests) are not checked
YEAR_OVER_YEAR = 420       # window of a year-over-year comparison of 8 weeks (364 + 56 days)
TOLERANCE = 0.10           # a single run warns beyond this change per year (it wanders by ~3% a year)


class NotSteadyWarning(UserWarning):
    """The status quo still trends at the end of the burn-in."""


def stocks(consumers) -> dict[str, int]:
    """The relationship stocks the check follows (agent counts)."""
    level = consumers.rel_level
    return {"n_fans": int(np.count_nonzero(level >= Level.FAN)),
            "n_members": int(np.count_nonzero(level >= Level.MEMBER)),
            "n_group_members": int(np.count_nonzero(level == Level.GROUP)),
            "n_wechat_community": int(np.count_nonzero(consumers.rel_wechat)),
            "alive": int(np.count_nonzero(consumers.alive))}


def inflation(residuals: np.ndarray) -> float:
    """Variance inflation of a mean of autocorrelated weekly values, (1 + rho) / (1 - rho), from the lag-1
    autocorrelation rho of the residuals (stocks wander slowly, so weekly counts are far from independent)."""
    r = residuals - residuals.mean()
    denom = r @ r
    rho = float(r[1:] @ r[:-1] / denom) if denom > 0 else 0.0
    rho = min(max(rho, 0.0), 0.95)
    return (1 + rho) / (1 - rho)


def year_over_year(values: np.ndarray, weeks: int = 8) -> tuple[float, float]:
    """Relative change of the last `weeks` weekly counts over the same weeks a year (52 weeks) earlier,
    and its standard error."""
    before, after = values[-weeks - 52:-52], values[-weeks:]
    mean = before.mean()
    if mean <= 0:
        return 0.0, np.inf
    x = np.arange(values.size) - (values.size - 1) / 2
    k = inflation(values - values.mean() - (x @ (values - values.mean())) / (x @ x) * x)
    se = np.sqrt(k * (before.var(ddof=1) + after.var(ddof=1)) / weeks)
    return float(after.mean() / mean - 1), float(se / mean)


def trend(days: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Least-squares trend per 365 days relative to the mean, and its standard error."""
    mean = values.mean()
    if len(values) < 3 or mean <= 0:
        return 0.0, np.inf
    x = days - days.mean()
    slope = (x @ (values - mean)) / (x @ x)
    resid = values - mean - slope * x
    se = np.sqrt(inflation(resid) * (resid @ resid) / (len(values) - 2) / (x @ x))
    return float(slope * 365 / mean), float(se * 365 / mean)


class BurnInCheck:
    """Weekly counts of the stocks over the last part of the burn-in, and the verdict."""

    def __init__(self, burn_in_days: int):
        self.window = min(burn_in_days, YEAR_OVER_YEAR)
        self.checked = burn_in_days >= MIN_BURN_IN
        self.first_day = burn_in_days - self.window
        self.days: list[int] = []
        self.counts: dict[str, list[int]] = {}

    def observe(self, model) -> None:
        """Count the stocks on every 7th day of the window."""
        if self.checked and model.day >= self.first_day and (model.day - self.first_day) % 7 == 0:
            self.days.append(model.day)
            for name, value in stocks(model.consumers).items():
                self.counts.setdefault(name, []).append(value)

    def trends(self) -> dict[str, dict[str, float]]:
        """Per stock: relative trend per year, its standard error, and whether it counts as steady."""
        out = {}
        days = np.asarray(self.days, dtype=float)
        for name, values in self.counts.items():
            values = np.asarray(values, dtype=float)
            t, se = year_over_year(values) if len(values) >= 60 else trend(days, values)
            out[name] = {"trend_per_year": t, "se": se, "steady": not (abs(t) > TOLERANCE and abs(t) > 2 * se)}
        return out


def warn_if_moving(trends: dict[str, dict[str, float]], burn_in_days: int) -> None:
    """Warn (NotSteadyWarning) naming the stocks that still trend at the end of the burn-in."""
    moving = [f"{name} {v['trend_per_year']:+.1%}/year" for name, v in trends.items() if not v["steady"]]
    if moving:
        warnings.warn(f"the status quo may not have settled by the end of the burn-in: {', '.join(moving)} over "
                      f"its last {min(burn_in_days, YEAR_OVER_YEAR)} days (run.burn_in_days = {burn_in_days}). "
                      "A longer run.burn_in_days removes a trend; a single run also wanders by a few % a year, "
                      "which `ptsim validate --only steady_state` averages out over replications",
                      NotSteadyWarning, stacklevel=3)
