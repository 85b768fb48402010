"""Row counts as people write them (`2M`, `50k`, `1.5 billion`, `2,000,000`): one parser.

The spec's `rows:`, every `--rows TABLE=COUNT` option, and the `rows` of the HTTP and MCP
inputs all read counts through `parse_count`, so a form accepted in one door is accepted
in all of them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from tools.bounds import MAX_ROWS
from tools.errors import InputError

_COUNT = re.compile(
    r"^\s*(?P<num>\d+(?:[.,_]\d+)*)\s*(?P<suffix>[kmbt]|thousand|million|billion)?\s*$"
)
_SUFFIX = {
    None: 1,
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "million": 10**6,
    "b": 10**9,
    "billion": 10**9,
    "t": 10**12,
}


def parse_count(value: Any) -> Any:
    """`2000000`, `"2,000,000"`, `"2M"`, `"1.5 billion"` -> an int; anything else unchanged."""
    if not isinstance(value, str):
        return value
    match = _COUNT.match(value.lower())
    if match is None:
        raise ValueError(
            f"expected a row count such as 50000, '2,000,000', '2M' or '1.5B', not {value!r}"
        )
    digits = match.group("num").replace("_", "")
    if match.group("suffix"):
        number = float(digits.replace(",", "."))
    else:
        number = float(digits.replace(",", ""))
    number *= _SUFFIX[match.group("suffix")]
    if not number <= MAX_ROWS:  # also infinity, from hundreds of digits
        raise ValueError(f"{value!r} is more than {MAX_ROWS:,} rows")
    return round(number)


def parse_rows(items: list[str]) -> dict[str, int]:
    """`--rows` values: `orders=2000000`, `orders=2M`, `events=1.5b` -> {table: rows}."""
    rows: dict[str, int] = {}
    for item in items:
        table, sep, count = item.partition("=")
        try:
            number = parse_count(count) if sep and table.strip() else None
        except ValueError:
            number = None
        if not isinstance(number, int):
            raise InputError(
                f"--rows takes TABLE=COUNT (e.g. orders=2M or users=50k), not {item!r}"
            )
        rows[table.strip()] = number
    return rows


Count = Annotated[
    int,
    BeforeValidator(parse_count),
    Field(ge=0, le=MAX_ROWS),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_ROWS},
                {"type": "string", "examples": ["2M", "1.5B", "2,000,000", "50k"]},
            ]
        }
    ),
]
RowCounts = dict[str, Count]  # table -> rows
