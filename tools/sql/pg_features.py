"""Which PostgreSQL major version first runs a construct: the version table and its check.

The embedded server is PostgreSQL 18 and libpg_query parses 18's grammar, so DDL that
applies here may still be refused by the 14 a user runs. Each entry names a construct,
the first major version that accepts it, and how to see it in a libpg_query JSON tree.
`unsupported_constructs` lists what a statement uses that a target version lacks; the
lint rule `unsupported-in-target-version` reports it, and the generators consult
`supports` before they emit a construct.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pglast.parser import ParseError

from tools.sql.model import Statement
from tools.sql.nodes import Json, json_dicts, strings
from tools.sql.pgparse import parse_tree
from tools.sql.rules.base import Finding

OLDEST, NEWEST = 13, 18  # the versions --pg-version accepts (13 is the oldest still in use)
RULE_ID = "unsupported-in-target-version"


@dataclass(frozen=True)
class Feature:
    """A construct, the first major version that runs it, and a test for a JSON node."""

    id: str
    since: int
    what: str
    instead: str  # what to write for an older target
    present: Callable[[Json], bool]


def _node(name: str, test: Callable[[Json], bool] = lambda _: True) -> Callable[[Json], bool]:
    """A test for one node type (`{"IndexStmt": {...}}`) whose body passes `test`."""

    def present(node: Json) -> bool:
        body = node.get(name)
        return isinstance(body, dict) and test(body)

    return present


def _function(*names: str) -> Callable[[Json], bool]:
    return _node("FuncCall", lambda call: (strings(call.get("funcname")) or [""])[-1] in names)


def _option(statement: str, option: str) -> Callable[[Json], bool]:
    return _node(statement, lambda body: option in _option_names(body))


def _option_names(body: Json) -> set[str]:
    options = body.get("options") or []
    return {o.get("DefElem", {}).get("defname", "") for o in options if isinstance(o, dict)}


def _virtual_generated(body: Json) -> bool:
    return body.get("contype") == "CONSTR_GENERATED" and body.get("generated_kind") == "v"


FEATURES: tuple[Feature, ...] = (
    Feature("multirange-types", 14, "multirange types (int4multirange, ...)",
            "arrays of ranges", lambda n: "typemod" in n and any(
                "multirange" in name for name in strings(n.get("names")))),
    Feature("column-compression", 14, "COMPRESSION on a column", "the default (pglz)",
            _node("ColumnDef", lambda c: bool(c.get("compression")))),
    Feature("range-agg", 14, "range_agg()", "array_agg over ranges", _function("range_agg")),
    Feature("nulls-not-distinct", 15, "UNIQUE ... NULLS NOT DISTINCT",
            "a unique index on COALESCE(column, sentinel), or a partial unique index "
            "WHERE column IS NULL",
            lambda n: _node("IndexStmt", lambda b: bool(b.get("nulls_not_distinct")))(n)
            or _node("Constraint", lambda b: bool(b.get("nulls_not_distinct")))(n)),
    Feature("merge", 15, "MERGE", "INSERT ... ON CONFLICT, or UPDATE then INSERT",
            _node("MergeStmt")),
    Feature("security-invoker-view", 15, "views WITH (security_invoker)",
            "a security-barrier view owned by a role without the privileges",
            _option("ViewStmt", "security_invoker")),
    Feature("fk-set-null-columns", 15, "ON DELETE SET NULL/DEFAULT (columns)",
            "a trigger that clears the chosen columns",
            _node("Constraint", lambda b: bool(b.get("fk_del_set_cols")))),
    Feature("explain-generic-plan", 16, "EXPLAIN (GENERIC_PLAN)",
            "PREPARE, then EXPLAIN EXECUTE with plan_cache_mode = force_generic_plan",
            _option("ExplainStmt", "generic_plan")),
    Feature("sql-json-constructors", 16, "JSON_OBJECT/JSON_ARRAY and IS JSON",
            "json_build_object/json_build_array and a cast in a CHECK",
            lambda n: any(k in n for k in ("JsonObjectConstructor", "JsonArrayConstructor",
                                           "JsonIsPredicate", "JsonObjectAgg",
                                           "JsonArrayAgg"))),
    Feature("any-value", 16, "any_value()", "min() or max()", _function("any_value")),
    Feature("json-table", 17, "JSON_TABLE", "jsonb_to_recordset / jsonb_array_elements",
            lambda n: "JsonTable" in n),
    Feature("merge-returning", 17, "MERGE ... RETURNING", "MERGE, then a SELECT",
            _node("MergeStmt", lambda b: bool(b.get("returningClause")))),
    Feature("uuid-extract-timestamp", 17, "uuid_extract_timestamp()",
            "a stored creation time", _function("uuid_extract_timestamp")),
    Feature("uuidv7", 18, "uuidv7()", "gen_random_uuid() (random, v4)",
            _function("uuidv7", "uuidv4")),
    Feature("virtual-generated-column", 18, "virtual generated columns",
            "GENERATED ALWAYS AS (...) STORED", _node("Constraint", _virtual_generated)),
    Feature("without-overlaps", 18, "PRIMARY KEY/UNIQUE ... WITHOUT OVERLAPS",
            "an exclusion constraint (EXCLUDE USING gist ... WITH &&)",
            _node("Constraint", lambda b: bool(b.get("without_overlaps")))),
    Feature("not-null-not-valid", 18, "NOT NULL ... NOT VALID",
            "CHECK (column IS NOT NULL) NOT VALID, validated later",
            _node("Constraint", lambda b: b.get("contype") == "CONSTR_NOTNULL"
                  and bool(b.get("skip_validation")))),
)  # fmt: skip
BY_ID = {feature.id: feature for feature in FEATURES}


def supports(version: int, feature_id: str) -> bool:
    """Does PostgreSQL `version` (a major: 14, 18) run the construct?"""
    return version >= BY_ID[feature_id].since


def check_version(version: int) -> int:
    if not OLDEST <= version <= NEWEST:
        raise ValueError(f"PostgreSQL version must be {OLDEST} to {NEWEST}, not {version}")
    return version


def unsupported_constructs(tree: Json, target: int) -> list[Feature]:
    """The constructs of a parse tree that PostgreSQL `target` lacks, each once."""
    found: dict[str, Feature] = {}
    newer = [f for f in FEATURES if f.since > target]
    if not newer:
        return []
    for node in json_dicts(tree):
        for feature in newer:
            if feature.id not in found and feature.present(node):
                found[feature.id] = feature
    return list(found.values())


def unsupported_in_sql(sql: str, target: int) -> Iterator[tuple[int, Feature]]:
    """(statement index, feature) for every statement of `sql` the target cannot run."""
    try:
        tree = parse_tree(sql)
    except ParseError:
        return
    for index, raw in enumerate(tree.get("stmts", [])):
        for feature in unsupported_constructs(raw.get("stmt", {}), target):
            yield index, feature


def version_findings(statements: Sequence[Statement], target: int) -> list[Finding]:
    """`unsupported-in-target-version` errors: statements PostgreSQL `target` would refuse.

    Only runs below the newest version (each statement is parsed again), so a review for
    the default target costs nothing.
    """
    if target >= NEWEST:
        return []
    findings = []
    for statement in statements:
        for _, feature in unsupported_in_sql(statement.sql, target):
            findings.append(
                Finding(
                    rule=RULE_ID,
                    severity="error",
                    message=f"{feature.what}: from PostgreSQL {feature.since} on, and the "
                    f"target is PostgreSQL {target}",
                    fix=f"for PostgreSQL {target}, use {feature.instead}",
                    file=statement.file,
                    line=statement.line,
                )
            )
    return findings


RULE_SUMMARY = (
    "the statement uses a construct the target PostgreSQL version (--pg-version) cannot run"
)
RULE_FIX = "use the older form the finding names, or raise the target version"
