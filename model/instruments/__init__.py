"""Store instruments (seed 004's LINK+ tools): one module per instrument, each an `Instrument` built from
its block under `instruments:` in the scenario, reaching the treated units (`treatment:`)."""

from __future__ import annotations

from .base import Instrument
from .coupons import Coupons
from .fan_perks import FanPerks
from .insider_sale_once import InsiderSaleOnce
from .launch import Launch
from .offsite_content import OffsiteContent
from .store_credit import StoreCredit

# the fixed order in which hooks run (after the platform's policies)
INSTRUMENT_CLASSES = (InsiderSaleOnce, Launch, FanPerks, Coupons, StoreCredit, OffsiteContent)


def build_instruments(config) -> tuple[Instrument, ...]:
    """The scenario's enabled instruments, in the fixed order their hooks run."""
    return tuple(cls(getattr(config.instruments, cls.name), config) for cls in INSTRUMENT_CLASSES
                 if cls.enabled(getattr(config.instruments, cls.name)))


__all__ = ["Instrument", "build_instruments", "INSTRUMENT_CLASSES"]
