"""The warm state: the model after its burn-in, cached on disk so that arms sharing it pay for it once.

The burn-in simulates the status quo (the scenario's non-policy fields, default levers), so every arm
of a comparison with the same seed reaches the same state on record day 0. That state (every numpy
array of consumers, merchants and the status-quo policies, the random streams' positions and a few
scalars) is saved under a key hashing the status-quo scenario, the seed, the burn-in and the source
code of the package, and loaded instead of simulated next time. Files are plain `.npz` arrays and
JSON (no pickle), written atomically; a lock makes parallel workers that need the same state wait
for the one computing it. Results with and without the cache are identical (tested). Each run's row
records whether its state came from the cache (`burn_in_cached`); `is_cached(scenario, seed)` asks
without building a model.

Trust: an entry's JSON holds the key it was made for and a SHA-256 of the key, its JSON state and its
arrays, checked before every use. An entry that fails (damaged, truncated, edited, or another key's)
is discarded with a one-line warning and simulated again, so results always equal `--no-cache`. An
entry rewritten consistently, checksum included, is accepted: the checksum guards against accidents
and careless edits, not against someone forging entries in your own cache folder.

Location: `$PTSIM_CACHE` if set, else `$XDG_CACHE_HOME/ptsim/warm` (default `~/.cache/ptsim/warm`).
The cache deletes only what it can prove is its own: a folder is the cache's when it holds the marker
file `ptsim-cache.json`, which is written only into a folder that is new or empty (or the default
location, ptsim's by its name). A `$PTSIM_CACHE` already holding other files gets its states in a
subfolder `ptsim-warm/` of their own, and the files beside it are never touched. Each version of the
code keeps its states in a marked subfolder named by its fingerprint; the first state a new version
writes deletes the other marked versions' entries (files named `<key>.npz|json|lock`, nothing else),
so the cache holds one version's states. `ptsim cache --clear` deletes every entry and refuses a
folder that is not a ptsim cache. A location that cannot be used (a file, a read-only place) gets a
one-line warning, once, and every burn-in is simulated.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

FORMAT = 2
MARKER = "ptsim-cache.json"           # at the cache's root and in each version folder: they are its own
SUBFOLDER = "ptsim-warm"              # the root inside a $PTSIM_CACHE that holds other files
_ENTRY = re.compile(r"[0-9a-f]{24}\.(npz|json|lock)|\.[0-9a-f]{24}\.\d+\.tmp\.(npz|json)")
_warned: set[str] = set()             # location problems said in this process


class CacheError(OSError):
    """A cache location that cannot be used, or is not a ptsim cache; the message is one line naming it."""


def default_dir() -> Path:
    """ptsim's own cache folder: `$XDG_CACHE_HOME/ptsim/warm`, default `~/.cache/ptsim/warm`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ptsim" / "warm"


def cache_dir() -> Path:
    """Where warm states are kept: `$PTSIM_CACHE` if set, else `default_dir()`."""
    return Path(os.environ["PTSIM_CACHE"]) if os.environ.get("PTSIM_CACHE") else default_dir()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the package's source, so a changed model never reads a state an older one wrote."""
    h = hashlib.sha256(np.__version__.encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def stream_root(rng) -> tuple:
    """(entropy, spawn key) of the seed sequence behind `rng` (a seed or Generator, as Mesa takes it):
    the root of the model's random streams, and part of the key of its warm state."""
    seq = np.random.default_rng(rng).bit_generator.seed_seq
    return seq.entropy, tuple(seq.spawn_key)


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
    out = {"consumers": model.consumers, "merchants": model.merchants,
           "cohorts.return_visits": model.collector.return_visits, "cohorts.repurchase": model.collector.repurchase}
    out.update({f"policy.{p.name}": p for p in model.policies})
    return out


def snapshot(model) -> tuple[dict[str, np.ndarray], dict]:
    """The model's state: arrays by 'holder/attribute', and JSON-able scalars and stream positions."""
    from .population import CONSUMER_STATE
    arrays, scalars = {}, {}
    undeclared = {a for a, v in vars(model.consumers).items() if isinstance(v, np.ndarray)} - set(CONSUMER_STATE)
    if undeclared:
        raise RuntimeError("consumer arrays not declared in population.CONSUMER_STATE: "
                           f"{', '.join(sorted(undeclared))}")
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


# ------------------------------------------------------------------ what is the cache's own
def _name(folder: Path) -> str:
    """The folder as the user named it: PTSIM_CACHE=<path> when it is the variable's."""
    env = os.environ.get("PTSIM_CACHE")
    return f"PTSIM_CACHE={folder}" if env and Path(env) == folder else str(folder)


def _marked(folder: Path) -> bool:
    """Whether `folder` holds the cache's marker (see `_mark`)."""
    try:
        doc = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and "ptsim_cache" in doc


def _mark(folder: Path, **fields) -> None:
    """Write the marker atomically, so processes marking one folder at the same moment agree."""
    text = json.dumps({"ptsim_cache": "warm states of ptsim's burn-in; `ptsim cache --clear` deletes them",
                       "format": FORMAT, **fields}, indent=1)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{MARKER}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text + "\n")
        os.replace(tmp, folder / MARKER)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _marker_tmp(path: Path) -> bool:
    return path.name.startswith(f".{MARKER}.") and path.name.endswith(".tmp")


def _empty(folder: Path) -> bool:
    """Nothing in `folder` but markers another process is writing."""
    return all(_marker_tmp(p) for p in folder.iterdir())


def _own(folder: Path, create: bool, **fields) -> bool:
    """Whether `folder` is the cache's: marked, or (`create`) new or empty, then created and marked."""
    if _marked(folder):
        return True
    if not create:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    if not _empty(folder):
        return _marked(folder)                    # marked by another process since the first look
    _mark(folder, **fields)
    return True


def _adopt(folder: Path) -> None:
    """Mark the default location, ptsim's by its name, and the version folders that caches from before
    the marker left there (holding nothing but files named as entries), so they are pruned as usual."""
    for sub in folder.iterdir():
        if sub.is_dir() and re.fullmatch(r"[0-9a-f]{16}", sub.name) and not _marked(sub) and \
                all(p.is_file() and _ENTRY.fullmatch(p.name) for p in sub.iterdir()):
            _mark(sub, code=sub.name)
    _mark(folder)


def find_root(folder: Path, create: bool = False) -> Path | None:
    """The folder holding the cache's version folders: `folder` when it is the cache's own, else its
    subfolder `ptsim-warm` when that is; `create` makes whichever of the two is new or empty the
    cache's. None when neither is (yet). CacheError when `folder` is a file or neither can be."""
    if folder.exists() and not folder.is_dir():
        raise CacheError(f"{_name(folder)}: a file, not a ptsim cache (a folder)")
    if folder == default_dir() and folder.is_dir() and not _marked(folder):
        _adopt(folder)
    if _own(folder, create):
        return folder
    sub = folder / SUBFOLDER
    if sub.exists() and not sub.is_dir():
        raise CacheError(f"{_name(folder)}: holds other files, and a file {SUBFOLDER} where the cache would go")
    if _own(sub, create):
        return sub
    if create:
        raise CacheError(f"{_name(folder)}: holds other files, and so does its subfolder {SUBFOLDER} where the "
                         "cache would go")
    return None


def _version_folder(folder: Path) -> Path:
    """This version's folder in the cache at `folder`, made (pruning other versions) on first use."""
    root = find_root(folder, create=True)
    version = root / code_fingerprint()
    if not _marked(version):
        prune_other_versions(root)
        if not _own(version, create=True, code=code_fingerprint()):
            raise CacheError(f"{version}: holds files that are not the cache's")
    if not os.access(version, os.W_OK | os.X_OK):
        raise CacheError(f"{_name(folder)}: cannot be written")
    return version


def _empty_version(folder: Path) -> tuple[int, int]:
    """Delete a marked version folder's entries, and the folder when nothing else is in it; returns
    (files, bytes) removed. Files the cache does not name stay, with the marker."""
    n = size = 0
    for path in folder.iterdir():
        if path.is_file() and (_ENTRY.fullmatch(path.name) or _marker_tmp(path)):
            size += path.stat().st_size
            path.unlink(missing_ok=True)
            n += 1
    if [p.name for p in folder.iterdir()] == [MARKER]:
        size += (folder / MARKER).stat().st_size
        (folder / MARKER).unlink()
        folder.rmdir()
        n += 1
    return n, size


def prune_other_versions(root: Path) -> None:
    """Delete the entries of other versions of the code (marked folders): they can never be read again."""
    for sub in root.iterdir():
        if sub.is_dir() and sub.name != code_fingerprint() and _marked(sub):
            with contextlib.suppress(OSError):        # another process pruning it at the same moment
                _empty_version(sub)


def _warn(message: str, once: bool = False) -> None:
    """One line on stderr; `once`: at most once per process (a location's problem every run would meet)."""
    from .errors import one_line
    if once:
        if message in _warned:
            return
        _warned.add(message)
    print(f"warning: {one_line(message)}", file=sys.stderr, flush=True)


def _unusable(folder: Path, exc: OSError, doing: str = "used") -> None:
    reason = str(exc) if isinstance(exc, CacheError) else f"{_name(folder)}: {exc.strerror or exc}"
    _warn(f"{reason}; the warm-state cache cannot be {doing}, so the burn-in of every run is simulated",
          once=True)


def usable(folder: Path | None = None) -> bool:
    """Whether the cache at `folder` (default `cache_dir()`) can store warm states; if not, a one-line
    warning, once. Experiments check it before runs start, so worker processes do not each find out."""
    folder = folder or cache_dir()
    try:
        _version_folder(folder)
    except OSError as exc:
        _unusable(folder, exc)
        return False
    return True


# ------------------------------------------------------------------ entries
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


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _digest(key: str, state, arrays_sha256: str) -> str:
    """The checksum of an entry: its key, its JSON state and its arrays."""
    return hashlib.sha256(json.dumps([key, state, arrays_sha256], sort_keys=True).encode()).hexdigest()


def _verify(folder: Path, key: str, checksum: bool = True) -> tuple[dict | None, str | None]:
    """The JSON of entry `key` in a version folder when its key and checksum hold, else (None, why not);
    (None, None) when there is no entry, or only the arrays of a write that never finished. Without
    `checksum`, the arrays are only required to exist (not read and hashed)."""
    js, npz = folder / f"{key}.json", folder / f"{key}.npz"
    if not js.is_file():
        return None, None
    try:
        doc = json.loads(js.read_text())
    except (OSError, ValueError):
        return None, "its JSON cannot be read"
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("key") != key:
        return None, "it was made for another key or format"
    if not checksum:
        return (doc, None) if npz.is_file() else (None, "its arrays are missing")
    try:
        arrays_sha256 = _sha256(npz)
    except OSError:
        return None, "its arrays cannot be read"
    if doc.get("sha256") != _digest(key, doc.get("state"), arrays_sha256):
        return None, "its content does not match its checksum: damaged or edited"
    return doc, None


def load(folder: Path, key: str) -> tuple[tuple | None, str | None]:
    """(arrays, meta) of the verified entry `key` in a version folder, or (None, why it is unusable);
    (None, None) when there is none. Call it holding the entry's lock, as `warm_up` does."""
    doc, problem = _verify(folder, key)
    if doc is None:
        return None, problem
    try:
        with np.load(folder / f"{key}.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception:               # noqa: BLE001 - checksummed, yet numpy cannot read it: discarded
        return None, "its arrays cannot be read"
    return (arrays, doc["state"]), None


def _write(path: Path, fill) -> None:
    """Write `path` by `fill(file)` into a temporary file beside it, then rename: never seen half-written."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        with open(tmp, "wb") as fh:
            fill(fh)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save(folder: Path, key: str, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Store a warm state atomically: the arrays, then the JSON (key, checksum, state) that completes it."""
    npz = folder / f"{key}.npz"
    _write(npz, lambda fh: np.savez(fh, **arrays))
    state = json.loads(json.dumps(meta))            # as it reads back (tuples as lists), for the checksum
    doc = {"format": FORMAT, "key": key, "sha256": _digest(key, state, _sha256(npz)), "state": state}
    _write(folder / f"{key}.json", lambda fh: fh.write(json.dumps(doc).encode()))


def is_cached(scenario, seed, folder: Path | None = None, checksum: bool = True) -> bool:
    """Whether the cache (default `cache_dir()`) holds a verified warm state for `scenario`'s status quo
    and the replication `seed`, without building a model. `checksum=False` checks the entry's key but
    does not hash its arrays (quick, for estimates: the state is verified again when it is loaded)."""
    folder = folder or cache_dir()
    try:
        root = find_root(folder)
        key = cache_key(scenario.status_quo(), stream_root(seed))
        return root is not None and _verify(root / code_fingerprint(), key, checksum)[0] is not None
    except OSError:
        return False


def warm_up(model, burn_in, folder: Path | None) -> bool:
    """Bring `model` to record day 0: load its warm state from `folder`, or run `burn_in()` and store the
    result there. Returns True when the state came from the cache. `folder=None` always simulates."""
    if folder is None:
        burn_in()
        return False
    key = cache_key(model.status_quo, model._stream_root)
    with contextlib.ExitStack() as stack:
        try:
            version = _version_folder(folder)
            stack.enter_context(_locked(version / f"{key}.lock"))
        except OSError as exc:                        # an unusable cache never stops a run
            _unusable(folder, exc)
            burn_in()
            return False
        stored, problem = load(version, key)
        if stored is not None:
            restore(model, *stored)
            return True
        if problem:
            _warn(f"warm-state cache: discarded the entry {version / key}.json ({problem}); its burn-in is "
                  "simulated again")
        burn_in()
        try:
            save(version, key, *snapshot(model))
        except OSError as exc:
            _unusable(folder, exc, "written")
    return False


def clear(folder: Path | None = None) -> tuple[Path, int, int]:
    """Delete every stored warm state (of any version); returns (the folder holding them, files, bytes
    removed). CacheError when `folder` (default `cache_dir()`) is not a ptsim cache: nothing is deleted."""
    folder = folder or cache_dir()
    try:
        root = find_root(folder)
        if root is None:
            if folder.is_dir() and not _empty(folder):
                raise CacheError(f"{_name(folder)}: not a ptsim cache (no {MARKER} in it or in {SUBFOLDER}/); "
                                 "nothing deleted")
            return folder, 0, 0
        n = size = 0
        for sub in root.iterdir():
            if sub.is_dir() and _marked(sub):
                files, nbytes = _empty_version(sub)
                n, size = n + files, size + nbytes
        return root, n, size
    except CacheError:
        raise
    except OSError as exc:
        raise CacheError(f"{_name(folder)}: cannot be cleared: {exc.strerror or exc}") from None


def info(folder: Path | None = None) -> tuple[Path, int, int]:
    """(the folder holding the states, how many, their bytes) of the cache at `folder` (default
    `cache_dir()`); the folder is where the next state would go when there are none yet."""
    folder = folder or cache_dir()
    root = find_root(folder)
    if root is None:
        return (folder / SUBFOLDER if folder.is_dir() and not _empty(folder) else folder), 0, 0
    files = [p for sub in root.iterdir() if sub.is_dir() and _marked(sub) for p in sub.iterdir()
             if _ENTRY.fullmatch(p.name)]
    return root, sum(not p.name.startswith(".") and p.suffix == ".json" for p in files), \
        sum(p.stat().st_size for p in files)
