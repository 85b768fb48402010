"""`ScriptedModel`: the `ModelClient` interface, answering from a script instead of the network.

Agent tests and demos use it so nothing needs a key; it records every request it was sent.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterable
from dataclasses import asdict

from agent.llm.errors import ModelCallFailed
from agent.llm.events import EventSink, TextDelta, UsageEvent, emit
from agent.llm.messages import ModelRequest, ModelResponse, settle_tool_calls
from agent.llm.models import Pricing, resolve_model
from agent.llm.scripted.script import Reply, estimate_usage, new_id
from agent.llm.usage import CallRecord, Usage, UsageLedger
from tools.errors import ModelError

Responder = Callable[[ModelRequest], Reply]


class ScriptedModel:
    """Replays `script` in order (or asks a function per request); errors raise like the client."""

    def __init__(
        self,
        script: Iterable[Reply] | Responder,
        model: str = "sonnet",
        pricing: Pricing | None = None,
    ) -> None:
        self.info = resolve_model(model, pricing)
        self._responder = script if callable(script) else None
        self._queue = [] if callable(script) else list(script)
        self.requests: list[ModelRequest] = []
        self.ledger = UsageLedger()

    @property
    def model_id(self) -> str:
        return self.info.id

    @property
    def remaining(self) -> int:
        return len(self._queue)

    def _next(self, request: ModelRequest) -> Reply:
        if self._responder is not None:
            return self._responder(request)
        if not self._queue:
            raise ModelError(f"scripted model has no reply left for request {len(self.requests)}")
        return self._queue.pop(0)

    async def complete(
        self, request: ModelRequest, on_event: EventSink | None = None
    ) -> ModelResponse:
        self.requests.append(copy.deepcopy(request))
        reply = self._next(request)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.is_error:
            kind = reply.error_body()["error"]["type"]
            raise ModelCallFailed(f"model call failed: {reply.status} {kind}", status=reply.status)
        content = copy.deepcopy(reply.content)
        for block in content:
            if block.get("type") == "text":
                emit(on_event, TextDelta(str(block.get("text", ""))))
        calls = settle_tool_calls(content, reply.stop_reason)
        counts = reply.usage or estimate_usage(asdict(request), content)
        usage = Usage.priced(self.info.pricing, dict(counts))
        response = ModelResponse(
            new_id("msg"), self.model_id, content, reply.stop_reason, usage, calls
        )
        total = self.ledger.add(CallRecord(self.model_id, usage))
        emit(on_event, UsageEvent(usage, total))
        return response
