"""Pick a brain by name: the one place that knows which classes implement the protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.brains.protocol import Brain
from agent.config import Settings
from tools.errors import InputError

if TYPE_CHECKING:
    from agent.llm.messages import ChatModel

BRAINS = ("rules", "anthropic")


def make_brain(name: str, settings: Settings, model: ChatModel | None = None) -> Brain:
    """`model` stands in for the anthropic brain's API client (a batching eval run's)."""
    if name == "rules":
        from agent.brains.rules.brain import RulesBrain

        return RulesBrain(settings)
    if name == "anthropic":
        if not settings.has_model:
            raise InputError(
                "the anthropic brain needs ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL "
                "(an Anthropic-compatible endpoint); the rules brain needs neither"
            )
        from agent.brains.anthropic.brain import ClaudeBrain

        return ClaudeBrain(settings, model=model)
    raise InputError(f"unknown brain {name!r}; choose one of: {', '.join(BRAINS)}")
