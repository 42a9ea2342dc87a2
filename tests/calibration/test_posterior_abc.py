"""The posterior (`ptsim calibrate --method abc`): the measurement model, the emulators, ABC-SMC against an
exact posterior, the coverage check (it passes for a calibrated inference and fails for an overconfident
one), the priors file, and the command end to end with --resume. Toy models of the calibration's shape keep
it to seconds; the simulator's own coverage check is in the validation report."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr
from scipy.stats import qmc

from ptsim.calibration.abc import EmulatedModel, run_abc
from ptsim.calibration.coverage import check_coverage
from ptsim.calibration.emulator import Emulator, held_out_check
from ptsim.calibration.likelihood import Statement, statements
from ptsim.calibration.priors import PriorsError, load_priors
from ptsim.calibration.targets import load_targets

SIGMA = np.array([0.05, 0.05, 0.08, 0.04])


def toy(u: np.ndarray) -> np.ndarray:
    """Four smooth summaries of three parameters (rows of u), like ratios of the simulator's outcomes."""
    u = np.atleast_2d(u)
    a, b, c = u[:, 0], u[:, 1], u[:, 2]
    return np.stack([a + 0.5 * b, b * (1 + c), np.exp(a - c), a * b + c], axis=1)


class Toy:
    def __call__(self, u):
        return {f"s{j}": float(v) for j, v in enumerate(toy(u)[0])}


def toy_statements(shrink: float = 1.0, observed=None):
    """Three values observed with error and one one-sided statement (s3 at least 0.5)."""
    obs = observed if observed is not None else [0.6, 0.9, 1.0, 1.0]
    out = [Statement(f"s{j}", "value", math.nan, SIGMA[j] * shrink, obs[j]) for j in range(3)]
    return out + [Statement("s3", "at_least", 0.5, SIGMA[3] * shrink, 1.0)]


def test_the_measurement_model_reads_bands_as_data_and_leaves_structural_limits_out():
    t = load_targets()
    st = {s.name: s for s in statements(t)}
    assert "member_aov_ratio" not in st and "fan_return_visit_ratio" not in st and "n_vip_growth" not in st
    price = st["price_elasticity"]                         # band -3.0 to -2.2: sd a quarter of its width
    assert price.kind == "value" and price.sd == pytest.approx(0.2) and price.observed == -2.62
    vip = st["n_vip_start"]                                # weight 0.5: sd / sqrt(0.5)
    assert vip.sd == pytest.approx((50.4e6 - 33.6e6) / 4 / math.sqrt(0.5))
    share = st["share_gmv_relationship"]                   # ">= 60%", scale 0.12
    assert share.kind == "at_least" and share.bound == 0.6 and share.sd == pytest.approx(0.06)
    assert math.exp(share.log_likelihood(0.6)) == pytest.approx(0.5)
    assert math.exp(share.log_likelihood(0.72)) == pytest.approx(ndtr(2.0))
    rng = np.random.default_rng(1)                         # simulated statements hold as often as they should
    held = np.mean([share.simulate(0.66, rng) for _ in range(4000)])
    assert abs(held - ndtr(1.0)) < 3 * math.sqrt(ndtr(1.0) * (1 - ndtr(1.0)) / 4000)


def test_emulator_learns_the_expected_value_and_the_replication_noise():
    rng = np.random.default_rng(0)
    u = qmc.LatinHypercube(d=3, seed=0).random(80)
    y = toy(u)[:, 1] + rng.normal(0, 0.03, 80)
    em = Emulator.fit(u, {"s1": y})
    assert em.targets["s1"].replication_sd == pytest.approx(0.03, rel=0.35)
    test = rng.random((200, 3))
    m, sd = em.targets["s1"].predict(test)
    z = (m - toy(test)[:, 1]) / sd
    assert np.mean(np.abs(z) < 1.96) > 0.85                 # its uncertainty about the mean is honest
    check = held_out_check(em, u, {"s1": y})["s1"]
    assert check["coverage_95"] > 0.85 and check["explained"] > 0.9


def test_abc_smc_on_the_toy_recovers_the_exact_posterior():
    stmts = toy_statements()
    draws = np.random.default_rng(2).random((400_000, 3))  # the exact posterior by importance sampling
    s = toy(draws)
    logw = sum(st.log_likelihood_array(s[:, j]) for j, st in enumerate(stmts))
    w = np.exp(logw - logw.max())
    w /= w.sum()
    mean, sd = w @ draws, np.sqrt(w @ (draws - w @ draws) ** 2)
    sample = run_abc(Toy(), 3, stmts, population=300, seed=3)
    assert sample.reached_posterior
    m = sample.weight @ sample.unit
    sdd = np.sqrt(sample.weight @ (sample.unit - m) ** 2)
    assert np.all(np.abs(m - mean) < 0.35 * sd), (m, mean, sd)
    assert np.all((sdd / sd > 0.75) & (sdd / sd < 1.3)), sdd / sd


@pytest.mark.parametrize("shrink, passes", [(1.0, True), (0.35, False)], ids=["calibrated", "overconfident"])
def test_coverage_check_passes_a_calibrated_inference_and_fails_an_overconfident_one(shrink, passes):
    """20 truths: a 90% interval must cover 73-100% of them; one whose error is told 0.35x too small covers
    about 45%."""
    truths = np.random.default_rng(5).random((20, 3))
    values = [Toy()(t) for t in truths]
    cov = check_coverage(Toy(), ("a", "b", "c"), toy_statements(shrink), truths, values, seed=7, population=40,
                         truth_stmts=toy_statements(1.0))
    table = cov.table()
    assert list(table["parameter"]) == ["a", "b", "c", "all"]
    assert cov.passed is passes, table


def test_emulated_model_widens_the_likelihood_by_the_emulators_doubt():
    u = qmc.LatinHypercube(d=3, seed=1).random(12)          # few runs: an uncertain emulator
    em = Emulator.fit(u, {"s0": toy(u)[:, 0]})
    x = EmulatedModel(em, ["s0"])(np.array([0.5, 0.5, 0.5]))
    assert x["s0__var"] > 0
    st = Statement("s0", "value", math.nan, 0.05, x["s0"] + 0.2)
    assert st.log_likelihood(x["s0"], x["s0__var"]) > st.log_likelihood(x["s0"])


def test_shipped_priors_validate_and_bad_priors_files_get_one_line(tmp_path):
    from ptsim import load_scenario
    p = load_priors()
    p.check(load_scenario("baseline"))
    assert len(p.names) == len(set(p.names)) >= 5 and all(p.sources)
    cases = {
        "parameters:\n  - {name: choice.deal_utility, low: 1, high: 0.5, source: x}\n": "must be below high",
        "parameters:\n  - {name: choice.deal_utility, low: 0, high: 1, source: x, shape: 2}\n": "unknown key",
        "parameters:\n  - {name: choice.deal_utility, low: 0, high: 1}\n": "source",
        "parameters:\n  - {name: choice.nope, low: 0, high: 1, source: x}\n": "choice.nope",
        "parameters:\n  - {name: population.consumers, low: 10, high: 100, source: x}\n": "setting of the runs",
        ("parameters:\n  - {name: choice.deal_utility, low: 0, high: 1, source: x}\n"
         "  - {name: choice.deal_utility, low: 0, high: 2, source: y}\n"): "given twice",
    }
    for text, msg in cases.items():
        f = tmp_path / "p.yaml"
        f.write_text(text)
        with pytest.raises(PriorsError) as e:
            load_priors(f).check(load_scenario("baseline"))
        line = str(e.value)
        assert "\n" not in line and str(f) in line and msg in line, line


def _cli(*args):
    from typer.testing import CliRunner

    from ptsim.cli import app
    return CliRunner().invoke(app, [str(a) for a in args])


TINY = ["--set", "population.consumers=300", "--set", "population.merchants=20", "--set", "run.days=30",
        "--set", "run.burn_in_days=30", "--param", "relationships.join_prob=0.05:0.3",
        "--param", "lifecycle.taoqi_per_yuan=0.05:0.15", "--design", "10", "--particles", "40"]


def test_calibrate_abc_end_to_end_writes_a_posterior_that_compare_reads_and_resumes(tmp_path):
    out = tmp_path / "cal"
    r = _cli("calibrate", "baseline", "--method", "abc", *TINY, "--coverage", "3", "--out", out)
    assert r.exit_code == 0, r.output
    post = pd.read_parquet(out / "posterior.parquet")
    assert list(post.columns) == ["relationships.join_prob", "lifecycle.taoqi_per_yuan", "weight"]
    assert post["weight"].sum() == pytest.approx(1) and post["relationships.join_prob"].between(0.05, 0.3).all()
    manifest = json.loads((out / "calibration.json").read_text())
    assert manifest["abc"]["reached_posterior"] and manifest["state"] == "done"
    assert "member_aov_ratio" in manifest["left_out"] and manifest["coverage"]["truths"] == 3
    assert manifest["coverage"]["particles"] == 40                  # the check runs the reported inference
    assert set(pd.read_csv(out / "fit.csv")["role"]) >= {"data", "weight 0"}
    assert (out / "calibrated.yaml").read_text().startswith("# Written by `ptsim calibrate`: the input scenario "
                                                             "with the posterior medians")
    lines = (out / "design.jsonl").read_text().count("\n")
    again = _cli("calibrate", "baseline", "--method", "abc", *TINY, "--coverage", "3", "--out", out, "--resume")
    assert again.exit_code == 0, again.output
    assert (out / "design.jsonl").read_text().count("\n") == lines          # no run repeated
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"), post)
    changed = _cli("calibrate", "baseline", "--method", "abc", *TINY[:-2], "--particles", "50", "--out", out,
                   "--resume")
    assert changed.exit_code == 2 and "differs in population" in changed.output
    from ptsim.experiment.posterior import Posterior
    assert Posterior.load(out).effective_size() > 5


@pytest.mark.parametrize("args, message", [
    (["--method", "abcd"], "use abc"),
    (["--method", "abc", "--design", "4"], "--design: must be >= 8"),
    (["--method", "abc", "--design", "24"], "need at least 26"),
    (["--method", "abc", "--design", "30", "--coverage", "20"], "at most a third"),
    (["--method", "abc", "--param", "choice.deal_utility=0:1", "--priors", "targets/priors.yaml"], "one way"),
    (["--method", "abc", "--priors", "nope.yaml"], "priors file not found"),
])
def test_calibrate_abc_bad_options_exit_2_with_one_line(args, message, tmp_path):
    r = _cli("calibrate", "baseline", *args, "--out", tmp_path / "o")
    assert r.exit_code == 2 and message in r.output, r.output
    assert len([line for line in r.output.splitlines() if line.strip()]) == 1


def test_validation_coverage_section_reads_the_calibration_folder_and_judges_by_standard_errors(tmp_path):
    from ptsim.validation.coverage import coverage
    folder = tmp_path / "cal"
    folder.mkdir()
    assert coverage(None, folder)[0].passed is None                       # no folder: no verdict, said so
    table = [{"parameter": "a", "covered_50": 0.5, "covered_90": 0.9},
             {"parameter": "all", "covered_50": 0.52, "covered_90": 0.6}]
    (folder / "calibration.json").write_text(json.dumps({"command": "ptsim calibrate x --method abc",
                                                         "coverage": {"truths": 40, "table": table}}))
    rows = coverage(None, folder)
    assert [r.passed for r in rows] == [True, False]                       # 90% covering 60% of 40: off by 6 SE
    assert (rows[0].command == "ptsim validate --only coverage"
            and "`ptsim calibrate x --method abc`" in rows[0].definition)
