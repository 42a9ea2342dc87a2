"""The purchase pipeline: every purchase, whatever prompted it, from the need or touch to what it changes.

The day (`model.py`) hands the pipeline each source of purchases in turn: the touches of insider
invitations, private touches and WeChat messages (`respond`), the needs deferred to today's sale
(`serve_deferred`) and the needs that fall due today (`serve_due_needs`). A need is shopped for (`shop`:
offers, choice, waiting for a sale, channel, diversion, the purchase, group joins from exposure); a touch
may pull a near need forward into an order at the touching store (`respond`: click, wake, the pulled
order, its channel and route, the purchase). Either way the orders go through `buy`, which applies what
an order changes, in one fixed order. The mechanisms are the submodels'; this file only sequences them.
"""

from __future__ import annotations

import numpy as np

from . import order_log, outcomes
from .orders import Channel, Level, NeedLedger, Orders, Prompt, Touches
from .submodels import (
    adaptation,
    browsing,
    choice,
    groups,
    insider_sales,
    lifecycle,
    price_sensitivity,
    pricing,
    purchase_timing,
    ranking,
    relationships,
    social_sharing,
    wechat,
)


def serve_due_needs(model) -> None:
    """Every need whose clock time falls in today: several per consumer are served in turn."""
    due = purchase_timing.due(model)
    while due.size:
        model.flows["needs"] += due.size
        model.consumers.need_ledger[NeedLedger.ARISEN, Prompt.NEED] += due.size
        shop(model, due, purchase_timing.draw_needs(model, due), allow_defer=model.modulated)
        due = purchase_timing.due(model, among=due)     # only a need just served schedules another within today


def serve_deferred(model) -> None:
    """Needs deferred to today's sale are shopped for now, without waiting again: a consumer holding
    several is served one need at a time, in the order she deferred them."""
    who, cats = price_sensitivity.deferred_due(model)
    while who.size:
        first = np.unique(who, return_index=True)[1]
        shop(model, who[first], cats[first], allow_defer=False, prompt=Prompt.DEFERRED)
        rest = np.ones(who.size, bool)
        rest[first] = False
        who, cats = who[rest], cats[rest]


def shop(model, buyers: np.ndarray, cats: np.ndarray, allow_defer: bool, prompt: Prompt = Prompt.NEED) -> None:
    """Buyers with a need in `cats` (`prompt`: arising now, or deferred to today's sale): offers shown,
    one chosen or the need given up (the outside option), perhaps a wait for an anticipated sale instead,
    the channel, diversion to a store's own WeChat shop, the purchase, then group joins from exposure
    (entry `none`)."""
    m, rng = model.merchants, model.stream("choice")
    shown = choice.Offers(model, buyers, cats, rng)
    rows, col, tied_pick = shown.choose(rng)
    # no offer, or not buying now
    model.consumers.need_ledger[NeedLedger.GIVEN_UP, Prompt.NEED] += buyers.size - rows.size
    model.flows["needs_given_up"] += shown.given_up
    model.flows["needs_no_offer"] += buyers.size - rows.size - shown.given_up
    if prompt == Prompt.DEFERRED:
        model.flows["needs_deferred_due"] += buyers.size
    m.impressions += np.bincount(shown.public[shown.public_ok], minlength=m.n)
    orders = choice.chosen_orders(model, buyers, cats, shown, rows, col, tied_pick, prompt)
    relationships.visit_shown(model, buyers[shown.row], shown.slot)
    if allow_defer:
        keep = ~price_sensitivity.defer(model, orders, shown.tie_slots_shown()[rows])
        orders, rows = orders.take(keep), rows[keep]
    orders.channel = channel_of(orders.level)
    wechat.divert(model, orders)
    buy(model, orders)
    groups.exposure_joins(model, orders, shown.public[rows, 0])     # after buy: a join may take a tie slot


def respond(model, touches: Touches, prompt: Prompt) -> None:
    """Touches from one source (one acted on per consumer): the touched click or not, a click may wake a
    dormant consumer, and an active one's near need is pulled forward into an order at the touching
    store; the channel, WeChat's route for a WeChat message, then the purchase, which takes the pending
    need or, for a share of them, is new demand (purchase_timing.pull_needs)."""
    if touches is None:
        return
    who, slot = touches.first_per_consumer()
    if who.size == 0:
        return
    if prompt == Prompt.TOUCH:                          # over-messaged group members leave
        stay = groups.leave_on_messages(model, who, slot)
        who, slot = who[stay], slot[stay]
    woken, pulled = relationships.click(model, who, slot)
    purchase_timing.wake(model, who[woken])
    orders = relationships.pulled_orders(model, who[pulled], slot[pulled], prompt)
    orders.channel = channel_of(orders.level)
    if prompt == Prompt.WECHAT_TOUCH:
        orders = wechat.route(model, orders)
    if len(orders) == 0:
        return
    model.flows["needs"] += len(orders)
    model.consumers.need_ledger[NeedLedger.ARISEN, prompt] += len(orders)
    new = purchase_timing.pull_needs(model, orders.buyers)
    model.flows["pulls_new_demand"] += int(new.sum())
    model.flows["pulls_moved"] += int(new.size - new.sum())
    buy(model, orders)


def channel_of(level: np.ndarray) -> np.ndarray:
    """Channel of an order by the buyer's tie: private traffic through a fan's or member's tie, else public."""
    return np.where(level >= Level.FAN, Channel.PRIVATE, Channel.PUBLIC)


def buy(model, orders: Orders) -> None:
    """Everything a batch of orders changes, in a fixed order."""
    if len(orders) == 0:
        return
    column = Prompt.NEED if orders.prompt == Prompt.DEFERRED else orders.prompt   # a deferred need is a need
    model.consumers.need_ledger[NeedLedger.BOUGHT, column] += len(orders)
    orders = pricing.value_orders(model, orders)
    orders = relationships.tie(model, orders)
    outcomes.record_flows(model.flows, model.merchants, orders)
    if model.units is not None:
        model.units.on_purchase(model, orders)
    ranking.on_purchase(model, orders)
    adaptation.on_purchase(model, orders)
    relationships.on_purchase(model, orders)
    groups.on_purchase(model, orders)
    wechat.on_purchase(model, orders)
    insider_sales.on_purchase(model, orders)
    price_sensitivity.on_purchase(model, orders)
    lifecycle.on_purchase(model, orders)
    for policy in model.policies:
        policy.on_purchase(model, orders)
    social_sharing.share_to_unlock(model, orders)
    purchase_timing.on_purchase(model, orders)
    browsing.on_purchase(model, orders)
    order_log.record(model, orders)
