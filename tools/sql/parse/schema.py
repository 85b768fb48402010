"""`parse_schema`: SQL text, a file or a migrations folder -> the typed `Schema` model.

Statements are applied in input order, as PostgreSQL would run them: a table created, then
altered, renamed or dropped ends up in the model as it would be in the database. Every
statement is kept in `Schema.statements` for validation, modelled or not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from tools.errors import InputError
from tools.sql.model import Schema
from tools.sql.nodes import Json
from tools.sql.parse.alter import alter_table, drop, rename, set_schema
from tools.sql.parse.builder import SchemaBuilder
from tools.sql.parse.objects import (
    alter_enum,
    create_domain,
    create_enum,
    create_extension,
    create_function,
    create_index,
    create_table_as,
    create_view,
)
from tools.sql.parse.source import Positions, SourceFile, preprocess, read_sources
from tools.sql.parse.split import iter_statements
from tools.sql.parse.table import create_table

Handler = Callable[[SchemaBuilder, Json], None]

_HANDLERS: dict[str, Handler] = {
    "CreateStmt": create_table,
    "AlterTableStmt": alter_table,
    "IndexStmt": create_index,
    "CreateEnumStmt": create_enum,
    "AlterEnumStmt": alter_enum,
    "CreateDomainStmt": create_domain,
    "ViewStmt": create_view,
    "CreateTableAsStmt": create_table_as,
    "CreateExtensionStmt": create_extension,
    "CreateFunctionStmt": create_function,
    "RenameStmt": rename,
    "AlterObjectSchemaStmt": set_schema,
    "DropStmt": drop,
}


def parse_schema(source: str | Path, file: str | None = None) -> Schema:
    """Parse SQL into a `Schema`.

    `source` is SQL text when a `str` (`file` then names it in messages), a `.sql` file or
    a folder of migrations when a `Path`. Raises `SqlSyntaxError` with file, line and
    column for SQL PostgreSQL's grammar rejects, `InputError` for unreadable input.
    """
    if isinstance(source, Path):
        return build_schema(read_sources(source))
    return build_schema([preprocess(source, file)])


def require_statements(schema: Schema, where: str | None) -> Schema:
    """A review of no SQL must not read as a clean bill of health: empty input is bad input."""
    if not schema.statements:
        skipped = f"; {len(schema.skipped)} psql-only part(s) skipped" if schema.skipped else ""
        raise InputError(
            f"{where or '<input>'}: nothing to review: no SQL statement in it (empty, or only "
            f"comments){skipped}"
        )
    return schema


def build_schema(
    sources: Iterable[SourceFile], progress: Callable[[int], None] | None = None
) -> Schema:
    """Apply already-read sources in order; the first syntax error stops the parse.

    `progress(chars)` is told how many characters of all sources have been parsed so far,
    after each slice of statements (a long input shows life from the start).
    """
    builder = SchemaBuilder()
    done = 0
    for source in sources:
        builder.schema.skipped.extend(source.skipped)
        builder.positions = Positions(source.text)
        sliced = (lambda end, base=done: progress(base + end)) if progress else None
        for parsed in iter_statements(source, builder.positions, on_slice=sliced):
            builder.statement, builder.base = parsed.statement, parsed.base
            builder.schema.statements.append(parsed.statement)
            builder.schema.suppressions.extend(parsed.suppressions)
            handler = _HANDLERS.get(parsed.statement.kind)
            if handler is not None:
                handler(builder, parsed.body)
        done += len(source.text)
    return builder.schema
