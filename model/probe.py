"""Price probe: the store-level own-price elasticity that emerges from consumers' choices.

On the model's current state, a sample of consumers with needs is shown offers twice, once at current
prices and once with a random tenth of stores 1% dearer (same exposure draws). The elasticity is the
relative change in those stores' expected demand (logit choice probabilities) per relative change in
price. The meta-analytic mean of brand-level price elasticities is -2.62 (Bijmolt, van Heerde &
Pieters 2005). The probe reads the state and never changes it, and uses its own random generator.
"""

from __future__ import annotations

import numpy as np

from .submodels.choice import logit_shares, offers
from .submodels.purchase_timing import draw_categories


def price_elasticity(model, n_needs: int = 20_000, bump: float = 0.01, store_share: float = 0.1,
                     draws: int = 10, seed: int = 0) -> float:
    """Own-price elasticity of demand, averaged over `draws` random sets of stores (a `store_share`
    each), at the model's current state."""
    rng = np.random.default_rng(seed)
    c, m = model.consumers, model.merchants
    alive = np.flatnonzero(c.alive)
    buyers = rng.choice(alive, size=min(n_needs, alive.size), replace=False)
    cats = draw_categories(rng, c.category_cdf[buyers])
    exposure_seed = int(rng.integers(2**31))
    base = offers(model, buyers, cats, np.random.default_rng(exposure_seed))
    rows = base["available"].any(axis=1)
    stores = np.maximum(base["stores"][rows], 0)
    available = base["available"][rows]
    p0 = logit_shares(np.where(available, base["util"][rows], -np.inf))
    estimates = []
    for _ in range(draws):
        targets = rng.random(m.n) < store_share
        on_target = targets[stores] & available
        # a 1% dearer price lowers utility by the price terms' response to log price
        shocked = offers(model, buyers, cats, np.random.default_rng(exposure_seed),
                               price_factor=np.where(targets, 1.0 + bump, 1.0))
        p1 = logit_shares(np.where(available, shocked["util"][rows], -np.inf))
        d0, d1 = p0[on_target].sum(), p1[on_target].sum()
        if d0 > 0:
            estimates.append((d1 / d0 - 1.0) / bump)
    return float(np.mean(estimates)) if estimates else 0.0
