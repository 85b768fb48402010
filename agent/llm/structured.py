"""Typed final answers: the model submits its answer by calling `submit_<model>`.

The tool's input schema is the pydantic model's JSON schema; an input that fails validation
is answered with an is_error result naming the problems, so the model can repair it (a
bounded number of times, counted by the loop).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.llm.messages import ToolCall

# One-line nudges; the persona and stage prompts themselves live in prompts/.
REMINDER = "Submit your final answer now by calling the {name} tool."
DESCRIPTION = "Submit the final answer. Call this exactly once, when the answer is complete."


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Submission:
    """The outcome of one submit call: the validated answer, or the problems to send back."""

    value: BaseModel | None
    problems: str = ""


@dataclass(frozen=True)
class SubmitTool:
    model: type[BaseModel]

    @property
    def name(self) -> str:
        return f"submit_{_snake(self.model.__name__)}"

    def schema(self) -> dict[str, Any]:
        input_schema = self.model.model_json_schema()
        input_schema.pop("title", None)
        return {"name": self.name, "description": DESCRIPTION, "input_schema": input_schema}

    def reminder(self) -> str:
        return REMINDER.format(name=self.name)

    def check(self, call: ToolCall) -> Submission:
        try:
            data = json.loads(call.input) if isinstance(call.input, str) else call.input
            return Submission(self.model.model_validate(data))
        except json.JSONDecodeError as exc:
            return Submission(None, f"input is not valid JSON: {exc}")
        except ValidationError as exc:
            return Submission(None, f"answer does not match the schema: {exc}")
