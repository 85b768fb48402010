"""The design workflow as a LangGraph state machine: each stage followed by its gates
(`build`), the routing after a gate as pure functions (`routing`), and the graph as
`langgraph dev` serves it (`langgraph_app`, named in langgraph.json).

May import the nodes, the gates, the context and the state; the engine imports it.
"""

from agent.graph.build import STAGE_BODIES, compile_graph
from agent.graph.routing import STAGES_BY_MODE

__all__ = ["STAGES_BY_MODE", "STAGE_BODIES", "compile_graph"]
