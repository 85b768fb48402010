"""Query rewrites for the plan findings a query's text causes, applied one after another.

Each fix starts from the previous one's text, so a query's last rewrite is the query to
ship: `SELECT *` -> named columns, OFFSET -> keyset, a date cast on a column -> a range on
the bare column. Findings an index fixes without touching the text (a function on a
column, a join column no index leads with) become rewrites whose SQL is unchanged and
whose `index_ddl` names the index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pglast import ast

from agent.brains.rules.optimize.keyset import keyset
from agent.brains.rules.optimize.sql import expand_star, sargable_dates, sql
from agent.naming import object_name, quote_ident
from agent.stages import QueryRewrite, RewriteProblem
from tools.sql import pgparse
from tools.sql.catalog import Catalog
from tools.sql.query import Filter, PlanFinding, QueryPlan, WorkloadQuery, query_shapes

TextFix = Callable[[ast.SelectStmt, Catalog], str | None]
_TEXT_FIXES: tuple[tuple[RewriteProblem, TextFix], ...] = (
    ("select-star", expand_star),
    ("offset-pagination", keyset),
    ("function-on-indexed-column", lambda stmt, _catalog: sargable_dates(stmt)),
)
_SCAN_RULES = frozenset({"function-on-indexed-column", "seq-scan-on-large-table"})


def rewrite_workload(
    queries: Sequence[WorkloadQuery], plans: Sequence[QueryPlan], catalog: Catalog
) -> list[QueryRewrite]:
    """Rewrites of every query that planned, in workload order."""
    found: list[QueryRewrite] = []
    for query, plan in zip(queries, plans, strict=True):
        if plan.ok and query.kind == "SelectStmt":
            found += rewrite_query(query, plan.findings, catalog)
    return found


def rewrite_query(
    query: WorkloadQuery, findings: Sequence[PlanFinding], catalog: Catalog
) -> list[QueryRewrite]:
    rules = {f.rule for f in findings}
    rewrites: list[QueryRewrite] = []
    text = query.sql
    for problem, fix in _TEXT_FIXES:
        if problem not in rules and not _date_cast_applies(problem, rules):
            continue
        stmt = _select(text)
        why = fix(stmt, catalog) if stmt is not None else None
        if stmt is not None and why is not None:
            rewritten = sql(stmt)
            rewrites.append(
                QueryRewrite(
                    query=query.name, problem=problem, original=text, rewritten=rewritten, why=why
                )
            )
            text = rewritten
    rewrites += _expression_indexes(query.name, text, findings, catalog)
    rewrites += _join_indexes(query.name, text, findings)
    return rewrites


def final_text(query: WorkloadQuery, rewrites: Sequence[QueryRewrite]) -> str:
    own = [r for r in rewrites if r.query == query.name]
    return own[-1].rewritten if own else query.sql


def _date_cast_applies(problem: str, rules: set[str]) -> bool:
    """A date cast is worth removing when the plan scans its table, indexed or not."""
    return problem == "function-on-indexed-column" and bool(rules & _SCAN_RULES)


def _select(text: str) -> ast.SelectStmt | None:
    stmt = pgparse.parse_sql(text)[0].stmt
    return stmt if isinstance(stmt, ast.SelectStmt) else None


def _expression_indexes(
    name: str, text: str, findings: Sequence[PlanFinding], catalog: Catalog
) -> list[QueryRewrite]:
    """Wrapped columns left after the text fixes (`lower(email) = $1`): an expression index."""
    scanned = {f.relation for f in findings if f.rule in _SCAN_RULES}
    stmt = _select(text)
    if stmt is None or not scanned:
        return []
    wrapped: dict[tuple[str, str], Filter] = {}
    for shape in query_shapes(stmt, catalog):
        for flt in shape.filters:
            if flt.expression and flt.op in ("eq", "in", "range") and flt.table in scanned:
                wrapped.setdefault((flt.table, flt.expression), flt)
    return [
        QueryRewrite(
            query=name,
            problem="function-on-indexed-column",
            original=text,
            rewritten=text,
            why=f"{flt.expression} hides {flt.table}.{flt.column} from a plain index; an "
            f"expression index on ({flt.expression}) serves the predicate as written.",
            index_ddl=f"CREATE INDEX {_index_name(flt.table, flt.expression or '')} ON "
            f"{_table_sql(flt.table)} (({flt.expression}))",
        )
        for flt in wrapped.values()
    ]


def _join_indexes(name: str, text: str, findings: Sequence[PlanFinding]) -> list[QueryRewrite]:
    return [
        QueryRewrite(
            query=name,
            problem="missing-join-index",
            original=text,
            rewritten=text,
            why=f"the join reads {f.relation}.{f.column}, which no index leads with, so "
            f"{f.relation} is read in full; an index on it lets the join look rows up.",
            index_ddl=f"CREATE INDEX {_index_name(f.relation, f.column)} ON "
            f"{_table_sql(f.relation)} ({quote_ident(f.column)})",
        )
        for f in findings
        if f.rule == "missing-join-index" and f.relation and f.column
    ]


def _index_name(table: str, key: str) -> str:
    words = re.findall(r"[a-z_][a-z0-9_]*", key.lower())[:3] or ["expr"]
    return quote_ident(object_name(table.rsplit(".", 1)[-1], *words, suffix="idx"))


def _table_sql(table: str) -> str:
    return ".".join(quote_ident(part) for part in table.split("."))
