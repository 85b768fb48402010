"""Requirements: a validated spec, with open questions asked (interactive) or assumed."""

from __future__ import annotations

from typing import Any

from langgraph.types import interrupt

from agent.brains.questions import with_brain_questions
from agent.context import RunContext
from agent.nodes.answers import apply_answers
from agent.spec import Question, missing_information
from agent.state import DesignState
from tools.errors import InputError


async def run(state: DesignState, ctx: RunContext) -> dict[str, Any]:
    request = state.request
    if request.spec is not None:
        spec = request.spec
    elif request.text:
        spec = await ctx.brain.requirements(request.text)
    else:
        raise InputError("a design needs a requirements spec or a free-text description")
    asked = [q for q in missing_information(spec) if _ask(q)]
    questions = with_brain_questions(ctx.brain, spec, asked)  # the model's own, too
    if request.interactive and questions:
        ctx.emit("interrupt", "requirements", f"{len(questions)} open question(s)")
        answers = interrupt({"questions": [q.model_dump() for q in questions]})
        spec = apply_answers(spec, answers)
    return {"spec": spec, "assumptions": _assumptions(missing_information(spec))}


# Open points a person is asked about in interactive use, even where a default exists:
# the access patterns, volumes and consistency decide the indexes, scaling and technology.
ASKED_TOPICS = frozenset({"access_patterns", "volumes", "consistency"})


def _ask(question: Question) -> bool:
    return question.kind == "question" or question.topic in ASKED_TOPICS


def _assumptions(questions: list[Question]) -> list[str]:
    return [f"{q.message} Assumed: {q.assumed}." if q.assumed else q.message for q in questions]
