"""Where an experiment's runs go: a folder (one Parquet file per run, compacted at the end) or memory.

Folder layout::

    manifest.json          design, seeds, resolved scenarios, versions, git commit
    points.parquet         the design: one row per point (point, scenario, parameters)
    runs/<run_id>.parquet  one finished run: its daily outcomes, its summary row in the file metadata
    runs/<run_id>.error.json  one failed run: error and traceback
    orders/<run_id>.parquet   with --orders: one finished run's orders, one row each (order_log.py), written
                           by the worker as the run goes
    runs.parquet           one row per run: run_id, point, scenario, replication, seed, status, outcomes
    timeseries.parquet     run_id, day, daily outcomes (streamed from the per-run files)

Every file is written atomically (temporary file + rename), so a killed experiment leaves only whole
files; `--resume` reruns just the runs without a result (with --orders, also those without their
order log). A file that cannot be read (damaged or rewritten since) is a one-line ScenarioError naming
it and what to do; no run file is ever removed.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import results
from ..scenario import ScenarioError

RUN_KEY = b"ptsim.run"
_ROW_GROUP_ROWS = 250_000
_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, pa.ArrowException)   # a damaged file


def _reason(exc: BaseException) -> str:
    """The first line of a read error (pyarrow's may span several and repeat the file's name)."""
    text = re.sub(r"^Could not open Parquet input source '.*?': ", "", str(exc).strip())
    return text.splitlines()[0] if text else type(exc).__name__


def read_manifest(path: Path) -> dict:
    """An experiment's manifest.json; a ScenarioError when it is not a JSON object (nothing else says
    which design the runs belong to, so such a folder can be neither resumed nor loaded)."""
    try:
        manifest = json.loads(path.read_text())
        problem = None if isinstance(manifest, dict) and isinstance(manifest.get("design", {}), dict) \
            else "not an experiment's manifest"
    except _READ_ERRORS as exc:
        problem = f"not JSON: {_reason(exc)}" if isinstance(exc, ValueError) else _reason(exc)
    if problem:
        raise ScenarioError(f"{path}: cannot be read ({problem}); it says which design the runs belong to, so the "
                            "folder can be neither resumed nor loaded: run the experiment again with another --out")
    return manifest


def read_table(path: Path) -> pd.DataFrame:
    """One of a finished folder's tables; a ScenarioError when it cannot be read (`--resume` rebuilds it)."""
    try:
        return pd.read_parquet(path)
    except _READ_ERRORS as exc:
        raise ScenarioError(f"{path}: cannot be read ({_reason(exc)}); to rebuild it from the runs under runs/, "
                            f"run the experiment's command again with --resume --out {path.parent}") from None


def _damaged_run(path: Path, problem: str) -> ScenarioError:
    return ScenarioError(f"{path}: cannot be read ({problem}); remove it to have that run redone by --resume, "
                         "or start a new folder with another --out")


def check_order_log(path: Path, run_id: str) -> None:
    """A ScenarioError naming an order log file that is damaged or holds another run's orders."""
    from ..order_log import read_metadata
    try:
        meta = read_metadata(path)
    except _READ_ERRORS as exc:
        raise _damaged_run(path, _reason(exc)) from None
    if meta.get("run_id") != run_id:
        raise _damaged_run(path, f"it holds the orders of run {meta.get('run_id')}")


def read_record(path: Path, run_id: str) -> dict:
    """The record of run `run_id` from runs/<run_id>.parquet (its metadata) or runs/<run_id>.error.json;
    a ScenarioError naming a file that is damaged or holds another run."""
    try:
        if path.suffix == ".json":
            record = json.loads(path.read_text())
        else:
            meta = pq.read_schema(path).metadata or {}
            if RUN_KEY not in meta:
                raise _damaged_run(path, f"no {RUN_KEY.decode()} record: not a run file of ptsim")
            record = json.loads(meta[RUN_KEY])
    except _READ_ERRORS as exc:
        raise _damaged_run(path, _reason(exc)) from None
    if not isinstance(record, dict) or not isinstance(record.get("summary", {}), dict):
        raise _damaged_run(path, "not a run record")
    if record.get("run_id", run_id) != run_id:
        raise _damaged_run(path, f"it holds run {record['run_id']}")
    return record


@dataclass
class Experiment:
    """An experiment's tables: `manifest` (dict), `points` (the design), `runs` (one row per run)
    and `timeseries` (run_id, day, outcomes; read from disk on first use)."""
    manifest: dict
    points: pd.DataFrame
    runs: pd.DataFrame
    folder: Path | None = None
    _timeseries: pd.DataFrame | None = field(default=None, repr=False)
    _orders: dict | None = field(default=None, repr=False)      # run_id -> Arrow table, kept in memory

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        if self._timeseries is not None:
            return self._timeseries
        return read_table(self.folder / "timeseries.parquet")

    @property
    def ok(self) -> pd.DataFrame:
        """The runs that finished."""
        return self.runs[self.runs["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] != "ok"]

    def order_files(self, runs=None) -> dict[str, Path]:
        """The order log file of each finished run (or of `runs`, run ids), by run id; a ScenarioError when
        the experiment ran without orders, a run is unknown or did not finish, or its file is missing."""
        if not self.manifest.get("orders"):
            where = self.folder or "this experiment"
            raise ScenarioError(f"{where}: no order log; run the experiment with --orders (orders=True)")
        ok = list(self.ok["run_id"])
        wanted = ok if runs is None else [runs] if isinstance(runs, str) else list(runs)
        for rid in wanted:
            if rid not in ok:
                known = "unknown run" if rid not in set(self.runs["run_id"]) else "the run did not finish"
                raise ScenarioError(f"orders: {rid}: {known}; the finished runs are {', '.join(ok) or 'none'}")
        if self.folder is None:
            return {rid: None for rid in wanted}
        files = {rid: self.folder / "orders" / f"{rid}.parquet" for rid in wanted}
        for rid, path in files.items():
            if not path.is_file():
                raise ScenarioError(f"{path}: missing; finish the experiment with --resume --orders --out "
                                    f"{self.folder} to log that run's orders again")
        return files

    def orders_dataset(self, runs=None):
        """The order log of the finished runs (or `runs`) as a pyarrow Dataset: filter, select and aggregate
        without reading it whole (`.to_table(columns=..., filter=...)`, `.scanner(...)`)."""
        import pyarrow.dataset as ds

        from ..order_log import schema
        files = self.order_files(runs)
        if self.folder is None:
            return ds.dataset([self._orders[rid] for rid in files], schema=schema()) if files else \
                ds.dataset(schema().empty_table())
        return ds.dataset([str(p) for p in files.values()], format="parquet", schema=schema())

    def orders(self, runs=None, columns=None) -> pd.DataFrame:
        """The orders of the finished runs (or `runs`, run ids), one row each, with the columns of
        `order_log.COLUMNS` (or `columns`; dates as datetime64, coded columns as categoricals): read when
        called, from out/orders/. A year of 100,000 consumers is millions of rows: read a few runs or columns
        at a time, or use `orders_dataset()`."""
        return self.orders_dataset(runs).to_table(columns=columns).to_pandas(date_as_object=False)

    def labelled_timeseries(self) -> pd.DataFrame:
        """Timeseries with the run's point, scenario and replication (as the plots expect)."""
        keys = self.runs[["run_id", "point", "scenario", "replication"]]
        return keys.merge(self.timeseries, on="run_id", how="inner")


class ExperimentView:
    """Results built on one experiment (comparisons, sweeps) expose its tables under the same names."""

    experiment: Experiment

    @property
    def runs(self) -> pd.DataFrame:
        return self.experiment.runs

    @property
    def points(self) -> pd.DataFrame:
        return self.experiment.points

    @property
    def timeseries(self) -> pd.DataFrame:
        """Daily outcomes of the finished runs, labelled with scenario and replication."""
        return self.experiment.labelled_timeseries()

    def orders(self, runs=None, columns=None) -> pd.DataFrame:
        """The order log of the finished runs (`Experiment.orders`)."""
        return self.experiment.orders(runs, columns)

    def orders_dataset(self, runs=None):
        """The order log as a pyarrow Dataset (`Experiment.orders_dataset`)."""
        return self.experiment.orders_dataset(runs)


def load_experiment(folder: str | Path) -> Experiment:
    """Read a finished experiment folder (as written by `ptsim run`/`compare`/`sweep` or `run_experiment`).

    >>> exp = load_experiment("results/compare-baseline")        # doctest: +SKIP
    >>> exp.runs.groupby("scenario")["gmv_total"].mean()           # doctest: +SKIP
    """
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise ScenarioError(f"{folder}: not an experiment folder (no manifest.json)")
    if not (folder / "runs.parquet").is_file():
        raise ScenarioError(f"{folder}: experiment not finished (no runs.parquet); finish it with --resume")
    return Experiment(read_manifest(path), read_table(folder / "points.parquet"),
                      read_table(folder / "runs.parquet"), folder)


# ------------------------------------------------------------------------- tables
def runs_table(design, records: dict[str, dict], outcomes=()) -> pd.DataFrame:
    """One row per run of `design` in (point, replication) order, from run records by run_id;
    `outcomes` get a column even when no run finished."""
    label = dict(zip(design.points["point"], design.points["scenario"]))
    cached = any("burn_in_cached" in rec for rec in records.values())      # runs of ptsim's model
    rows = []
    for run_id, point, rep in sorted(design.run_ids(), key=lambda r: (r[1], r[2])):
        rec = records.get(run_id, {})
        rows.append({"run_id": run_id, "point": point, "scenario": label[point], "replication": rep,
                     "seed": design.seeds[rep], "status": rec.get("status", "missing"),
                     **({"burn_in_cached": rec.get("burn_in_cached")} if cached else {}),
                     **rec.get("summary", {}), "error": rec.get("error")})
    df = pd.DataFrame(rows)
    if cached:
        df["burn_in_cached"] = df["burn_in_cached"].astype("boolean")
    for name in outcomes:
        if name not in df:
            df[name] = float("nan")
    df["error"] = df.pop("error").astype("string")      # last column, typed even when all missing
    return df


def _run_table(record: dict, timeseries: pd.DataFrame | None) -> pa.Table:
    """A run's Parquet table: its daily outcomes, with the run record as file metadata."""
    if timeseries is None or timeseries.empty:
        table = pa.table({"day": pa.array([], pa.int64())})
    else:
        table = pa.Table.from_pandas(timeseries.reset_index(), preserve_index=False)
    return results.with_units(table).replace_schema_metadata({RUN_KEY: json.dumps(record).encode()})


class MemoryStore:
    """Keeps records and timeseries in memory (small experiments, notebooks, pure model functions)."""

    def __init__(self):
        self.records: dict[str, dict] = {}
        self.series: dict[str, pd.DataFrame] = {}
        self.orders: dict[str, pa.Table] = {}
        self.folder = None

    def check(self, resume: bool) -> None:
        pass

    def prepare(self, design, manifest: dict, resume: bool) -> set[str]:
        self.manifest = manifest
        return set()

    def finished(self, design) -> set[str]:
        return set()

    def save(self, record: dict, timeseries: pd.DataFrame | None, orders=None) -> None:
        self.records[record["run_id"]] = record
        if timeseries is not None and not timeseries.empty:
            self.series[record["run_id"]] = timeseries
        if orders is not None:
            self.orders[record["run_id"]] = orders

    def finish(self, design, outcomes=()) -> Experiment:
        runs = runs_table(design, self.records, outcomes)
        frames = [ts.reset_index().assign(run_id=rid) for rid, ts in sorted(self.series.items())]
        ts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"run_id": [], "day": []})
        ts = ts[["run_id"] + [c for c in ts.columns if c != "run_id"]]
        return Experiment(self.manifest, design.points, runs, None, ts,
                          self.orders if self.manifest.get("orders") else None)


class FolderStore:
    """An experiment folder: per-run files while running, tidy tables at the end."""

    def __init__(self, folder: str | Path):
        if not str(folder).strip():           # Path("") would be the current folder
            raise ScenarioError("--out '': give a folder name (an empty one would write into the current folder)")
        self.folder = Path(folder)
        self.runs_dir = self.folder / "runs"
        self.orders_dir = self.folder / "orders"

    def check(self, resume: bool) -> None:
        """Refuse, before anything starts, a folder this experiment must not write into: a file, a
        folder that cannot be created or written, or one already in use (without `resume`)."""
        folder = self.folder
        if not results.check_output_folder(folder):
            return
        if resume:
            if not (folder / "manifest.json").is_file() and any(
                    p.name not in ("runs", "orders") and not p.name.endswith(".tmp") for p in folder.iterdir()):
                raise ScenarioError(f"{folder}: --resume: the folder holds no experiment (no manifest.json) and "
                                    "is not empty; choose another --out")
            return
        if (folder / "manifest.json").is_file():
            raise ScenarioError(f"{folder}: already holds an experiment; pass --resume to finish it, or "
                                "choose another --out")
        if any(folder.iterdir()):
            raise ScenarioError(f"{folder}: folder exists and is not empty; choose another --out")

    def finished(self, design) -> set[str]:
        """Run ids of the design with a result file already (what --resume would not run), read-only."""
        wanted = {rid for rid, _, _ in design.run_ids()}
        return {p.name[: -len(".parquet")] for p in self.runs_dir.glob("*.parquet")} & wanted

    def prepare(self, design, manifest: dict, resume: bool) -> set[str]:
        """Start or resume: check the folder, that the design matches and that every finished run's
        file can be read, clear leftovers, return finished run ids."""
        self.check(resume)
        path = self.folder / "manifest.json"
        if path.is_file():
            old = read_manifest(path)
            was = old.get("design", {})
            now = _as_written_before_order(manifest["design"], was)
            diff = [k for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k)]
            if diff:
                raise ScenarioError(f"{self.folder}: --resume: the folder holds a different design "
                                    f"(differs in: {', '.join(diff)}); use another --out")
            if old.get("command", manifest.get("command")) != manifest.get("command"):
                raise ScenarioError(f"{self.folder}: --resume: the folder holds an experiment of `ptsim "
                                    f"{old['command']}`, not `{manifest['command']}`; use another --out")
            if old.get("orders") and not manifest.get("orders"):
                raise ScenarioError(f"{self.folder}: --resume: the folder's runs log their orders (orders/); pass "
                                    "--orders (orders=True) to finish it, or use another --out")
            manifest["created"] = old.get("created", manifest.get("created"))
            manifest["resumed"] = old.get("resumed", []) + [time.strftime("%Y-%m-%dT%H:%M:%S%z")]
        wanted = {r[0] for r in design.run_ids()}
        done = {p.name[: -len(".parquet")] for p in self.runs_dir.glob("*.parquet")} & wanted
        for run_id in sorted(done):                  # before anything is written or run
            read_record(self.runs_dir / f"{run_id}.parquet", run_id)
        orders = bool(manifest.get("orders"))
        if orders:                                   # a finished run without its order log is run again
            done = {r for r in done if (self.orders_dir / f"{r}.parquet").is_file()}
            for run_id in sorted(done):
                check_order_log(self.orders_dir / f"{run_id}.parquet", run_id)
        with results.writing(self.runs_dir):
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            if orders:
                self.orders_dir.mkdir(exist_ok=True)
            for tmp in [*self.folder.glob(".*.tmp"), *self.runs_dir.glob(".*.tmp"), *self.orders_dir.glob(".*.tmp")]:
                tmp.unlink(missing_ok=True)                  # leftovers of a killed writer
        self.manifest = manifest
        results.atomic_write_json(manifest, path)
        results.atomic_write_parquet(design.points, self.folder / "points.parquet")
        return done

    def save(self, record: dict, timeseries: pd.DataFrame | None, orders=None) -> None:
        """Write a run's file (its order log, if any, the worker has written already)."""
        rid = record["run_id"]
        if record["status"] == "ok":
            buf = io.BytesIO()
            pq.write_table(_run_table(record, timeseries), buf)
            results.atomic_write_bytes(self.runs_dir / f"{rid}.parquet", buf.getvalue())
            (self.runs_dir / f"{rid}.error.json").unlink(missing_ok=True)
        else:
            results.atomic_write_json(record, self.runs_dir / f"{rid}.error.json")

    def _records(self, design) -> dict[str, dict]:
        out = {}
        for run_id, _, _ in design.run_ids():
            ok, err = self.runs_dir / f"{run_id}.parquet", self.runs_dir / f"{run_id}.error.json"
            if ok.is_file():
                out[run_id] = read_record(ok, run_id)
            elif err.is_file():
                out[run_id] = read_record(err, run_id)
        return out

    def finish(self, design, outcomes=()) -> Experiment:
        """Compact per-run files into runs.parquet and timeseries.parquet; update the manifest."""
        runs = runs_table(design, self._records(design), outcomes)
        self._compact_timeseries(runs.loc[runs["status"] == "ok", "run_id"])
        results.atomic_write_parquet(runs, self.folder / "runs.parquet")     # last: marks the folder finished
        counts = runs["status"].value_counts().to_dict()
        self.manifest.update(finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"), status=counts)
        results.atomic_write_json(self.manifest, self.folder / "manifest.json")
        return Experiment(self.manifest, design.points, runs, self.folder)

    def _compact_timeseries(self, run_ids) -> None:
        """Stream per-run tables into one Parquet file, a row group per ~250k rows."""
        target = self.folder / "timeseries.parquet"
        with results.writing(target):
            self._stream_timeseries(run_ids, target)

    def _stream_timeseries(self, run_ids, target: Path) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{target.name}.", suffix=".tmp")
        os.fchmod(fd, results.FILE_MODE)                # as atomic_write_bytes: 0644, not mkstemp's 0600
        os.close(fd)
        writer, batch, rows = None, [], 0
        try:
            for rid in run_ids:
                path = self.runs_dir / f"{rid}.parquet"
                try:
                    t = pq.read_table(path).replace_schema_metadata(None)
                except _READ_ERRORS as exc:       # its record was whole, its daily outcomes are not
                    raise _damaged_run(path, _reason(exc)) from None
                if t.num_rows == 0:
                    continue
                batch.append(results.with_units(t.add_column(0, "run_id", pa.array([rid] * t.num_rows, pa.string()))))
                rows += t.num_rows
                if rows >= _ROW_GROUP_ROWS:
                    writer = writer or pq.ParquetWriter(tmp, batch[0].schema)
                    writer.write_table(pa.concat_tables(batch))
                    batch, rows = [], 0
            if batch:
                writer = writer or pq.ParquetWriter(tmp, batch[0].schema)
                writer.write_table(pa.concat_tables(batch))
            if writer is None:
                pq.write_table(results.with_units(pa.table({"run_id": pa.array([], pa.string()),
                                                            "day": pa.array([], pa.int64())})), tmp)
            else:
                writer.close()
            os.replace(tmp, target)
        except BaseException:
            try:
                if writer is not None:
                    writer.close()
            finally:
                Path(tmp).unlink(missing_ok=True)
            raise


def _as_written_before_order(design: dict, old: dict) -> dict:
    """`design` (an identity) as a folder written before the order of its grid and ranges was kept
    records it, by name, when `old` is such a folder's: the points digest still tells their order."""
    spec, was = dict(design.get("spec", {})), old.get("spec")
    if not isinstance(was, dict):
        return design
    if isinstance(was.get("params"), dict) and isinstance(spec.get("params"), list):
        spec["params"] = {name: [lo, hi] for name, lo, hi in spec["params"]}
    if isinstance(was.get("grid"), dict) and isinstance(spec.get("grid"), list):
        spec["grid"] = dict(spec["grid"])
    return {**design, "spec": spec}
