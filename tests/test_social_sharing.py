"""Share-to-unlock diffusion docked to the discrete Bass model (DESIGN section 7)."""

import numpy as np

from ptsim.submodels import social_sharing as ss

N, P, Q, STEPS = 10_000, 0.03, 0.38, 25


def simulate(seed):
    rng = np.random.default_rng(seed)
    adopted = np.zeros(N, dtype=bool)
    path = [0.0]
    for _ in range(STEPS):
        adopted = ss.bass_step(rng, adopted, P, Q, adopted.mean())   # fully mixed: contacts = everyone
        path.append(adopted.mean())
    return np.array(path)


def test_recursion_values():
    f = ss.bass_recursion(P, Q, 10)
    assert f[1] == P and abs(f[2] - (P + (P + Q * P) * (1 - P))) < 1e-12
    # the continuous curve F(t) is only met as the step shrinks: the discrete one lags it
    assert f[5] < 0.3312 and f[10] < 0.8128


def test_mean_adoption_follows_discrete_bass_within_001():
    expected = ss.bass_recursion(P, Q, STEPS)
    mean_path = np.mean([simulate(seed) for seed in range(20)], axis=0)
    assert np.abs(mean_path - expected).max() < 0.01


def test_each_step_follows_the_bass_hazard_within_001():
    path = simulate(99)
    f = path[:-1]
    expected_next = f + (P + Q * f) * (1 - f)
    assert np.abs(path[1:] - expected_next).max() < 0.01


def test_random_ties_point_to_users_only():
    rng = np.random.default_rng(0)
    users = np.array([3, 5, 9])
    ties = ss.random_ties(rng, users, 4)
    assert ties.shape == (3, 4) and np.isin(ties, users).all()
    assert (ss.random_ties(rng, np.array([7]), 3) == -1).all()
