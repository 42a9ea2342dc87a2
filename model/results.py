"""Writing results files atomically (Parquet, JSON, PNG) and the manifest; figures are drawn by
`plots`, the folder layout is `experiment.storage`'s."""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pandas as pd

from .scenario import Scenario

RESULTS_ROOT = Path("results")
FILE_MODE = 0o644          # every results file: readable by all, writable by its owner, whatever the umask
_PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "matplotlib", "dask", "SALib")


def default_out_dir(name: str) -> Path:
    """results/<name>-<timestamp> (a new folder per invocation)."""
    return RESULTS_ROOT / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


class OutputError(OSError):
    """A results file could not be written (disk full, read-only, a file where a folder should be);
    the message is one line naming the file. Whatever was there before is unchanged."""


@contextmanager
def writing(path: Path):
    """Turn an OSError while writing `path` into an OutputError naming it."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def check_output_folder(folder: Path) -> bool:
    """Refuse (ScenarioError, one line) an output folder that is a file, cannot be created or cannot be
    written; True when it already exists (the caller then checks what it holds)."""
    from .scenario import ScenarioError
    if folder.exists() and not folder.is_dir():
        raise ScenarioError(f"{folder}: exists and is not a folder; choose another --out")
    if not folder.exists():
        ancestor = next(p for p in folder.absolute().parents if p.exists())
        if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
            raise ScenarioError(f"{folder}: cannot be created ({ancestor} is not a writable folder); choose "
                                "another --out")
        return False
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ScenarioError(f"{folder}: folder is not writable; choose another --out")
    return True


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see a partial file."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, FILE_MODE)                # mkstemp makes 0600; results are ordinary files
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# Units and descriptions of the columns of ptsim's tables that are not outcomes or scenario fields.
# "outcome unit" = the unit of the row's outcome (its `unit` column, from ptsim.outcomes).
COLUMNS: dict[str, tuple[str, str]] = {
    "run_id": ("-", "Run identifier: p<point>-r<replication>."),
    "point": ("-", "Design point (0, 1, ...): one setting of the scenario or the swept fields."),
    "scenario": ("-", "Scenario name (the design point's label)."),
    "replication": ("-", "Replication number; replication k of every point uses the same seed (common random "
                         "numbers)."),
    "seed": ("-", "Seed of the replication's random numbers (spawned from the root seed)."),
    "status": ("-", "ok, failed or missing."),
    "burn_in_cached": ("-", "Whether the run's warm state after the burn-in came from the warm-state cache "
                            "(True) or was simulated (False); the numbers are the same either way."),
    "error": ("-", "Error message of a failed run (empty otherwise)."),
    "day": ("day", "Simulation day (0 = the first recorded day, run.start_day_of_year of the calendar)."),
    "reference": ("-", "The scenario the differences are taken against (same seeds)."),
    "outcome": ("-", "Outcome name (see ptsim.outcomes / docs/ODD.md)."),
    "unit": ("-", "Unit of the row's outcome."),
    "parameter": ("-", "Scenario field (dotted path) varied in the design."),
    "n": ("runs", "Finished replications the statistics are over."),
    "n_pairs": ("runs", "Replications paired by seed with the reference."),
    "mean": ("outcome unit", "Mean over replications."),
    "std": ("outcome unit", "Standard deviation over replications."),
    "low": ("outcome unit", "Lower end of the 95% confidence interval of the mean over replications."),
    "high": ("outcome unit", "Upper end of the 95% confidence interval of the mean over replications."),
    "pct_mean": ("% of reference mean", "Mean paired difference in % of the reference's mean."),
    "pct_low": ("% of reference mean", "Lower end of the 95% confidence interval of pct_mean."),
    "pct_high": ("% of reference mean", "Upper end of the 95% confidence interval of pct_mean."),
    "unpaired_low": ("outcome unit", "Lower end of the 95% interval of the difference ignoring the pairing "
                                     "(Welch)."),
    "unpaired_high": ("outcome unit", "Upper end of the 95% interval of the difference ignoring the pairing "
                                      "(Welch)."),
    "share_parameter": ("share", "Share of the variance caused by parameter uncertainty (posterior draws)."),
    "S1": ("share of variance", "First-order sensitivity index."),
    "S1_conf": ("share of variance", "Half-width of the 95% confidence interval of S1."),
    "ST": ("share of variance", "Total-order sensitivity index (Sobol)."),
    "ST_conf": ("share of variance", "Half-width of the 95% confidence interval of ST."),
    "mu": ("outcome unit", "Morris mean elementary effect over the parameter's full range."),
    "mu_star": ("outcome unit", "Morris mean absolute elementary effect over the parameter's full range."),
    "mu_star_conf": ("outcome unit", "Half-width of the 95% confidence interval of mu_star."),
    "sigma": ("outcome unit", "Standard deviation of the Morris elementary effects (interactions, "
                              "non-linearity)."),
    "trial": ("-", "Optuna trial number."),
    "state": ("-", "Trial state (complete, pruned, fail, running, interrupted)."),
    "loss": ("-", "Calibration loss: sum of weight x squared distance outside the band in half-widths."),
    "reps": ("runs", "Replications run in the trial."),
    "seconds": ("s", "Wall-clock time of the trial."),
    "weight": ("share", "Relative likelihood exp(-(loss - best)/2) of a trial near the best, normalised to sum "
                        "to 1 (of the points tried: not a posterior)."),
}


def column_metadata(name: str, extra: dict | None = None) -> dict[str, str]:
    """{"unit": ..., "description": ...} of a table column: an outcome (from ptsim.outcomes), a key or
    statistic (`COLUMNS`), a dotted scenario field (from the scenario schema), or `extra[name]`."""
    from .outcomes import OUTCOME_NAMES, outcome
    if extra and name in extra:
        unit, description = extra[name]
    elif name in OUTCOME_NAMES:
        o = outcome(name)
        return {"unit": o.unit, "description": o.doc, "label": o.label}
    elif name in COLUMNS:
        unit, description = COLUMNS[name]
    else:
        unit, description = _scenario_field(name)
    return {"unit": unit, "description": description}


def _scenario_field(name: str) -> tuple[str, str]:
    from .scenario import schema_field
    _, field = schema_field(name)
    if field is None or name.split(".")[-1].isdigit():
        return "-", f"{name} (not a model outcome or scenario field)"
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return str(extra.get("unit", "-")), f"Scenario field {name}: {field.description or ''}".strip()


def with_units(table, extra: dict | None = None):
    """The Arrow table with each column's unit and description in its field metadata (the table's
    own metadata, e.g. pandas', is kept)."""
    import pyarrow as pa
    fields = []
    for f in table.schema:
        meta = dict(f.metadata or {})
        meta.update({k.encode(): v.encode() for k, v in column_metadata(f.name, extra).items()})
        fields.append(f.with_metadata(meta))
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def atomic_write_parquet(df: pd.DataFrame, path: Path, extra: dict | None = None) -> None:
    """Write a table as Parquet, each column's unit and description in its schema field metadata
    (`extra`: name -> (unit, description) for columns ptsim cannot describe itself)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    buf = io.BytesIO()
    pq.write_table(with_units(pa.Table.from_pandas(df, preserve_index=False), extra), buf)
    atomic_write_bytes(path, buf.getvalue())


def atomic_write_json(obj, path: Path) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())


def write_figures(folder: Path, makers: dict) -> dict[str, Path]:
    """Render each figure (`name -> function returning a Figure`) to folder/name.png atomically."""
    import io

    import matplotlib.pyplot as plt
    paths = {}
    for name, make in makers.items():
        fig = make()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        paths[name] = Path(folder) / f"{name}.png"
        atomic_write_bytes(paths[name], buf.getvalue())
    return paths


def git_commit() -> str | None:
    """The commit checked out in the git checkout this package was imported from (the folder above
    `model/`, in a source tree or an editable install), read from `.git` without running git; None
    for an installed package, or when it cannot be read."""
    root = Path(__file__).resolve().parent.parent
    try:
        git = root / ".git"
        if git.is_file():                                   # a worktree or submodule: "gitdir: <path>"
            text = git.read_text(encoding="utf-8").strip()
            if not text.startswith("gitdir:"):
                return None
            git = (root / text.removeprefix("gitdir:").strip()).resolve()
        if not (git / "HEAD").is_file():
            return None
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head if _is_sha(head) else None          # a detached HEAD
        ref = head.removeprefix("ref:").strip()
        folders = [git]
        if (git / "commondir").is_file():                   # a worktree keeps its branches in the main .git
            folders.append((git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve())
        for folder in folders:
            if (folder / ref).is_file():
                sha = (folder / ref).read_text(encoding="utf-8").strip()
                return sha if _is_sha(sha) else None
        for folder in folders:
            if (folder / "packed-refs").is_file():
                for line in (folder / "packed-refs").read_text(encoding="utf-8").splitlines():
                    sha, _, name = line.partition(" ")
                    if name.strip() == ref and _is_sha(sha):
                        return sha
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def versions() -> dict[str, str]:
    """Python's and the packages' versions; ptsim's from its metadata, else from the source tree."""
    from . import __version__
    v = {"python": platform.python_version()}
    for p in ("ptsim",) + _PACKAGES:
        try:
            v[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            if p == "ptsim":
                v[p] = __version__
    return v


def manifest(scenarios: dict[str, Scenario], seeds: list[int], **extra) -> dict:
    from . import __version__
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "ptsim_version": __version__,
        "git_commit": git_commit(),
        "versions": versions(),
        "seeds": [str(s) for s in seeds],   # decimal strings, as everywhere in manifests: 63-bit seeds are
                                            # beyond the exact integers of JSON readers that use doubles
        "scenarios": {k: {"digest": s.digest(), "resolved": s.to_dict()} for k, s in scenarios.items()},
        **extra,
    }
