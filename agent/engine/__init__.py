"""One engine behind every door: the CLI, HTTP, MCP and the eval runner call `run_design`
(`run`), which drives the graph to its end, refuses a final state that is not complete
(`completeness`) and turns it into the design package (`assemble`).

May import the graph, the state, the stores and what assembling a package reads (the rules
brain's migration files, tools); the doors import it, nothing below them does.
"""

from agent.engine.run import RunOutcome, run_design, run_store

__all__ = ["RunOutcome", "run_design", "run_store"]
