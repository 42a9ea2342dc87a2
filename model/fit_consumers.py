"""The old path of `ptsim.calibration.fit_consumers` (BG/NBD and Gamma-Gamma fitted to a transaction log)."""

from .calibration.fit_consumers import *  # noqa: F403
from .calibration.fit_consumers import __all__  # noqa: F401
