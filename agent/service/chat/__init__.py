"""Chat sessions: a session is a LangGraph thread whose one node answers each user turn
(`session`); who answers, the persona in the model's tool loop or the rules engine
(`responders`); what a turn borrows that is built once per process (`runtime`, warmed up
by one canned turn in `warmup`); and one turn over HTTP, from the session's lease to the
stream's final event (`turns`).

May import the LLM client and loop, the personas, the spec, the design jobs, the service's
configuration, errors and stores, and `agent.store`; not `agent.service.state`, which holds
the chat runtime (a turn and the rules responder are given the few things of it they use).
`warmup` imports the Anthropic SDK, so only `runtime` loads it, when a server starts.
"""

from agent.service.chat.responders import ModelResponder, RulesResponder, classify
from agent.service.chat.runtime import ChatRuntime, open_runtime
from agent.service.chat.session import Responder

__all__ = [
    "ChatRuntime",
    "ModelResponder",
    "Responder",
    "RulesResponder",
    "classify",
    "open_runtime",
]
