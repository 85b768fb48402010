"""Markdown building blocks for the report and the ADRs: tables, escaping, sizes and counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def cell(value: object) -> str:
    """One table cell: no newlines, pipes escaped, empty shown as an en dash."""
    text = " ".join(str(value).split()) if value is not None else ""
    return text.replace("|", "\\|") or "–"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def bullets(items: Iterable[str]) -> list[str]:
    return [f"- {' '.join(item.split())}" for item in items]


def human_bytes(value: float | None) -> str:
    """`1.5 GB`: binary multiples, one decimal past kilobytes."""
    if value is None:
        return "–"
    size, unit = float(value), 0
    while size >= 1024 and unit < len(_UNITS) - 1:
        size /= 1024
        unit += 1
    return f"{size:,.0f} {_UNITS[unit]}" if unit == 0 else f"{size:,.1f} {_UNITS[unit]}"


def count(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def code(text: str, language: str = "") -> list[str]:
    return [f"```{language}", text.rstrip(), "```"]


def section(title: str, body: list[str], level: int = 2) -> list[str]:
    return ["#" * level + " " + title, "", *body, ""]
