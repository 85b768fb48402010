"""Greedy benefit-per-byte selection of candidate indexes, with redundancy pruning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.sql.advise.candidates import Candidate
from tools.sql.advise.whatif import WhatIf

MIN_PAGE = 8192  # no index is smaller than a page; keeps tiny ones from dividing by ~0
ROUNDS = 3
CALIBRATION_ROUNDS = 2


@dataclass
class Selection:
    base: list[float]  # each query's cost with no candidate
    chosen: list[int] = field(default_factory=list)
    serves: dict[int, list[int]] = field(default_factory=dict)  # candidate -> queries it helps
    pruned: set[int] = field(default_factory=set)  # never re-added


def select_indexes(
    whatif: WhatIf,
    pool: Sequence[Candidate],
    weights: Sequence[float],
    budget: int,
    min_gain: float,
) -> Selection:
    """Pick indexes by saved cost per byte until nothing fits or helps, then prune.

    Pruning frees budget, so selection and pruning alternate for a few rounds.
    """
    queries = range(len(weights))
    whatif.prefetch(queries, frozenset())
    selection = Selection(base=[whatif.cost(q, frozenset()) for q in queries])
    for i in whatif.sizes:  # which queries each candidate can help on its own
        whatif.prefetch(queries, frozenset({i}))
        helped = [
            q
            for q in queries
            if whatif.cost(q, frozenset({i})) < selection.base[q] * (1 - min_gain)
        ]
        if helped:
            selection.serves[i] = helped
    whatif.focus(selection.serves)
    try:
        tries = [_search(whatif, pool, selection, weights, budget, min_gain, per_byte=per_byte)
                 for per_byte in (True, False)]  # fmt: skip
        return min(tries, key=lambda sel: _workload(whatif, sel, weights))
    finally:
        whatif.focus(None)


def _search(
    whatif: WhatIf,
    pool: Sequence[Candidate],
    start: Selection,
    weights: Sequence[float],
    budget: int,
    min_gain: float,
    per_byte: bool,
) -> Selection:
    """One greedy search: by saving per byte, or by saving alone.

    Per byte is the rule; by saving alone catches the big index worth most of a budget
    that many small ones would otherwise crowd out. The cheaper workload wins.
    """
    selection = Selection(base=start.base, serves=start.serves)
    for _ in range(ROUNDS):
        added = _greedy(whatif, selection, weights, budget, min_gain, per_byte)
        removed = _prune(whatif, pool, selection, min_gain)
        if not added or not removed:
            break
    return selection


def _workload(whatif: WhatIf, sel: Selection, weights: Sequence[float]) -> float:
    chosen = frozenset(sel.chosen)
    return sum(w * whatif.cost(q, chosen) for q, w in enumerate(weights))


def select_within_budget(
    whatif: WhatIf,
    pool: Sequence[Candidate],
    weights: Sequence[float],
    budget: int,
    min_gain: float,
) -> Selection:
    """`select_indexes`, re-run while measuring the chosen indexes corrects their sizes.

    Where sizes are estimates (hypopg), the chosen indexes are measured, the estimates
    rescaled and the selection repeated; a final trim keeps the measured set in budget.
    """
    selection = select_indexes(whatif, pool, weights, budget, min_gain)
    for _ in range(CALIBRATION_ROUNDS):
        if not whatif.calibrate(selection.chosen):
            break
        selection = select_indexes(whatif, pool, weights, budget, min_gain)
    whatif.calibrate(selection.chosen)
    while sum(whatif.sizes[i] for i in selection.chosen) > budget:
        selection.chosen.remove(min(selection.chosen, key=lambda i: _saving(whatif, selection, i)))
    return selection


def _saving(whatif: WhatIf, sel: Selection, i: int) -> float:
    """Cost the rest of the chosen set would lose without `i`, per byte."""
    chosen = frozenset(sel.chosen)
    queries = range(len(sel.base))
    lost = sum(whatif.cost(q, chosen - {i}) - whatif.cost(q, chosen) for q in queries)
    return lost / max(whatif.sizes[i], MIN_PAGE)


def _greedy(
    whatif: WhatIf,
    sel: Selection,
    weights: Sequence[float],
    budget: int,
    min_gain: float,
    per_byte: bool = True,
) -> bool:
    added = False
    while True:
        chosen = frozenset(sel.chosen)
        used = sum(whatif.sizes[i] for i in chosen)
        best, best_ratio = None, 0.0
        for i, helped in sel.serves.items():
            if i in chosen or i in sel.pruned or used + whatif.sizes[i] > budget:
                continue
            gain = 0.0
            whatif.prefetch(helped, chosen | {i})
            for q in helped:
                now, then = whatif.cost(q, chosen), whatif.cost(q, chosen | {i})
                if then < now * (1 - min_gain):
                    gain += weights[q] * (now - then)
            ratio = gain / max(whatif.sizes[i], MIN_PAGE) if per_byte else gain
            if ratio > best_ratio:
                best, best_ratio = i, ratio
        if best is None:
            return added
        sel.chosen.append(best)
        added = True


def _prune(whatif: WhatIf, pool: Sequence[Candidate], sel: Selection, min_gain: float) -> bool:
    """Drop indexes another chosen index makes redundant; largest first, one at a time."""
    removed = False
    for i in sorted(sel.chosen, key=lambda c: -whatif.sizes[c]):
        rest = frozenset(sel.chosen) - {i}
        if _prefix_of_another(pool, i, rest) or not _needed(whatif, sel, i, rest, min_gain):
            sel.chosen.remove(i)
            sel.pruned.add(i)
            removed = True
    return removed


def _needed(whatif: WhatIf, sel: Selection, i: int, rest: frozenset[int], min_gain: float) -> bool:
    with_it = rest | {i}
    whatif.prefetch(range(len(sel.base)), rest)
    whatif.prefetch(range(len(sel.base)), with_it)
    return any(
        whatif.cost(q, with_it) < whatif.cost(q, rest) * (1 - min_gain)
        for q in range(len(sel.base))
    )


def _prefix_of_another(pool: Sequence[Candidate], i: int, others: frozenset[int]) -> bool:
    """`(a)` next to `(a, b)`: the wider btree answers every search the narrow one does."""
    mine = pool[i]
    if mine.method != "btree":
        return False
    for j in others:
        other = pool[j]
        same_scope = (other.table, other.method, other.where) == (mine.table, "btree", mine.where)
        longer = len(other.elements) >= len(mine.elements)
        prefix = other.elements[: len(mine.elements)] == mine.elements
        covered = not mine.include or set(mine.include) <= set(other.include)
        if same_scope and longer and prefix and covered:
            return True
    return False
