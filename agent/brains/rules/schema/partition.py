"""Time partitioning for time series and large append-only tables, with retention.

Declarative RANGE partitions on the time column: daily when a day holds ~10M rows or the
retention is a month or less, monthly otherwise. A few past and future partitions are
created with the DDL, plus a DEFAULT partition so no insert ever fails; `manage_partitions()`
(created alongside) keeps creating partitions ahead and drops those past the retention.
PostgreSQL requires the partition key in every unique key, so the primary key becomes
(id, <time column>); a table that others reference is not partitioned (their foreign keys
would have to carry the time column too), nor one with a unique key of its own (widened by
the time column it would stop being unique), nor one with an exclusion constraint (the same:
PostgreSQL requires the partition key in it, compared with `=`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from agent.brains.rules.schema.plan import PartitionDef, SchemaPlan, TableDef
from agent.brains.rules.timeseries import (
    HIGH_GROWTH,
    retention_days,
    retention_for,
    time_column,
    time_series_reason,
)
from agent.naming import table_name
from agent.spec import Entity, Requirements
from agent.stages import Partitioning

DAILY_GROWTH = 300_000_000  # rows per month (~10M a day) from which partitions are daily
PAST, AHEAD = {"day": 3, "month": 2}, {"day": 7, "month": 3}


def partition_reason(spec: Requirements, entity: Entity) -> str | None:
    series = time_series_reason(spec, entity)
    if series:
        return series
    retention, _ = retention_for(spec, entity)
    growth = entity.growth_per_month or 0
    if entity.append_only and (retention or growth >= HIGH_GROWTH):
        kept = f"kept {retention}" if retention else f"{growth:,} rows a month"
        return f"append-only, {kept}"
    return None


def apply_partitioning(spec: Requirements, plan: SchemaPlan, today: date) -> list[Partitioning]:
    referenced = {fk.ref_table for t in plan.tables.values() for fk in t.foreign_keys}
    result = []
    for entity in spec.entities:
        table = plan.tables.get(table_name(entity.name))
        reason = partition_reason(spec, entity)
        if table is None or reason is None:
            continue
        if table.name in referenced:
            plan.assumptions.append(
                f"{table.name} is not partitioned although {reason}: other tables reference it"
            )
            continue
        if table.exclusions:
            plan.assumptions.append(
                f"{table.name} is not partitioned although {reason}: its exclusion "
                f"constraint(s) ({', '.join(e.name for e in table.exclusions)}) must hold "
                f"across the whole table; on a partitioned table PostgreSQL takes one only with "
                f"{time_column(entity)} compared by =, which holds within one partition"
            )
            continue
        column = time_column(entity)
        loose = [", ".join(u) for u in table.uniques if column not in u]
        if loose:
            plan.assumptions.append(
                f"{table.name} is not partitioned although {reason}: its unique key(s) "
                f"({'; '.join(loose)}) would have to include {column} and would no longer "
                "be unique; hash-partition or shard by the key's first column past one node"
            )
            continue
        result.append(_partition(spec, plan, entity, table, reason, today))
    if result:
        plan.functions.append("manage_partitions")
    return result


def _partition(
    spec: Requirements,
    plan: SchemaPlan,
    entity: Entity,
    table: TableDef,
    reason: str,
    today: date,
) -> Partitioning:
    column = time_column(entity)
    retention, source = retention_for(spec, entity, assume_series=True)
    if retention and source.endswith("description"):
        plan.assumptions.append(f"retention of {table.name} read from the {source}: {retention}")
    interval: Literal["day", "month"] = _interval(entity, retention)
    _require_key(plan, table, column)
    bounds = _bounds(table.name, interval, today)
    table.partition = PartitionDef(column, interval, bounds, retention, reason)
    keep = f"'{retention}'" if retention else "NULL"
    return Partitioning(
        table=table.name,
        column=column,
        interval=f"1 {interval}",
        partitions=[name for name, _, _ in bounds] + [f"{table.name}_default"],
        retention=retention,
        reason=f"{reason}; schedule daily: SELECT manage_partitions('{table.name}', "
        f"'1 {interval}', {AHEAD[interval]}, {keep})",
    )


def _interval(entity: Entity, retention: str | None) -> Literal["day", "month"]:
    days = retention_days(retention)
    daily = (entity.growth_per_month or 0) >= DAILY_GROWTH or (days is not None and days <= 31)
    return "day" if daily else "month"


def _require_key(plan: SchemaPlan, table: TableDef, column: str) -> None:
    """The partition key must be NOT NULL and part of the primary key (tables with other unique
    keys are not partitioned)."""
    definition = table.column(column)
    if definition is not None and not definition.not_null:
        definition.not_null = True
        plan.assumptions.append(f"{table.name}.{column} made NOT NULL: it is the partition key")
    if column not in table.primary_key:
        table.primary_key = [*table.primary_key, column]


def _bounds(name: str, interval: str, today: date) -> list[tuple[str, str, str]]:
    """(partition name, from, to) in UTC for the periods around `today`."""
    start = today.replace(day=1) if interval == "month" else today
    periods = [_shift(start, interval, n) for n in range(-PAST[interval], AHEAD[interval] + 1)]
    bounds = []
    for lower in periods:
        upper = _shift(lower, interval, 1)
        suffix = lower.strftime("%Y_%m") if interval == "month" else lower.strftime("%Y_%m_%d")
        bounds.append((f"{name}_{suffix}", _literal(lower), _literal(upper)))
    return bounds


def _shift(day: date, interval: str, steps: int) -> date:
    if interval == "day":
        return date.fromordinal(day.toordinal() + steps)
    month = day.year * 12 + day.month - 1 + steps
    return date(month // 12, month % 12 + 1, 1)


def _literal(day: date) -> str:
    return datetime(day.year, day.month, day.day).strftime("%Y-%m-%d 00:00:00+00")
