"""The Interventions section of the validation report: seed 004's cases run, held out from calibration."""

from conftest import ROOT

from ptsim.validation import QUICK, Context
from ptsim.validation.interventions import CASES, PLATFORM, interventions


def test_no_case_figure_is_a_calibration_target():
    text = (ROOT / "targets" / "published.yaml").read_text(encoding="utf-8").lower()
    for case in CASES:
        assert case.name.split(" (")[0].lower() not in text
        for f in case.figures:
            assert f.text.lower() not in text, f"{case.name}: {f.text} appears in targets/published.yaml"
    for word in ("coupon", "top up", "top-up", "insider sale", "koc"):
        assert word not in text


def test_the_section_runs_every_case_figure_and_says_why_platform_figures_are_not_run():
    ctx = Context(QUICK)
    checks = interventions(ctx)
    n_figures = sum(len(c.figures) for c in CASES)
    assert len(checks) == n_figures + len(PLATFORM)
    for check in checks[:n_figures]:
        assert check.numbers["published"] and "within 1.5x" in check.target
        assert (check.passed is None) == (not check.numbers["held_out"])
    for check in checks[n_figures:]:
        assert check.passed is None and len(check.definition) > 40
    table = ctx.tables["interventions"][0]
    assert "Held-out readings within 1.5x" in table
