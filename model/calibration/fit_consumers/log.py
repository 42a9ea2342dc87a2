"""Reading a transaction log (CSV or Parquet; customer, date, amount) and each customer's RFM summary,
with one line naming the file, the row and the column for any malformed value."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import InputError, quote

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
