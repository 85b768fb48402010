"""The rules engine's draft of a stage, shown in the prompt and offered as a `draft_<stage>` tool.

The deterministic architect's answer is a baseline the model checks and improves on; asking
for it again as a tool costs nothing (it is computed once, before the loop starts).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from agent.brains.anthropic.render import as_json
from tools.errors import ArchitectError, ToolError
from tools.registry import Tool, ToolContext

log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=BaseModel)

DESCRIPTION = (
    "The deterministic rules engine's draft of this stage's answer, as JSON in the shape the "
    "submit tool takes: a baseline to check and improve, not an answer to copy unread."
)


class NoInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Draft:
    """A stage's baseline, or why there is none (the stage still runs without one)."""

    stage: str
    value: BaseModel | None
    problem: str | None = None

    @property
    def tool_name(self) -> str:
        return f"draft_{self.stage}"

    def text(self) -> str:
        if self.value is None:
            return f"(no draft: {self.problem or 'the rules engine has none for this stage'})"
        return as_json(self.value)

    def tool(self) -> Tool:
        def answer(args: NoInput, ctx: ToolContext) -> str:
            if self.value is None:
                raise ToolError(self.text())
            return self.value.model_dump_json(exclude_none=True, by_alias=True)

        return Tool(self.tool_name, DESCRIPTION, NoInput, answer)


async def drafted(stage: str, work: Awaitable[_M]) -> Draft:
    """Run the rules engine for `stage`. A refusal (the model's earlier output may be beyond
    what the rules engine reads) leaves the stage without a baseline, named in the prompt."""
    try:
        return Draft(stage, await work)
    except ArchitectError as exc:
        log.warning("no rules draft for stage %s: %s", stage, exc)
        return Draft(stage, None, f"the rules engine could not draft it: {exc}")
