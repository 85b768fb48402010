"""DDL statements sorted into migration steps, each with the statement that undoes it.

The schema compiler's DDL is parsed with pglast (never with regexes) and rewritten into the
shapes an online migration wants: foreign keys and checks added `NOT VALID` then validated
separately, indexes built `CONCURRENTLY` with a name the rollback can drop, everything
re-runnable (`IF NOT EXISTS` / `IF EXISTS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pglast
from pglast import ast, enums

from agent.brains.rules.migrations.names import (
    MAX_NAME,
    ident,
    index_name,
    qualified,
    short_name,
    sql_text,
    table_key,
)
from tools.errors import ToolError
from tools.sql import pgparse

Group = Literal[
    "types",
    "tables",
    "constraints",
    "validate",
    "indexes",
    "rls",
    "triggers",
    "partitions",
    "views",
]
_AT = enums.AlterTableType
_CT = enums.ConstrType
_OBJ = enums.ObjectType


@dataclass(frozen=True)
class Step:
    """One statement of a migration and how to undo it (None: undone by an earlier drop)."""

    group: Group
    up: str
    down: str | None = None


class StepPlanner:
    """Walks the statements in order, remembering which tables are partitioned."""

    def __init__(self) -> None:
        self.partitioned: set[str] = set()
        self.created: set[str] = set()
        self.steps: list[Step] = []
        self._anonymous = 0
        self._index_names: dict[str, str] = {}  # name -> definition without the name

    def plan(self, sql: str) -> list[Step]:
        try:
            statements = pgparse.parse_sql(sql)
        except pglast.parser.ParseError as exc:
            raise pgparse.syntax_error(exc, sql) from exc
        for raw in statements:
            if raw.stmt is not None:
                self._statement(raw.stmt)
        return self.steps

    def _add(self, group: Group, up: str, down: str | None = None) -> None:
        self.steps.append(Step(group, up, down))

    def _statement(self, node: ast.Node) -> None:
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise ToolError(
                f"cannot plan a migration step for {type(node).__name__}: {sql_text(node)[:80]}"
            )
        handler(node)

    def _CreateExtensionStmt(self, node: ast.CreateExtensionStmt) -> None:
        node.if_not_exists = True
        self._add("types", sql_text(node), f"DROP EXTENSION IF EXISTS {ident(node.extname)}")

    def _CreateSchemaStmt(self, node: ast.CreateSchemaStmt) -> None:
        node.if_not_exists = True
        self._add("types", sql_text(node), f"DROP SCHEMA IF EXISTS {ident(str(node.schemaname))}")

    def _CreateEnumStmt(self, node: ast.CreateEnumStmt) -> None:
        self._add("types", sql_text(node), f"DROP TYPE IF EXISTS {qualified(node.typeName)}")

    def _CompositeTypeStmt(self, node: ast.CompositeTypeStmt) -> None:
        self._add("types", sql_text(node), f"DROP TYPE IF EXISTS {sql_text(node.typevar)}")

    def _CreateDomainStmt(self, node: ast.CreateDomainStmt) -> None:
        self._add("types", sql_text(node), f"DROP DOMAIN IF EXISTS {qualified(node.domainname)}")

    def _CreateSeqStmt(self, node: ast.CreateSeqStmt) -> None:
        node.if_not_exists = True
        self._add("types", sql_text(node), f"DROP SEQUENCE IF EXISTS {sql_text(node.sequence)}")

    def _CreateFunctionStmt(self, node: ast.CreateFunctionStmt) -> None:
        kind = "PROCEDURE" if node.is_procedure else "FUNCTION"
        args = ", ".join(
            sql_text(p.argType)
            for p in node.parameters or ()
            if p.mode
            not in (
                enums.FunctionParameterMode.FUNC_PARAM_OUT,
                enums.FunctionParameterMode.FUNC_PARAM_TABLE,
            )
        )
        node.replace = True
        drop = f"DROP {kind} IF EXISTS {qualified(node.funcname)}({args})"
        self._add("types", sql_text(node), drop)

    def _CreateStmt(self, node: ast.CreateStmt) -> None:
        name = sql_text(node.relation)
        if node.partbound is not None:
            node.if_not_exists = True
            self._add("partitions", sql_text(node), f"DROP TABLE IF EXISTS {name}")
            return
        if node.partspec is not None:
            self.partitioned.add(table_key(node.relation))
        self.created.add(table_key(node.relation))
        foreign = self._extract_foreign_keys(node, name)
        node.if_not_exists = True
        self._add("tables", sql_text(node), f"DROP TABLE IF EXISTS {name}")
        for constraint in foreign:
            self._constraint(name, constraint)

    def _extract_foreign_keys(self, node: ast.CreateStmt, table: str) -> list[ast.Constraint]:
        """Move inline and table-level foreign keys out: they are added NOT VALID later."""
        found: list[ast.Constraint] = []
        kept: list[ast.Node] = []
        for element in node.tableElts or ():
            if isinstance(element, ast.Constraint) and element.contype == _CT.CONSTR_FOREIGN:
                found.append(element)
                continue
            if isinstance(element, ast.ColumnDef) and element.constraints:
                own = [c for c in element.constraints if c.contype == _CT.CONSTR_FOREIGN]
                for constraint in own:
                    constraint.fk_attrs = (ast.String(sval=element.colname),)
                element.constraints = (
                    tuple(c for c in element.constraints if c.contype != _CT.CONSTR_FOREIGN) or None
                )
                found += own
            kept.append(element)
        node.tableElts = tuple(kept)
        return found

    def _constraint(self, table: str, constraint: ast.Constraint) -> None:
        """FOREIGN KEY and CHECK: NOT VALID now, VALIDATE in the next migration."""
        if not constraint.conname:
            constraint.conname = self._constraint_name(table, constraint)
        constraint.skip_validation = True
        constraint.initially_valid = False
        name = ident(constraint.conname)
        self._add(
            "constraints",
            f"ALTER TABLE {table} ADD {sql_text(constraint)}",
            f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}",
        )
        self._add("validate", f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")

    def _constraint_name(self, table: str, constraint: ast.Constraint) -> str:
        bare = table.rsplit(".", 1)[-1].strip('"')
        if constraint.contype == _CT.CONSTR_FOREIGN:
            columns = "_".join(a.sval for a in constraint.fk_attrs or ())
            return short_name(f"{bare}_{columns}_fkey")
        self._anonymous += 1
        return short_name(f"{bare}_check{self._anonymous}")

    def _AlterTableStmt(self, node: ast.AlterTableStmt) -> None:
        table = sql_text(node.relation)
        for cmd in node.cmds or ():
            self._alter(table, node, cmd)

    def _alter(self, table: str, node: ast.AlterTableStmt, cmd: ast.AlterTableCmd) -> None:
        single = sql_text(
            ast.AlterTableStmt(relation=node.relation, cmds=(cmd,), objtype=node.objtype)
        )
        definition = cmd.def_
        if (
            cmd.subtype == _AT.AT_AddConstraint
            and isinstance(definition, ast.Constraint)
            and definition.contype in (_CT.CONSTR_FOREIGN, _CT.CONSTR_CHECK)
        ):
            self._constraint(table, definition)
            return
        rls = {
            _AT.AT_EnableRowSecurity: "DISABLE ROW LEVEL SECURITY",
            _AT.AT_ForceRowSecurity: "NO FORCE ROW LEVEL SECURITY",
        }
        if cmd.subtype in rls:
            self._add("rls", single, f"ALTER TABLE {table} {rls[cmd.subtype]}")
        elif cmd.subtype == _AT.AT_AttachPartition and isinstance(definition, ast.PartitionCmd):
            detach = f"ALTER TABLE {table} DETACH PARTITION {sql_text(definition.name)}"
            self._add("partitions", single, detach)
        elif table_key(node.relation) in self.created:
            self._add("tables", single)  # a change to a new table: undone by its DROP TABLE
        else:
            raise ToolError(f"cannot plan a rollback for a change to an existing table: {single}")

    def _IndexStmt(self, node: ast.IndexStmt) -> None:
        """Unnamed indexes get a name; a repeat of an index already planned is planned once."""
        given, node.idxname = node.idxname, None
        definition = sql_text(node)
        if given and self._index_names.get(given) == definition:
            return  # the advisor recommends an index the schema already creates
        node.idxname = self._unique_index_name(given or index_name(node))
        self._index_names[node.idxname] = definition
        node.if_not_exists = True
        if table_key(node.relation) in self.partitioned:
            # PostgreSQL cannot build an index CONCURRENTLY on a partitioned table. The parent
            # is created empty in the same transaction, so this is instant, and partitions
            # made later (by this plan or by pg_partman) inherit it.
            self._add("tables", sql_text(node))
            return
        node.concurrent = True
        schema = (
            f"{node.relation.schemaname}." if node.relation and node.relation.schemaname else ""
        )
        drop = f"DROP INDEX CONCURRENTLY IF EXISTS {schema}{ident(node.idxname)}"
        self._add("indexes", sql_text(node), drop)

    def _unique_index_name(self, name: str) -> str:
        """IF NOT EXISTS would silently skip a different index of the same name: number it."""
        candidate, number = name, 1
        while candidate in self._index_names:
            number += 1
            candidate = short_name(name[: MAX_NAME - 4] + str(number))
        return candidate

    def _CreatePolicyStmt(self, node: ast.CreatePolicyStmt) -> None:
        drop = f"DROP POLICY IF EXISTS {ident(node.policy_name)} ON {sql_text(node.table)}"
        self._add("rls", sql_text(node), drop)

    def _CreateTrigStmt(self, node: ast.CreateTrigStmt) -> None:
        drop = f"DROP TRIGGER IF EXISTS {ident(node.trigname)} ON {sql_text(node.relation)}"
        self._add("triggers", sql_text(node), drop)

    def _ViewStmt(self, node: ast.ViewStmt) -> None:
        self._add("views", sql_text(node), f"DROP VIEW IF EXISTS {sql_text(node.view)}")

    def _CreateTableAsStmt(self, node: ast.CreateTableAsStmt) -> None:
        name = sql_text(node.into.rel if node.into else None)
        kind = "MATERIALIZED VIEW" if node.objtype == _OBJ.OBJECT_MATVIEW else "TABLE"
        self._add("views", sql_text(node), f"DROP {kind} IF EXISTS {name}")

    def _CommentStmt(self, node: ast.CommentStmt) -> None:
        groups: dict[int, Group] = {
            _OBJ.OBJECT_INDEX: "indexes",
            _OBJ.OBJECT_TYPE: "types",
            _OBJ.OBJECT_DOMAIN: "types",
            _OBJ.OBJECT_FUNCTION: "types",
            _OBJ.OBJECT_POLICY: "rls",
            _OBJ.OBJECT_TRIGGER: "triggers",
            _OBJ.OBJECT_VIEW: "views",
            _OBJ.OBJECT_MATVIEW: "views",
        }
        group = groups.get(int(node.objtype), "tables") if node.objtype is not None else "tables"
        self._add(group, sql_text(node))
