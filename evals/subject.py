"""What the checks grade: a design package, and what is derived from it once and shared.

Checks re-derive facts from the package's own artifacts (the DDL is parsed again, the report
rendered again) rather than trusting the package's summaries, so a brain that writes a
summary at odds with its DDL is caught. Parsing and rendering happen at most once per case.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent.package import DesignPackage
from agent.report import render_report
from tools.errors import ArchitectError
from tools.sql.model import Schema
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer

if TYPE_CHECKING:
    from evals.application.database import AppDatabase

DEFAULT_SAMPLE_CAP = 200_000  # Settings.sample_row_cap: the index gate's sample, reused


class NoSchema(ArchitectError):
    """The package has no DDL, so a schema check has nothing to look at."""


@dataclass
class Subject:
    package: DesignPackage
    server: Callable[[], PgServer]  # resolved only by checks that need PostgreSQL
    rows: Mapping[str, int] = field(default_factory=dict)  # the case's row overrides
    sample_cap: int = DEFAULT_SAMPLE_CAP
    _schema: Schema | None = field(default=None, repr=False)
    _report: str | None = field(default=None, repr=False)
    _app: AppDatabase | None = field(default=None, repr=False)
    _resources: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

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

    def app(self) -> AppDatabase:
        """The package applied to a filled scratch database, shared by the application
        checks of this case and dropped by `close`."""
        if self._app is None:
            from evals.application.database import open_app_database

            opened = open_app_database(self.package, self.server(), self.rows, self.sample_cap)
            self._app = self._resources.enter_context(opened)
        return self._app

    def close(self) -> None:
        self._resources.close()
