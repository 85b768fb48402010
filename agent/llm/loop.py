"""The tool-use loop: call the model, run the tools it asks for, feed results back, repeat.

It ends when the model ends its turn (or submits its structured answer) or when a budget is
spent, which raises `LoopBudgetExceeded`; wall time is enforced with a timeout, so no loop
hangs. A reply cut off by max_tokens is continued (text) or answered with an error result
(a tool call with incomplete input), a bounded number of times, never silently truncated.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from pydantic import BaseModel

from agent.llm.budget import Budget
from agent.llm.dispatch import run_tool_calls
from agent.llm.errors import OutputTruncated, StructuredOutputError
from agent.llm.events import EventSink
from agent.llm.messages import ChatModel, Message, ModelRequest, ModelResponse, ToolCall
from agent.llm.structured import SubmitTool
from agent.llm.usage import Usage
from tools.errors import BudgetExceeded
from tools.registry import ToolOutcome, Toolset

CONTINUE = "Your reply was cut off by the output limit. Continue exactly where it stopped."
TRUNCATED_CALL = (
    "This call was cut off by the output limit before its input was complete, so it was not "
    "run. Call it again with a smaller input."
)


@dataclass
class LoopOptions:
    """Per-loop knobs besides the budget."""

    max_tokens: int = 4096
    max_continuations: int = 2
    output: type[BaseModel] | None = None
    max_repairs: int = 2
    force_output: bool = False
    stream: bool | None = None


@dataclass
class LoopResult:
    text: str
    messages: list[Message]
    usage: Usage
    turns: int
    stop_reason: str | None
    output: BaseModel | None = None
    tool_calls: int = 0
    seconds: float = 0.0


class LoopBudgetExceeded(BudgetExceeded):
    """A budget ended the loop; `partial` holds the messages and usage up to that point."""

    def __init__(self, budget: str, limit: float, used: float, partial: LoopResult) -> None:
        super().__init__(budget, limit, used)
        self.partial = partial


@dataclass
class _State:
    messages: list[Message]
    started: float = field(default_factory=time.monotonic)
    usage: Usage = field(default_factory=Usage)
    turns: int = 0
    tool_calls: int = 0
    continuations: int = 0
    repairs: int = 0
    pending_text: list[str] = field(default_factory=list)
    output: BaseModel | None = None

    def result(self, text: str = "", stop_reason: str | None = None) -> LoopResult:
        elapsed = time.monotonic() - self.started
        return LoopResult(
            text, self.messages, self.usage, self.turns, stop_reason, self.output,
            self.tool_calls, elapsed,
        )  # fmt: skip


async def run_tool_loop(
    model: ChatModel,
    system: str,
    messages: list[Message],
    toolset: Toolset | None,
    budget: Budget | None = None,
    on_event: EventSink | None = None,
    options: LoopOptions | None = None,
) -> LoopResult:
    """Drive the conversation in `messages` (not mutated) until the model is done."""
    loop = _Loop(model, system, toolset, budget or Budget(), on_event, options or LoopOptions())
    state = _State(list(messages))
    if loop.budget.max_seconds is None:
        return await loop.drive(state)
    deadline = asyncio.timeout(loop.budget.max_seconds)
    try:
        async with deadline:
            return await loop.drive(state)
    except TimeoutError:
        if not deadline.expired():
            raise
        elapsed = time.monotonic() - state.started
        raise LoopBudgetExceeded(
            "seconds", loop.budget.max_seconds, elapsed, state.result()
        ) from None


@dataclass
class _Loop:
    model: ChatModel
    system: str
    toolset: Toolset | None
    budget: Budget
    on_event: EventSink | None
    options: LoopOptions

    def __post_init__(self) -> None:
        self.submit = SubmitTool(self.options.output) if self.options.output else None
        self.tools = self.toolset.schemas() if self.toolset else []
        if self.submit:
            self.tools.append(self.submit.schema())

    async def drive(self, state: _State) -> LoopResult:
        while True:
            spent = self.budget.spent(state.turns, state.usage)
            if spent is not None:
                raise LoopBudgetExceeded(*spent, state.result())
            response = await self.model.complete(self._request(state), self.on_event)
            state.turns += 1
            state.usage = state.usage + response.usage
            state.messages.append(response.assistant_message())
            done = await self._after(response, state)
            if done is not None:
                return done

    def _request(self, state: _State) -> ModelRequest:
        choice = None
        if self.submit and self.options.force_output:
            choice = {"type": "tool", "name": self.submit.name}
        return ModelRequest(
            messages=list(state.messages), system=self.system, tools=self.tools,
            max_tokens=self.options.max_tokens, tool_choice=choice, stream=self.options.stream,
        )  # fmt: skip

    async def _after(self, response: ModelResponse, state: _State) -> LoopResult | None:
        """Decide the next step; a LoopResult means the loop is finished."""
        if response.stop_reason == "max_tokens":
            self._count_continuation(state)
        if response.tool_calls:
            return await self._run_tools(response.tool_calls, state)
        if response.stop_reason == "max_tokens":
            state.pending_text.append(response.text)
            state.messages.append({"role": "user", "content": CONTINUE})
            return None
        if response.stop_reason == "pause_turn":
            return None
        text = "".join(state.pending_text) + response.text
        if self.submit and state.output is None:
            self._count_repair(state, "ended its turn without submitting an answer")
            state.messages.append({"role": "user", "content": self.submit.reminder()})
            return None
        return state.result(text, response.stop_reason)

    async def _run_tools(self, calls: list[ToolCall], state: _State) -> LoopResult | None:
        state.pending_text.clear()
        state.tool_calls += len(calls)
        results = await run_tool_calls(
            self.toolset, calls, lambda c: self._intercept(c, state), self.on_event
        )
        if state.output is not None:
            return state.result("", "tool_use")
        state.messages.append({"role": "user", "content": results})
        return None

    def _intercept(self, call: ToolCall, state: _State) -> ToolOutcome | None:
        """Answer truncated calls and submissions here; None lets the toolset run the call."""
        if call.truncated:
            return ToolOutcome(TRUNCATED_CALL, True)
        if self.submit is None or call.name != self.submit.name:
            return None
        submission = self.submit.check(call)
        if submission.value is None:
            self._count_repair(state, submission.problems)
            return ToolOutcome(submission.problems, True)
        state.output = submission.value
        return ToolOutcome("answer accepted")

    def _count_continuation(self, state: _State) -> None:
        state.continuations += 1
        if state.continuations > self.options.max_continuations:
            raise OutputTruncated(
                f"reply hit max_tokens ({self.options.max_tokens}) "
                f"{state.continuations} times; raise max_tokens or ask for less"
            )

    def _count_repair(self, state: _State, problem: str) -> None:
        state.repairs += 1
        if state.repairs > self.options.max_repairs:
            raise StructuredOutputError(
                f"no valid {self.submit.name if self.submit else 'answer'} after "
                f"{self.options.max_repairs} repairs: {problem}"
            )
