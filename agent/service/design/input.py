"""What a caller sends to start a design (HTTP body and MCP `design` tool alike), checked once.

The spec is validated by `agent.spec` exactly as the CLI does it, so a bad spec yields the
same `SpecError` problems with key paths (and line/column when it was sent as YAML text).
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.config import Settings
from agent.mode_inputs import schema_from_spec
from agent.package import Mode
from agent.spec import Requirements, load_spec, parse_spec
from agent.state import DesignRequest, NamedQuery
from tools.counts import RowCounts
from tools.errors import SpecError
from tools.sql import pgparse
from tools.sql.parse import preprocess

MAX_TEXT = 2_000_000
BrainName = Literal["rules", "anthropic"]


class DesignInput(BaseModel):
    """Start a design run: a requirements spec (or free text, or a current schema) and options."""

    model_config = ConfigDict(extra="forbid")

    spec: dict[str, Any] | str | None = Field(
        default=None,
        description="The requirements spec (`dbarch spec schema` prints its JSON Schema): an "
        "object, or YAML/JSON text (errors then carry line and column).",
    )
    text: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="Free-text requirements instead of a spec; needs the anthropic brain.",
    )
    brain: BrainName | None = Field(
        default=None, description="rules (deterministic, no model) or anthropic; default rules."
    )
    mode: Mode = Field(default="design", description="What to produce.")
    current_schema: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="SQL of the existing schema, for the optimize, migrate and scale modes.",
    )
    workload: list[NamedQuery] = Field(
        default_factory=list, description="Queries beyond the spec's access patterns."
    )
    rows: RowCounts = Field(
        default_factory=dict, description="Row counts per table, overriding the spec's."
    )
    pg_version: int | None = Field(
        default=None,
        ge=13,
        le=18,
        description="PostgreSQL major version to design for (13-18); default: the spec's "
        "pg_version, else the server's.",
    )
    interactive: bool = Field(
        default=False,
        description="Stop with questions where requirements are missing (answer them to "
        "resume) instead of stating assumptions.",
    )

    @model_validator(mode="after")
    def _something_to_design(self) -> Self:
        if self.spec is None and self.text is None and self.current_schema is None:
            raise ValueError("give a 'spec', free 'text' or a 'current_schema'")
        if self.spec is not None and self.text is not None:
            raise ValueError("give either 'spec' or 'text', not both")
        return self

    def request(self) -> DesignRequest:
        """The engine's request; raises `SpecError` (with problems) for a spec that is wrong.

        SQL the caller sent is parsed here, before a job exists: a query PostgreSQL's grammar
        rejects (or that nests too deeply to parse safely) is a 422 naming it, not a job that
        fails later.
        """
        self._check_sql()
        return DesignRequest(
            mode=self.mode,
            spec=_spec(self.spec, schema_from_spec(self.mode, False)) if self.spec else None,
            text=self.text,
            current_schema=self.current_schema,
            workload=self.workload,
            rows=self.rows,
            interactive=self.interactive,
            pg_version=self.pg_version,
        )

    def _check_sql(self) -> None:
        for index, query in enumerate(self.workload):
            pgparse.check_sql(query.sql, f"workload[{index}] ({query.name})")
        if self.current_schema is not None:
            pgparse.check_sql(preprocess(self.current_schema).text, "current_schema")

    def brain_name(self, settings: Settings) -> str:
        if self.brain is not None:
            return self.brain
        return settings.brain if settings.has_model else "rules"


def _spec(value: dict[str, Any] | str, by_contract: bool) -> Requirements:
    if isinstance(value, dict):
        return parse_spec(value, patterns_by_contract=by_contract)
    # Text without ':' cannot be a mapping, and load_spec would take a bare line for a path:
    # never let a request name a file on the server.
    if ":" not in value:
        problem = {"path": "", "file": None, "line": 1, "column": 1,
                   "message": "spec text must be a YAML or JSON mapping"}  # fmt: skip
        raise SpecError("spec: 1 problem in the requirements spec", [problem])
    return load_spec(value, patterns_by_contract=by_contract)
