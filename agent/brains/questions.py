"""The brain's own clarifying questions, merged into the spec's open points: one interrupt.

The requirements node interrupts once, with one list. A brain that reads free text (the
model) may have questions of its own; they join the spec's open points there rather than
opening a second way of asking. Each question names the spec key its answer sets.
"""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from agent.spec import Question, Requirements


@runtime_checkable
class AsksQuestions(Protocol):
    """A brain that asked its own questions while it wrote `spec` (none for a given spec)."""

    def clarifying_questions(self, spec: Requirements) -> list[Question]: ...


def path_key(path: str) -> tuple[str, ...]:
    """`entities[2].rows` and `entities.2.rows` name the same key."""
    return tuple(p for p in re.split(r"[.\[\]]+", path) if p)


def with_brain_questions(
    brain: object, spec: Requirements, questions: list[Question]
) -> list[Question]:
    """`questions`, then the brain's own about keys none of them already asks about."""
    if not isinstance(brain, AsksQuestions):
        return questions
    seen = {path_key(q.path) for q in questions}
    own = [q for q in brain.clarifying_questions(spec) if path_key(q.path) not in seen]
    return [*questions, *own]
