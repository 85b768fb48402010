"""The design graph as a LangGraph server serves it (`langgraph dev`, see langgraph.json).

Input: the graph's state with only its request, e.g.
    {"request": {"mode": "design", "spec": {...a requirements spec...}}}
Context (the run request's `context`): {"brain": "rules"} (the default) or
{"brain": "anthropic"} when ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL is set; LangGraph makes
it a `RunContext`. Configuration comes from the environment as everywhere else
(`agent.config.Settings`: DATABASE_URL, DBARCH_GATE_RETRIES, DBARCH_SAMPLE_ROW_CAP...).
The server's own checkpointer keeps the thread, so a run that stops for questions
(`"interactive": true` in the request) is resumed with a `Command(resume=answers)`.
Output: the final state (every stage's typed output and every gate verdict).
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from agent.config import Settings
from agent.context import RunContext
from agent.graph.build import compile_graph
from agent.package import Mode
from agent.state import DesignState

MODES: tuple[Mode, ...] = ("design", "optimize", "migrate", "scale", "compare")


def design(config: RunnableConfig) -> CompiledStateGraph[DesignState, RunContext, Any, Any]:
    """The graph for the run's mode: `configurable.mode` (default "design"); a request's
    own `mode` must be the same, as each mode is its own chain of stages."""
    mode = (config.get("configurable") or {}).get("mode", "design")
    if mode not in MODES:
        raise ValueError(f"configurable.mode must be one of {', '.join(MODES)}, not {mode!r}")
    return compile_graph(mode, Settings().gate_retries)
