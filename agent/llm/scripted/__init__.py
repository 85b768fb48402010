"""Scripted stand-ins for Claude, so nothing needs a key: canned replies in one format
(`script`), the in-process `ScriptedModel` (`model`), the Messages API's wire shapes of a
reply (`wire`), and an Anthropic-compatible HTTP server on loopback (`server`, with the
Message Batches routes in `batches`) for end-to-end tests, demos and load tests.

May import the rest of `agent.llm` (messages, events, usage, models) and `tools.errors`;
never the Anthropic SDK.
"""

from agent.llm.scripted.model import ScriptedModel
from agent.llm.scripted.script import Reply, load_script
from agent.llm.scripted.wire import sse_events

__all__ = ["Reply", "ScriptedModel", "load_script", "sse_events"]
