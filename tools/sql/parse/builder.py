"""The state the parser's statement handlers share: the schema so far and where we are in it."""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.sql.model import Index, Schema, Statement, Table
from tools.sql.parse.source import Positions


@dataclass
class SchemaBuilder:
    """Applies statements in order to one `Schema`; handlers read positions through it."""

    schema: Schema = field(default_factory=Schema)
    positions: Positions | None = None
    statement: Statement | None = None
    base: int = 0  # byte offset in the file of the slice the statement's tree came from
    # The model keeps no primary-key name; DROP CONSTRAINT needs it.
    pk_names: dict[str, str] = field(default_factory=dict)

    def line(self, location: int | None) -> int | None:
        """1-based line of a node's byte location, or the statement's line when it has none."""
        if location is not None and location >= 0 and self.positions is not None:
            return self.positions.line_of_byte(self.base + location)
        return self.statement.line if self.statement else None

    @property
    def file(self) -> str | None:
        return self.statement.file if self.statement else None

    def primary_key_name(self, table: Table) -> str:
        """The PK's given name, else the one PostgreSQL makes up: `<table>_pkey`."""
        return self.pk_names.get(table.name) or f"{table.name.rpartition('.')[2]}_pkey"

    def table(self, key: str) -> Table | None:
        return self.schema.tables.get(key)

    def find_index(self, key: str) -> tuple[Table, Index] | None:
        """An index by (possibly schema-qualified) name; indexes live in their table's schema."""
        schema, _, name = key.rpartition(".")
        for table in self.schema.tables.values():
            if _schema_of(table.name) != (schema or None):
                continue
            for index in table.indexes:
                if index.name == name:
                    return table, index
        return None

    def rename_table(self, old: str, new: str) -> None:
        """Re-key a table and every reference to it (foreign keys, partitions, indexes)."""
        table = self.schema.tables.get(old)
        if table is None:
            return
        table.name = new
        # rebuilt rather than popped so the table keeps its place in definition order
        self.schema.tables = {new if k == old else k: v for k, v in self.schema.tables.items()}
        if old in self.pk_names:
            self.pk_names[new] = self.pk_names.pop(old)
        for index in table.indexes:
            index.table = new
        for other in self.schema.tables.values():
            for fk in other.foreign_keys:
                if fk.ref_table == old:
                    fk.ref_table = new
            if other.partition_of == old:
                other.partition_of = new


def _schema_of(key: str) -> str | None:
    schema, _, _ = key.rpartition(".")
    return schema or None
