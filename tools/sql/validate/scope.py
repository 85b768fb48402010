"""Which statements do not belong in a scratch database, and the reason shown to the user.

A dump or script carries statements about its original server: the database it lived in,
its roles, owners, grants and tablespaces. In a scratch database they would fail for
reasons that say nothing about the schema, or act outside it; they are skipped, and said so.
"""

from __future__ import annotations

import json
import re

from pglast.parser import ParseError

from tools.sql import pgparse
from tools.sql.model import Statement
from tools.sql.nodes import Json, unwrap

_ROLES = "roles belong to the original server, not to the scratch database"
_PRIVILEGES = "privileges name roles of the original server"
_OWNERSHIP = "ownership names roles of the original server"
_TABLESPACES = "tablespaces are server directories, outside the scratch database"

_BY_KIND = {
    "CreatedbStmt": "CREATE DATABASE: the statements are applied to a scratch database instead",
    "DropdbStmt": "DROP DATABASE would act outside the scratch database",
    "AlterDatabaseStmt": "ALTER DATABASE acts on the original database, not the scratch one",
    "AlterDatabaseSetStmt": "ALTER DATABASE acts on the original database, not the scratch one",
    "AlterOwnerStmt": _OWNERSHIP,
    "ReassignOwnedStmt": _OWNERSHIP,
    "DropOwnedStmt": _OWNERSHIP,
    "GrantStmt": _PRIVILEGES,
    "GrantRoleStmt": _PRIVILEGES,
    "AlterDefaultPrivilegesStmt": _PRIVILEGES,
    "CreateRoleStmt": _ROLES,
    "AlterRoleStmt": _ROLES,
    "AlterRoleSetStmt": _ROLES,
    "DropRoleStmt": _ROLES,
    "CreateTableSpaceStmt": _TABLESPACES,
    "DropTableSpaceStmt": _TABLESPACES,
    "AlterTableSpaceOptionsStmt": _TABLESPACES,
    "AlterSystemStmt": "ALTER SYSTEM changes the whole server's configuration",
    "LoadStmt": "LOAD puts a shared library into the server",
    "CreateSubscriptionStmt": "subscriptions connect to other servers",
    "AlterSubscriptionStmt": "subscriptions connect to other servers",
    "TransactionStmt": "transaction control: the validator runs statements in its own transaction",
}
# Settings that would switch identity or lift the validator's own limits.
_GUARDED_SETTINGS = {
    "role": "SET ROLE: the sandbox role applies every statement",
    "session_authorization": "SET SESSION AUTHORIZATION: the sandbox role applies every statement",
    "statement_timeout": "the validator keeps its own statement_timeout",
    "transaction_timeout": "the validator keeps its own transaction_timeout",
}
_OWNER_TO = re.compile(r"\bOWNER\s+TO\b", re.IGNORECASE)


def skip_reason(statement: Statement) -> str | None:
    """Why `statement` must not run in a scratch database, or None when it should run."""
    reason = _BY_KIND.get(statement.kind)
    if reason is not None:
        return reason
    if statement.kind == "VariableSetStmt":
        name = str(_node(statement).get("name", "")).lower()
        return _GUARDED_SETTINGS.get(name)
    if statement.kind == "AlterTableStmt" and _OWNER_TO.search(statement.sql):
        commands = [unwrap(c)[1].get("subtype") for c in _node(statement).get("cmds", [])]
        if commands and all(c == "AT_ChangeOwner" for c in commands):
            return _OWNERSHIP
    if statement.kind == "CopyStmt":
        copy = _node(statement)
        if not copy.get("filename") and not copy.get("is_program"):
            return "COPY to or from the client: no data is loaded or returned"
    return None


def statement_node(statement: Statement) -> Json:
    """The statement's own parse tree (fields of its single top-level node)."""
    return _node(statement)


def _node(statement: Statement) -> Json:
    try:
        tree = json.loads(pgparse.parse_sql_json(statement.sql))
    except ParseError:
        return {}
    stmts = tree.get("stmts", [])
    if len(stmts) != 1:
        return {}
    kind, body = unwrap(stmts[0]["stmt"])
    return body if kind == statement.kind else {}
