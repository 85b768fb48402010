"""Which entities are time series, which column orders them, and how long they are kept.

Spec authors do not always write `time_series: true`: a `readings` entity growing by
billions with a `recorded_at` column and a stated retention is one all the same. The
inference is deliberately conservative and always says why, so the report can show it.
"""

from __future__ import annotations

import re

from agent.naming import table_name
from agent.spec import Entity, Requirements, duration_seconds

_EVENT_NAMES = frozenset(
    {
        "reading", "measurement", "metric", "sample", "event", "log", "telemetry", "tick",
        "datapoint", "data_point", "observation", "heartbeat", "ping", "click", "pageview",
        "page_view", "impression", "sensor_reading", "location_update", "position", "trace",
        "span", "quote", "trade", "point", "signal", "update", "beat", "vital", "snapshot",
    }
)  # fmt: skip
_TIME_NAMES = re.compile(
    r"^(recorded|measured|observed|occurred|sampled|captured|logged|received|reported|event)"
    r"_(at|on|time)$|^(ts|time|timestamp|event_time|sampled_at)$"
)
_TEXT_RETENTION = re.compile(
    r"(?:retain|retention|keep|kept|store|stored|purge|delete)[^.\d]{0,40}?"
    r"(\d+)\s*(hour|day|week|month|year)s?",
    re.IGNORECASE,
)
HIGH_GROWTH = 5_000_000  # rows per month from which an event-shaped table is a time series


_BOOKKEEPING = ("created_at", "updated_at", "deleted_at")


def time_column(entity: Entity) -> str:
    """The declared `time_column`, else an event-time attribute (`recorded_at`, `ts`...),
    else the first required timestamp, else `created_at`."""
    if entity.time_column:
        return entity.time_column
    stamps = [
        n
        for n, a in entity.attributes.items()
        if a.kind in ("timestamp", "date") and n not in _BOOKKEEPING and not a.parsed.is_array
    ]
    required = [n for n in stamps if entity.attributes[n].required]
    named = [n for n in stamps if _TIME_NAMES.match(n)]
    named_required = [n for n in named if n in required]
    return (named_required or named or required or ["created_at"])[0]


def _updated_tables(spec: Requirements) -> set[str]:
    found = set()
    for pattern in spec.access_patterns:
        match = re.match(r"\s*(?:update|delete\s+from)\s+(\w+)", pattern.sql, re.IGNORECASE)
        if match:
            found.add(match.group(1).lower())
    return found


def time_series_reason(spec: Requirements, entity: Entity) -> str | None:
    """Why `entity` is treated as a time series, or None when it is not one.

    Declared, or append-only with an event time, or two of: an event-like name, a stated
    retention, high growth. Never when access patterns update it, and never for money
    records (a ledger is append-only, but it is kept and queried as records, not series).
    """
    if entity.time_series:
        return "declared time_series"
    column = time_column(entity)
    holds_money = any(a.kind == "money" for a in entity.attributes.values())
    if holds_money or table_name(entity.name) in _updated_tables(spec):
        return None
    if entity.append_only and column != "created_at":
        return f"append-only, ordered by {column}"
    # Only retention said of this entity counts as evidence; spec-wide retention applies to
    # series once they are known to be series (it would otherwise prove itself).
    retention, _ = retention_for(spec, entity)
    if column == "created_at" and not (retention or entity.append_only):
        return None
    growth = entity.growth_per_month or 0
    evidence = [
        text
        for present, text in (
            (entity.name in _EVENT_NAMES or entity.name.split("_")[-1] in _EVENT_NAMES,
             f"'{entity.name}' names events"),
            (retention is not None, f"kept {retention}"),
            (growth >= HIGH_GROWTH, f"{growth:,} new rows a month"),
        )
        if present
    ]  # fmt: skip
    if len(evidence) >= 2:
        return f"time series ordered by {column}: {', '.join(evidence)}"
    return None


def retention_for(
    spec: Requirements, entity: Entity, assume_series: bool = False
) -> tuple[str | None, str]:
    """(duration, where it came from) for an entity; spec-wide values only for series."""
    if entity.retention:
        return _kept(entity.retention), "entity retention"
    if isinstance(spec.retention, dict) and entity.name in spec.retention:
        return _kept(spec.retention[entity.name]), "spec retention"
    series = assume_series or entity.time_series or entity.append_only
    if isinstance(spec.retention, str) and series:
        return _kept(spec.retention), "spec retention"
    from_text = _from_text(entity.description)
    if from_text:
        return from_text, "entity description"
    if series:
        texts = [spec.description, *spec.notes]
        found = next((r for r in map(_from_text, texts) if r), None)
        if found:
            return found, "spec description"
    return None, ""


def _kept(text: str) -> str | None:
    return text if duration_seconds(text) is not None else None


def _from_text(text: str | None) -> str | None:
    match = _TEXT_RETENTION.search(text or "")
    if match is None:
        return None
    return f"{match.group(1)} {match.group(2).lower()}s"


def retention_days(text: str | None) -> float | None:
    seconds = duration_seconds(text) if text else None
    return seconds / 86400 if seconds is not None else None
