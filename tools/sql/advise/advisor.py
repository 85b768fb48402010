"""The index advisor: candidates from the workload, what-if costs, benefit per byte.

Greedy selection by cost saved per byte under a storage budget, re-costing every query
against the indexes already chosen (so two indexes serving the same query are not both
paid for), then pruning: an index whose removal costs no query anything, or whose keys
are a prefix of another chosen index, goes. Every cost in the output is a planner cost
measured on the sample data, never an estimate of ours; sizes are measured there too and
taken to the stated volume (`IndexAdvice.size_method`), since that is where a budget is
spent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.sql.advise.candidates import Candidate, Element, generate_candidates
from tools.sql.advise.select import Selection, select_within_budget
from tools.sql.advise.whatif import WhatIf
from tools.sql.catalog import Catalog
from tools.sql.query import SelectShape

MIN_GAIN = 0.01  # a query must get at least 1% cheaper for an index to count as serving it


class QueryGain(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str
    cost_before: float  # no advised index
    cost_alone: float  # only this index added
    cost_after: float  # the whole advised set


SizeMethod = Literal["measured", "scaled"]


class IndexAdvice(BaseModel):
    """One recommended index, the queries it serves and what it does to their cost.

    `size_bytes` is the size at the stated volume, what a budget is spent on: measured on
    the sample data (`sample_size_bytes`, with `sample_rows` of the table loaded) and, when
    the table was sampled down, scaled by `stated_rows / sample_rows` (`size_method`).
    """

    model_config = ConfigDict(extra="forbid")

    ddl: str
    table: str
    kind: str
    queries: list[str]
    cost_before: float
    cost_after: float
    size_bytes: int
    sample_size_bytes: int | None = None
    sample_rows: int | None = None
    stated_rows: int | None = None
    size_method: SizeMethod = "measured"
    per_query: list[QueryGain] = Field(default_factory=list)


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    indexes: list[str]
    size_bytes: int
    workload_cost: float


class AdviceResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advice: list[IndexAdvice] = Field(default_factory=list)
    method: str  # "hypopg" or "built" (candidates really built on the sample data)
    budget_bytes: int  # at the stated volume
    used_bytes: int = 0  # at the stated volume
    workload_cost_before: float = 0.0
    workload_cost_after: float = 0.0
    candidates: int = 0
    baselines: list[Baseline] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0


def plan_candidates(
    shapes: dict[str, list[SelectShape]], catalog: Catalog
) -> tuple[list[Candidate], dict[str, list[int]]]:
    """The workload's candidates plus the naive baselines' indexes, in one pool.

    Returns the pool and, per baseline name, the candidate ids it adds in order.
    """
    pool = generate_candidates(shapes, catalog)
    index = {c.key: i for i, c in enumerate(pool)}
    baselines: dict[str, list[int]] = {}
    for name, wanted in _baseline_indexes(shapes, catalog).items():
        ids = []
        for candidate in wanted:
            if candidate.key not in index:
                index[candidate.key] = len(pool)
                pool.append(candidate)
            ids.append(index[candidate.key])
        baselines[name] = ids
    return pool, baselines


def _baseline_indexes(
    shapes: dict[str, list[SelectShape]], catalog: Catalog
) -> dict[str, list[Candidate]]:
    """What a hurried person would add: one index per FK, or one per filtered column."""
    fk = [
        Candidate(t.name, tuple(Element(column=c) for c in cols), "baseline")
        for t in catalog.tables.values()
        for cols in t.foreign_keys
        if not any(ix.columns[: len(cols)] == cols for ix in t.indexes)
    ]
    uses: dict[tuple[str, str], int] = {}
    for query_shapes in shapes.values():
        for shape in query_shapes:
            cols = [(f.table, f.column) for f in shape.filters if f.expression is None]
            cols += [side for j in shape.joins for side in (j.left, j.right)]
            for col in dict.fromkeys(cols):
                uses[col] = uses.get(col, 0) + 1
    ranked = sorted(uses, key=lambda tc: (-uses[tc], tc))
    single = [
        Candidate(t, (Element(column=c),), "baseline")
        for t, c in ranked
        if (info := catalog.table(t)) is not None and not info.leading_indexed(c)
    ]
    return {"fk_indexes": fk, "single_column": single}


def advise(
    whatif: WhatIf,
    pool: Sequence[Candidate],
    names: Sequence[str],
    weights: Sequence[float],
    budget_bytes: int,
    baselines: dict[str, list[int]],
    method: str,
    rows: Mapping[str, tuple[int, int]] | None = None,
) -> AdviceResult:
    """Select, prune and describe; `whatif` already holds the built candidates.

    `rows` maps a table to (sample rows, stated rows), so each advice says how its size at
    the stated volume was obtained.
    """
    started = time.perf_counter()
    selection = select_within_budget(whatif, pool, weights, budget_bytes, MIN_GAIN)
    result = AdviceResult(method=method, budget_bytes=budget_bytes, candidates=len(pool))
    result.advice = [_describe(whatif, pool, names, selection, i) for i in selection.chosen]
    for item in result.advice:
        _size_basis(item, (rows or {}).get(item.table))
    _unique_names(result.advice, [pool[i] for i in selection.chosen])
    result.used_bytes = sum(whatif.sizes[i] for i in selection.chosen)
    queries = range(len(names))
    result.workload_cost_before = _total(whatif, queries, weights, frozenset())
    result.workload_cost_after = _total(whatif, queries, weights, frozenset(selection.chosen))
    for name, ids in baselines.items():
        result.baselines.append(_baseline(whatif, pool, name, ids, weights, budget_bytes))
    result.notes = [
        f"candidate {pool[i].ddl()} not built: {why}" for i, why in whatif.failed.items()
    ]
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _describe(
    whatif: WhatIf, pool: Sequence[Candidate], names: Sequence[str], sel: Selection, i: int
) -> IndexAdvice:
    chosen = frozenset(sel.chosen)
    for config in (frozenset({i}), chosen, chosen - {i}):
        whatif.prefetch(range(len(names)), config)
    gains = []
    for q in range(len(names)):
        before, alone = sel.base[q], whatif.cost(q, frozenset({i}))
        after, without = whatif.cost(q, chosen), whatif.cost(q, chosen - {i})
        if alone < before * (1 - MIN_GAIN) or after < without * (1 - MIN_GAIN):
            gains.append(
                QueryGain(query=names[q], cost_before=before, cost_alone=alone, cost_after=after)
            )
    candidate = pool[i]
    return IndexAdvice(
        ddl=candidate.ddl(),
        table=candidate.table,
        kind=candidate.kind,
        queries=[g.query for g in gains],
        cost_before=round(sum(g.cost_before for g in gains), 2),
        cost_after=round(sum(g.cost_after for g in gains), 2),
        size_bytes=whatif.sizes[i],
        sample_size_bytes=whatif.sample_sizes.get(i, whatif.sizes[i]),
        per_query=gains,
    )


def _size_basis(item: IndexAdvice, rows: tuple[int, int] | None) -> None:
    if rows is not None:
        item.sample_rows, item.stated_rows = rows
    item.size_method = "scaled" if item.size_bytes != item.sample_size_bytes else "measured"


def _unique_names(advice: list[IndexAdvice], chosen: list[Candidate]) -> None:
    """Two advised indexes may not share a conventional name: number the later ones."""
    seen: set[str] = set()
    for item, candidate in zip(advice, chosen, strict=True):
        name, n = candidate.name, 1
        while name in seen:
            n += 1
            name = f"{candidate.name[:60]}_{n}"
        seen.add(name)
        item.ddl = candidate.ddl(name)


def _baseline(
    whatif: WhatIf,
    pool: Sequence[Candidate],
    name: str,
    ids: list[int],
    weights: Sequence[float],
    budget: int,
) -> Baseline:
    """Add the baseline's indexes in its own order while they fit the same budget."""
    taken, used = [], 0
    for i in ids:
        size = whatif.sizes.get(i)
        if size is not None and used + size <= budget:
            taken.append(i)
            used += size
    cost = _total(whatif, range(len(weights)), weights, frozenset(taken))
    return Baseline(
        name=name, indexes=[pool[i].ddl() for i in taken], size_bytes=used, workload_cost=cost
    )


def _total(
    whatif: WhatIf, queries: range, weights: Sequence[float], config: frozenset[int]
) -> float:
    whatif.prefetch(queries, config)
    return round(sum(weights[q] * whatif.cost(q, config) for q in queries), 2)
