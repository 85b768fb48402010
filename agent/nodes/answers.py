"""Apply a person's answers to open questions: each answer sets the spec key it was asked about."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from agent.spec import Requirements, parse_spec
from tools.errors import SpecError


def apply_answers(spec: Requirements, answers: Any) -> Requirements:
    """`answers` maps a question's dotted key path to a value (YAML text or data)."""
    if not isinstance(answers, Mapping):
        raise SpecError(
            "answers must map a question's key path to a value",
            [{"path": "", "message": f"got {type(answers).__name__}"}],
        )
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    for path, value in answers.items():
        _set_path(data, str(path), _decode(value))
    return parse_spec(data)


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:
            return value
    return value


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set `entities[2].rows` (or `entities.2.rows`) in plain data, creating mappings."""
    parts = [p for p in re.split(r"[.\[\]]+", path) if p]
    if not parts:
        raise SpecError(
            "an answer needs the key path of its question",
            [{"path": path, "message": "empty key path"}],
        )
    target: Any = data
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
