"""Schema gates: the DDL applies, lint has no unjustified errors, the spec's names exist (and
its no-overlap rules as exclusion constraints), and every access pattern plans against the
schema."""

from __future__ import annotations

from agent.claims.check.objects import normal
from agent.context import RunContext
from agent.gates import Verdict, fail
from agent.naming import quote_ident, table_name
from agent.pg_target import target_of
from agent.spec import Requirements, resolve_contract
from agent.spec.model import OverlapWhere
from agent.spec.overlap import sql_value, where_sql
from agent.stages import GateFinding, SchemaDesign
from agent.state import DesignState
from agent.volumes import pattern_queries
from tools.errors import SqlSyntaxError
from tools.sql.model import Index, Schema, Table
from tools.sql.parse import parse_schema
from tools.sql.pg_features import NEWEST, version_findings
from tools.sql.query import explain_queries
from tools.sql.review import lint_schema
from tools.sql.server import scratch_database
from tools.sql.validate import ValidationResult, apply_statements


def check_schema(state: DesignState, ctx: RunContext) -> list[Verdict]:
    assert state.spec is not None and state.schema_design is not None
    design = state.schema_design
    try:
        schema = parse_schema(design.ddl, file="schema.sql")
    except SqlSyntaxError as exc:
        finding = fail("ddl_applies", exc.detail, line=exc.location.line)
        return [Verdict(gate="ddl_applies", findings=[finding])]
    verdicts = _apply_and_plan(schema, state.spec, ctx)
    verdicts.append(lint_verdict(schema, design, target_of(state.spec)))
    verdicts.append(contract_verdict(schema, state.spec))
    return verdicts


def _apply_and_plan(schema: Schema, spec: Requirements, ctx: RunContext) -> list[Verdict]:
    with scratch_database(ctx.pg()) as scratch:
        applied = apply_statements(schema, scratch)
        ddl = ddl_verdict(applied)
        if not ddl.passed:
            return [ddl]
        plans = Verdict(gate="patterns_plan")
        for plan in explain_queries(scratch.dsn, pattern_queries(spec)):
            if plan.error:
                plans.findings.append(fail("patterns_plan", plan.error))
        return [ddl, plans]


def ddl_verdict(result: ValidationResult) -> Verdict:
    verdict = Verdict(gate="ddl_applies")
    for error in result.errors:
        where = f" (follows from line {error.caused_by})" if error.caused_by else ""
        verdict.findings.append(
            fail("ddl_applies", f"line {error.line}: {error.message}{where}", line=error.line)
        )
    return verdict


def lint_verdict(schema: Schema, design: SchemaDesign, target: int = NEWEST) -> Verdict:
    """Errors fail the gate unless the design justifies them; warnings are kept as notes.
    A construct the target PostgreSQL version lacks is such an error."""
    justified = {(j.rule, j.table, j.column) for j in design.justified_findings}
    justified_tables = {(j.rule, j.table) for j in design.justified_findings if j.column is None}
    verdict = Verdict(gate="lint_clean")
    for f in lint_schema(schema) + version_findings(schema.statements, target):
        if f.severity != "error":
            verdict.notes.append(f"{f.rule} on {f.table}: {f.message}")
        elif (f.rule, f.table, f.column) in justified or (f.rule, f.table) in justified_tables:
            verdict.notes.append(f"{f.rule} on {f.table} justified by the design")
        else:
            verdict.findings.append(
                GateFinding(
                    gate="lint_clean",
                    rule=f.rule,
                    table=f.table,
                    column=f.column,
                    line=f.line,
                    message=f"{f.rule}: {f.message}" + (f" Fix: {f.fix}" if f.fix else ""),
                )
            )
    return verdict


def contract_verdict(schema: Schema, spec: Requirements) -> Verdict:
    """The names the spec fixes (tables, key and reference columns) must exist as promised,
    and so must the exclusion constraints its `no_overlap` rules ask for."""
    verdict = Verdict(gate="naming_contract")
    for expected in resolve_contract(spec).tables.values():
        table = schema.table(expected.name)
        if table is None:
            verdict.findings.append(
                fail("naming_contract", f"table '{expected.name}' is missing", table=expected.name)
            )
            continue
        for column in expected.columns:
            if table.column(column.name) is None:
                verdict.findings.append(
                    fail(
                        "naming_contract",
                        f"column '{expected.name}.{column.name}' is missing",
                        table=expected.name,
                        column=column.name,
                    )
                )
    verdict.findings += _overlap_findings(schema, spec)
    return verdict


def _overlap_findings(schema: Schema, spec: Requirements) -> list[GateFinding]:
    """Each `no_overlap` rule holds as an EXCLUDE constraint, whichever brain wrote the DDL:
    its `per` columns compared with `=` and an `&&` element over both range columns."""
    found = []
    for entity in spec.entities:
        table = schema.table(table_name(entity.name))
        if table is None:
            continue  # reported as a missing table
        for rule in entity.no_overlap:
            enforcing = [i for i in table.indexes if _enforces(i, rule.per, rule.range)]
            per = f" per {', '.join(rule.per)}" if rule.per else ""
            if not enforcing:
                message = (
                    f"{table.name} has no exclusion constraint keeping "
                    f"{rule.range[0]}..{rule.range[1]} from overlapping{per} (the spec's "
                    "no_overlap): add EXCLUDE USING gist (<per> WITH =, "
                    "<range type>(<start>, <end>) WITH &&)"
                )
                found.append(fail("naming_contract", message, table=table.name))
            elif rule.where and not any(_narrowed(i, rule.where) for i in enforcing):
                wanted = _where_hint(schema, table, rule.where)
                message = (
                    f"the exclusion constraint on {table.name} ({rule.range[0]}.."
                    f"{rule.range[1]}{per}) does not narrow the rows that compete to those whose "
                    f"{rule.where.phrase()} (the spec's no_overlap where): add WHERE ({wanted})"
                )
                found.append(fail("naming_contract", message, table=table.name))
    return found


def _where_hint(schema: Schema, table: Table, where: OverlapWhere) -> str:
    """The predicate the rules brain would write here, as a fix to copy."""
    column = table.column(where.column)
    if column is None:
        return where_sql(where, nullable=False)
    cast = column.base_type in schema.enums or column.base_type == "uuid"
    return where_sql(where, nullable=column.nullable, array_type=column.type if cast else None)


def _narrowed(index: Index, where: OverlapWhere) -> bool:
    """The constraint's predicate names the rule's column and each of its values, in
    whatever form the DDL's author wrote them (`NOT IN (...)`, `<> ALL (ARRAY[...])`)."""
    predicate = normal(index.where or "")
    named = [quote_ident(where.column), *(sql_value(v) for v in where.values)]
    return all(normal(text) in predicate for text in named)


def _enforces(index: Index, per: list[str], period: list[str]) -> bool:
    if not index.exclusion:
        return False
    equal = {e.column for e in index.elements if e.operator == "=" and e.column}
    overlaps = [e for e in index.elements if e.operator == "&&"]
    return set(per) <= equal and any(set(period) <= set(e.reads) for e in overlaps)
