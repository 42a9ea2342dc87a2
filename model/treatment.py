"""Treated units: the stores and consumers a scenario's instruments reach, chosen on record day 0.

A treatment's filters (ids, tier, category, rank by trailing GMV; lifecycle stage, tie to a treated
store) pick the matching units, then a random share or count of them is treated. The draws come from
streams keyed by the store and the consumer selections themselves, and every arm of a comparison
reaches record day 0 in the same state (the burn-in is the status quo), so every arm picks the same units:
the treated arm's units have an exact counterfactual in the reference arm. The matching units left untreated
are the comparable ones, seen in the same world (they show spillovers).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

import numpy as np

from .orders import TIER_BY_NAME, Level
from .scenario import CATEGORIES, STAGE_NAMES, ScenarioError, Treatment

LEVEL_BY_NAME = {"visitor": Level.VISITOR, "fan": Level.FAN, "member": Level.MEMBER, "group": Level.GROUP}


@dataclass
class Units:
    """One treatment's units: treated and comparable stores, and (when the treatment selects consumers)
    treated and comparable consumers; `consumers` is None when it reaches every consumer."""
    stores: np.ndarray
    comparable_stores: np.ndarray
    consumers: np.ndarray | None = None
    comparable_consumers: np.ndarray | None = None


def stream(model, selection) -> np.random.Generator:
    """A selection's own stream: from the run's seed and the selection's settings (a store or a consumer
    selection), not the arm; so arms with the same store selection treat the same stores whatever their
    consumer selections."""
    text = json.dumps([type(selection).__name__, selection.model_dump(mode="json")], sort_keys=True)
    entropy, key = model._stream_root
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key + (zlib.crc32(b"treatment"),
                                                                                  zlib.crc32(text.encode()))))


def _draw(matching: np.ndarray, share: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """A random share (or `count`) of the matching units, by a random order of all units (so the draw of
    one unit does not depend on how many others match)."""
    order = rng.permutation(matching.size)
    candidates = order[matching[order]]
    k = min(count, candidates.size) if count > 0 else int(round(share * candidates.size))
    chosen = np.zeros(matching.size, dtype=bool)
    chosen[candidates[:k]] = True
    return chosen


def select_stores(model, treatment: Treatment, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Treated stores and the comparable untreated ones (see `select`)."""
    m, sel = model.merchants, treatment.stores
    bad = [i for i in sel.ids if i >= m.n]
    if bad:
        raise ScenarioError(f"treatment.stores.ids: store {bad[0]} does not exist; allowed: 0 to {m.n - 1} "
                            f"(population.merchants = {m.n})")
    kind = np.ones(m.n, dtype=bool)
    if sel.tier:
        kind &= np.isin(m.tier, [TIER_BY_NAME[t] for t in sel.tier])
    if sel.category:
        kind &= np.isin(m.category, [CATEGORIES.index(c) for c in sel.category])
    matching = kind.copy()
    if sel.rank:
        if len(sel.rank) != 2 or sel.rank[0] > sel.rank[1]:
            raise ScenarioError(f"treatment.stores.rank: needs [first, last] with first <= last (got {sel.rank})")
        order = np.flatnonzero(kind)[np.argsort(-model.merchants.trailing_gmv[kind], kind="stable")]
        ranked = np.zeros(m.n, dtype=bool)
        ranked[order[sel.rank[0] - 1:sel.rank[1]]] = True
        matching &= ranked
    if sel.ids:
        listed = np.zeros(m.n, dtype=bool)
        listed[sel.ids] = True
        matching &= listed
    treated = _draw(matching, sel.share, sel.count, rng)
    if not treated.any():
        raise ScenarioError(f"treatment.stores: selects no store on record day 0 ({int(matching.sum())} of {m.n} "
                            f"match the filters, share {sel.share:g}); widen the filters or raise share or count")
    comparable = matching & ~treated
    if not comparable.any():                      # everything matching is treated: compare with its kind
        comparable = kind & ~treated
    if not comparable.any():
        comparable = ~treated
    return treated, comparable


def select_consumers(model, treatment: Treatment, stores: np.ndarray,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Treated consumers and the comparable untreated ones (see `select`)."""
    c, sel = model.consumers, treatment.consumers
    kind = np.ones(c.n, dtype=bool)
    if sel.stage:
        kind &= np.isin(c.tiers(model.day), [STAGE_NAMES.index(s) for s in sel.stage])
    matching = kind.copy()
    if sel.relationship != "any":
        at_treated = np.append(stores, False)[c.rel_merchant]          # empty slots (-1) read the False
        level = np.where(at_treated, c.rel_level, Level.NONE).max(axis=1)
        matching &= (level == Level.NONE) if sel.relationship == "none" else \
            (level >= LEVEL_BY_NAME[sel.relationship])
    treated = _draw(matching, sel.share, 0, rng)
    if not treated.any():
        raise ScenarioError(f"treatment.consumers: selects no consumer on record day 0 ({int(matching.sum())} of "
                            f"{c.n} match the filters, share {sel.share:g}); widen the filters or raise share")
    comparable = matching & ~treated
    if not comparable.any():
        comparable = kind & ~treated
    return treated, comparable


def select(model, treatment: Treatment) -> Units:
    """The units of a treatment in this run, on record day 0. Comparable stores are the matching stores not
    drawn; when every matching store is treated, the untreated stores of the same tiers and categories (or
    every untreated store). Comparable consumers likewise, widening to the same stages."""
    stores, comparable = select_stores(model, treatment, stream(model, treatment.stores))
    if not treatment.selects_consumers():
        return Units(stores, comparable)
    return Units(stores, comparable, *select_consumers(model, treatment, stores, stream(model, treatment.consumers)))
