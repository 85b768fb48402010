"""Deterministic tools: files, shell, SQL (parse, validate, lint, explain, advise), ERD, ADRs.

Plain functions with pydantic inputs (`registry`), gathered for personas and MCP by name
(`catalog`). Nothing here imports `agent` or `evals`: the agent uses the tools, never the
reverse.
"""
