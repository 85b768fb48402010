"""Outputs users run beside the DDL: ORM models, schema files of other tools, other dialects.

Every emitter reads the typed schema model (`tools.sql.model.Schema`) that the parser
builds from the package's own DDL (schema.sql, then indexes.sql), so whatever the schema
stage generates, the emitted files follow it. Each is checked by its own tool in the
tests: SQLAlchemy's `create_all`, `prisma validate`, `@dbml/core`, SQLite itself.
"""

from __future__ import annotations

from collections.abc import Callable

from tools.errors import InputError
from tools.sql.model import Schema
from tools.sql.parse import parse_schema

Emitter = Callable[[Schema, str], str]


def _emitters() -> dict[str, tuple[str, Emitter]]:
    from tools.emit.dbml import emit as dbml
    from tools.emit.dialects import emit_mysql, emit_sqlite
    from tools.emit.prisma import emit as prisma
    from tools.emit.sqlalchemy import emit as sqlalchemy

    return {
        "sqlalchemy": ("models.py", sqlalchemy),
        "prisma": ("schema.prisma", prisma),
        "dbml": ("schema.dbml", dbml),
        "mysql": ("schema.mysql.sql", emit_mysql),
        "sqlite": ("schema.sqlite.sql", emit_sqlite),
    }


KINDS = ("sqlalchemy", "prisma", "dbml", "mysql", "sqlite")


def parse_kinds(option: str) -> list[str]:
    """`--emit sqlalchemy,prisma` -> the kinds, in order, each once; unknown ones named."""
    kinds = list(dict.fromkeys(k.strip().lower() for k in option.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise InputError(
            f"--emit takes a comma-separated list of {', '.join(KINDS)}; "
            f"not {', '.join(unknown) or repr(option)}"
        )
    return kinds


def emit(kinds: list[str], ddl: str, name: str) -> dict[str, str]:
    """File name -> text for each kind, from the package's DDL (schema, then indexes)."""
    schema = parse_schema(ddl, "schema.sql")
    emitters = _emitters()
    return {emitters[kind][0]: emitters[kind][1](schema, name) for kind in kinds}
