"""Share-to-unlock diffusion, docked to the discrete Bass model (ODD 7.13).

The docking simulation calls the function the model calls (`social_sharing.adopters`) in a fully
mixed population: each step every adopter shares with K contacts drawn afresh from everyone
(`social_sharing.random_ties`), each contact adopts with ADOPT, and every non-adopter also adopts on
her own with P (innovation). A non-adopter then receives about Poisson(K F) shares, so the expected
path is `bass_recursion(P, K x ADOPT, steps)`, hazard 1 - (1 - P) exp(-Q F).
"""

import numpy as np

from ptsim.submodels import social_sharing as ss

N, P, K, ADOPT, STEPS, RUNS = 10_000, 0.03, 4, 0.095, 25, 20
Q = K * ADOPT


def simulate(seed):
    rng = np.random.default_rng(seed)
    everyone = np.arange(N)
    adopted = np.zeros(N, dtype=bool)
    path = [0.0]
    for _ in range(STEPS):
        contacts = ss.random_ties(rng, everyone, K)[adopted]          # fresh contacts every step
        who, _ = ss.adopters(rng, contacts, ADOPT)
        new = np.zeros(N, dtype=bool)
        new[who] = True
        new |= rng.random(N) < P                                      # innovation
        adopted |= new
        path.append(adopted.mean())
    return np.array(path)


def test_recursion_values():
    f = ss.bass_recursion(P, Q, 10)
    assert f[0] == 0 and np.isclose(f[1], P, rtol=0, atol=1e-15)
    assert np.isclose(f[2], P + (1 - (1 - P) * np.exp(-Q * P)) * (1 - P), rtol=0, atol=1e-15)
    # the hazard is at most the classic p + qF (so the discrete path lags the continuous curve F(t))
    # and close to it for small q
    assert f[5] < 0.3312 and f[10] < 0.8128
    classic = [0.0]
    for _ in range(10):
        classic.append(classic[-1] + (P + 0.01 * classic[-1]) * (1 - classic[-1]))
    assert np.abs(ss.bass_recursion(P, 0.01, 10) - classic).max() < 1e-3


def test_adopters_come_once_each_with_their_sharer():
    rng = np.random.default_rng(0)
    contacts = np.array([[4, 5, -1], [5, 6, 4]])
    who, row = ss.adopters(rng, contacts, 1.0)
    assert list(who) == [4, 5, 6] and list(row) == [0, 0, 1]           # first sharer of each consumer
    who, row = ss.adopters(rng, contacts, 0.0)
    assert who.size == 0 and row.size == 0


def test_mean_adoption_follows_discrete_bass_within_4_se():
    expected = ss.bass_recursion(P, Q, STEPS)
    paths = np.array([simulate(seed) for seed in range(RUNS)])
    mean = paths.mean(axis=0)
    se = paths.std(axis=0, ddof=1) / np.sqrt(RUNS)
    # floor: the standard error of a mean of N x RUNS Bernoulli(F) draws (runs can agree by chance)
    se = np.maximum(se, np.sqrt(expected * (1 - expected) / (N * RUNS)))
    assert np.all(np.abs(mean - expected) <= 4 * se), np.c_[mean, expected, se]
    assert expected[-1] > 0.9 and mean[STEPS // 2] > 0.3                 # the curve took off


def test_each_step_follows_the_bass_hazard_within_4_se():
    path = simulate(99)
    f = path[:-1]
    hazard = 1 - (1 - P) * np.exp(-Q * f)
    expected_next = f + hazard * (1 - f)
    se = np.sqrt(hazard * (1 - hazard) * (1 - f) / N)
    done = f > 1 - 1e-9
    assert np.all(np.abs(path[1:] - expected_next)[~done] < 4 * se[~done] + 1e-12)


def test_random_ties_point_to_users_only():
    rng = np.random.default_rng(0)
    users = np.array([3, 5, 9])
    ties = ss.random_ties(rng, users, 4)
    assert ties.shape == (3, 4) and np.isin(ties, users).all()
    assert (ss.random_ties(rng, np.array([7]), 3) == -1).all()


def direct_orders(buyers, store):
    from ptsim.orders import Channel, Level, Orders, Prompt
    n = buyers.size
    return Orders(buyers=buyers, stores=np.full(n, store), category=np.zeros(n, np.int64),
                  level=np.full(n, Level.MEMBER, np.int8), price=np.ones(n), depth=np.zeros(n),
                  insider=np.zeros(n, bool), channel=np.full(n, Channel.DIRECT), slot=np.zeros(n, np.int64),
                  prompt=Prompt.WECHAT_TOUCH)


def test_share_to_unlock_ties_every_contact_to_the_store_when_all_share_and_adopt():
    from conftest import small

    from ptsim import PrivateTrafficModel
    s = small(**{"run.burn_in_days": 0, "policies.wechat_direct.mode": "open", "wechat.share_prob": 1.0,
                 "wechat.share_adopt_prob": 1.0})
    m = PrivateTrafficModel(s, rng=3, create_agents=False)
    m.step()                                                          # WeChat direct has started
    c, store = m.consumers, 11
    buyers = np.flatnonzero((c.wechat_ties >= 0).any(axis=1))[:20]
    contacts = np.unique(c.wechat_ties[buyers])
    contacts = contacts[contacts >= 0]
    ss.share_to_unlock(m, direct_orders(buyers, store))
    tied = (c.rel_merchant[contacts] == store) & c.rel_wechat[contacts]
    assert contacts.size > 20 and tied.any(axis=1).all()
    # without the policy's share-to-unlock nothing spreads
    s = s.with_overrides({"policies.wechat_direct.share_to_unlock": False})
    m = PrivateTrafficModel(s, rng=3, create_agents=False)
    m.step()
    before = m.consumers.rel_merchant.copy()
    ss.share_to_unlock(m, direct_orders(buyers, store))
    assert (m.consumers.rel_merchant == before).all()
