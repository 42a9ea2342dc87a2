"""Spend levels (Gamma-Gamma) and the selection they drive into follows and memberships (spend.py)."""

import numpy as np
import pytest
from conftest import small
from scipy import stats

from ptsim import PrivateTrafficModel
from ptsim.orders import Level
from ptsim.submodels import spend


def test_spend_levels_have_mean_one_and_the_gamma_gamma_spread():
    q, n = 3.74, 400_000
    s = spend.draw_levels(np.random.default_rng(1), n, q)
    # 1 / s is Gamma(q, 1 / (q - 1)): its mean and variance are finite, so the test is sharp
    inv = 1.0 / s
    assert inv.mean() == pytest.approx(q / (q - 1), abs=4 * inv.std() / np.sqrt(n))
    assert stats.kstest(inv, stats.gamma(q, scale=1 / (q - 1)).cdf).pvalue > 1e-3
    assert np.median(s) == pytest.approx((q - 1) / stats.gamma(q).median(), rel=0.01)


def test_join_weights_keep_the_mean_chance_and_favour_heavier_spenders():
    q = 3.74
    assert spend.mean_power(1.0, q) == pytest.approx(1.0)           # E[s] = 1
    assert spend.mean_power(0.0, q) == pytest.approx(1.0)
    s = spend.draw_levels(np.random.default_rng(2), 400_000, q)
    for beta in (0.5, 1.0):
        w = spend.join_weights(s, beta, q)
        assert w.mean() == pytest.approx(1.0, abs=4 * w.std() / np.sqrt(w.size))
        assert (np.diff(w[np.argsort(s)]) >= 0).all()
    assert np.allclose(spend.join_weights(s, 0.0, q), 1.0)


def test_baskets_vary_around_the_buyers_level():
    level = np.full(200_000, 2.5)
    b = spend.baskets(np.random.default_rng(3), level, 6.25)
    assert b.mean() == pytest.approx(2.5, abs=4 * b.std() / np.sqrt(b.size))
    assert b.std() / b.mean() == pytest.approx(1 / np.sqrt(6.25), rel=0.02)


@pytest.fixture(scope="module")
def selected():
    """One small year with strong selection and one where joining ignores spend (same seed)."""
    out = {}
    for beta in (0.0, 1.2):
        m = PrivateTrafficModel(small(**{"relationships.spend_selection": beta, "run.days": 120}), rng=5,
                                create_agents=False)
        out[beta] = m.run()
    return out


def test_heavier_spenders_hold_more_fan_and_member_ties_only_when_joining_selects(selected):
    """Mean spend level of consumers over their fan-or-above ties vs their visitor ties: about equal
    without selection, clearly higher with it (the member order-value ratio comes from who joins)."""
    gaps = {}
    for beta, m in selected.items():
        c = m.consumers
        who_fan, _ = np.nonzero(c.rel_level >= Level.FAN)
        who_vis, _ = np.nonzero(c.rel_level == Level.VISITOR)
        a, b = c.spend_level[who_fan], c.spend_level[who_vis]
        se = np.sqrt(a.var() / a.size + b.var() / b.size)
        gaps[beta] = (a.mean() - b.mean(), se)
    gap0, se0 = gaps[0.0]
    gap1, se1 = gaps[1.2]
    assert abs(gap0) < 4 * se0 + 0.05            # seeded day-0 ties are not selected: a little slack
    assert gap1 > gap0 + 4 * np.hypot(se0, se1)
    assert selected[1.2].summary()["member_aov_ratio"] > selected[0.0].summary()["member_aov_ratio"]


def test_a_selection_strength_that_makes_members_mean_order_value_infinite_is_refused():
    from ptsim.scenario import ScenarioError
    with pytest.raises(ScenarioError, match=r"relationships.spend_selection: must be below \(spend.q - 1\) / 2"):
        small(**{"relationships.spend_selection": 1.5})


def test_a_tail_set_on_the_command_line_that_breaks_the_files_selection_names_both_origins():
    """spend.q from --set makes the file's spend_selection too strong: the one line names the file's field
    and says the other value came from --set."""
    from ptsim.scenario import ScenarioError, load_scenario
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {"spend.q": 2.5})
    msg = str(info.value)
    assert "\n" not in msg and "baseline.yaml: relationships.spend_selection: must be below" in msg
    assert msg.endswith("; spend.q = 2.5 from --set)")
