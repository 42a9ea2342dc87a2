"""The warm state: the model after its burn-in, cached on disk so that arms sharing it pay for it once.

The burn-in simulates the status quo (the scenario's non-policy fields, default levers), so every arm
of a comparison with the same seed reaches the same state on record day 0. That state (every numpy
array of consumers, merchants and the status-quo policies, the random streams' positions and a few
scalars) is saved under a key hashing the status-quo scenario, the seed, the burn-in and the source
code of the package, and loaded instead of simulated next time. Files are plain `.npz` arrays and
JSON (no pickle), written atomically; a lock makes parallel workers that need the same state wait
for the one computing it. Results with and without the cache are identical (tested).

Location: `$PTSIM_CACHE` if set, else `$XDG_CACHE_HOME/ptsim/warm` (default `~/.cache/ptsim/warm`).
Each version of the code keeps its states in a subfolder named by its fingerprint; the first state a
new version writes deletes the other versions' folders, so the cache holds one version's states. Safe
to delete at any time; `ptsim cache --clear` does it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

FORMAT = 1


def cache_dir() -> Path:
    """Where warm states are kept."""
    if os.environ.get("PTSIM_CACHE"):
        return Path(os.environ["PTSIM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ptsim" / "warm"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the package's source, so a changed model never reads a state an older one wrote."""
    h = hashlib.sha256(np.__version__.encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_key(status_quo, stream_root) -> str:
    """Key of a warm state: the status-quo scenario's fields that shape the burn-in, and the seed."""
    fields = status_quo.to_dict()
    for name in ("name", "description"):
        fields.pop(name, None)
    for name in ("days", "reps", "seed"):
        fields["run"].pop(name, None)
    entropy, spawn_key = stream_root
    text = json.dumps({"format": FORMAT, "fields": fields, "entropy": str(entropy),
                       "spawn_key": [int(k) for k in spawn_key], "code": code_fingerprint()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _holders(model) -> dict[str, object]:
    """Objects whose arrays and scalars make up the state, by a stable name."""
    out = {"consumers": model.consumers, "merchants": model.merchants}
    out.update({f"policy.{p.name}": p for p in model.policies})
    return out


def snapshot(model) -> tuple[dict[str, np.ndarray], dict]:
    """The model's state: arrays by 'holder/attribute', and JSON-able scalars and stream positions."""
    arrays, scalars = {}, {}
    for hname, obj in _holders(model).items():
        for attr, value in vars(obj).items():
            if isinstance(value, np.ndarray):
                arrays[f"{hname}/{attr}"] = value
            elif isinstance(value, (bool, int, float, np.number, np.bool_)):
                scalars[f"{hname}/{attr}"] = value.item() if isinstance(value, np.generic) else value
    streams = {name: g.bit_generator.state for name, g in model._streams.items()}
    meta = {"format": FORMAT, "day": model.day, "prior_weight": float(model.prior_weight), "scalars": scalars,
            "streams": streams, "burn_in_trends": model.burn_in_trends}
    return arrays, meta


def restore(model, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Put a snapshot's state into a freshly built model (same status-quo scenario and seed)."""
    holders = _holders(model)
    for key, value in arrays.items():
        hname, attr = key.split("/", 1)
        setattr(holders[hname], attr, np.array(value))
    for key, value in meta["scalars"].items():
        hname, attr = key.split("/", 1)
        setattr(holders[hname], attr, value)
    for name, state in meta["streams"].items():
        model.stream(name).bit_generator.state = state
    model.day = int(meta["day"])
    model.prior_weight = float(meta["prior_weight"])
    model.burn_in_trends = meta["burn_in_trends"]
    model.traffic.update(model.merchants.weight)      # derived from the weights: rebuilt, not stored


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on `path` (other processes wanting it wait); a no-op where locks are unavailable."""
    try:
        import fcntl
    except ImportError:          # pragma: no cover - not POSIX
        yield
        return
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load(folder: Path, key: str):
    """A stored warm state, or None when absent or unreadable (then it is simply computed again)."""
    npz, js = folder / f"{key}.npz", folder / f"{key}.json"
    if not (npz.is_file() and js.is_file()):
        return None
    try:
        meta = json.loads(js.read_text())
        with np.load(npz, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, json.JSONDecodeError):
        return None
    return (arrays, meta) if meta.get("format") == FORMAT else None


def save(folder: Path, key: str, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Store a warm state atomically (arrays first, the JSON that marks it complete last)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{key}.{os.getpid()}.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, folder / f"{key}.npz")
    tmp_js = folder / f".{key}.{os.getpid()}.tmp.json"
    tmp_js.write_text(json.dumps(meta))
    os.replace(tmp_js, folder / f"{key}.json")


def prune_other_versions(folder: Path) -> None:
    """Delete warm states written by other versions of the code: they can never be read again."""
    for sub in folder.iterdir() if folder.is_dir() else ():
        if sub.is_dir() and sub.name != code_fingerprint() and len(sub.name) == 16:
            for path in sub.iterdir():
                with contextlib.suppress(OSError):
                    path.unlink()
            with contextlib.suppress(OSError):
                sub.rmdir()


def warm_up(model, burn_in, folder: Path | None) -> bool:
    """Bring `model` to record day 0: load its warm state from `folder`, or run `burn_in()` and store the
    result there. Returns True when the state came from the cache. `folder=None` always simulates."""
    if folder is None:
        burn_in()
        return False
    key = cache_key(model.status_quo, model._stream_root)
    root, folder = folder, folder / code_fingerprint()          # one subfolder per version of the code
    try:
        if not folder.is_dir():
            prune_other_versions(root)
        folder.mkdir(parents=True, exist_ok=True)
        lock = _locked(folder / f"{key}.lock")
    except OSError:                                   # an unwritable cache never stops a run
        burn_in()
        return False
    with lock:
        stored = load(folder, key)
        if stored is not None:
            restore(model, *stored)
            return True
        burn_in()
        with contextlib.suppress(OSError):
            save(folder, key, *snapshot(model))
    return False


def clear(folder: Path | None = None) -> tuple[int, int]:
    """Delete every stored warm state (of any version); returns (files, bytes) removed."""
    folder = folder or cache_dir()
    n = size = 0
    for path in sorted(folder.rglob("*"), reverse=True) if folder.is_dir() else ():
        if path.is_file() and (path.suffix in (".npz", ".json", ".lock") or ".tmp." in path.name):
            size += path.stat().st_size
            path.unlink()
            n += 1
        elif path.is_dir() and path.parent == folder:
            with contextlib.suppress(OSError):
                path.rmdir()
    return n, size
