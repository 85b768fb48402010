"""What-if costs: a query's planned cost under a chosen subset of candidate indexes.

With the hypopg extension the candidates are hypothetical (planner-only, ~0.1 ms each).
Without it every candidate is really built once on the sample data, its real size read
with `pg_relation_size` (and scaled by the table's stated/sample rows: budgets are spent at
the stated volume, not on the sample), and a configuration is evaluated by dropping the *other*
candidates inside a transaction that is rolled back: DROP INDEX is catalog-only, so this
costs milliseconds, and the planner sees exactly the indexes of the configuration.
Everything is dropped when the evaluator closes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Protocol

import psycopg
from psycopg import sql

from tools.errors import ToolError
from tools.sql.advise.candidates import Candidate
from tools.sql.datagen import refresh
from tools.sql.query import WorkloadQuery, plan_cost
from tools.sql.server import Conn

NAME_PREFIX = "dbarch_whatif_"
PAGE_BYTES = 8192


def at_stated_volume(sample_bytes: int, ratio: float | None) -> int:
    """An index measured on a sample, at `ratio` times the rows: its pages grow with the rows
    (leaf and inner pages alike), its metapage does not."""
    if ratio is None or ratio <= 1.0 or sample_bytes <= PAGE_BYTES:
        return sample_bytes
    return PAGE_BYTES + math.ceil((sample_bytes - PAGE_BYTES) * ratio)


class WhatIf(Protocol):
    sizes: dict[int, int]  # candidate id -> bytes at the stated volume (what a budget counts)
    sample_sizes: dict[int, int]  # candidate id -> bytes on the sample data
    failed: dict[int, str]  # candidate id -> why it could not be built

    def cost(self, query: int, config: frozenset[int]) -> float: ...

    def prefetch(self, queries: Iterable[int], config: frozenset[int]) -> None: ...

    def focus(self, serves: dict[int, list[int]] | None) -> None: ...

    def calibrate(self, ids: Iterable[int]) -> bool: ...

    def close(self) -> None: ...


def has_hypopg(conn: Conn) -> bool:
    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'").fetchone()
    return row is not None


class _Evaluator:
    """Shared bookkeeping: which candidates can affect which query, and a cost cache."""

    def __init__(
        self,
        conn: Conn,
        queries: Sequence[WorkloadQuery],
        query_tables: Sequence[set[str]],
        candidates: Sequence[Candidate],
        ratios: Mapping[str, float] | None = None,
    ) -> None:
        self.conn, self.queries, self.candidates = conn, queries, candidates
        self.query_tables = query_tables
        self.ratios = dict(ratios or {})  # table -> stated rows / sample rows
        self.sizes: dict[int, int] = {}
        self.sample_sizes: dict[int, int] = {}
        self.failed: dict[int, str] = {}
        self._cache: dict[tuple[int, frozenset[int], bool], float] = {}
        self._focus: dict[int, frozenset[int]] | None = None

    def focus(self, serves: dict[int, list[int]] | None) -> None:
        """Search mode: a query only sees the candidates that help it on their own.

        Candidates that do not lower a query's cost alone stay built while it is planned,
        so the search re-plans far fewer configurations; the planner may still pick one
        of them at (under 1%) lower cost. `focus(None)` returns to exact costs, which
        every reported number uses.
        """
        if serves is None:
            self._focus = None
            return
        per_query: dict[int, set[int]] = {q: set() for q in range(len(self.queries))}
        for i, helped in serves.items():
            for q in helped:
                per_query[q].add(i)
        self._focus = {q: frozenset(ids) for q, ids in per_query.items()}

    def relevant(self, query: int) -> frozenset[int]:
        if self._focus is not None:
            return self._focus[query]
        tables = self.query_tables[query]
        return frozenset(i for i in self.sizes if self.candidates[i].table in tables)

    def calibrate(self, ids: Iterable[int]) -> bool:
        """Replace estimated sizes by measured ones; True when any size changed."""
        return False

    def _record(self, i: int, sample_bytes: int) -> None:
        """A size on the sample, and the same index at the stated volume of its table."""
        self.sample_sizes[i] = sample_bytes
        self.sizes[i] = at_stated_volume(sample_bytes, self.ratios.get(self.candidates[i].table))

    def _key(self, query: int, config: frozenset[int]) -> tuple[int, frozenset[int], bool]:
        return (query, config & self.relevant(query), self._focus is None)

    def cost(self, query: int, config: frozenset[int]) -> float:
        key = self._key(query, config)
        if key not in self._cache:
            self.prefetch([query], config)
        return self._cache[key]

    def prefetch(self, queries: Iterable[int], config: frozenset[int]) -> None:
        """Cost every query not yet known under `config` in one go (one set-up)."""
        wanted = dict.fromkeys(queries)
        missing = [q for q in wanted if self._key(q, config) not in self._cache]
        if missing:
            for q, cost in zip(missing, self._measure(missing, config), strict=True):
                self._cache[self._key(q, config)] = cost

    def _measure(self, queries: list[int], config: frozenset[int]) -> list[float]:
        raise NotImplementedError


class BuiltIndexes(_Evaluator):
    """Candidates built for real; configurations toggled by rolled-back DROP INDEX."""

    def build(self) -> BuiltIndexes:
        tables_with_expressions = set()
        for i in self._parents_first():
            candidate = self.candidates[i]
            try:
                self.conn.execute(candidate.ddl(f"{NAME_PREFIX}{i}"))
            except psycopg.Error as exc:
                self.failed[i] = (exc.diag.message_primary or str(exc)).strip()
                continue
            row = self.conn.execute(
                "SELECT pg_relation_size(to_regclass(%s))", (f"{NAME_PREFIX}{i}",)
            ).fetchone()
            self._record(i, int(row[0]) if row else 0)
            if any(e.expression for e in candidate.elements):
                tables_with_expressions.add(candidate.table)
        for table in tables_with_expressions:  # expression statistics come from ANALYZE
            refresh(self.conn, sql.Identifier(*table.split(".")))
        return self

    def _parents_first(self) -> list[int]:
        """Candidates on partitioned tables first: built after an equal index on one of its
        partitions, a parent's index would adopt it (ATTACH), and the partition's could then
        not be dropped alone when a configuration hides it."""
        kinds = {
            table: row[0] if row else None
            for table in {c.table for c in self.candidates}
            for row in [
                self.conn.execute(
                    "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (table,)
                ).fetchone()
            ]
        }
        order = range(len(self.candidates))
        return sorted(order, key=lambda i: kinds[self.candidates[i].table] != "p")

    def _measure(self, queries: list[int], config: frozenset[int]) -> list[float]:
        hidden = set().union(*(self.relevant(q) for q in queries)) - config
        try:
            with self.conn.transaction(force_rollback=True):
                if hidden:  # one statement: the round trips, not the drops, cost time
                    names = ", ".join(f'"{NAME_PREFIX}{i}"' for i in sorted(hidden))
                    self.conn.execute(f"DROP INDEX {names}")
                return [plan_cost(self.conn, self.queries[q]) for q in queries]
        except psycopg.Error as exc:
            raise ToolError(f"what-if evaluation failed: {exc}") from exc

    def close(self) -> None:
        for i in self.sizes:
            self.conn.execute(f'DROP INDEX IF EXISTS "{NAME_PREFIX}{i}"')


class HypotheticalIndexes(_Evaluator):
    """Candidates as hypopg hypothetical indexes; sizes start as hypopg's estimates.

    hypopg ignores B-tree deduplication and overestimates by 1.2-2.8x, which would waste
    most of a budget; `calibrate` really builds the chosen few (rolled back) and rescales
    the others of the same table by what it measured. Its estimates come from the sample's
    statistics, so they are scaled to the stated volume like measured sizes. The extension
    must already exist in the database (creating it needs a superuser).
    """

    real: dict[int, int]

    def build(self) -> HypotheticalIndexes:
        for i, candidate in enumerate(self.candidates):
            try:
                row = self.conn.execute(
                    "SELECT hypopg_relation_size(indexrelid) FROM hypopg_create_index(%s)",
                    (candidate.ddl(),),
                ).fetchone()
            except psycopg.Error as exc:
                self.failed[i] = (exc.diag.message_primary or str(exc)).strip()
                continue
            self._record(i, int(row[0]) if row else 0)
        self.conn.execute("SELECT hypopg_reset()")
        self.estimated, self.real = dict(self.sample_sizes), {}
        return self

    def calibrate(self, ids: Iterable[int]) -> bool:
        todo = [i for i in ids if i in self.sizes and i not in self.real]
        if not todo:
            return False
        with self.conn.transaction(force_rollback=True):
            for i in todo:
                name = f"{NAME_PREFIX}{i}"
                self.conn.execute(self.candidates[i].ddl(name))
                row = self.conn.execute("SELECT pg_relation_size(to_regclass(%s))", (name,))
                found = row.fetchone()
                self.real[i] = int(found[0]) if found else self.estimated[i]
        ratios: dict[str, list[float]] = {}
        for i, size in self.real.items():
            ratios.setdefault(self.candidates[i].table, []).append(size / max(self.estimated[i], 1))
        everywhere = median([r for rs in ratios.values() for r in rs])
        for i, estimate in self.estimated.items():
            ratio = median(ratios[t]) if (t := self.candidates[i].table) in ratios else everywhere
            self._record(i, self.real.get(i, int(estimate * min(ratio, 1.0))))
        return True

    def _measure(self, queries: list[int], config: frozenset[int]) -> list[float]:
        self.conn.execute("SELECT hypopg_reset()")
        tables = set().union(*(self.query_tables[q] for q in queries))
        for i in sorted(config):
            if i in self.sizes and self.candidates[i].table in tables:
                self.conn.execute("SELECT hypopg_create_index(%s)", (self.candidates[i].ddl(),))
        return [plan_cost(self.conn, self.queries[q]) for q in queries]

    def close(self) -> None:
        self.conn.execute("SELECT hypopg_reset()")
