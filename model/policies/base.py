"""The policy base class: the hooks through which a policy (a lever) reaches the day.

The model calls action hooks at fixed points: `setup` once after initialisation, `start_day` before
prices and ranking, `on_purchase` for each batch of purchases (in the purchase pipeline, `shopping.buy`),
`end_day` after the day's purchases.
Submodels ask query hooks where a policy changes what they compute (ranking GMV and multipliers,
prices, need rates, the WeChat regime, what diverting saves and risks). A policy reports money it
moves through `flows`. Policies with a start day act from that recorded day on (`model.record_day`);
before it the status quo holds. A scenario's timeline may change a running policy's settings on a record
day: the policy keeps its state, gets the new `params` and `config`, and is told through `retune`.
"""

from __future__ import annotations

import numpy as np


class Policy:
    """Base class: every hook is neutral unless a policy overrides it."""

    name = "policy"

    def __init__(self, params, config):
        self.params = params
        self.config = config

    @classmethod
    def enabled(cls, params) -> bool:
        """Whether the scenario's settings make this policy do anything (a disabled one is not built)."""
        return getattr(params, "enabled", True)

    # action hooks
    def setup(self, model) -> None:
        pass

    def start_day(self, model) -> None:
        pass

    def stop(self, model) -> None:
        """The scenario turns the policy off at record day 0 (it ran in the status quo before), or its
        timeline does on a later day."""

    def retune(self, model, old_params) -> None:
        """The policy's settings changed while it runs (at record day 0 or a timeline day): `self.params`
        holds the new ones. Neutral by default, for policies that read their settings afresh each day;
        a policy that derives state from them at setup or start updates that state here."""

    def on_purchase(self, model, orders) -> None:
        pass

    def end_day(self, model) -> None:
        pass

    def flows(self, model) -> dict[str, float]:
        """Today's money moved by the policy, by outcome name (agent scale); read once at end of day."""
        return {}

    # query hooks of a consumer's offers at particular stores (instruments: coupons, store credit); the
    # flags say a policy has them, so the pipeline asks only those
    prices_offers = False
    values_offers = False
    touches_consumers = False

    def offer_price_factor(self, model, who: np.ndarray, stores: np.ndarray):
        """Factor on the price consumer `who[i]` pays at `stores[i]` (same shapes)."""
        return 1.0

    def offer_utility(self, model, who: np.ndarray, stores: np.ndarray):
        """Extra utility of store `stores[i]` for consumer `who[i]` (same shapes)."""
        return 0.0

    def touches(self, model):
        """Today's touches of the policy's own (a member day, a launch preview), as `orders.Touches`."""
        return None

    # query hooks
    def ranking_gmv(self, model, gmv: np.ndarray) -> np.ndarray:
        """The GMV a store's ranking weight is computed from."""
        return gmv

    def weight_multiplier(self, model):
        """Factor on each store's ranking weight."""
        return 1.0

    def price_factor(self, model, buyers: np.ndarray):
        """Factor on the price each buyer pays (memberships, coupons)."""
        return 1.0

    def rate_factor(self, model, who: np.ndarray):
        """Factor on each consumer's need rate."""
        return 1.0

    def direct_stores(self, model) -> np.ndarray | None:
        """Stores whose WeChat community buys inside WeChat today (WeChat direct), or None."""
        return None

    def direct_friction(self, model, friction: float) -> float:
        """Share of WeChat-direct purchases lost to friction (default: as when switching apps)."""
        return friction

    def share_to_unlock(self, model) -> bool:
        """Whether WeChat-direct buyers pass share-to-unlock coupons to their WeChat contacts."""
        return False

    def stops_diversion(self, model) -> np.ndarray | None:
        """Share of each store that may not divert to WeChat today (caught, or under penalty), or None."""
        return None

    def commission_rate(self, model) -> np.ndarray | float:
        """Commission each store pays per yuan of on-platform GMV, net of the rebates it expects (what it
        saves per yuan it diverts off-platform)."""
        return 0.0

    def expected_diversion_penalty(self, model) -> float:
        """Expected loss per yuan of monthly public GMV a store risks by diverting for a month."""
        return 0.0
