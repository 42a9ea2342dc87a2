"""Shared fixtures: small scenarios so the suite runs in minutes on two cores."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("MPLBACKEND", "Agg")

from ptsim import load_scenario  # noqa: E402


def small(**overrides):
    """A small, quick scenario: 3,000 consumers, 60 stores, 60 days after a 30-day burn-in."""
    base = {"population.consumers": 3000, "population.merchants": 60, "population.scale": 1.0,
            "run.days": 60, "run.burn_in_days": 30}
    base.update(overrides)
    return load_scenario(ROOT / "scenarios" / "baseline.yaml", base)


@pytest.fixture
def small_scenario():
    return small()


def ptsim_cmd(*args):
    return [sys.executable, "-m", "ptsim", *map(str, args)]
