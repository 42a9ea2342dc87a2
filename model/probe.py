"""Price probes: the store-level own-price and the category-level elasticities that emerge from choices.

On the model's current state, a sample of consumers with needs is shown offers twice, once at current
prices and once with a random tenth of stores 1% dearer (same exposure draws). The elasticity is the
relative change in those stores' expected demand (logit choice probabilities) per relative change in
price. The meta-analytic mean of brand-level price elasticities is -2.62 (Bijmolt, van Heerde &
Pieters 2005). The category-level probe makes every store 1% dearer: only the outside option (not
buying now) takes the demand lost, which should give about a quarter of the brand-level elasticity
(Bell, Chiang & Padmanabhan 1999), near -0.6. The probes read the state and never change it, and use
their own random generator.
"""

from __future__ import annotations

import numpy as np

from .submodels.choice import logit_shares, offers
from .submodels.purchase_timing import draw_categories


def _sample(model, n_needs: int, rng: np.random.Generator):
    """A sample of alive consumers with a need each (category from their preferences), and the seed of
    the exposure draws shared by every pricing of their offers."""
    c = model.consumers
    alive = np.flatnonzero(c.alive)
    buyers = rng.choice(alive, size=min(n_needs, alive.size), replace=False)
    return buyers, draw_categories(rng, c.category_cdf[buyers]), int(rng.integers(2**31))


def _shares(grid: dict, rows: np.ndarray) -> np.ndarray:
    """Logit choice probabilities of the offers of `rows` (unavailable ones zero), the outside option
    (not buying now) taking the rest."""
    util = np.where(grid["available"][rows], grid["util"][rows], -np.inf)
    with_outside = np.concatenate([util, np.full((util.shape[0], 1), grid["outside"])], axis=1)
    return logit_shares(with_outside)[:, :-1]


def price_elasticity(model, n_needs: int = 20_000, bump: float = 0.01, store_share: float = 0.1,
                     draws: int = 10, seed: int = 0) -> float:
    """Own-price elasticity of demand, averaged over `draws` random sets of stores (a `store_share`
    each), at the model's current state."""
    rng = np.random.default_rng(seed)
    m = model.merchants
    buyers, cats, exposure_seed = _sample(model, n_needs, rng)
    base = offers(model, buyers, cats, np.random.default_rng(exposure_seed))
    rows = base["available"].any(axis=1)
    stores = np.maximum(base["stores"][rows], 0)
    available = base["available"][rows]
    p0 = _shares(base, rows)
    estimates = []
    for _ in range(draws):
        targets = rng.random(m.n) < store_share
        on_target = targets[stores] & available
        # a 1% dearer price lowers utility by the price terms' response to log price
        shocked = offers(model, buyers, cats, np.random.default_rng(exposure_seed),
                         price_factor=np.where(targets, 1.0 + bump, 1.0))
        p1 = _shares(shocked, rows)
        d0, d1 = p0[on_target].sum(), p1[on_target].sum()
        if d0 > 0:
            estimates.append((d1 / d0 - 1.0) / bump)
    return float(np.mean(estimates)) if estimates else 0.0


def category_elasticity(model, n_needs: int = 20_000, bump: float = 0.01, seed: int = 0) -> float:
    """Category-level (primary-demand) price elasticity: every store 1% dearer for a sample of needs (same
    exposure draws); the relative change in the expected number of needs bought (logit probabilities, the
    outside option taking the rest) per relative change in price."""
    rng = np.random.default_rng(seed)
    buyers, cats, exposure_seed = _sample(model, n_needs, rng)
    base = offers(model, buyers, cats, np.random.default_rng(exposure_seed))
    rows = base["available"].any(axis=1)
    shocked = offers(model, buyers, cats, np.random.default_rng(exposure_seed),
                     price_factor=np.full(model.merchants.n, 1.0 + bump))
    d0, d1 = _shares(base, rows).sum(), _shares(shocked, rows).sum()
    return float((d1 / d0 - 1.0) / bump) if d0 > 0 else 0.0
