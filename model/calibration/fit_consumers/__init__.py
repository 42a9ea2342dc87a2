"""Consumers from a transaction log: BG/NBD purchase timing and Gamma-Gamma spend, fitted by maximum
likelihood (`ptsim fit-consumers`).

The log has one row per transaction (customer, date, amount). As in Fader, Hardie & Lee (2005a) and
the `lifetimes` library, time is counted in calendar days and a customer buys at most once a day (the
transactions of one day are one transaction-day; their amounts are added). From the transactions up
to `until` each customer gets an RFM summary: x = repeat transaction-days (all but the first),
t_x = days from the first to the last, T = days from the first to `until`, and m_x = the mean amount
of the repeat transaction-days.

- BG/NBD (Fader, Hardie & Lee 2005a, "'Counting your customers' the easy way: an alternative to the
  Pareto/NBD model", Marketing Science 24(2), 275-284): while alive a customer buys as a Poisson
  process of rate lam ~ Gamma(r, alpha); after each repeat purchase she drops out with probability
  p ~ Beta(a, b). The individual likelihood is eq. 6, the conditional expectation of repeat purchases
  in a hold-out is eq. 10; the closed forms are in `ptsim.bgnbd`.
- Gamma-Gamma spend (Fader, Hardie & Lee 2005b, "RFM and CLV: using iso-value curves for customer
  base analysis", Journal of Marketing Research 42(4), 415-430; the likelihood as in Fader & Hardie
  2013, "The Gamma-Gamma model of monetary value"): each transaction's amount is Gamma(p, nu) with
  nu ~ Gamma(q, gamma) across customers, so the mean of x amounts is Gamma(p x, nu x).

Parameters are optimised on the log scale (scipy.optimize.minimize, L-BFGS-B with the analytic
gradient); standard errors come from the inverse Hessian of the negative log-likelihood in the
log-parameters (central differences of the analytic gradient), carried to the parameters by the delta
method (se(theta) = theta x se(log theta)).

The time unit is the day, as ptsim's `purchase.alpha`; fit.json gives alpha in weeks as well.

Files: log.py (reading, RFM), fit.py (the maximum-likelihood fits), holdout.py (the hold-out check),
outputs.py (fit_log: the whole command, and what it writes).
"""

from ...bgnbd import bgnbd_conditional_expected, bgnbd_loglik, gamma_gamma_loglik
from .fit import MLFit, fit_bgnbd, fit_gamma_gamma
from .holdout import holdout_by_week, holdout_figure, tracking
from .log import (
                  BGNBD_PARAMS,
                  DUPLICATE_RULE,
                  GG_PARAMS,
                  RFM,
                  LogError,
                  csv_options,
                  parse_day,
                  read_log,
                  summarise,
                  today,
)
from .outputs import (
                  bounds_text,
                  check_out,
                  fit_log,
                  fit_transactions,
                  fragment_text,
                  on_bounds,
                  spend_block,
)

__all__ = ["BGNBD_PARAMS", "DUPLICATE_RULE", "GG_PARAMS", "RFM", "LogError", "MLFit", "bgnbd_conditional_expected",
           "bgnbd_loglik", "bounds_text", "check_out", "csv_options", "fit_bgnbd", "fit_gamma_gamma", "fit_log",
           "fit_transactions", "fragment_text", "gamma_gamma_loglik", "holdout_by_week", "holdout_figure",
           "on_bounds", "parse_day", "read_log", "spend_block", "summarise", "today", "tracking"]
