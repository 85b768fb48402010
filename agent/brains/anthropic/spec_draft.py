"""The requirements stage's answer: a spec validated exactly like a file, plus the model's
own clarifying questions and assumptions.

The spec field goes through `parse_spec`, so a model-written spec meets the same checks as a
user's file; a problem becomes a validation error the tool loop sends back for repair.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agent.brains.questions import path_key
from agent.spec import Question, Requirements, parse_spec
from tools.errors import SpecError

QUESTION_TOPIC = "clarification"


class ClarifyingQuestion(BaseModel):
    """One thing only the user can settle, tied to the spec key its answer sets."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        description="Key path in the spec that the answer sets, e.g. `consistency` or "
        "`entities[2].growth_per_month`."
    )
    question: str = Field(min_length=5, description="One short question for the user.")
    assumed: str | None = Field(
        None, description="What the spec holds until the user answers (the value you chose)."
    )


class SpecDraft(BaseModel):
    """A validated spec, the questions worth asking about it, and what was assumed."""

    model_config = ConfigDict(extra="forbid")

    spec: Requirements
    questions: list[ClarifyingQuestion] = Field(default_factory=list)
    assumptions: list[str] = Field(
        default_factory=list, description="Values you picked that the request did not state."
    )

    @field_validator("spec", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        """The spec loader's own checks (cross-references, SQL of the patterns) apply."""
        if not isinstance(value, Mapping):
            return value
        try:
            return parse_spec(value)
        except SpecError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _paths_exist(self) -> SpecDraft:
        """A question's answer must land on a key the spec has (or may have)."""
        data = self.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        bad = [q.path for q in self.questions if not settable(data, q.path)]
        if bad:
            allowed = ", ".join(Requirements.allowed_keys())
            raise ValueError(
                f"question path(s) {bad} do not name a key of this spec "
                f"(top-level keys: {allowed}; list items by index, e.g. entities[0].rows)"
            )
        return self

    def open_questions(self) -> list[Question]:
        return [
            Question(
                kind="question",
                topic=QUESTION_TOPIC,
                path=q.path,
                message=q.question,
                assumed=q.assumed,
            )
            for q in self.questions
        ]

    def spec_with_assumptions(self) -> Requirements:
        """The spec, its notes extended by what the model assumed (the report lists notes)."""
        if not self.assumptions:
            return self.spec
        notes = [*self.spec.notes, *(f"Assumed: {a}" for a in self.assumptions)]
        return self.spec.model_copy(update={"notes": notes})


def settable(data: dict[str, Any], path: str) -> bool:
    """Does `path` walk through existing lists by index and start at a spec key?"""
    parts = path_key(path)
    if not parts or parts[0] not in Requirements.allowed_keys():
        return False
    target: Any = data
    for part in parts[:-1]:
        if isinstance(target, list):
            if not part.isdigit() or int(part) >= len(target):
                return False
            target = target[int(part)]
        elif isinstance(target, dict):
            target = target.get(part, {})
        else:
            return False
    return not isinstance(target, list) or (parts[-1].isdigit() and int(parts[-1]) < len(target))
