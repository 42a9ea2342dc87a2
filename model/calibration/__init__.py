"""Calibration: fit scenario parameters to published facts (`targets/published.yaml`) with Optuna.

    from ptsim.calibration import load_targets, calibrate

    targets = load_targets()                       # targets/published.yaml, validated
    targets.loss({"member_aov_ratio": 1.8, ...})   # zero inside every band
    c = calibrate("scenarios/baseline.yaml", targets, {"choice.deal_utility": (0.5, 3.0)},
                  trials=40, reps=4, workers=2, out="results/cal")
    c.best_params, c.fit, c.near_best

See docs/calibration.md for the targets file, the loss, the study on disk, resuming, the trials near the
best (not a posterior) and the posterior (`posterior_fit.fit_posterior`, `ptsim calibrate --method abc`).
"""

from .targets import TARGETS_FILE, Target, TargetsError, TargetSet, load_targets, read_values

__all__ = ["TARGETS_FILE", "Target", "TargetSet", "TargetsError", "load_targets", "read_values", "calibrate",
           "Calibration"]


def __getattr__(name):                 # the study (and Optuna) only when asked for
    if name in ("calibrate", "Calibration"):
        from . import study
        return getattr(study, name)
    raise AttributeError(name)
