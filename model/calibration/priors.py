"""Prior ranges of the world parameters the posterior is inferred over (`targets/priors.yaml`).

Each parameter is uniform on [low, high]: the mechanism's cited range where a source gives one, else a
stated assumption (`source` says which). The file is checked like a targets file: one line naming the file
and the field on any problem (`PriorsError`, a `ScenarioError`, so the command line exits 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..scenario import MAX_FILE_BYTES, Scenario, ScenarioError, parse_yaml, quote
from .targets import targets_dir

PRIORS_FILE = targets_dir() / "priors.yaml"


class PriorsError(ScenarioError):
    """A malformed priors file: one line naming the file, the field and what is allowed."""


class _Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str
    low: float
    high: float
    source: str

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = ""
    parameters: list[_Parameter]


@dataclass(frozen=True)
class Priors:
    """Independent uniform priors: names (dotted scenario fields) and their ranges."""
    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    sources: tuple[str, ...] = ()
    path: str = ""

    @property
    def ranges(self) -> dict[str, tuple[float, float]]:
        return {n: (float(lo), float(hi)) for n, lo, hi in zip(self.names, self.low, self.high)}

    def scale(self, unit: np.ndarray) -> np.ndarray:
        """Points of the unit cube (rows) to parameter values."""
        return self.low + np.asarray(unit) * (self.high - self.low)

    def unit(self, theta: np.ndarray) -> np.ndarray:
        """Parameter values (rows) to the unit cube."""
        return (np.asarray(theta) - self.low) / (self.high - self.low)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.scale(rng.random((n, len(self.names))))

    def check(self, base: Scenario) -> None:
        """Every name a numeric, fittable field of `base`, both ends inside its allowed range."""
        from .parameters import check_params
        try:
            check_params(base, self.ranges)
        except ScenarioError as exc:
            raise PriorsError(f"{self.path or 'priors'}: {str(exc).removeprefix('--param ')}") from None

    @classmethod
    def from_ranges(cls, ranges: dict[str, tuple[float, float]]) -> "Priors":
        names = tuple(ranges)
        return cls(names, np.array([ranges[n][0] for n in names], float),
                   np.array([ranges[n][1] for n in names], float), tuple("--param" for _ in names), "--param")


def load_priors(path: str | Path | None = None) -> Priors:
    """Read and validate a priors file (default `targets/priors.yaml`)."""
    p = Path(path) if path is not None else PRIORS_FILE
    where = str(p)
    if not p.is_file():
        raise PriorsError(f"{where}: priors file not found")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise PriorsError(f"{where}: file larger than {MAX_FILE_BYTES:,} bytes; a priors file has a few kilobytes")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PriorsError(f"{where}: cannot read file: {exc}") from None
    try:
        data: Any = parse_yaml(text, where)
    except ScenarioError as exc:
        raise PriorsError(str(exc).replace("a scenario", "a priors file")) from None
    if not isinstance(data, dict):
        raise PriorsError(f"{where}: top level must be a mapping with `parameters:`")
    try:
        f = _File.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        field = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc).lstrip(".") or "the top level"
        if isinstance(loc[0:1], tuple) and len(loc) >= 2 and loc[0] == "parameters" and isinstance(loc[1], int):
            items = data.get("parameters") or []
            name = items[loc[1]].get("name") if loc[1] < len(items) and isinstance(items[loc[1]], dict) else None
            field = f"parameters[{loc[1]}]" + (f" ({name})" if name else "") + "".join(f".{x}" for x in loc[2:])
        if err["type"] == "extra_forbidden":
            raise PriorsError(f"{where}: {field}: unknown key; allowed keys: name, low, high, source") from None
        msg = err["msg"].removeprefix("Value error, ")
        got = "" if err["type"].startswith("value_error") or err["type"] == "missing" else \
            f" (got {quote(err.get('input'))})"
        raise PriorsError(f"{where}: {field}: {msg}{got}") from None
    names = [q.name for q in f.parameters]
    if not names:
        raise PriorsError(f"{where}: parameters: give at least one parameter")
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise PriorsError(f"{where}: parameters: {dup} given twice")
    return Priors(tuple(names), np.array([q.low for q in f.parameters]), np.array([q.high for q in f.parameters]),
                  tuple(q.source for q in f.parameters), where)
