"""Purchase timing and dropout: a BG/NBD process (Fader, Hardie & Lee 2005) on a seasonal clock.

Each consumer has a latent need rate `lam` (per day, Gamma(r, alpha) across consumers) and a
dropout probability `p_drop` (Beta(a, b)). While alive, needs arrive as a Poisson process; after
each repeat purchase the consumer turns dormant with probability `p_drop`. Time is measured on a
seasonal clock whose daily increment is the day's demand multiplier, so festivals raise the need
rate for everyone without per-consumer work. Needs are scheduled as the clock time of the next
need; the daily work is a comparison over all consumers and then work only on those due. A touch may
pull the next need forward into a purchase now, or create a new one (`pull_needs`).
"""

from __future__ import annotations

import numpy as np

from ..orders import Level, Orders


def draw_rates(rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float):
    """Heterogeneous need rates (per day) and dropout probabilities."""
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p_drop = rng.beta(a, b, size=n).astype(np.float32)
    return lam, p_drop


def next_need_clock(rng: np.random.Generator, start_clock: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Clock time of the next need after `start_clock` for consumers with rates `lam`."""
    gaps = rng.standard_exponential(lam.shape[0])
    if lam.all():                                   # errstate only where a rate is 0 (it costs more than the rest)
        return start_clock + gaps / lam
    with np.errstate(divide="ignore"):
        return start_clock + gaps / lam


def dropout(rng: np.random.Generator, p_drop: np.ndarray, repeat: np.ndarray) -> np.ndarray:
    """Which buyers turn dormant after this purchase (only repeat purchases can end a customer)."""
    return repeat & (rng.random(p_drop.shape[0]) < p_drop)


def stationary_alive(lam: np.ndarray, p_drop: np.ndarray, renewal_days: float) -> np.ndarray:
    """Chance a seat is alive in the steady state of drop-out (rate lam x p per day while alive) and
    renewal (after `renewal_days` on average): mean alive spell over mean cycle."""
    return 1.0 / (1.0 + lam * p_drop * renewal_days)


def renewal_delay(rng: np.random.Generator, n: int, renewal_days: float) -> np.ndarray:
    """Days until a dormant seat is renewed (geometric, mean `renewal_days`, at least 1)."""
    return np.ceil(rng.standard_exponential(n) * renewal_days).astype(np.int32).clip(min=1)


def seasonal_clock(multipliers: np.ndarray) -> np.ndarray:
    """Cumulative clock at the start of each day (length days + 1)."""
    return np.concatenate([[0.0], np.cumsum(multipliers, dtype=np.float64)])


def draw_categories(rng: np.random.Generator, cdf: np.ndarray) -> np.ndarray:
    """Category of each need from each consumer's cumulative category preferences."""
    u = rng.random(cdf.shape[0]).astype(np.float32)
    last = cdf.shape[1] - 1
    if cdf.shape[0] < 256:
        return np.minimum((u[:, None] >= cdf).sum(axis=1), last)
    count = (u >= cdf[:, 0]).astype(np.int64)      # many needs: column by column, quicker than a row sum
    for j in range(1, last + 1):
        count += u >= cdf[:, j]
    return np.minimum(count, last)


def need_rate(model, who: np.ndarray) -> np.ndarray:
    """Need rates of `who`, as policies (88VIP, the savings card) change them."""
    lam = model.consumers.lam[who]
    if not model.modulated:
        return lam
    for policy in model.policies:
        factor = policy.rate_factor(model, who)
        if not (type(factor) is float and factor == 1.0):     # a factor of 1 leaves the rates as they are
            lam = lam * factor
    return lam


def schedule_next_need(model, who: np.ndarray, after: np.ndarray | None = None) -> None:
    """Draw the clock time of the next need of `who` (after `after`, default the end of today)."""
    start = np.full(who.size, model.clock[model.day + 1]) if after is None else after
    model.consumers.next_need[who] = next_need_clock(model.stream("purchase_timing"), start,
                                                     need_rate(model, who))


def wake(model, who: np.ndarray) -> None:
    """Dormant consumers become customers again and get a next need."""
    model.consumers.alive[who] = True
    model.consumers.renew_day[who] = -1
    schedule_next_need(model, who)


def festival_reactivation(model) -> None:
    """On a festival's peak day some dormant consumers come back."""
    cal = model.calendar
    if not (model.modulated and cal.in_festival[model.day] and cal.demand[model.day] == cal.demand.max()):
        return
    dormant = np.flatnonzero(~model.consumers.alive)
    p = model.config.purchase.reactivation_per_touch
    wake(model, dormant[model.stream("purchase_timing").random(dormant.size) < p])


def due(model, among: np.ndarray | None = None) -> np.ndarray:
    """Consumers (of `among`, ascending, if given) whose next need's clock time falls in today."""
    end = model.clock[model.day + 1]
    if among is None:
        return np.flatnonzero(model.consumers.next_need < end)
    return among[model.consumers.next_need[among] < end]


def draw_needs(model, who: np.ndarray) -> np.ndarray:
    """The due needs of `who` arise: each one's next need is scheduled after it, and the category of this
    one drawn from her preferences (returned)."""
    c = model.consumers
    schedule_next_need(model, who, after=c.next_need[who])
    return draw_categories(model.stream("purchase_timing"), c.category_cdf.take(who, axis=0))


def pull_needs(model, who: np.ndarray) -> np.ndarray:
    """Purchases touches pulled forward for `who`: each one is the buyer's pending need bought early (her
    next need is then drawn after its old due time, as after a need served on time), except, with chance
    `relationships.expansion_share`, new demand the touch created, which leaves the pending need in place.
    Returns which were new demand."""
    c = model.consumers
    new = model.stream("purchase_timing").random(who.size) < model.config.relationships.expansion_share
    moved = who[~new]
    schedule_next_need(model, moved, after=c.next_need[moved])
    return new


def on_purchase(model, orders: Orders) -> None:
    """Dropout after a repeat purchase; members of stores with KEEP effort drop out less."""
    c = model.consumers
    p_drop = c.p_drop[orders.buyers]
    if model.modulated:
        cut = model.config.relationships.keep_dropout_cut * model.merchants.keep[orders.stores]
        p_drop = p_drop * np.where(orders.level >= Level.MEMBER, 1.0 - cut, 1.0)
    gone = orders.buyers[dropout(model.stream("purchase_timing"), p_drop, orders.repeat)]
    c.alive[gone] = False
    c.next_need[gone] = np.inf
    if c.renewing and gone.size:                    # no draw for no one: a draw of size 0 leaves the stream as it is
        c.renew_day[gone] = model.day + renewal_delay(model.stream("renewal"), gone.size,
                                                      model.config.purchase.renewal_days)


def renew_seats(model) -> None:
    """Seats dormant long enough are taken by new users of the same type (a stable buyer base)."""
    c = model.consumers
    if not c.renewing:
        return
    who = np.flatnonzero(c.renew_day == model.day)
    if who.size:
        pending = c.deferred_who.size
        c.renew(who)                                        # needs her predecessor deferred are given up
        model.flows["needs_dropped"] += pending - c.deferred_who.size
        schedule_next_need(model, who)
