"""The order log: every order of a run's recorded days, one row each (`--orders`, `orders=True`).

`attach(model, path)` starts a log on a built model, whose burn-in is over, so only recorded days are
logged. `PrivateTrafficModel.purchase` hands each batch to `record`, which does nothing for a model
without a log. The log copies a batch's columns into small numpy arrays and writes a Parquet row group
every `ROW_GROUP_ROWS` orders, so its memory stays bounded however long the run; `close()` finishes
the file (a temporary name, then a rename, as every results file) or, without a path, returns the
Arrow table. It only reads the batch: it draws no random numbers and changes no outcome. pyarrow and the
results module are imported when a log starts, so a model without one loads nothing more.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .calendar import NOMINAL_YEAR
from .orders import Channel, Prompt, Tier
from .scenario import CATEGORIES

ROW_GROUP_ROWS = 250_000              # orders buffered before a row group is written (~10 MB)
METADATA_KEY = b"ptsim.orders"        # the file's schema metadata: run, scenario, scale, calendar

PROMPTS = {Prompt.NEED: "need", Prompt.TOUCH: "touch", Prompt.WECHAT_TOUCH: "message",
           Prompt.INVITATION: "invitation", Prompt.DEFERRED: "deferred"}
CODES = {                             # column -> names of its codes, in code order
    "store_tier": tuple(t.name.lower() for t in Tier),
    "category": CATEGORIES,
    "channel": tuple(c.name.lower() for c in Channel),
    "prompt": tuple(PROMPTS[p] for p in Prompt),
    "tie_level": ("none", "visitor", "fan", "member", "group"),         # Level + 1
}

# unit and description of every column, in the file's order (results.column_metadata's `extra`)
COLUMNS: dict[str, tuple[str, str]] = {
    "run_id": ("-", "Run identifier: p<point>-r<replication>."),
    "day": ("day", "Simulation day of the order (0 = the first recorded day; the burn-in is not logged)."),
    "date": ("date", f"Calendar date of the day: day 0 is day run.start_day_of_year of the nominal year "
                     f"{NOMINAL_YEAR} (as in the figures), later days follow the calendar."),
    "consumer": ("agent", "Consumer agent (0 to population.consumers - 1); each stands for population.scale real "
                          "consumers."),
    "store": ("agent", "Store (merchant agent, 0 to population.merchants - 1)."),
    "store_tier": ("-", "The store's tier: top, growth or sme."),
    "category": ("-", "Product category of the order: " + ", ".join(CATEGORIES) + "."),
    "channel": ("-", "How the order reached the store: public (search, feed, placements), private (in the app "
                     "through a tie), direct (inside WeChat under WeChat direct), offplatform (diverted to the "
                     "store's own WeChat shop)."),
    "prompt": ("-", "What prompted the purchase: need (a need arose), touch (a private touch pulled a near need "
                    "forward), message (a WeChat community message did), invitation (an insider-sale invitation "
                    "did), deferred (a need deferred to a sale, bought on its day)."),
    "tie_level": ("-", "The consumer's tie to the store before the order: none, visitor, fan, member or group "
                       "(member of the store's group)."),
    "value": ("yuan", "What the one consumer paid for the order (agent scale); each row stands for population.scale "
                      "real orders (the file's ptsim.orders metadata gives the scale)."),
    "deal_depth": ("share of price", "Discount depth of the offer bought: the store's deal, the festival discount "
                                     "or the insider price (0 = full price; member prices and policies' discounts "
                                     "are not included)."),
    "insider": ("-", "Bought at an insider-sale price."),
    "repeat": ("-", "A repeat purchase: the consumer had bought before, anywhere (her synthetic history before "
                    "the simulation counts)."),
}


DICTIONARY_COLUMNS = [name for name in COLUMNS if name not in ("consumer", "value")]


def _types() -> dict:
    import pyarrow as pa
    coded = pa.dictionary(pa.int8(), pa.string())
    return {"run_id": pa.dictionary(pa.int32(), pa.string()), "day": pa.int32(), "date": pa.date32(),
            "consumer": pa.int32(), "store": pa.int32(), **{name: coded for name in CODES},
            "value": pa.float64(), "deal_depth": pa.float64(), "insider": pa.bool_(), "repeat": pa.bool_()}


def schema(metadata: dict | None = None):
    """The order log's schema (a pyarrow Schema): each column's unit and description in its field
    metadata, and `metadata` (the run, its scale and calendar) under METADATA_KEY."""
    import pyarrow as pa
    types = _types()
    fields = [pa.field(name, types[name], metadata={b"unit": unit.encode(), b"description": doc.encode()})
              for name, (unit, doc) in COLUMNS.items()]
    meta = None if metadata is None else {METADATA_KEY: json.dumps(metadata, sort_keys=True).encode()}
    return pa.schema(fields, metadata=meta)


def first_date(start_day_of_year: int) -> int:
    """Day 0's date as days since 1970-01-01 (Arrow's date32)."""
    start = np.datetime64(f"{NOMINAL_YEAR}-01-01", "D") + np.timedelta64(int(start_day_of_year), "D")
    return int(start.astype("datetime64[D]").astype(np.int64))


class OrderLog:
    """The orders of one run, buffered and written to `path` in row groups (or kept, without a path)."""

    def __init__(self, model, path: str | Path | None = None, run_id: str = ""):
        s = model.config
        self.path = None if path is None else Path(path)
        self.run_id = str(run_id)
        self.metadata = {"run_id": self.run_id, "scenario": s.name, "seed": str(model.seed),
                         "scale": s.population.agent_scale, "consumers": s.population.consumers,
                         "days": s.run.days, "start_day_of_year": s.run.start_day_of_year,
                         "nominal_year": NOMINAL_YEAR,
                         "rows": f"one row per order of the recorded days; each row stands for "
                                 f"population.scale = {s.population.agent_scale:g} real orders, its value is "
                                 "what one consumer paid (yuan)"}
        self.schema = schema(self.metadata)
        self._tier = model.merchants.tier.astype(np.int8)
        self._date0 = first_date(s.run.start_day_of_year)
        self._parts: list[tuple] = []
        self._buffered = 0
        self.rows = 0
        self._batches: list = []                        # kept without a path: pyarrow RecordBatches
        self._file = self._writer = self._tmp = None

    def add(self, day: int, orders) -> None:
        """Copy one batch of purchases (all of its fields filled) into the buffer."""
        n = len(orders)
        if n == 0:
            return
        self._parts.append((day, int(orders.prompt), n, orders.buyers.astype(np.int32),
                            orders.stores.astype(np.int32), self._tier[orders.stores],
                            orders.category.astype(np.int8), orders.channel.astype(np.int8),
                            (orders.level + 1).astype(np.int8), orders.value.astype(np.float64),
                            orders.depth.astype(np.float64), orders.insider.astype(bool),
                            orders.repeat.astype(bool)))
        self._buffered += n
        if self._buffered >= ROW_GROUP_ROWS:
            self.flush()

    def _batch(self):
        import pyarrow as pa
        day, prompt, n, *cols = zip(*self._parts)
        n = np.asarray(n)
        day = np.repeat(np.asarray(day, np.int32), n)
        consumer, store, tier, category, channel, level, value, depth, insider, repeat = map(np.concatenate, cols)
        run = pa.DictionaryArray.from_arrays(pa.array(np.zeros(day.size, np.int32)), pa.array([self.run_id]))

        def coded(name, codes):
            return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(CODES[name], pa.string()))
        arrays = [run, pa.array(day), pa.array(day + np.int32(self._date0)).cast(pa.date32()), pa.array(consumer),
                  pa.array(store), coded("store_tier", tier), coded("category", category), coded("channel", channel),
                  coded("prompt", np.repeat(np.asarray(prompt, np.int8), n)), coded("tie_level", level),
                  pa.array(value), pa.array(depth), pa.array(insider), pa.array(repeat)]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def flush(self) -> None:
        """Write the buffered orders as one row group (or keep them as a batch, without a path)."""
        if not self._parts:
            return
        batch = self._batch()
        self._parts, self._buffered = [], 0
        self.rows += batch.num_rows
        if self.path is None:
            self._batches.append(batch)
            return
        from . import results
        with results.writing(self.path):
            self._open()
            self._writer.write_batch(batch, row_group_size=batch.num_rows)

    def _open(self) -> None:
        import pyarrow.parquet as pq

        from . import results
        if self._writer is not None:
            return
        if not self.path.parent.is_dir():
            raise results.OutputError(f"{self.path.parent}: no such folder here to write the order log into (with a "
                                      "Dask cluster on other machines, --out must be a folder the workers share)")
        fd, self._tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        os.fchmod(fd, results.FILE_MODE)               # as every results file: 0644, not mkstemp's 0600
        self._file = os.fdopen(fd, "wb")
        # dictionary pages for the columns of few values only: for consumer and value (nearly one value a
        # row) they would hold a row group's worth of hash tables (peak +90 MB at 100,000 consumers)
        self._writer = pq.ParquetWriter(self._file, self.schema, use_dictionary=DICTIONARY_COLUMNS)

    def close(self):
        """Write what is left and finish: the file's path (renamed into place), or the Arrow table."""
        import pyarrow as pa

        from . import results
        self.flush()
        if self.path is None:
            return pa.Table.from_batches(self._batches, schema=self.schema)
        with results.writing(self.path):
            try:
                self._open()                            # a run without orders still gets its (empty) file
                self._writer.close()
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
                os.replace(self._tmp, self.path)
            except BaseException:
                self.abort()
                raise
        self._writer = self._file = self._tmp = None
        return self.path

    def abort(self) -> None:
        """Drop a log that will not be finished (the run failed): its temporary file is removed."""
        for close in (getattr(self._writer, "close", None), getattr(self._file, "close", None)):
            try:
                if close is not None:
                    close()
            except Exception:       # noqa: BLE001 - cleaning up after another error
                pass
        if self._tmp is not None:
            Path(self._tmp).unlink(missing_ok=True)
        self._writer = self._file = self._tmp = None
        self._parts, self._batches, self._buffered = [], [], 0


def attach(model, path: str | Path | None = None, run_id: str = "") -> OrderLog:
    """Log every later order of `model` to the Parquet file `path` (None: keep them; `close()` returns
    the table). Attach right after building the model to log every recorded day.

    >>> m = PrivateTrafficModel("baseline", rng=1)      # doctest: +SKIP
    >>> log = attach(m); m.run(); orders = log.close().to_pandas()    # doctest: +SKIP
    """
    model.order_log = OrderLog(model, path, run_id)
    return model.order_log


def record(model, orders) -> None:
    """Log a batch of purchases whose value, tie level and repeat flag are filled in, if the model has
    an order log (`attach`); nothing otherwise."""
    log = getattr(model, "order_log", None)
    if log is not None:
        log.add(model.record_day, orders)


def read_metadata(path: str | Path) -> dict:
    """The ptsim.orders metadata of an order log file (its run, scenario, scale and calendar)."""
    import pyarrow.parquet as pq
    meta = pq.read_schema(path).metadata or {}
    if METADATA_KEY not in meta:
        raise ValueError(f"no {METADATA_KEY.decode()} metadata: not an order log of ptsim")
    return json.loads(meta[METADATA_KEY])
