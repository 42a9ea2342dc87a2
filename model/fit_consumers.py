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
  in a hold-out is eq. 10; eq. 9 (E[X(t)]) is `purchase_timing.bgnbd_expected_repeats`.
- Gamma-Gamma spend (Fader, Hardie & Lee 2005b, "RFM and CLV: using iso-value curves for customer
  base analysis", Journal of Marketing Research 42(4), 415-430; the likelihood as in Fader & Hardie
  2013, "The Gamma-Gamma model of monetary value"): each transaction's amount is Gamma(p, nu) with
  nu ~ Gamma(q, gamma) across customers, so the mean of x amounts is Gamma(p x, nu x).

Parameters are optimised on the log scale (scipy.optimize.minimize, L-BFGS-B with the analytic
gradient); standard errors come from the inverse Hessian of the negative log-likelihood in the
log-parameters (central differences of the analytic gradient), carried to the parameters by the delta
method (se(theta) = theta x se(log theta)).

The time unit is the day, as ptsim's `purchase.alpha`; fit.json gives alpha in weeks as well.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln, hyp2f1

from .errors import InputError, one_line, quote

BGNBD_PARAMS = ("r", "alpha", "a", "b")
GG_PARAMS = ("p", "q", "gamma")
LOG_BOUND = 12.0                     # |log parameter| the optimiser may reach (e^12 ~ 160,000)
HESSIAN_STEP = 1e-4                  # finite-difference step of the gradient, on the log scale
DUPLICATE_RULE = "rows equal to an earlier row in every column of the log (the earlier one is kept)"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_TAIL = re.compile(r"^([T ]\d{1,2}:\d{2}.*)?$")  # what may follow an ISO date (a time, a zone)


class LogError(InputError, ValueError):
    """A malformed transaction log or option: the message is one line naming the file, the line and
    what is allowed."""


# ---------------------------------------------------------------------------------------- reading

def parse_day(text: str, option: str) -> np.datetime64:
    """A calendar day given on the command line (YYYY-MM-DD)."""
    import datetime as dt
    try:
        if not ISO_DATE.match(str(text).strip()):
            raise ValueError
        return np.datetime64(dt.date.fromisoformat(str(text).strip()), "D")
    except ValueError:
        raise LogError(f"{option}: expected a date YYYY-MM-DD, e.g. 2024-06-30 (got {quote(text)})") from None


def today() -> np.datetime64:
    """Today's date in the latest time zone (UTC+14): no transaction anywhere can be dated later, and a
    log exported where it is already tomorrow is not refused."""
    import datetime as dt
    return np.datetime64(dt.datetime.now(dt.timezone(dt.timedelta(hours=14))).date(), "D")


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _where(path: Path, parquet: bool, i: int) -> str:
    # CSV line numbers count the header as line 1 (a quoted field spanning lines shifts later numbers)
    return f"{path}: row {i} (counting from 0)" if parquet else f"{path}: line {i + 2}"


def csv_options(sep: str | None, encoding: str | None) -> tuple[str, str]:
    """The field separator (one character; '\\t' or 'tab' as typed in a shell is a tab) and the text
    encoding of a CSV log (utf-8 by default, a byte-order mark skipped)."""
    import codecs
    sep = "," if sep is None else {"\\t": "\t", "tab": "\t"}.get(sep, sep)
    if len(sep) != 1 or sep in "\"\r\n":
        raise LogError(f"--sep {quote(sep)}: expected one character, e.g. ',' ';' or '\\t' (a tab)")
    encoding = "utf-8" if encoding is None else encoding
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise LogError(f"--encoding {quote(encoding)}: unknown encoding; e.g. utf-8, gbk, gb18030, utf-16, "
                       "latin-1") from None
    return sep, "utf-8-sig" if name == "utf-8" else encoding


def _undecodable(path: Path, encoding: str) -> str:
    """Where a CSV first fails to decode: the line, the byte and its offset in the (uncompressed) file."""
    import codecs
    import gzip
    shown = "utf-8" if encoding == "utf-8-sig" else encoding
    hint = f"cannot be read as {shown}; give the file's encoding with --encoding (e.g. gbk or gb18030 for " \
           "Chinese exports, latin-1)"
    if path.suffix.lower() not in (".gz", ".csv", ".txt", ".tsv", ""):
        return f"{path}: {hint}"
    decoder, offset = codecs.getincrementaldecoder(encoding)(), 0
    with (gzip.open if path.suffix.lower() == ".gz" else open)(path, "rb") as f:
        for n, line in enumerate(f, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                at = offset + exc.start - (len(exc.object) - len(line))      # the decoder may hold earlier bytes
                return f"{path}: line {n}: byte 0x{exc.object[exc.start]:02x} at offset {at} {hint}"
            offset += len(line)
    return f"{path}: the file ends inside a character; it {hint}"


def read_log(path: str | Path, customer: str, date: str, amount: str, date_format: str | None = None,
             sep: str | None = None, encoding: str | None = None, dedupe: bool = False) -> tuple[pd.DataFrame, dict]:
    """The transactions of a CSV or Parquet log as columns customer, date (datetime64, the day) and
    amount (float), in file order, and its duplicate rows (DUPLICATE_RULE): how many, where the first is,
    whether they were dropped (`dedupe`). Raises LogError naming the file and the first bad line."""
    path = Path(path)
    if not path.exists():
        raise LogError(f"{path}: file not found; give a transaction log (.csv, .csv.gz or .parquet)")
    if not path.is_file():
        raise LogError(f"{path}: not a file; give a transaction log (.csv, .csv.gz or .parquet)")
    names = {"--customer": customer, "--date": date, "--amount": amount}
    if len(set(names.values())) < 3:
        raise LogError(f"--customer, --date and --amount must name three different columns (got "
                       f"{', '.join(f'{k} {v}' for k, v in names.items())})")
    parquet = _is_parquet(path)
    if parquet and (sep is not None or encoding is not None):
        raise LogError(f"--sep and --encoding apply to a CSV log; {path} is Parquet (its columns are typed)")
    sep, encoding = csv_options(sep, encoding)
    try:
        if parquet:
            import pyarrow.parquet as pq
            columns = pq.read_schema(path).names
        else:
            columns = list(pd.read_csv(path, nrows=0, sep=sep, encoding=encoding).columns)
    except UnicodeDecodeError:
        raise LogError(_undecodable(path, encoding)) from None
    except pd.errors.EmptyDataError:
        raise LogError(f"{path}: empty file; expected a header line naming the columns, then one line per "
                       "transaction") from None
    except Exception as exc:                 # pyarrow / pandas parser errors, unreadable files
        raise LogError(f"{path}: cannot read as {'Parquet' if parquet else 'CSV'}: "
                       f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    for option, col in names.items():
        if col not in columns:
            other = [c for c in ";\t,|" if len(columns) == 1 and c != sep and c in str(columns[0])]
            raise LogError(f"{path}: {option} {quote(col)}: no such column; the columns are {quote(columns)}"
                           + (f" (give --sep {quote(other[0])} if that separates the fields)" if other else ""))
    try:
        if parquet:                          # dates (date32, as ptsim's order log) as datetime64: quick to check
            import pyarrow.parquet as pq
            raw = pq.read_table(path).to_pandas(date_as_object=False)
        else:
            # every column is read (with usecols pandas would silently drop a line's extra fields, e.g. an
            # amount written 129,90), and duplicates are rows equal in all of them
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, sep=sep,
                              encoding=encoding)
    except UnicodeDecodeError:
        raise LogError(_undecodable(path, encoding)) from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            want, line, got = found.groups()
            example = " (e.g. \"129,90\")" if sep == "," else ""
            raise LogError(f"{path}: line {line}: {got} fields where the header has {want}; quote a field that "
                           f"holds the separator {quote(sep)}{example}") from None
        raise LogError(f"{path}: cannot read as CSV: {str(exc).splitlines()[0]}") from None
    except Exception as exc:
        raise LogError(f"{path}: cannot read as {'Parquet' if parquet else 'CSV'}: "
                       f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    raw = raw.reset_index(drop=True)
    if not parquet:                          # blank lines (every field empty) are skipped
        blank = (raw[customer] == "") & (raw[date] == "") & (raw[amount] == "")
        raw = raw[~blank.to_numpy()]
    rows = raw.index.to_numpy()
    where = lambda i: _where(path, parquet, int(rows[i]))  # noqa: E731
    try:
        copy = raw.duplicated().to_numpy()
    except TypeError:                        # Parquet lists or mappings: compared as text
        copy = raw.astype(str).duplicated().to_numpy()
    duplicates = {"rows": int(copy.sum()), "first": where(int(np.argmax(copy))) if copy.any() else None,
                  "dropped": bool(dedupe and copy.any())}
    raw = raw[[customer, date, amount]]

    cust = raw[customer]
    missing = cust.isna().to_numpy() | (cust.astype(str).str.strip() == "").to_numpy()
    if missing.any():
        i = int(np.argmax(missing))
        raise LogError(f"{where(i)}: empty customer id in column {quote(customer)}; every transaction needs one")
    days = _parse_dates(raw[date], date_format, date, where)
    amounts = _parse_amounts(raw[amount], amount, where)
    if pd.api.types.is_object_dtype(cust.dtype):    # mixed Parquet ids (1 and "1"): compared as text
        cust = cust.astype(str)
    tx = pd.DataFrame({"customer": cust.to_numpy(), "date": days, "amount": amounts})
    return (tx[~copy].reset_index(drop=True) if duplicates["dropped"] else tx), duplicates


def _parse_dates(col: pd.Series, date_format: str | None, name: str, where) -> np.ndarray:
    allowed = (f"expected the format {quote(date_format)}" if date_format else
               "expected a date YYYY-MM-DD (ISO 8601; a time of day after it is ignored), or give --date-format")
    text = None
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        parsed = col
        if getattr(col.dt, "tz", None) is not None:
            parsed = col.dt.tz_localize(None)          # the day as written in the data's zone
    elif pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        raise LogError(f"{where(0)}: column {quote(name)} holds numbers ({col.dtype}), not dates; {allowed}")
    else:
        if pd.api.types.is_string_dtype(col.dtype) and not pd.api.types.is_object_dtype(col.dtype):
            text = col.fillna("").astype(str).str.strip()
        else:                                          # Parquet objects: text, dates, None
            text = col.astype(object).where(col.notna(), "").map(
                lambda v: v if isinstance(v, str) else v.isoformat() if hasattr(v, "isoformat") else str(v))
            text = text.astype(str).str.strip()
        if date_format:
            parsed = pd.to_datetime(text, format=date_format, errors="coerce")
            if getattr(parsed.dt, "tz", None) is not None:
                parsed = parsed.dt.tz_localize(None)
        else:
            head, tail = text.str.slice(0, 10), text.str.slice(10)
            ok = head.str.match(ISO_DATE) & tail.str.match(_TIME_TAIL)
            parsed = pd.to_datetime(head.where(ok, ""), format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            value = text.iloc[i]
            raise LogError(f"{where(i)}: {'empty date' if value == '' else f'date {quote(value)} is not a date'} "
                           f"in column {quote(name)}; {allowed}")
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise LogError(f"{where(int(np.argmax(bad)))}: empty date in column {quote(name)}; {allowed}")
    days = parsed.to_numpy().astype("datetime64[D]")
    future = days > today()
    if future.any():
        i = int(np.argmax(future))
        shown = str(days[i]) if text is None else text.iloc[i]
        read_as = "" if shown[:10] == str(days[i]) else f" (read as {days[i]})"
        raise LogError(f"{where(i)}: date {quote(shown)}{read_as} in column {quote(name)} is in the future (after "
                       f"{today()}, today in the latest time zone); a log holds past transactions: correct or "
                       "drop the line")
    return days


def _parse_amounts(col: pd.Series, name: str, where) -> np.ndarray:
    allowed = "expected a number >= 0 such as 129.90 (no currency sign or thousands separator)"
    if pd.api.types.is_bool_dtype(col.dtype):
        raise LogError(f"{where(0)}: column {quote(name)} holds true/false values, not amounts; {allowed}")
    if pd.api.types.is_numeric_dtype(col.dtype):
        values = col.to_numpy(dtype=float, na_value=np.nan)
        text = None
    else:
        text = col.astype(object).where(col.notna(), "").astype(str).str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        shown = "" if text is None else text.iloc[i]
        what = "empty amount" if shown == "" and (text is not None or np.isnan(values[i])) else \
            f"amount {quote(shown if text is not None else values[i])} is not a finite number"
        raise LogError(f"{where(i)}: {what} in column {quote(name)}; {allowed}")
    negative = values < 0
    if negative.any():
        i = int(np.argmax(negative))
        raise LogError(f"{where(i)}: negative amount {values[i]:g} in column {quote(name)}; {allowed} (drop "
                       "refunds from the log, or net them against their purchase)")
    return values


# ------------------------------------------------------------------------------------ RFM summary

@dataclass
class RFM:
    """Per-customer calibration summary (days) and what the hold-out and tracking figure need."""
    start: np.datetime64                 # first transaction-day in the log
    until: np.datetime64                 # last day of calibration
    end: np.datetime64                   # last day of the hold-out (= until when there is none)
    customers: np.ndarray
    x: np.ndarray                        # repeat transaction-days up to `until`
    t_x: np.ndarray                      # days from first to last transaction-day
    T: np.ndarray                        # days from first transaction-day to `until`
    monetary: np.ndarray                 # mean amount of the repeat transaction-days (nan if x = 0)
    holdout_x: np.ndarray                # transaction-days in (until, end]
    birth: np.ndarray                    # first transaction-day, days since `start`
    repeat_days: np.ndarray              # every repeat transaction-day of these customers, days since `start`
    counts: dict = field(default_factory=dict)

    @property
    def holdout_days(self) -> int:
        return int((self.end - self.until).astype(int))


def summarise(tx: pd.DataFrame, until: np.datetime64, end: np.datetime64 | None = None,
              where: str = "the log") -> RFM:
    """The RFM summary of transactions up to `until` (one transaction-day per customer and date) and
    the same customers' transaction-days in the hold-out (until, end]; `end` defaults to the log's last
    date. Customers first seen after `until` are left out of both (counted in `counts`)."""
    until = np.datetime64(until, "D")
    day = tx["date"].to_numpy().astype("datetime64[D]")
    if len(day) == 0:
        raise LogError(f"{where}: no transactions; expected one line per transaction")
    first_day = day.min()
    if first_day > until:
        raise LogError(f"{where}: no transactions on or before --until {until} (the log starts on {first_day}); "
                       "give a later --until")
    last_day = day.max()
    end = last_day if end is None else np.datetime64(end, "D")
    if end < until:
        end = until
    daily = (pd.DataFrame({"customer": tx["customer"].to_numpy(), "day": day,
                           "amount": tx["amount"].to_numpy(dtype=float)})
             .groupby(["customer", "day"], sort=True)["amount"].sum().reset_index())
    daily["n"] = 1
    total_days = len(daily)
    first = daily.groupby("customer", sort=True)["day"].transform("min")
    known = (first <= until).to_numpy()
    daily, first = daily[known], first[known]
    calib = (daily["day"] <= until).to_numpy()
    c = daily[calib]
    g = c.groupby("customer", sort=True)
    firsts = g["day"].min()
    customers = firsts.index.to_numpy()
    x = g["n"].sum().to_numpy() - 1
    t_x = (g["day"].max() - firsts).dt.days.to_numpy()
    T = ((pd.Timestamp(until) - firsts).dt.days).to_numpy()
    repeat = c[(c["day"] != first[calib]).to_numpy()]
    monetary = repeat.groupby("customer", sort=True)["amount"].mean().reindex(customers).to_numpy()
    hold = daily[(~calib) & (daily["day"] <= end).to_numpy()]
    holdout_x = hold.groupby("customer")["n"].sum().reindex(customers, fill_value=0).to_numpy()
    start = pd.Timestamp(first_day)
    tracked = daily[(daily["day"] != first).to_numpy() & (daily["day"] <= end).to_numpy()]
    return RFM(start=first_day, until=until, end=end, customers=customers, x=x.astype(float),
               t_x=t_x.astype(float), T=T.astype(float), monetary=monetary, holdout_x=holdout_x.astype(float),
               birth=(firsts - start).dt.days.to_numpy(), repeat_days=(tracked["day"] - start).dt.days.to_numpy(),
               counts={"rows": int(len(tx)), "transaction_days": int(total_days),
                       "calibration_transaction_days": int(calib.sum()),
                       "holdout_transaction_days": int(len(hold)),
                       "new_customers_after_until": int(pd.Series(tx["customer"].to_numpy()).nunique()
                                                        - len(customers)),
                       "rows_after_end": int((day > end).sum())})


# --------------------------------------------------------------------------------------- BG/NBD

def bgnbd_loglik(r, alpha, a, b, x, t_x, T) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under the BG/NBD (Fader, Hardie & Lee 2005a, eq. 6):

    L = B(a, b+x)/B(a, b) Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    alive = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    gone = np.where(x > 0, betaln(a + 1, b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return common + np.logaddexp(alive, gone)


def bgnbd_conditional_expected(t, r, alpha, a, b, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in (T, T+t] of a customer with history (x, t_x, T)
    (Fader, Hardie & Lee 2005a, eq. 10)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    z = t / (alpha + T + t)
    top = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                                       * hyp2f1(r + x, b + x, a + b + x - 1, z))
    bottom = 1 + np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return top / bottom


@dataclass
class MLFit:
    """A maximum-likelihood fit: estimates, standard errors (delta method from the log scale), the
    covariance of the log-parameters, the log-likelihood and how the optimiser ended."""
    names: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    cov_log: np.ndarray | None
    loglik: float
    n: int
    converged: bool
    message: str
    at_bound: list[str]

    def __getitem__(self, name: str) -> float:
        return float(self.estimate[self.names.index(name)])

    def se_of(self, name: str) -> float:
        return float(self.se[self.names.index(name)])

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in zip(self.names, self.estimate)}


def _hessian(grad, theta: np.ndarray, h: float = HESSIAN_STEP) -> np.ndarray:
    """Hessian at theta by central finite differences of the analytic gradient, symmetrised."""
    e = np.eye(theta.size) * h
    H = np.column_stack([(grad(theta + e[i]) - grad(theta - e[i])) / (2 * h) for i in range(theta.size)])
    return (H + H.T) / 2


def _ml_fit(names, negll, starts, n: int) -> MLFit:
    """Minimise a total negative log-likelihood over log-parameters (`negll(theta)` returns the value
    and its gradient) from several starts with L-BFGS-B; standard errors from the inverse Hessian."""
    from scipy.optimize import minimize
    scale = 1.0 / max(n, 1)

    def scaled(theta):
        value, grad = negll(theta)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros_like(theta)
        return value * scale, grad * scale

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
    best = None
    for start in starts:
        res = minimize(scaled, np.log(start), jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
        if best is None or res.fun < best.fun:
            best = res
    theta = best.x
    at_bound = [nm for nm, v in zip(names, theta) if abs(v) > LOG_BOUND - 1e-3]
    estimate = np.exp(theta)
    cov, se = None, np.full(len(names), np.nan)
    if not at_bound:
        H = _hessian(lambda t: negll(t)[1], theta)
        try:
            np.linalg.cholesky(H)
            cov = np.linalg.inv(H)
            se = estimate * np.sqrt(np.diag(cov))
        except np.linalg.LinAlgError:
            cov = None
    return MLFit(tuple(names), estimate, se, cov, float(-negll(theta)[0]), n, bool(best.success),
                 str(best.message), at_bound)


def _bgnbd_negll(theta, x, t_x, T, weight, counts=None):
    """Total negative log-likelihood (eq. 6) and its gradient in the log-parameters. `counts` =
    np.unique(x, return_inverse=True): the special functions of x are computed once per distinct x."""
    from scipy.special import digamma
    r, alpha, a, b = np.exp(theta)
    ux, at = counts if counts is not None else np.unique(x, return_inverse=True)
    ub1 = b + np.maximum(ux, 1) - 1
    # eq. 6 as in bgnbd_loglik, exp(common) (exp(alive) + exp(gone)), keeping each term's share
    common = (gammaln(r + ux) - gammaln(r) + r * np.log(alpha) - betaln(a, b))[at]
    beta_alive, beta_gone = betaln(a, b + ux)[at], np.where(ux > 0, betaln(a + 1, ub1), -np.inf)[at]
    log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    alive = beta_alive - (r + x) * log_aT
    gone = beta_gone - (r + x) * log_atx
    top = np.maximum(alive, gone)
    w_alive, w_gone = np.exp(alive - top), np.exp(gone - top)
    total = w_alive + w_gone
    ll = common + top + np.log(total)
    w_alive, w_gone = w_alive / total, w_gone / total
    d_abx = digamma(a + b + ux)
    d_r = (digamma(r + ux) - digamma(r) + np.log(alpha))[at] - w_alive * log_aT - w_gone * log_atx
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + T) + w_gone / (alpha + t_x))
    d_a = (digamma(a + b) - digamma(a) + w_alive * (digamma(a) - d_abx)[at]
           + w_gone * (digamma(a + 1) - d_abx)[at])
    d_b = (digamma(a + b) - digamma(b) + w_alive * (digamma(b + ux) - d_abx)[at]
           + w_gone * np.where(ux > 0, digamma(ub1) - d_abx, 0.0)[at])
    grad = np.array([weight @ d for d in (d_r, d_alpha, d_a, d_b)]) * np.exp(theta)
    return -float(weight @ ll), -grad


def fit_bgnbd(x, t_x, T) -> MLFit:
    """BG/NBD by maximum likelihood (FHL 2005a, eq. 6) on customers' (x, t_x, T), in the time unit of
    t_x and T. Customers with the same summary are counted once with a weight."""
    data = np.column_stack([np.asarray(v, dtype=float) for v in (x, t_x, T)])
    if not len(data) or not (data[:, 0] > 0).any():
        raise ValueError("no repeat transactions: the BG/NBD needs customers who bought on at least two days")
    rows, weight = np.unique(data, axis=0, return_counts=True)
    ux, ut, uT = rows.T
    weight = weight.astype(float)
    rate = max(data[:, 0].sum() / max(data[:, 2].sum(), 1e-9), 1e-6)     # repeats per unit of time
    starts = [(1.0, 1.0 / rate, 1.0, 3.0), (0.3, 0.3 / rate, 0.5, 10.0)]
    counts = np.unique(ux, return_inverse=True)
    return _ml_fit(BGNBD_PARAMS, lambda theta: _bgnbd_negll(theta, ux, ut, uT, weight, counts), starts,
                   len(data))


# ---------------------------------------------------------------------------------- Gamma-Gamma

def gamma_gamma_loglik(p, q, gamma, x, m) -> np.ndarray:
    """Log-likelihood of each customer's mean spend m over x repeat transactions under the Gamma-Gamma
    model (Fader, Hardie & Lee 2005b; Fader & Hardie 2013, eq. 3):

    L = Gamma(px+q) / (Gamma(px) Gamma(q)) gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q)
    """
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma) + (px - 1) * np.log(m)
            + px * np.log(x) - (px + q) * np.log(gamma + m * x))


def _gamma_gamma_negll(theta, x, m):
    """Total negative log-likelihood of the Gamma-Gamma model and its gradient in the log-parameters."""
    from scipy.special import digamma
    p, q, g = np.exp(theta)
    ll = gamma_gamma_loglik(p, q, g, x, m)
    d_pxq, log_gmx = digamma(p * x + q), np.log(g + m * x)
    d_p = x * (d_pxq - digamma(p * x) + np.log(m) + np.log(x) - log_gmx)
    d_q = d_pxq - digamma(q) + np.log(g) - log_gmx
    d_g = q / g - (p * x + q) / (g + m * x)
    grad = np.array([d.sum() for d in (d_p, d_q, d_g)]) * np.exp(theta)
    return -float(ll.sum()), -grad


def fit_gamma_gamma(x, m) -> MLFit:
    """Gamma-Gamma spend by maximum likelihood on customers with x > 0 repeat transactions of mean m > 0."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x > 0) & np.isfinite(m) & (m > 0)
    x, m = x[keep], m[keep]
    if not len(x):
        raise ValueError("no customers with repeat transactions of positive amount")
    mean = float(np.average(m, weights=x))
    return _ml_fit(GG_PARAMS, lambda theta: _gamma_gamma_negll(theta, x, m),
                   [(2.0, 3.0, mean), (1.0, 10.0, 4.5 * mean)], len(x))


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
    from .submodels.purchase_timing import bgnbd_expected_repeats
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


# ------------------------------------------------------------------------------------- outputs

def _param_block(fit: MLFit, units: dict[str, str] | None = None) -> dict:
    out = {}
    for k, est, se in zip(fit.names, fit.estimate, fit.se):
        se_log = se / est if np.isfinite(se) else np.nan
        out[k] = {"estimate": float(est), "se": None if not np.isfinite(se) else float(se),
                  "ci95": None if not np.isfinite(se_log) else [float(est * np.exp(-1.96 * se_log)),
                                                                float(est * np.exp(1.96 * se_log))]}
        if units and k in units:
            out[k]["unit"] = units[k]
    return out


def _purchase_ranges() -> dict[str, tuple[float, float]]:
    from .scenario import Purchase
    ranges = {}
    for k in BGNBD_PARAMS:
        lo, hi = -math.inf, math.inf
        for m in Purchase.model_fields[k].metadata:
            lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
            hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
        ranges[k] = (lo, hi)
    return ranges


def on_bounds(fit: MLFit) -> list[dict]:
    """The BG/NBD parameters consumers.yaml cannot hold as fitted: on the optimiser's bound e^+-LOG_BOUND
    (the data do not pin them down) or outside the range ptsim allows for purchase.* (they would be
    clipped to it), each with the value that would be written."""
    out = []
    for k, (lo, hi) in _purchase_ranges().items():
        v = fit[k]
        edge = math.exp(math.copysign(LOG_BOUND, math.log(v))) if k in fit.at_bound else None
        if edge is not None or not lo <= v <= hi:
            out.append({"parameter": k, "estimate": v, "optimiser_bound": edge, "range": [lo, hi],
                        "written": min(max(v, lo), hi)})
    return out


def bounds_text(fit: MLFit, bounds: list[dict]) -> str:
    """The parameters of on_bounds in words, and what writing them clipped does to the mean purchase
    rate r/alpha."""
    parts = []
    for b in bounds:
        k, v, (lo, hi) = b["parameter"], b["estimate"], b["range"]
        says = [] if b["optimiser_bound"] is None else \
            [f"sits on the optimiser's bound e^{'-' if v < 1 else ''}{LOG_BOUND:g} (the data do not pin it down)"]
        if not lo <= v <= hi:
            says.append(f"is {'below' if v < lo else 'above'} ptsim's range [{lo:g}, {hi:g}] for purchase.{k} "
                        f"(clipped to {b['written']:g})")
        parts.append(f"{k} = {v:.4g} " + " and ".join(says))
    values = {k: fit[k] for k in BGNBD_PARAMS} | {b["parameter"]: b["written"] for b in bounds}
    before, after = fit["r"] / fit["alpha"], values["r"] / values["alpha"]
    if not math.isclose(before, after, rel_tol=1e-6):
        parts.append(f"clipped, the mean purchase rate r/alpha is {after:.3g} a day, not the fitted {before:.3g} "
                     f"({after / before - 1:+.0%})")
    return "; ".join(parts)


def spend_block(spend: dict | None) -> tuple[dict | None, str]:
    """The Gamma-Gamma p and q consumers.yaml can set as ptsim's `spend` block, or None and why not."""
    if not spend:
        return None, "Gamma-Gamma was not fitted, so the spend block is left at ptsim's defaults. "
    est = {k: spend["parameters"][k]["estimate"] for k in ("p", "q")}
    if not spend.get("converged"):
        return None, "Gamma-Gamma did not converge, so the spend block is left at ptsim's defaults. "
    if not est["q"] > 2:
        return None, (f"Gamma-Gamma's q = {est['q']:.3g} is not above 2 (consumers' mean order values of infinite "
                      "variance, which ptsim's spend.q does not allow), so the spend block is left at its defaults. ")
    return est, ("spend.p and spend.q are the Gamma-Gamma estimates (order values relative to the category "
                 "base price in ptsim, so gamma, the scale, is not needed). ")


def fragment_text(fit: MLFit, source: str, until, n: int, extends: str | None, spend: dict | None = None) -> str:
    """consumers.yaml: the fitted purchase process (and, where it can, the Gamma-Gamma spend) as a scenario
    fragment, its values kept within the ranges ptsim allows (on_bounds lists those that are not)."""
    import json
    import textwrap
    bounds = on_bounds(fit)
    values = {k: fit[k] for k in BGNBD_PARAMS} | {b["parameter"]: b["written"] for b in bounds}
    se = ", ".join(f"{k} {fit.se_of(k):.3g}" for k in BGNBD_PARAMS)
    text = (f"ptsim's purchase process fitted by `ptsim fit-consumers` to {one_line(source)}, transactions up "
            f"to {until} ({n:,} customers): BG/NBD by maximum likelihood (Fader, Hardie & Lee 2005), time "
            f"unit the day. Standard errors: {se}; the rest is in fit.json. Only r, alpha, a and b of the purchase "
            "process are set: with purchase.modulations on (the default), festivals, ties and policies modulate "
            "this process as in any scenario. ")
    spend_values, spend_note = spend_block(spend)
    text += spend_note
    if bounds:
        text += f"Written with --allow-bounds, not as fitted: {bounds_text(fit, bounds)}; see fit.json. "
    if extends:
        text += (f"This file extends {one_line(extends)}, so it is a complete scenario: run it, or `extends:` "
                 "it from a scenario that changes levers on top.")
    else:
        text += ("A bare fragment: every other field keeps its schema default. To put these consumers into "
                 "a scenario, rerun with --extends SCENARIO (this file then extends it and is a complete "
                 "scenario), or copy the purchase block.")
    lines = textwrap.wrap(text, 98, initial_indent="# ", subsequent_indent="# ")
    if extends:
        lines += [f"extends: {json.dumps(extends)}", "name: consumers",
                  "description: " + json.dumps(f"{Path(extends).stem} with the purchase process fitted to "
                                               f"{one_line(Path(source).name)} up to {until}.")]
    lines += ["purchase:"] + [f"  {k}: {values[k]:.6g}" + ("    # days" if k == "alpha" else "")
                              for k in BGNBD_PARAMS]
    if spend_values:
        lines += ["spend:"] + [f"  {k}: {v:.6g}" for k, v in spend_values.items()]
    return "\n".join(lines) + "\n"


def check_out(out: Path) -> None:
    """Refuse an --out that is a file, a folder that is not empty or one that cannot be created."""
    if not str(out).strip():
        raise LogError("--out '': give a folder name (an empty one would write into the current folder)")
    if out.exists() and not out.is_dir():
        raise LogError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir():
        if any(out.iterdir()):
            raise LogError(f"{out}: folder exists and is not empty; choose another --out (nothing is overwritten)")
        if not os.access(out, os.W_OK | os.X_OK):
            raise LogError(f"{out}: folder is not writable; choose another --out")
        return
    ancestor = next(p for p in out.absolute().parents if p.exists())
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise LogError(f"{out}: cannot be created ({ancestor} is not a writable folder); choose another --out")


def fit_transactions(tx: pd.DataFrame, until, end=None, where: str = "the log") -> tuple[dict, RFM, MLFit]:
    """Fit BG/NBD and Gamma-Gamma to a table of transactions (columns customer, date, amount): the
    content of fit.json, the RFM summary and the BG/NBD fit."""
    rfm = summarise(tx, until, end, where)
    warnings = []
    try:
        bg = fit_bgnbd(rfm.x, rfm.t_x, rfm.T)
    except ValueError as exc:
        raise LogError(f"{where}: {exc} on or before --until {rfm.until}") from None
    for k in bg.at_bound:
        warnings.append(f"BG/NBD {k} ran to the optimiser's bound ({bg[k]:.3g}, e^+-{LOG_BOUND:g}): the data "
                        f"do not pin it down ({len(rfm.x):,} customers, {int((rfm.x > 0).sum()):,} with repeat "
                        "purchases); no standard errors")
    if bg.cov_log is None and not bg.at_bound:
        warnings.append("BG/NBD: the Hessian is not positive definite at the optimum; no standard errors")
    bgnbd = {"model": "BG/NBD (Fader, Hardie & Lee 2005, Marketing Science 24(2), eq. 6)",
             "time_unit": "days", "parameters": _param_block(bg, {"alpha": "days"}),
             "alpha_weeks": {"estimate": bg["alpha"] / 7,
                             "se": None if not np.isfinite(bg.se_of("alpha")) else bg.se_of("alpha") / 7},
             "log_likelihood": bg.loglik, "customers": bg.n, "converged": bg.converged,
             "mean_rate_per_day": bg["r"] / bg["alpha"], "mean_rate_per_week": 7 * bg["r"] / bg["alpha"],
             "mean_dropout_per_repeat": bg["a"] / (bg["a"] + bg["b"]),
             "correlation_log_parameters": None if bg.cov_log is None else
             np.round(bg.cov_log / np.sqrt(np.outer(np.diag(bg.cov_log), np.diag(bg.cov_log))), 4).tolist()}
    spend = None
    try:
        gg = fit_gamma_gamma(rfm.x, rfm.monetary)
    except ValueError as exc:
        warnings.append(f"Gamma-Gamma not fitted: {exc}")
    else:
        has = (rfm.x > 0) & np.isfinite(rfm.monetary) & (rfm.monetary > 0)
        p, q, g = gg["p"], gg["q"], gg["gamma"]
        spend = {"model": "Gamma-Gamma (Fader, Hardie & Lee 2005, Journal of Marketing Research 42(4))",
                 "amount_unit": "as in the log", "parameters": _param_block(gg), "log_likelihood": gg.loglik,
                 "customers": gg.n, "converged": gg.converged,
                 "mean_transaction_value": p * g / (q - 1) if q > 1 else None,
                 "corr_frequency_spend": float(np.corrcoef(rfm.x[has], rfm.monetary[has])[0, 1])
                 if has.sum() > 2 and np.ptp(rfm.x[has]) > 0 and np.ptp(rfm.monetary[has]) > 0 else None}
        if gg.at_bound or gg.cov_log is None:
            warnings.append("Gamma-Gamma: a parameter is not identified (at a bound, or a singular Hessian); "
                            "no standard errors")
    holdout = holdout_by_week(bg, rfm)
    result = {"calibration": {"first_day": str(rfm.start), "until": str(rfm.until),
                              "days": int((rfm.until - rfm.start).astype(int)) + 1,
                              "customers": int(len(rfm.x)), "repeat_transactions": int(rfm.x.sum()),
                              "customers_with_repeats": int((rfm.x > 0).sum()),
                              "rule": "one transaction-day per customer and date (amounts added); frequency = "
                                      "transaction-days after the first, recency and T in days from the first"},
              "counts": rfm.counts, "bgnbd": bgnbd, "gamma_gamma": spend, "holdout": holdout,
              "warnings": warnings}
    return result, rfm, bg


def fit_log(log, customer: str, date: str, amount: str, until: str, out, end: str | None = None,
            date_format: str | None = None, extends: str | Path | None = None, figures: bool = True,
            command: str | None = None, sep: str | None = None, encoding: str | None = None,
            dedupe: bool = False, allow_bounds: bool = False) -> dict:
    """Read a transaction log, fit, and write fit.json, consumers.yaml and fig_holdout.png (if there is a
    hold-out) to `out`. Every file is written atomically; fit.json last. Raises LogError on bad input."""
    from . import results
    from .scenario import ScenarioError, extends_ref, load_scenario
    log, out = Path(log), Path(out)
    until_day = parse_day(until, "--until")
    end_day = parse_day(end, "--end") if end is not None else None
    for option, day in (("--until", until_day), ("--end", end_day)):
        if day is not None and day > today():
            raise LogError(f"{option} {day}: after today ({today()} in the latest time zone); the calibration "
                           "and the hold-out must lie in the past, as the days they count have to be observed")
    if end_day is not None and end_day <= until_day:
        raise LogError(f"--end {end_day}: must be after --until {until_day} (the hold-out is the days after --until)")
    check_out(out)
    rel = None
    if extends is not None:
        try:
            load_scenario(extends)
        except ScenarioError as exc:
            raise LogError(f"--extends: {exc}") from None
        rel = extends_ref(extends, out)
    started = time.time()
    tx, dup = read_log(log, customer, date, amount, date_format, sep, encoding, dedupe)
    result, rfm, bg = fit_transactions(tx, until_day, end_day, str(log))
    if dup["rows"] and not dup["dropped"]:
        more = "" if dup["rows"] == 1 else f"; {dup['rows']:,} such rows"
        result["warnings"].insert(0, f"{dup['first']}: a copy of an earlier row (every column equal){more}; each "
                                     "copy adds its amount to the customer's spend that day (the BG/NBD counts the "
                                     "day once); --dedupe drops them")
    bounds = on_bounds(bg)
    if bounds and not allow_bounds:
        raise LogError(f"{log}: {bounds_text(bg, bounds)}; nothing written: give a longer log or a later "
                       "--until, or --allow-bounds to write consumers.yaml with these values")
    if bounds:
        result["warnings"].append(f"consumers.yaml: {bounds_text(bg, bounds)} (--allow-bounds)")
    yaml_text = fragment_text(bg, str(log), rfm.until, len(rfm.x), rel, result["gamma_gamma"])
    result = {"command": command or "ptsim.fit_consumers.fit_log", "log": str(log),
              "columns": {"customer": customer, "date": date, "amount": amount},
              "duplicates": {"rows": dup["rows"], "dropped": dup["dropped"], "rule": DUPLICATE_RULE},
              "bounds": {"allowed": allow_bounds, "parameters": bounds}, **result,
              "fragment": "consumers.yaml" + (f" (extends {rel})" if rel else " (purchase and spend blocks only)"),
              "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": round(time.time() - started, 2),
              "versions": results.versions()}
    files = ["consumers.yaml"]
    results.atomic_write_bytes(out / "consumers.yaml", yaml_text.encode())
    if figures and result["holdout"] is not None:
        track = tracking(bg, rfm)
        offset = int((rfm.until - rfm.start).astype(int))
        title = (f"{log.name}: {len(rfm.x):,} customers, calibration to {rfm.until}, hold-out "
                 f"{result['holdout']['weeks']:g} weeks")
        results.write_figures(out, {"fig_holdout": lambda: holdout_figure(track, offset, title)})
        files.append("fig_holdout.png")
    files.append("fit.json")
    result["files"] = files
    results.atomic_write_json(_finite(result), out / "fit.json")
    return result


def _finite(obj):
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
