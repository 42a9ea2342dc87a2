"""Parameter uncertainty in forecasts: calibrated parameter vectors drawn per replication.

A posterior is a weighted sample of parameter vectors given the calibration targets, one column per dotted
scenario field plus a `weight` (`DIR/posterior.parquet`, the particles `ptsim calibrate --method abc` writes).
An Optuna study's folder is refused: its trials near the best loss are not a posterior.
A comparison with a posterior draws `draws` vectors (by weight, from the root seed) and runs each for
`reps / draws` replications; every arm of a replication uses the same vector and the same seed, so the
paired differences carry both the simulation's noise and the calibration's uncertainty, and the nested
design (vectors x replications) tells the two apart (`variance_shares`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario import Scenario, ScenarioError, is_lever

RESERVED = ("weight", "loss", "trial")
OPTUNA_FILES = ("study.journal", "near_best.parquet")     # what an Optuna study's folder holds (study.py)


@dataclass
class Posterior:
    """Weighted parameter vectors: `values` (one column per dotted field) and `weights` (summing to 1)."""

    values: pd.DataFrame
    weights: np.ndarray
    source: str = "posterior"

    @classmethod
    def load(cls, path: str | Path) -> "Posterior":
        """From a posterior folder (its posterior.parquet) or a Parquet file; one-line errors; an Optuna
        study's folder (or a file in it) is refused, as its weighted trials are not a posterior."""
        path = Path(path)
        file = path / "posterior.parquet" if path.is_dir() else path
        if any((path if path.is_dir() else path.parent).joinpath(f).is_file() for f in OPTUNA_FILES):
            raise ScenarioError(f"--posterior {path}: an Optuna study's folder: an Optuna study finds a best point, "
                                "not a posterior; `ptsim calibrate --method abc` writes a posterior")
        if not file.is_file():
            raise ScenarioError(f"--posterior {path}: no posterior.parquet there (`ptsim calibrate --method abc` "
                                "writes one)")
        try:
            table = pd.read_parquet(file)
        except Exception as exc:                  # noqa: BLE001 - any unreadable file gets one line
            raise ScenarioError(f"{file}: not a readable Parquet table ({type(exc).__name__})") from None
        if "weight" not in table.columns:
            raise ScenarioError(f"{file}: no `weight` column (one row per parameter vector, a column per "
                                "dotted scenario field and a `weight`)")
        fields = [c for c in table.columns if c not in RESERVED]
        if not fields or len(table) == 0:
            raise ScenarioError(f"{file}: needs at least one parameter column and one row")
        weights = pd.to_numeric(table["weight"], errors="coerce").to_numpy(float)
        if not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
            raise ScenarioError(f"{file}: weight: must be finite, >= 0 and not all 0")
        for name in fields:
            v = pd.to_numeric(table[name], errors="coerce").to_numpy(float)
            if not np.all(np.isfinite(v)):
                raise ScenarioError(f"{file}: {name}: every value must be a finite number")
        return cls(table[fields].reset_index(drop=True), weights / weights.sum(), str(file))

    @property
    def fields(self) -> list[str]:
        return list(self.values.columns)

    def check(self, scenario: Scenario) -> None:
        """Refuse lever fields (a posterior describes the world, not the policy) and values the scenario's
        schema rejects, naming the field."""
        for name in self.fields:
            if is_lever(name):
                raise ScenarioError(f"{self.source}: {name} is a policy lever; a posterior may only hold "
                                    "parameters of the world (consumers, stores, mechanisms)")
        for i in {int(self.values.index[0]), int(np.argmax(self.weights))}:
            scenario.with_overrides(self.overrides(i), source=self.source)

    def overrides(self, i: int) -> dict:
        """Vector i as dotted-field overrides (Python scalars)."""
        return {k: v.item() if hasattr(v, "item") else v for k, v in self.values.iloc[i].items()}

    def draw(self, n: int, seed: int) -> np.ndarray:
        """Indices of n vectors drawn by weight, with replacement, from a stream of the root seed."""
        return np.random.default_rng([int(seed), 0x706F7374]).choice(len(self.weights), size=n, p=self.weights)

    def digest(self) -> str:
        data = self.values.to_csv(index=False) + ",".join(f"{w:.17g}" for w in self.weights)
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    def effective_size(self) -> float:
        """Kish's effective number of vectors: 1 / sum of squared weights."""
        return float(1.0 / np.sum(self.weights ** 2))


def plan(posterior: Posterior, seeds: list[int], root_seed: int, draws: int | None) -> tuple[dict, dict]:
    """Which vector each replication runs: (overrides by replication seed, the record for the manifest)."""
    reps = len(seeds)
    draws = draws or reps
    if draws < 1 or reps % draws:
        raise ScenarioError(f"--reps {reps}: must be a multiple of --draws {draws} (each parameter vector runs "
                            "reps / draws replications)")
    per = reps // draws
    chosen = posterior.draw(draws, root_seed)
    by_seed = {int(s): posterior.overrides(int(chosen[k // per])) for k, s in enumerate(seeds)}
    record = {"source": posterior.source, "digest": posterior.digest(), "fields": posterior.fields,
              "vectors": len(posterior.weights), "effective_vectors": round(posterior.effective_size(), 2),
              "draws": draws, "per_draw": per, "drawn": [int(i) for i in chosen]}
    return by_seed, record


def draw_of(replications: np.ndarray, record: dict | None) -> np.ndarray | None:
    """The draw (parameter vector slot) of each replication, or None without a posterior."""
    if not record:
        return None
    return np.asarray(replications, dtype=int) // int(record["per_draw"])


def variance_shares(values: np.ndarray, groups: np.ndarray) -> tuple[float, float, float]:
    """Random-effects decomposition of one outcome (or paired difference) over draws x replications:
    (mean, 95% interval half-width from the draw means, share of the variance from the parameters).

    With one replication per draw the share is not identifiable (NaN); the interval is then the usual
    t-interval, which already carries both sources."""
    from scipy import stats
    values, groups = np.asarray(values, float), np.asarray(groups)
    keys = np.unique(groups)
    means = np.array([values[groups == g].mean() for g in keys])
    sizes = np.array([(groups == g).sum() for g in keys])
    mean = float(values.mean())
    if keys.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, keys.size - 1) * means.std(ddof=1) / np.sqrt(keys.size))
    if sizes.min() < 2:
        return mean, half, float("nan")
    within = float(np.mean([values[groups == g].var(ddof=1) for g in keys]))
    between = max(0.0, float(means.var(ddof=1)) - within / float(sizes.mean()))
    total = between + within
    return mean, half, (between / total if total > 0 else 0.0)
