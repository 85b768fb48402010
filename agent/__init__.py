"""db-architect: the agent side (state, graph, nodes, brains, model clients, CLI).

Layers, each importing only those below it:
- what every part shares: this level's modules but `context` (config, state, stages,
  package, naming...), and `spec`, `claims`, `ddl`, `personas`, `store` and `llm`;
- the brains (`brains`), which fill the stages and never see the run's context;
- `report`, which also shows what the rules brain computed;
- the run: `context`, the `gates`, the `nodes`, the `graph` and the `engine` driving it;
- the doors: `cli` and `service` (HTTP, MCP), with the eval runner in `evals`.
Everything may import `tools`; `tools` imports nothing from here. tests/test_imports.py
keeps the tree free of import circles.
"""
