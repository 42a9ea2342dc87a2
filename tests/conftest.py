"""Shared fixtures: small scenarios so the suite runs in minutes on two cores."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("MPLBACKEND", "Agg")
# warm states of the burn-in go to a folder of this session, not the user's cache
os.environ.setdefault("PTSIM_CACHE", tempfile.mkdtemp(prefix="ptsim-test-cache-"))

from ptsim import load_scenario  # noqa: E402


def small(**overrides):
    """A small, quick scenario: 3,000 consumers, 60 stores, 60 days after a 30-day burn-in."""
    base = {"population.consumers": 3000, "population.merchants": 60, 
            "run.days": 60, "run.burn_in_days": 30}
    base.update(overrides)
    return load_scenario(ROOT / "scenarios" / "baseline.yaml", base)


@pytest.fixture
def small_scenario():
    return small()


def ptsim_cmd(*args):
    return [sys.executable, "-m", "ptsim", *map(str, args)]


# ---- lever comparisons (tests/policies/ and the threshold tests of the submodels) ----

LEVER = {"population.consumers": 6000, "population.merchants": 150, 
         "run.days": 120, "run.burn_in_days": 90}
LEVER_REPS = 4


def lever_runs(scenario_file, overrides=None, reps=LEVER_REPS):
    """Replications of a library scenario at lever-test size, common random numbers across scenarios:
    each run's summary plus the finished model under "_model" (with `big_community`: the stores in the
    top decile of WeChat community size at day 0, before any policy acts)."""
    import numpy as np

    from ptsim import PrivateTrafficModel
    from ptsim.runs import replication_seeds

    s = load_scenario(ROOT / "scenarios" / scenario_file, {**LEVER, **(overrides or {})})
    out = []
    for seed in replication_seeds(7, reps):
        m = PrivateTrafficModel(s, rng=seed, create_agents=False)
        community = m.consumers.wechat_community_size(m.merchants.n)
        m.big_community = community >= np.quantile(community, 0.9)
        m.run()
        out.append(m.summary() | {"_model": m})
    return out


def paired_interval(a, b, key):
    """95% t-interval of the mean paired difference b - a over replications."""
    import numpy as np
    from scipy import stats

    d = np.array([y[key] - x[key] for x, y in zip(a, b)])
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    return d.mean() - half, d.mean() + half


def policy(model, name):
    """The model's built policy called `name`, or None when the scenario does not build it."""
    return next((p for p in model.policies if p.name == name), None)
