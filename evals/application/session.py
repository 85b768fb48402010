"""What an application must set on its session before row-level security lets it work.

Read from the policies PostgreSQL stored (`pg_policies`), not from the package's summary: a
setting compared with a column (`company_id = current_setting('app.tenant_id')::bigint`)
is a tenant key, set to a tenant's id; a setting compared with constants
(`current_setting('app.purpose_of_use') IN ('treatment', ...)`) is set to the first of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast
from pglast.enums.parsenodes import A_Expr_Kind
from psycopg import sql

from tools.sql import pgparse
from tools.sql.astwalk import column_ref_name, func_name, walk
from tools.sql.catalog import Catalog
from tools.sql.server import Conn

_POLICIES = "SELECT schemaname, tablename, qual, with_check FROM pg_policies"
_RLS_TABLES = """
SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
       c.relforcerowsecurity
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relrowsecurity AND c.relkind IN ('r', 'p')
"""


@dataclass
class SessionPolicy:
    """The session settings the policies read, and the tenants found in the data."""

    keys: dict[str, dict[str, str]] = field(default_factory=dict)  # setting -> table -> column
    literals: dict[str, str] = field(default_factory=dict)  # setting -> an accepted value
    rls_tables: dict[str, bool] = field(default_factory=dict)  # table -> RLS forced on owners
    tenants: list[str] = field(default_factory=list)  # tenant key values, busiest first

    @property
    def tenant_setting(self) -> str | None:
        """The key setting most tables' policies compare with: the tenant's."""
        return max(self.keys, key=lambda setting: len(self.keys[setting]), default=None)

    def declared(self, column_values: dict[tuple[str, str], str]) -> dict[str, str]:
        """Settings a request declares because it looks the compared column up itself
        (`email = current_setting('app.login_email')` while asking for an email)."""
        found = {}
        for setting, columns in self.keys.items():
            if setting == self.tenant_setting:
                continue
            for table, column in columns.items():
                if (table, column) in column_values:
                    found[setting] = column_values[(table, column)]
        return found

    def tenant_column(self, table: str) -> str | None:
        setting = self.tenant_setting
        return self.keys[setting].get(table) if setting else None

    def settings(self, tenant: str | None) -> dict[str, str]:
        """Every setting a request needs; the tenant key only when a tenant is given."""
        found = dict(self.literals)
        if tenant is not None and self.tenant_setting is not None:
            found[self.tenant_setting] = tenant
        return found


def read_policy(admin: Conn, catalog: Catalog) -> SessionPolicy:
    policy = SessionPolicy()
    for table, forced in admin.execute(_RLS_TABLES).fetchall():
        policy.rls_tables[str(table)] = bool(forced)
    for schema, table, qual, with_check in admin.execute(_POLICIES).fetchall():
        name = str(table) if schema == "public" else f"{schema}.{table}"
        for text in (qual, with_check):
            if text:
                _read_expression(str(text), name, policy)
    if policy.tenant_setting is not None:
        policy.tenants = _tenants(admin, catalog, policy.keys[policy.tenant_setting])
    return policy


_COMPARISONS = (A_Expr_Kind.AEXPR_OP, A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_IN)


def _read_expression(text: str, table: str, policy: SessionPolicy) -> None:
    for node in walk(pgparse.parse_sql(f"SELECT {text}")):
        if not isinstance(node, ast.A_Expr) or node.kind not in _COMPARISONS:
            continue  # NULLIF(current_setting(...), '') compares nothing the session sets
        sides = [node.lexpr, node.rexpr]
        for mine, other in (sides, sides[::-1]):
            setting = _setting_in(mine)
            if setting is None or _setting_in(other) is not None:
                continue
            column = _column_in(other)
            if column is not None:
                policy.keys.setdefault(setting, {})[table] = column
            elif (value := _first_string(other)) is not None:
                policy.literals.setdefault(setting, value)


def _setting_in(node: object) -> str | None:
    for item in walk(node):
        if isinstance(item, ast.FuncCall) and func_name(item) == "current_setting":
            first = (item.args or (None,))[0]
            for inner in walk(first):
                if isinstance(inner, ast.String) and inner.sval:
                    return inner.sval
    return None


def _column_in(node: object) -> str | None:
    for item in walk(node):
        if isinstance(item, ast.ColumnRef) and (name := column_ref_name(item)):
            return name[1]
    return None


def _first_string(node: object) -> str | None:
    for item in walk(node):
        if isinstance(item, ast.A_Const) and isinstance(item.val, ast.String):
            return item.val.sval
    return None


def _tenants(admin: Conn, catalog: Catalog, columns: dict[str, str]) -> list[str]:
    """Tenant key values, those with the most rows in the largest tenant-keyed table first."""
    sized = [(info.rows, table) for table in columns if (info := catalog.table(table))]
    if not sized:
        return []
    _, table = max(sized)
    column = sql.Identifier(columns[table])
    query = sql.SQL(
        "SELECT {c}::text FROM {t} WHERE {c} IS NOT NULL GROUP BY {c} ORDER BY count(*) DESC, 1"
        " LIMIT 2"
    ).format(c=column, t=sql.Identifier(*table.split(".")))
    return [str(value) for (value,) in admin.execute(query).fetchall()]
