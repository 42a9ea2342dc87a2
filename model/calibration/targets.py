"""Calibration targets: published facts, how the model's value of each is read, its band and weight.

`targets/published.yaml` is the one source of truth for the published facts: `ptsim validate` reads
its facts' bands from it (`validation/facts.py`) and `ptsim calibrate` fits to it. A targets file
is validated like a scenario file: an unknown key, a key given twice, a wrong type, a number that
is not finite, a band that does not hold the published value ... stop with one line naming the file
and the field (`TargetsError`, a `ScenarioError`, so the command line exits 2).

How the model's value of a target is read (`model.read`), per replication:

- `summary`: the run summary's `outcome` (flows summed over the recorded days, stocks and ratios
  as `outcomes.py` defines them);
- `first_day`, `last_day`: the daily `outcome` on the first or the last recorded day;
- `growth`: the daily `outcome` on the last recorded day over the first, minus 1;
- `price_probe`: `ptsim.probe.price_elasticity` (`level: store`, the default) or
  `ptsim.probe.category_elasticity` (`level: category`) with `needs` sampled needs on the state after
  the burn-in, before the first recorded day (as `ptsim validate --only elasticity`). Only target sets
  with such a target pay for the probe.

A target is a published fact (`kind: published`, the default) or an assumption (`kind: assumption`): a
level no source publishes, stated with a range (e.g. off-platform leakage) so that the model stays in it.
Both count in the loss alike (an assumption's band acts as a prior band); the validation report and the
fit table mark an assumption as such instead of as published.

The loss of a target is `weight * (d / scale)**2`, where `d` is the distance of the mean over
replications outside the band (zero inside it) and `scale` the band's half-width, or the target's
`scale` for a one-sided band; an undefined model value (NaN: a zero denominator) counts as
`UNDEFINED` scales off. The calibration loss is the sum over targets.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from ..scenario import MAX_FILE_BYTES, ScenarioError, parse_yaml, quote


def targets_dir() -> Path:
    """The folder of the shipped targets: `ptsim/targets/` in an installed package, the checkout's
    `targets/` (beside `model/`) in a source tree or an editable install (pyproject.toml ships
    `targets/` as the package data `ptsim.targets`, as it does the scenario library)."""
    here = Path(__file__).resolve().parent.parent
    for folder in (here / "targets", here.parent / "targets"):
        if (folder / "published.yaml").is_file():
            return folder
    return here.parent / "targets"


TARGETS_FILE = targets_dir() / "published.yaml"
READS = ("summary", "first_day", "last_day", "growth", "price_probe")
UNDEFINED = 10.0             # scales off, for a target whose model value is undefined (NaN)
RESERVED = ("trial", "state", "loss", "reps", "seconds", "error", "weight", "partial_loss")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class TargetsError(ScenarioError):
    """A malformed targets file: one line naming the file, the field and what is allowed."""


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Source(_Block):
    """Where the number comes from: a seed file of ../shared/seeds/ (`seed: "004"`) or a citation."""
    seed: str | None = Field(None, pattern=r"^\d{3}$", description="seed file number, e.g. '004'")
    citation: str | None = Field(None, min_length=1, max_length=300)
    published: str = Field(min_length=1, max_length=300, description="the number as published, in words")
    quote: str = Field("", max_length=1000, description="the source's own wording")

    @model_validator(mode="after")
    def _one_reference(self):
        if (self.seed is None) == (self.citation is None):
            raise ValueError("give exactly one of seed (a seed file number like '004') and citation")
        return self

    @property
    def ref(self) -> str:
        """'seed 004' or the citation (as the validation report shows it)."""
        return f"seed {self.seed}" if self.seed is not None else str(self.citation)


class Read(_Block):
    """How the model's value is read from a replication (see the module docstring)."""
    read: Literal["summary", "first_day", "last_day", "growth", "price_probe"]
    outcome: str | None = Field(None, description="an outcome of outcomes.py (not for price_probe)")
    needs: int | None = Field(None, ge=10, le=10_000_000, description="price_probe: sampled needs")
    level: Literal["store", "category"] | None = Field(None, description="price_probe: a store's own price "
                                                       "(a tenth of stores dearer) or the category's (all)")

    @model_validator(mode="after")
    def _check(self):
        from ..outcomes import OUTCOME_NAMES
        if self.read == "price_probe":
            if self.outcome is not None:
                raise ValueError("read: price_probe takes no outcome (it probes prices after the burn-in)")
            if self.needs is None:
                self.needs = 20_000
            if self.level is None:
                self.level = "store"
        else:
            if self.level is not None:
                raise ValueError(f"level: only for read: price_probe (this target reads {self.read})")
            if self.needs is not None:
                raise ValueError(f"needs: only for read: price_probe (this target reads {self.read})")
            if self.outcome is None:
                raise ValueError(f"read: {self.read} needs an outcome, e.g. outcome: share_gmv_relationship")
            if self.outcome not in OUTCOME_NAMES:
                close = [o for o in OUTCOME_NAMES if o.split("_")[0] == self.outcome.split("_")[0]][:6]
                hint = f" (similar: {', '.join(close)})" if close else " (see model/outcomes.py)"
                raise ValueError(f"outcome {quote(self.outcome)}: not an outcome of the model{hint}")
        return self


class Band(_Block):
    """The band the mean over replications must fall in; null for an open end."""
    low: float | None = None
    high: float | None = None
    text: str = Field("", max_length=200, description="the band in words, for the report")

    @model_validator(mode="after")
    def _check(self):
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both (null for an open end)")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low must be below high (got low {self.low:g}, high {self.high:g})")
        return self

    @property
    def lo(self) -> float:
        return -math.inf if self.low is None else self.low

    @property
    def hi(self) -> float:
        return math.inf if self.high is None else self.high

    def contains(self, value: float) -> bool:
        return bool(self.lo <= value <= self.hi)


class Target(_Block):
    """One published fact as a calibration target."""
    name: str = Field(description="identifier: lower case letters, digits and _, starting with a letter")
    label: str | None = Field(None, max_length=200, description="name in the validation report (default: name)")
    kind: Literal["published", "assumption"] = Field(
        "published", description="a published fact, or an assumption: a level no source publishes, with its range")
    source: Source
    definition: str = Field(min_length=1, max_length=2000, description="the model's definition of the fact")
    model: Read
    value: float
    band: Band
    scale: float | None = Field(None, gt=0, description="loss scale; default: the band's half-width")
    display: Literal["pct", "x", "M"] = "x"
    weight: float = Field(1.0, ge=0, le=1000)
    limit: str | None = Field(None, min_length=1, max_length=2000,
                              description="why the model cannot reach the band together with the other "
                              "facts (a structural limit, or a conflict with another published figure), argued "
                              "with a measurement; the validation report shows it when not met, and the "
                              "posterior leaves the fact out")
    input: str | None = Field(None, min_length=1, max_length=2000,
                              description="how the scenario produces this value by construction (a trend input, "
                              "e.g. the baseline's timeline): the validation report shows the model's value "
                              "without a verdict, as an input, not evidence; it must have weight 0, so "
                              "`ptsim calibrate` never fits to it")

    @model_validator(mode="after")
    def _check(self):
        if not _NAME.match(self.name):
            raise ValueError(f"name {quote(self.name)}: use lower case letters, digits and _ (starting with a "
                             "letter, at most 64 characters)")
        if self.name in RESERVED:
            raise ValueError(f"name {self.name!r}: reserved for a column of trials.parquet; choose another")
        if not self.band.contains(self.value):
            raise ValueError(f"value {self.value:g} lies outside its band [{self.band.lo:g}, {self.band.hi:g}]")
        if self.input is not None and self.weight != 0:
            raise ValueError(f"weight {self.weight:g}: a target the scenario produces by construction (input) "
                             "must have weight 0; calibrating to it would fit the input, not the model")
        if self.scale is None and (self.band.low is None or self.band.high is None):
            raise ValueError("scale: required for a one-sided band (the distance that counts as one unit of "
                             "loss, e.g. 20% of the published value)")
        return self

    @property
    def title(self) -> str:
        return self.label or self.name

    @property
    def basis(self) -> str:
        """How the report introduces the value: 'assumption: ' for an assumption, nothing for a published fact."""
        return "assumption: " if self.kind == "assumption" else ""

    @property
    def unit(self) -> float:
        """The loss scale: `scale`, else the band's half-width."""
        return self.scale if self.scale is not None else (self.band.hi - self.band.lo) / 2

    def distance(self, value: float) -> float:
        """How far `value` lies outside the band, in scales (0 inside; UNDEFINED for NaN)."""
        if value is None or not math.isfinite(value):
            return UNDEFINED
        return max(self.band.lo - value, value - self.band.hi, 0.0) / self.unit

    def loss(self, value: float) -> float:
        """weight * distance**2: zero inside the band, growing with the square of the distance outside."""
        return self.weight * self.distance(value) ** 2


class TargetSet(_Block):
    """A targets file: a description and the targets."""
    description: str = Field("", max_length=5000)
    targets: list[Target] = Field(min_length=1, max_length=1000)
    _path: str | None = PrivateAttr(None)          # the file it was read from (set by load_targets)

    @model_validator(mode="after")
    def _check(self):
        seen = set()
        for t in self.targets:
            if t.name in seen:
                raise ValueError(f"target name {t.name!r} appears twice; give each target a distinct name")
            seen.add(t.name)
        if not any(t.weight > 0 for t in self.targets):
            raise ValueError("every target has weight 0: at least one must count in the loss")
        return self

    @property
    def path(self) -> str | None:
        return self._path

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.targets]

    @property
    def needs_probe(self) -> bool:
        """Whether a replication must run the price probe after its burn-in."""
        return any(t.model.read == "price_probe" for t in self.targets)

    def loss(self, values: dict[str, float]) -> float:
        """The calibration loss of model values (target name -> mean over replications)."""
        return float(sum(t.loss(values.get(t.name, math.nan)) for t in self.targets))

    def digest(self) -> str:
        """A hash of what the loss depends on (names, readings, values, bands, scales, weights), so that
        editing a target's wording, source or limit does not stop a study from resuming."""
        loss_fields = {"name", "model", "value", "band", "scale", "weight"}
        text = json.dumps([t.model_dump(mode="json", include=loss_fields, exclude={"band": {"text"}})
                           for t in self.targets], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __getitem__(self, name: str) -> Target:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)


# ----------------------------------------------------------------------------- reading the file
def _class_at(loc: tuple) -> Any:
    """The schema class at a validation error's location (for 'allowed keys here')."""
    cls: Any = TargetSet
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return None
        ann = cls.model_fields[part].annotation
        args = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
        cls = args[0] if args else ann
    return cls


def _location(loc: tuple, data: Any) -> str:
    """targets[2] (fan_return_visit_ratio).band.low"""
    text = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                text += f" ({node['name'][:64]})"
        else:
            text += ("." if text else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def validate_targets(data: Any, where: str) -> TargetSet:
    """A TargetSet from parsed YAML, or TargetsError naming `where` and the field."""
    if data is None:
        raise TargetsError(f"{where}: empty targets file; give `targets:` with a list of targets")
    if not isinstance(data, dict):
        raise TargetsError(f"{where}: top level must be a mapping with `targets:` (got {type(data).__name__})")
    try:
        return TargetSet.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        field = _location(loc, data) or "the top level"
        if err["type"] == "extra_forbidden":
            parent = _class_at(loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else "?"
            raise TargetsError(f"{where}: {field}: unknown key; allowed keys here: {allowed}") from None
        msg = err["msg"].removeprefix("Value error, ")
        got = "" if err["type"].startswith("value_error") or err["type"] == "missing" else \
            f" (got {quote(err.get('input'))})"
        raise TargetsError(f"{where}: {field}: {msg}{got}") from None


def load_targets(path: str | Path | None = None) -> TargetSet:
    """Read and validate a targets file (default `targets/published.yaml`)."""
    p = Path(path) if path is not None else TARGETS_FILE
    where = str(p)
    if not p.is_file():
        raise TargetsError(f"{where}: targets file not found" + ("" if not p.exists() else " (not a file)"))
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise TargetsError(f"{where}: file larger than {MAX_FILE_BYTES:,} bytes; a targets file has a few "
                               "kilobytes")
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetsError(f"{where}: cannot read file: {exc}") from None
    try:
        data = parse_yaml(text, where)
    except TargetsError:
        raise
    except ScenarioError as exc:
        raise TargetsError(str(exc).replace("a scenario", "a targets file")) from None
    targets = validate_targets(data, where)
    targets._path = where
    return targets


# ----------------------------------------------------------------------------- reading the model
def read_values(target: Target, runs: pd.DataFrame, timeseries: pd.DataFrame | None = None) -> np.ndarray:
    """The model's value of `target` per replication: `runs` has one row per replication (run_id and
    outcome columns; `price_elasticity` for probe targets), `timeseries` run_id, day and daily outcomes."""
    how, outcome = target.model.read, target.model.outcome
    if how == "summary":
        return runs[outcome].to_numpy(float)
    if how == "price_probe":
        column = probe_column(target)
        if column not in runs:
            raise KeyError(f"{target.name}: the runs carry no price probe ({column}); run it after the burn-in")
        return runs[column].to_numpy(float)
    g = timeseries.sort_values("day").groupby("run_id")[outcome]
    first, last = g.first(), g.last()
    v = {"first_day": first, "last_day": last, "growth": last / first - 1.0}[how]
    return v.reindex(runs["run_id"]).to_numpy(float)


def probe_column(target: Target) -> str:
    """The runs column holding the price probe of this target's level with its number of needs."""
    name = "price_elasticity" if target.model.level == "store" else "category_elasticity"
    return f"{name}_{target.model.needs}"


def replication_values(targets: TargetSet, summary: dict, daily: pd.DataFrame,
                       probes: dict[str, float] | None = None) -> dict[str, float]:
    """Every target's value in one replication: its summary, its daily outcomes (indexed by day) and
    the price probes it ran (column name -> elasticity)."""
    runs = pd.DataFrame([{"run_id": 0, **summary, **(probes or {})}])
    ts = daily.reset_index().assign(run_id=0) if daily is not None else None
    with np.errstate(divide="ignore", invalid="ignore"):
        return {t.name: float(read_values(t, runs, ts)[0]) for t in targets.targets}
