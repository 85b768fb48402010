"""Friendly scalar values in specs: counts like `2M`, durations like `90 days`, `99.95%`.

People write volumes and retention the way they say them; the model keeps the number and
refuses anything ambiguous with a message that shows an accepted form.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from tools.bounds import MAX_DURATION_DAYS
from tools.counts import Count, parse_count

__all__ = ["FOREVER", "Count", "Duration", "Percent", "as_list", "duration_seconds", "parse_count"]

_DURATION = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[a-z]+)?\s*$")
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
    "w": 7 * 86400,
    "week": 7 * 86400,
    "mo": 30 * 86400,
    "month": 30 * 86400,
    "y": 365 * 86400,
    "yr": 365 * 86400,
    "year": 365 * 86400,
}
FOREVER = ("forever", "indefinite", "indefinitely", "never", "none")


def duration_seconds(text: str) -> float | None:
    """Seconds in `90 days`, `13 months`, `1h`, `0`; None for `forever`; ValueError otherwise."""
    lowered = text.strip().lower()
    if lowered in FOREVER:
        return None
    match = _DURATION.match(lowered)
    unit = (match.group("unit") or "s") if match else ""
    unit = unit[:-1] if unit.endswith("s") and unit[:-1] in _UNIT_SECONDS else unit
    if match is None or unit not in _UNIT_SECONDS:
        raise ValueError(
            f"expected a duration such as '90 days', '13 months', '7 years', '15 minutes' "
            f"or 'forever', not {text!r}"
        )
    return float(match.group("num")) * _UNIT_SECONDS[unit]


def _check_duration(text: str) -> str:
    seconds = duration_seconds(text)
    if seconds is not None and not seconds <= MAX_DURATION_DAYS * 86400:
        raise ValueError(f"{text!r} is longer than {MAX_DURATION_DAYS} days; say 'forever'")
    return text.strip()


def _duration_text(value: Any) -> Any:
    """A bare number is a count of days (`retention: 90`)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g} days"
    return value


def parse_percent(value: Any) -> Any:
    """`99.95%` or `99.95` -> 99.95; `0.9995` is read as a fraction."""
    if isinstance(value, str):
        text = value.strip().rstrip("%").strip()
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"expected a percentage such as '99.95%', not {value!r}") from None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1:
        return value * 100
    return value


Duration = Annotated[
    str,
    BeforeValidator(_duration_text),
    AfterValidator(_check_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "examples": ["90 days", "13 months", "7 years", "forever"]},
                {
                    "type": "number",
                    "minimum": 0,
                    "maximum": MAX_DURATION_DAYS,
                    "description": "days",
                },
            ]
        }
    ),
]

Percent = Annotated[
    float,
    BeforeValidator(parse_percent),
    Field(gt=0, le=100),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                {"type": "string", "examples": ["99.95%"]},
            ]
        }
    ),
]


def as_list(value: Any) -> Any:
    """Let a single value stand for a one-element list (`compliance: hipaa`)."""
    if isinstance(value, str | dict):
        return [value]
    return value
