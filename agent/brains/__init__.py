"""Brains fill the design stages: `rules` (deterministic, embedded) and `anthropic` (Claude)."""

from agent.brains.protocol import Brain

__all__ = ["Brain"]
