"""Access-pattern SQL checked against the naming contract: a column no design has is bad input.

Patterns are written before the design, against the names the spec fixes (DESIGN.md): a
pattern naming a column no table of the spec will have can never plan, and would otherwise
surface only after the schema stage, as a gate failing all its retries. Here it is a spec
problem at the pattern's line and column.

The check is conservative, so that it never refuses SQL that could run: a column is judged
only on a table of the contract (not a CTE, subquery, function or a table the spec does not
define), and an unqualified column only where every relation of the statement is such a
table. Besides the contract's columns, a table may have what the spec's own switches add
(`deleted_at` for soft delete, the tenant key for shared-schema tenancy) and the system
columns PostgreSQL gives every table.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from pglast import ast
from pglast.parser import ParseError

from agent.naming import SOFT_DELETE_COLUMN, VARYING_COLUMN, fk_column, table_name
from agent.spec.contract import Contract, Problem, SpecPath
from agent.spec.model import AccessPattern, Requirements
from agent.spec.tenant import tenant_entity
from tools.sql import pgparse
from tools.sql.astwalk import column_ref_name, walk

SYSTEM_COLUMNS = frozenset({"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"})
_OPAQUE = (ast.RangeSubselect, ast.RangeFunction, ast.RangeTableFunc, ast.CommonTableExpr)


def pattern_column_problems(spec: Requirements, contract: Contract) -> list[Problem]:
    """One problem per column reference no table of the statement can have."""
    columns = promised_columns(spec, contract)
    problems: list[Problem] = []
    for index, pattern in enumerate(spec.access_patterns):
        problems += _pattern_problems(pattern, ("access_patterns", index, "sql"), columns)
    return problems


def promised_columns(spec: Requirements, contract: Contract) -> dict[str, frozenset[str]]:
    """Per contract table, every column a design of this spec may have by its names."""
    tenant, _ = tenant_entity(spec) if spec.tenancy in (None, "shared-schema") else (None, "")
    everywhere = {*SYSTEM_COLUMNS, *([fk_column(tenant)] if tenant else [])}
    promised = {
        name: frozenset({*t.column_names, *everywhere}) for name, t in contract.tables.items()
    }
    for entity in spec.entities:
        name = table_name(entity.name)
        soft = entity.soft_delete if entity.soft_delete is not None else spec.soft_delete
        switched = {SOFT_DELETE_COLUMN} if soft else set()
        switched |= {VARYING_COLUMN} if entity.varying_attributes else set()
        if name in promised:
            promised[name] |= switched
    return promised


@dataclass
class _Relations:
    """What the statement reads or writes: alias -> contract table, and whether all are known."""

    aliases: dict[str, str | None] = field(default_factory=dict)
    all_known: bool = True
    output_names: set[str] = field(default_factory=set)

    @property
    def tables(self) -> list[str]:
        return sorted({t for t in self.aliases.values() if t is not None})


@dataclass(frozen=True)
class _Reference:
    location: int | None
    column: str
    tables: tuple[str, ...]  # it must be a column of one of these


def _pattern_problems(
    pattern: AccessPattern, path: SpecPath, columns: dict[str, frozenset[str]]
) -> list[Problem]:
    try:
        (raw,) = pgparse.parse_sql(pattern.sql)
    except (ParseError, ValueError):
        return []  # not one parsable statement: the grammar check reports it
    problems = []
    for ref in _references(raw.stmt, _relations(raw.stmt, columns)):
        if not any(ref.column in columns[t] for t in ref.tables):
            known = frozenset().union(*(columns[t] for t in ref.tables))
            message = _unknown_column(pattern.name, ref, known)
            problems.append(Problem(path, message, offset=_char_offset(pattern.sql, ref.location)))
    return problems


def _relations(stmt: ast.Node | None, columns: dict[str, frozenset[str]]) -> _Relations:
    found = _Relations()
    seen: dict[str, set[str | None]] = {}
    for node in walk(stmt):
        if isinstance(node, _OPAQUE):
            found.all_known = False
        elif isinstance(node, ast.RangeVar):
            name = node.relname or ""
            public = node.schemaname in (None, "public")
            table = name if public and name in columns else None
            found.all_known &= table is not None
            alias = node.alias.aliasname if node.alias and node.alias.aliasname else name
            seen.setdefault(alias, set()).add(table)
        elif isinstance(node, ast.SelectStmt):
            found.output_names |= {t.name for t in node.targetList or () if t.name}
    # One alias for different tables in nested scopes: not judged.
    found.aliases = {a: next(iter(t)) if len(t) == 1 else None for a, t in seen.items()}
    return found


def _references(stmt: ast.Node | None, relations: _Relations) -> list[_Reference]:
    """Each column reference (and INSERT/UPDATE target) that can only mean contract tables."""
    found = [_target(stmt, relations, name) for name in _write_targets(stmt)]
    for node in walk(stmt):
        if isinstance(node, ast.ColumnRef):
            found.append(_column(node, relations))
    return [ref for ref in found if ref.tables]


def _column(node: ast.ColumnRef, relations: _Relations) -> _Reference:
    name = column_ref_name(node)
    if name is None or len(node.fields or ()) > 2:
        return _Reference(None, "", ())  # `*`, `t.*`, or schema-qualified: not judged
    qualifier, column = name
    tables: tuple[str, ...] = ()
    if qualifier is not None:
        table = relations.aliases.get(qualifier)
        tables = (table,) if table else ()
    elif relations.all_known and not _named_elsewhere(column, relations):
        tables = tuple(relations.tables)
    return _Reference(node.location, column, tables)


def _write_targets(stmt: ast.Node | None) -> list[ast.ResTarget]:
    if isinstance(stmt, ast.InsertStmt):
        return [t for t in stmt.cols or () if isinstance(t, ast.ResTarget)]
    if isinstance(stmt, ast.UpdateStmt):
        return [t for t in stmt.targetList or () if isinstance(t, ast.ResTarget)]
    return []


def _target(stmt: ast.Node | None, relations: _Relations, target: ast.ResTarget) -> _Reference:
    relation = getattr(stmt, "relation", None)
    alias = relation.alias.aliasname if relation and relation.alias else None
    table = relations.aliases.get(alias or (relation.relname if relation else "") or "")
    return _Reference(target.location, target.name or "", (table,) if table else ())


def _named_elsewhere(column: str, relations: _Relations) -> bool:
    """An output alias (`ORDER BY total`) or a whole-row reference (`row_to_json(t)`)."""
    return column in relations.output_names or column in relations.aliases


def _unknown_column(pattern: str, ref: _Reference, known: frozenset[str]) -> str:
    listed = sorted(known - SYSTEM_COLUMNS)
    close = difflib.get_close_matches(ref.column, listed, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    where = " or ".join(f"'{t}'" for t in ref.tables)
    return (
        f"access pattern '{pattern}': no column '{ref.column}' on {where} by the spec's "
        f"names{hint} (columns: {', '.join(listed)})"
    )


def _char_offset(sql: str, byte_offset: int | None) -> int | None:
    """libpg_query locations are UTF-8 byte offsets; spec positions count characters."""
    if byte_offset is None or byte_offset < 0:
        return None
    return len(sql.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
