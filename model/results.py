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
_UMASK = os.umask(0)
os.umask(_UMASK)
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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see a partial file."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o666 & ~_UMASK)          # mkstemp makes 0600; results are ordinary files
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def atomic_write_parquet(df: pd.DataFrame, path: Path) -> None:
    import io
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
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
        "seeds": seeds,
        "scenarios": {k: {"digest": s.digest(), "resolved": s.to_dict()} for k, s in scenarios.items()},
        **extra,
    }
