"""Docking: the model's mechanisms against the closed forms they are built to follow.

BG/NBD purchase timing through the whole model with modulations off (Fader, Hardie & Lee 2005,
CDNOW parameters), share-to-unlock adoption through `social_sharing.adopters` against the discrete
Bass recursion, and ranking feedback (weight = a0 + past sales) against the Dirichlet spread of a
Polya urn. The harnesses are the ones of tests/test_purchase_timing.py, test_social_sharing.py and
test_ranking.py, at the report's size.
"""

from __future__ import annotations

import numpy as np

from ..bgnbd import bgnbd_expected_repeats, bgnbd_pmf
from ..scenario import load_scenario
from ..submodels import ranking
from ..submodels import social_sharing as ss
from .core import BASELINE, Check, Context

SECTION = "docking"
R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426          # CDNOW, weeks (Fader, Hardie & Lee 2005)
PUBLISHED = {"E[X(39)]": 1.1967, "E[X(78)]": 1.8605, "P(X(39)=0)": 0.5738}
BASS_P, BASS_K, BASS_ADOPT, BASS_STEPS = 0.03, 4, 0.095, 25
POLYA_K, POLYA_A0 = 10, 1.0


# ----------------------------------------------------------------------------- BG/NBD
def bgnbd_scenario(consumers: int):
    """The plain BG/NBD process in the model: CDNOW parameters (alpha in days), everyone alive and
    just past a purchase at day 0, no burn-in, no modulation."""
    return load_scenario(BASELINE, {"population.consumers": consumers, "population.merchants": 30,
                                    "run.days": 78 * 7, "run.burn_in_days": 0, "purchase.modulations": False,
                                    "purchase.r": R, "purchase.alpha": ALPHA * 7, "purchase.a": A,
                                    "purchase.b": B, "population.new_user_share": 0.0,
                                    "purchase.initial_alive_share": 1.0})


def simulate_bgnbd(consumers: int, seed: int = 7, progress=None) -> dict:
    """Repeat purchases per consumer after each of 78 weeks: mean and standard error, the share
    with none, and the counts at 39 weeks."""
    from ..model import PrivateTrafficModel
    m = PrivateTrafficModel(bgnbd_scenario(consumers), rng=seed, create_agents=False)
    mean, se, zero, x39 = [0.0], [0.0], [1.0], None
    for week in range(1, 79):
        m.run(7)
        x = m.consumers.run_orders
        mean.append(float(x.mean()))
        se.append(float(x.std(ddof=1) / np.sqrt(x.size)))
        zero.append(float((x == 0).mean()))
        if week == 39:
            x39 = x.copy()
        if progress:
            progress(week / 78)
    return {"mean": np.array(mean), "se": np.array(se), "zero": np.array(zero), "x39": x39, "n": consumers}


def bgnbd(ctx: Context) -> list[Check]:
    n = ctx.size.bgnbd_consumers
    sim = simulate_bgnbd(n, progress=ctx.progress)
    definition = (f"repeat purchases per consumer over t weeks, {n:,} consumers in the model with "
                  f"`purchase.modulations: false`, r={R}, alpha={ALPHA} weeks ({ALPHA * 7:.3f} days), "
                  f"a={A}, b={B}; everyone alive and just past a purchase at day 0; model seed 7")
    rows = []
    for name, week in (("E[X(39)]", 39), ("E[X(78)]", 78), ("P(X(39)=0)", 39)):
        if name.startswith("P"):
            expected = bgnbd_pmf(0, week, R, ALPHA, A, B)
            value = sim["zero"][week]
            se = float(np.sqrt(expected * (1 - expected) / n))
        else:
            expected = bgnbd_expected_repeats(week, R, ALPHA, A, B)
            value, se = sim["mean"][week], sim["se"][week]
        rows.append(Check(SECTION, f"BG/NBD {name}",
                          f"{expected:.4f} ± 3 SE (closed form, FHL 2005; published {PUBLISHED[name]})",
                          f"{value:.4f} (SE {se:.4f})", definition, bool(abs(value - expected) < 3 * se),
                          ctx.command("bgnbd"), {"value": value, "se": se, "expected": expected}))
    ctx.figure(SECTION, "fig_bgnbd", "BG/NBD docking: simulated repeat purchases against the closed form "
               "(CDNOW parameters, modulations off)", lambda: bgnbd_figure(sim))
    return rows


def bgnbd_figure(sim: dict):
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    weeks = np.arange(79)
    closed = [bgnbd_expected_repeats(w, R, ALPHA, A, B) if w else 0.0 for w in weeks]
    ax.plot(weeks, closed, color="black", label="closed form E[X(t)]")
    ax.errorbar(weeks[::3], sim["mean"][::3], yerr=1.96 * sim["se"][::3], fmt="o", ms=3, color="C0",
                label="model (95% interval)")
    ax.set_xlabel("weeks")
    ax.set_ylabel("repeat purchases per consumer")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    xs = np.arange(11)
    pmf = [bgnbd_pmf(int(x), 39, R, ALPHA, A, B) for x in xs]
    counts = np.bincount(np.minimum(sim["x39"], xs[-1] + 1), minlength=xs.size + 1)[: xs.size] / sim["n"]
    bx.bar(xs - 0.2, pmf, width=0.4, color="black", label="closed form P(X(39)=x)")
    bx.bar(xs + 0.2, counts, width=0.4, color="C0", label="model")
    bx.set_yscale("log")
    bx.set_xlabel("repeat purchases in 39 weeks")
    bx.set_ylabel("share of consumers")
    bx.legend(frameon=False)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- Bass
def simulate_bass(seed: int, agents: int, p: float = BASS_P, k: int = BASS_K, adopt: float = BASS_ADOPT,
                  steps: int = BASS_STEPS) -> np.ndarray:
    """Adopted share after each step in a fully mixed population: every adopter shares with k fresh
    random contacts (`social_sharing.random_ties`), who adopt through `social_sharing.adopters`;
    everyone else adopts on her own with p."""
    rng = np.random.default_rng(seed)
    everyone = np.arange(agents)
    adopted = np.zeros(agents, dtype=bool)
    path = [0.0]
    for _ in range(steps):
        contacts = ss.random_ties(rng, everyone, k)[adopted]
        who, _ = ss.adopters(rng, contacts, adopt)
        new = np.zeros(agents, dtype=bool)
        new[who] = True
        new |= rng.random(agents) < p
        adopted |= new
        path.append(adopted.mean())
    return np.array(path)


def bass(ctx: Context) -> list[Check]:
    n, runs, q = ctx.size.bass_agents, ctx.size.bass_runs, BASS_K * BASS_ADOPT
    paths = []
    for seed in range(runs):
        paths.append(simulate_bass(seed, n))
        ctx.progress((seed + 1) / runs)
    paths = np.array(paths)
    expected = ss.bass_recursion(BASS_P, q, BASS_STEPS)
    gap = np.abs(paths.mean(axis=0) - expected)
    worst = int(gap.argmax())
    ctx.figure(SECTION, "fig_bass", "Bass docking: mean adoption of the share-to-unlock mechanism against "
               "the discrete Bass recursion (and the continuous curve for reference)",
               lambda: bass_figure(paths, expected, q))
    return [Check(SECTION, "Bass adoption path",
                  f"discrete Bass recursion within 0.01 at every step (p={BASS_P}, q={q:g})",
                  f"largest gap {gap.max():.4f} (step {worst}: {paths.mean(axis=0)[worst]:.4f} vs "
                  f"{expected[worst]:.4f})",
                  f"mean adopted share over {runs} runs of {n:,} agents, {BASS_STEPS} steps; each adopter "
                  f"shares with {BASS_K} fresh random contacts who adopt with {BASS_ADOPT} through "
                  "`social_sharing.adopters`; hazard 1-(1-p)exp(-qF)", bool(gap.max() < 0.01),
                  ctx.command("bass"), {"max_gap": float(gap.max())})]


def bass_figure(paths: np.ndarray, expected: np.ndarray, q: float):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.8))
    steps = np.arange(paths.shape[1])
    t = np.linspace(0, steps[-1], 200)
    continuous = (1 - np.exp(-(BASS_P + q) * t)) / (1 + (q / BASS_P) * np.exp(-(BASS_P + q) * t))
    ax.plot(t, continuous, color="grey", linestyle="--", label="continuous Bass F(t)")
    ax.plot(steps, expected, color="black", label="discrete Bass recursion")
    ax.plot(steps, paths.mean(axis=0), "o", ms=4, color="C0", label=f"model, mean of {len(paths)} runs")
    ax.set_xlabel("step")
    ax.set_ylabel("adopted share")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- Polya urn
def simulate_polya(urns: int, draws: int, seed: int = 11, k: int = POLYA_K, a0: float = POLYA_A0) -> np.ndarray:
    """Final sales shares (urns x k) when each of `urns` independent categories sells one unit a step
    to a store drawn by the model's weight (a0 + trailing sales) through its traffic table."""
    rng = np.random.default_rng(seed)
    table = ranking.TrafficTable(np.repeat(np.arange(urns), k), urns)
    trailing = np.zeros(urns * k)
    everyone = np.arange(urns)
    for _ in range(draws):
        table.update(ranking.ranking_weight(trailing, a0, 1.0))
        sold = table.draw(rng, everyone, 1)[:, 0]
        ranking.decay_trailing(trailing, np.bincount(sold, minlength=urns * k).astype(float), np.inf)
    return trailing.reshape(urns, k) / draws


def polya(ctx: Context) -> list[Check]:
    urns, n, k, a0 = ctx.size.polya_urns, ctx.size.polya_draws, POLYA_K, POLYA_A0
    shares = simulate_polya(urns, n)
    ctx.progress(1.0)
    p = 1 / k
    expected = float(np.sqrt(p * (1 - p) * (n + k * a0) / (n * (k * a0 + 1))))
    limit = float(np.sqrt(p * (1 - p) / (k * a0 + 1)))
    sd = float(shares.std())
    se = float(shares.std(axis=1).std(ddof=1) / np.sqrt(urns))
    ctx.figure(SECTION, "fig_polya", "Ranking feedback docking: stores' final shares against the "
               "Dirichlet marginal Beta(a0, (K-1) a0)", lambda: polya_figure(shares))
    return [Check(SECTION, "Polya urn share spread",
                  f"{expected:.4f} ± 3 SE (Dirichlet-multinomial after {n} draws; limit {limit:.4f})",
                  f"{sd:.4f} (SE {se:.4f})",
                  f"standard deviation of final sales shares of K={k} stores with weight a0={a0:g} + past "
                  f"sales (exponent 1, no decay), {urns:,} independent categories of `ranking.TrafficTable`, "
                  f"{n} sales each", bool(abs(sd - expected) < 3 * se), ctx.command("polya"),
                  {"value": sd, "se": se, "expected": expected})]


def polya_figure(shares: np.ndarray):
    import matplotlib.pyplot as plt
    from scipy import stats
    k = shares.shape[1]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.hist(shares.ravel(), bins=40, density=True, color="C0", alpha=0.6, label="model")
    x = np.linspace(0.001, max(0.6, shares.max()), 300)
    ax.plot(x, stats.beta.pdf(x, POLYA_A0, (k - 1) * POLYA_A0), color="black", label="Beta(a0, (K-1) a0)")
    ax.set_xlabel("store's share of its category's sales")
    ax.set_ylabel("density")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig
