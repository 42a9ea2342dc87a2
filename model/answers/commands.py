"""The command that reproduces each number of the answers report, written with two shell variables the report
defines once: $SIZE (the world's size) and $ASSUMPTIONS (the ranges of layer 3's Morris design)."""

from __future__ import annotations

from ..scenario import nested_fields
from .questions import STORE_TRIAL, Effect, Size, store_trial_overrides
from .uncertainties import ranges

TRIAL_FILE = f"{STORE_TRIAL}.yaml"      # written beside the report's figures


def _num(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else f"{v:g}" if isinstance(v, float) else str(v)


def size_text(size: Size) -> str:
    """The `--set` options of a size (the value of $SIZE)."""
    return " ".join(f"--set {k}={_num(v)}" for k, v in size.overrides().items())


def assumptions_text() -> str:
    """The `--param` ranges of layer 3 (the value of $ASSUMPTIONS), in the sample's column order."""
    return " ".join(f"--param {f}={_num(r['low'])}:{_num(r['high'])}" for f, r in ranges().items())


def arm_arg(name: str, trial_path: str) -> str:
    """The command-line name of an arm: a library name, or the store experiment's scenario file."""
    return trial_path if name == STORE_TRIAL else name


def compare_command(effect: Effect, reps: int, trial_path: str, posterior: str | None = None,
                    draws: int | None = None) -> str:
    """`ptsim compare REFERENCE ARM` on the same seeds (with the posterior's vectors for layer 2)."""
    extra = f" --posterior {posterior} --draws {draws}" if posterior else ""
    return (f"ptsim compare {arm_arg(effect.reference, trial_path)} {arm_arg(effect.arm, trial_path)} "
            f"--reps {reps}{extra} $SIZE")


def where(effect: Effect) -> str:
    """Where in the command's output folder the number is: the store experiment's is in treatment_effects.csv."""
    return " (treatment_effects.csv: stores, gmv, effect_pct)" if effect.relative else ""


def sweep_command(arm: str, samples: int, trial_path: str) -> str:
    """`ptsim sweep ARM --morris` over the assumptions: the same points and seed as layer 3's runs of that arm."""
    return f"ptsim sweep {arm_arg(arm, trial_path)} --morris $ASSUMPTIONS --samples {samples} --reps 1 $SIZE"


def answers_command(size: Size, posterior: str | None, workers: int) -> str:
    """The `ptsim answers` command that made the report (layer 3's numbers come from it)."""
    return (f"ptsim answers --size {size.name}" + (f" --posterior {posterior}" if posterior else "") +
            f" --workers {workers}")


def trial_yaml(size: Size) -> str:
    """The store experiment as a scenario file (extends baseline) at this size's number of stores."""
    import yaml
    data = nested_fields(store_trial_overrides(size.merchants))
    head = ("# The store experiment of the answers report (question 3): notebook 06's one-off insider sale to\n"
            "# old customers at a few growth-tier stores, against the same stores in baseline. Written by\n"
            "# `ptsim answers`; do not edit by hand.\n")
    count = data["treatment"]["stores"]["count"]
    body = {"extends": "baseline", "name": data.pop("name"),
            "description": f"Store experiment: a one-off 7-day insider sale to old customers on record day 0 at "
                           f"{count} growth-tier stores (notebook 06).", **data}
    return head + yaml.safe_dump(body, sort_keys=False)
