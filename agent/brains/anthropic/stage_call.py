"""Run one design stage through the model: the one place a stage meets the tool loop.

system = the stage's persona; the user turn = the stage prompt rendered with the stage's
inputs (and the rules draft); tools = the persona's SQL tools plus `draft_<stage>`; the
answer = the stage's pydantic model, submitted through the loop's structured-output tool.
File tools are left out: the design graph works from the spec, not from a repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel

from agent.brains.anthropic.draft import Draft
from agent.llm import Budget, LoopBudgetExceeded
from agent.llm.errors import StructuredOutputError
from agent.llm.events import EventSink, LoopEvent, UsageEvent
from agent.llm.loop import LoopOptions, run_tool_loop
from agent.llm.messages import ChatModel
from agent.llm.usage import Usage
from agent.personas import Persona, PromptLibrary
from tools.catalog import FILE_TOOLS, all_tools, toolset_for
from tools.registry import ToolContext, Toolset

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class StageRequest(Generic[T]):
    """One stage to run: its prompt name, placeholder values, output model and draft."""

    stage: str
    values: Mapping[str, str]
    output: type[T]
    draft: Draft | None = None


@dataclass(frozen=True)
class StageSetup:
    """What every stage call of a run shares: the prompts, the SQL tools' context, limits."""

    library: PromptLibrary
    tools: ToolContext
    budget: Budget
    max_tokens: int
    max_repairs: int = 2


@dataclass
class UsageMeter:
    """Sums every model call's usage as it happens, so a stage that fails still counts."""

    total: Usage = field(default_factory=Usage)
    forward: EventSink | None = None

    def __call__(self, event: LoopEvent) -> None:
        if isinstance(event, UsageEvent):
            self.total = self.total + event.call
        if self.forward is not None:
            self.forward(event)


class StageBudgetExceeded(LoopBudgetExceeded):
    """A stage's loop budget ran out; the message names the stage."""

    def __init__(self, stage: str, cause: LoopBudgetExceeded) -> None:
        super().__init__(cause.budget, cause.limit, cause.used, cause.partial)
        self.stage = stage
        self.args = (f"stage '{stage}': {self.args[0]}",)


async def run_stage(
    model: ChatModel, request: StageRequest[T], setup: StageSetup, meter: UsageMeter
) -> T:
    """The stage's validated answer; model failures propagate as `ModelError`/`BudgetExceeded`."""
    prompt = setup.library.stage(request.stage)
    persona = setup.library.persona(prompt.persona)
    values = dict(request.values)
    if request.draft is not None and "draft" in prompt.inputs:
        values["draft"] = request.draft.text()
    messages = [{"role": "user", "content": prompt.render(values)}]
    toolset = stage_toolset(persona, setup.tools, request.draft)
    options = LoopOptions(
        max_tokens=setup.max_tokens, output=request.output, max_repairs=setup.max_repairs
    )
    try:
        result = await run_tool_loop(
            model, persona.body, messages, toolset, setup.budget, meter, options
        )
    except LoopBudgetExceeded as exc:
        raise StageBudgetExceeded(request.stage, exc) from exc
    if not isinstance(result.output, request.output):
        raise StructuredOutputError(f"stage '{request.stage}' ended without a submitted answer")
    return result.output


def stage_toolset(persona: Persona, context: ToolContext, draft: Draft | None) -> Toolset:
    """The persona's tools minus file access and Bash, plus the stage's draft tool."""
    names = [name for name in persona.tools if name not in FILE_TOOLS]
    available = all_tools()
    tools = [available[name] for name in toolset_for(names, context).names]
    if draft is not None:
        tools.append(draft.tool())
    return Toolset(tools, context)
