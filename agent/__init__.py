"""db-architect: the agent side (state, graph, nodes, brains, model clients, CLI)."""
