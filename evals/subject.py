"""What the checks grade: a design package, and what is derived from it once and shared.

Checks re-derive facts from the package's own artifacts (the DDL is parsed again, the report
rendered again) rather than trusting the package's summaries, so a brain that writes a
summary at odds with its DDL is caught. Parsing and rendering happen at most once per case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agent.package import DesignPackage
from agent.report import render_report
from tools.errors import ArchitectError
from tools.sql.model import Schema
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer


class NoSchema(ArchitectError):
    """The package has no DDL, so a schema check has nothing to look at."""


@dataclass
class Subject:
    package: DesignPackage
    server: Callable[[], PgServer]  # resolved only by checks that need PostgreSQL
    _schema: Schema | None = field(default=None, repr=False)
    _report: str | None = field(default=None, repr=False)

    @property
    def ddl(self) -> str:
        """The schema DDL (the design's, else the existing one of optimize and scale) followed
        by the recommended indexes: what a user would apply."""
        design = self.package.schema_design or self.package.current
        if design is None or not design.ddl.strip():
            raise NoSchema("the package has no schema DDL")
        ddl = design.ddl.rstrip()
        indexes = self.package.indexes
        if indexes is not None and indexes.indexes:
            ddl += "\n" + indexes.ddl
        return ddl

    def schema(self) -> Schema:
        """The parsed DDL; `SqlSyntaxError` (a failing detail) if it does not parse."""
        if self._schema is None:
            self._schema = parse_schema(self.ddl, file="schema.sql")
        return self._schema

    def report(self) -> str:
        """The package's rendered report (`agent.report.render_report`), what people read."""
        if self._report is None:
            self._report = render_report(self.package)
        return self._report
