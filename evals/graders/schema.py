"""Checks on the package's DDL: it applies, lints clean, and has the tables, types and
partitioning, row-level security and ERD the case expects."""

from __future__ import annotations

import re

from evals.registry import Grade, all_found, bad, check, listing, ok
from evals.subject import Subject
from tools.sql import pgparse
from tools.sql.model import Column, Schema, Table
from tools.sql.parse import parse_schema
from tools.sql.review import lint_schema
from tools.sql.rules import Finding
from tools.sql.validate import validate_schema


@check("ddl_applies")
def ddl_applies(subject: Subject, arg: None) -> Grade:
    """The DDL (schema and indexes) applies cleanly to a fresh scratch PostgreSQL database."""
    result = validate_schema(subject.schema(), subject.server())
    if result.errors:
        failures = [f"line {e.line}: {e.message}" for e in result.root_errors or result.errors]
        return bad(f"{len(result.errors)} statement(s) failed: {listing(failures)}")
    return ok(f"{result.applied} statements applied")  # no timing: reports must compare


@check("lint_clean")
def lint_clean(subject: Subject, arg: None) -> Grade:
    """No lint finding of severity error, except those the design justifies."""
    errors = [f for f in lint_schema(subject.schema()) if f.severity == "error"]
    unjustified = [f for f in errors if not _justified(subject, f)]
    if unjustified:
        named = [f"{f.rule} on {_where(f)}" for f in unjustified]
        return bad(f"{len(unjustified)} lint error(s): {listing(named)}")
    return ok(f"no lint errors ({len(errors)} justified)" if errors else "no lint errors")


def _justified(subject: Subject, finding: Finding) -> bool:
    design = subject.package.schema_design
    for j in design.justified_findings if design else []:
        same_table = j.table is None or j.table == finding.table
        same_column = j.column is None or j.column == finding.column
        if j.rule == finding.rule and same_table and same_column:
            return True
    return False


def _where(finding: Finding) -> str:
    if finding.column:
        return f"{finding.table}.{finding.column}"
    return finding.table or "the schema"


@check("no_eav")
def no_eav(subject: Subject, arg: None) -> Grade:
    """No entity-attribute-value table (varying attributes belong in jsonb or subtypes)."""
    found = lint_schema(subject.schema(), only=["eav-table"])
    if found:
        return bad(f"EAV table(s): {listing([f.table or '?' for f in found])}")
    return ok("no EAV tables")


@check("tables", list[str])
def tables(subject: Subject, names: list[str]) -> Grade:
    """Every named table exists in the DDL."""
    schema = subject.schema()
    present = f"all {len(names)} tables present"
    return all_found(names, lambda n: schema.table(n) is not None, "missing table(s)", present)


@check("columns", list[str])
def columns(subject: Subject, names: list[str]) -> Grade:
    """Every named `table.column` exists in the DDL."""
    schema = subject.schema()
    present = f"all {len(names)} columns present"
    return all_found(names, lambda n: _column(schema, n) is not None, "missing column(s)", present)


def _column(schema: Schema, dotted: str) -> Column | None:
    table_name, _, column_name = dotted.rpartition(".")
    table = schema.table(table_name)
    return table.column(column_name) if table is not None else None


@check("column_type", dict[str, str])
def column_type(subject: Subject, expected: dict[str, str]) -> Grade:
    """Each `table.column` has the type named: `numeric` matches any numeric(p,s),
    `numeric(19,4)` only that; spellings are normalised by the real SQL parser."""
    schema = subject.schema()
    wrong: list[str] = []
    for dotted, type_text in expected.items():
        column = _column(schema, dotted)
        if column is None:
            wrong.append(f"{dotted} is missing")
        elif not type_matches(column, type_text):
            wrong.append(f"{dotted} is {column.type}, not {type_text}")
    if wrong:
        return bad(listing(wrong))
    return ok(f"all {len(expected)} column types as expected")


def type_matches(column: Column, type_text: str) -> bool:
    """Compare through the parser, so `int`, `integer` and `int4` are one type."""
    probe = parse_schema(f"CREATE TABLE probe (c {type_text});").tables["probe"].columns[0]
    if "(" in type_text or probe.is_array:
        return probe.type == column.type
    return probe.base_type == column.base_type and probe.is_array == column.is_array


@check("partitioned", list[str])
def partitioned(subject: Subject, names: list[str]) -> Grade:
    """Each named table is declaratively partitioned."""
    schema = subject.schema()
    problems = [_partition_problem(schema.table(name), name) for name in names]
    found = [p for p in problems if p]
    if found:
        return bad(listing(found))
    described = [f"{n} by {t.partition_by}" for n in names if (t := schema.table(n)) is not None]
    return ok(", ".join(described))


def _partition_problem(table: Table | None, name: str) -> str | None:
    if table is None:
        return f"table {name} is missing"
    return None if table.partition_by else f"{name} is not partitioned"


@check("rls", list[str])
def rls(subject: Subject, names: list[str]) -> Grade:
    """Each named table has row-level security enabled and at least one policy."""
    schema = subject.schema()
    policies = policy_tables(schema)
    problems: list[str] = []
    for name in names:
        table = schema.table(name)
        if table is None:
            problems.append(f"table {name} is missing")
        elif not table.row_level_security:
            problems.append(f"{name} does not enable row level security")
        elif name not in policies:
            problems.append(f"{name} enables row level security but has no policy")
    if problems:
        return bad(listing(problems))
    return ok(f"row level security with policies on {', '.join(names)}")


def policy_tables(schema: Schema) -> set[str]:
    """Tables a CREATE POLICY statement applies to (qualified outside schema public)."""
    found: set[str] = set()
    for statement in schema.statements:
        if statement.kind != "CreatePolicyStmt":
            continue
        for raw in pgparse.parse_sql(statement.sql):
            table = raw.stmt.table  # type: ignore[union-attr]
            prefix = f"{table.schemaname}." if table.schemaname not in (None, "public") else ""
            found.add(prefix + table.relname)
    return found


_ERD_ENTITY = re.compile(r'^\s*"?(?P<name>[^"{\s]+)"?\s*\{\s*$', re.MULTILINE)


@check("erd_complete")
def erd_complete(subject: Subject, arg: None) -> Grade:
    """Every table of the DDL (partitions aside) appears as an entity in the Mermaid ERD."""
    erd = subject.package.erd or ""
    if not erd.strip():
        return bad("the package has no ERD")
    drawn = {m.group("name") for m in _ERD_ENTITY.finditer(erd)}
    schema = subject.schema()
    wanted = [t.name for t in schema.tables.values() if t.partition_of is None]
    missing = "table(s) missing from the ERD"
    return all_found(wanted, drawn.__contains__, missing, f"all {len(wanted)} tables drawn")
