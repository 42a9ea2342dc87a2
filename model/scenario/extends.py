"""Loading a scenario file: its `extends:` chain read and merged (each field remembers the file it came
from, for errors), then `--set` overrides, then validation."""

import copy
from pathlib import Path
from typing import Any

from ..errors import quote
from .library import _bare_name, library, not_a_file, scenario_path
from .schema import (
    MAX_EXTENDS,
    MAX_FILE_BYTES,
    Scenario,
    ScenarioError,
    _set_path,
    _validate,
)
from .yaml_safe import parse_yaml


def _deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _leaf_paths(d: dict, prefix: str = ""):
    for k, v in d.items():
        p = f"{prefix}{k}"
        yield p
        if isinstance(v, dict):
            yield from _leaf_paths(v, p + ".")


def _read_yaml(path: Path, chain: tuple[Path, ...]) -> tuple[dict, dict[str, str]]:
    """Read a scenario file and its `extends` ancestors; return merged data and field origins."""
    if path in chain:
        raise ScenarioError(f"{path}: extends: circular chain {' -> '.join(map(str, chain + (path,)))}")
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(f"{chain[0]}: extends: chain longer than {MAX_EXTENDS} files (reached {path})")
    if not path.is_file():
        parent = chain[-1] if chain else None
        where = f"{parent}: extends" if parent else str(path)
        raise ScenarioError(f"{where}: {not_a_file(path)}")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"{path}: file larger than {MAX_FILE_BYTES:,} bytes; a scenario file has a "
                                "few kilobytes")
        raw = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read file: {exc}") from None
    if raw is None:
        raise ScenarioError(f"{path}: empty scenario file (no fields); give the fields to change, or "
                            "`extends: baseline.yaml` to start from the baseline")
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: top level must be a mapping of blocks (got {type(raw).__name__})")
    raw = dict(raw)
    base_data: dict = {}
    origins: dict[str, str] = {}
    parent = raw.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(f"{path}: extends: must be a file name (got {quote(parent)})")
        target = path.parent / parent                   # a path relative to this file, else a library name
        if not target.is_file() and _bare_name(parent) and parent in library():
            target = library()[parent]
        base_data, origins = _read_yaml(target.resolve(), chain + (path,))
    for p in _leaf_paths(raw):
        origins[p] = str(path)
    return _deep_merge(base_data, raw), origins


def load_scenario(path: str | Path | None = None, overrides: dict[str, Any] | None = None,
                  options: dict[str, str] | None = None) -> Scenario:
    """Load and validate a scenario file (or the defaults if `path` is None), applying overrides.

    `path` is a YAML file, or the name of a library scenario ("baseline", "wechat_open": see
    `library()` or `ptsim scenarios`), found from any folder.
    `overrides` maps dotted field paths to values, e.g. `{"population.consumers": 5000}`.
    `options` names the command-line option an override came from in errors (default "--set"), e.g.
    `{"run.reps": "--reps"}`.
    Raises ScenarioError with a one-line message on any malformed input.
    """
    data: dict = {}
    origins: dict[str, str] = {}
    default_origin = "defaults"
    if path is not None:
        p = scenario_path(path)
        data, origins = _read_yaml(p.resolve(), ())
        # name the file as the user gave it
        origins = {k: (str(p) if v == str(p.resolve()) else v) for k, v in origins.items()}
        default_origin = str(p)
        data.setdefault("name", p.stem)
    for key, value in (overrides or {}).items():
        _set_path(data, key, value, (options or {}).get(key, "--set"), origins)
    return _validate(data, origins, default_origin)
