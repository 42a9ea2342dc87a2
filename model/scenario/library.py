"""The scenario library: the scenarios shipped with ptsim, found by name from any folder, and how a
written scenario names the one it extends."""

import os
from pathlib import Path

from .schema import ScenarioError


def not_a_file(path: Path) -> str:
    """Why `path` cannot be read as a scenario file: missing, or what it is instead of a regular file."""
    if path.is_dir():
        return "a folder, not a scenario file (give a .yaml file in it)"
    if path.exists():
        kind = "a FIFO (named pipe)" if path.is_fifo() else "a device" if path.is_char_device() or \
            path.is_block_device() else "a socket" if path.is_socket() else "not a regular file"
        return f"{kind}, not a scenario file (give a .yaml file)"
    return f"scenario file not found: {path}"


def library_dir() -> Path:
    """The folder of the scenario library: `ptsim/scenarios/` in an installed package, the checkout's
    `scenarios/` (beside `model/`) in a source tree or an editable install; both are the same files
    (pyproject.toml ships `scenarios/` as the package data `ptsim.scenarios`)."""
    here = Path(__file__).resolve().parent.parent      # model/ (ptsim/ when installed)
    for folder in (here / "scenarios", here.parent / "scenarios"):
        if (folder / "baseline.yaml").is_file():
            return folder
    return here / "scenarios"


def library() -> dict[str, Path]:
    """The library's scenarios by name (file stem), sorted: `load_scenario(name)` loads one."""
    folder = library_dir()
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def _bare_name(text: str) -> bool:
    """A library scenario's name as one would type it: no folder, no .yaml/.yml."""
    return bool(text) and "/" not in text and "\\" not in text and Path(text).suffix not in (".yaml", ".yml")


def scenario_path(path: str | Path) -> Path:
    """The file a scenario argument names: an existing file as given; else a bare name (no folder, no
    .yaml/.yml) of a library scenario, e.g. "baseline"; else the path as given (reported as not found)."""
    p = Path(path)
    text = str(path)
    if p.is_file() or not _bare_name(text):
        return p
    found = library().get(text)
    if found is None:
        names = ", ".join(library()) or "none installed"
        raise ScenarioError(f"{text}: scenario not found: no such file, nor a library scenario of that name "
                            f"(library: {names}; `ptsim scenarios` lists them)")
    return found


def extends_ref(scenario: str | Path, folder: str | Path) -> str:
    """How a scenario file written to `folder` names `scenario` in its `extends:`. A library scenario by
    its name, which resolves in any install. A file under the working folder (with `folder` under it too)
    by its path relative to `folder`, so a project moved as a whole keeps working. Any other file by its
    absolute path, which keeps working when the output folder moves."""
    target = scenario_path(scenario).resolve()
    names = [name for name, p in library().items() if p.resolve() == target]
    if names:
        return names[0]
    cwd, folder = Path.cwd().resolve(), Path(folder).resolve()
    if target.is_relative_to(cwd) and folder.is_relative_to(cwd):
        return os.path.relpath(target, folder)
    return str(target)
