"""How many rows each table holds now, how fast it grows, and the sentence saying why.

One model for every stage that counts rows (the technology matrix, the sizes of the scaling
plan), so their totals agree. Entity tables take the spec's rows and growth, else growth
from the stated insert rates. A link (many-to-many) table keeps its links per parent row:
it grows with the parent that drives it unless its own growth or insert rate is stated. A
table without a stated volume that references a sized table is sized from that parent and
the fan-out the schema shows (one row per parent for a one-to-one key); only a table with
neither is a small support table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent.spec import AccessPattern, ContractTable, Entity, Requirements, resolve_contract

SECONDS_PER_MONTH = 30 * 86400
DEFAULT_ROWS = 10_000  # assumed for an entity without a row count (reported as assumption)
PEAK_TO_AVERAGE = 3.0  # stated rates are peaks; a diurnal load averages about a third of it
SUPPORT_ROWS = 1_000  # tables the brain added that nothing sizes (no rows, no sized parent)
ASSUMED_FANOUT = 1.0  # rows per parent row of a child whose own volume nobody stated
_INSERT = re.compile(r"^\s*insert\s+into\s+(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Volume:
    """Rows today, rows added a month, the cap retention puts on them, and where they came from."""

    rows_now: int
    growth: int  # rows per month
    cap: int | None  # steady-state rows under retention
    source: str  # the sentence the report prints

    def rows_at(self, months: int) -> int:
        rows = self.rows_now + self.growth * months
        return min(rows, self.cap) if self.cap is not None and months else rows


@dataclass(frozen=True)
class Parent:
    """A table a row references, its volume, and whether each parent has at most one child."""

    table: str
    volume: Volume
    one_to_one: bool = False


def spec_volumes(spec: Requirements) -> dict[str, Volume]:
    """Every table the spec's naming contract promises: entities first, then links."""
    contract = resolve_contract(spec)
    found: dict[str, Volume] = {}
    for table in contract.tables.values():
        if table.entity is not None:
            found[table.name] = entity_volume(spec, table.name, table.entity)
    for table in contract.tables.values():
        if table.kind == "join":
            found[table.name] = _contract_link(spec, table, found)
    return found


def entity_volume(spec: Requirements, table: str, entity: Entity) -> Volume:
    rows, source = (
        (entity.rows, "spec rows")
        if entity.rows is not None
        else (DEFAULT_ROWS, f"assumed {DEFAULT_ROWS:,} rows (no row count)")
    )
    if entity.growth_per_month is not None:
        growth = entity.growth_per_month
        return Volume(rows, growth, None, f"{source}; +{growth:,}/month (spec growth_per_month)")
    inserted = insert_growth(spec, table)
    if inserted is None:
        return Volume(rows, 0, None, f"{source}; no growth stated")
    return Volume(rows, inserted[0], None, f"{source}; {inserted[1]}")


def insert_growth(spec: Requirements, table: str) -> tuple[int, str] | None:
    """Rows a month from the stated INSERT patterns into `table` (average = peak / 3)."""
    inserts = [p for p in spec.access_patterns if _inserted_table(p.sql) == table]
    if not inserts:
        return None
    rate = sum(pattern_rate(p) for p in inserts)
    growth = round(rate * SECONDS_PER_MONTH / PEAK_TO_AVERAGE)
    return growth, (
        f"+{growth:,}/month from {rate:g} inserts/s peak (average = peak/{PEAK_TO_AVERAGE:g})"
    )


def _inserted_table(sql: str) -> str | None:
    match = _INSERT.match(sql)
    return match.group(1).lower() if match else None


def _contract_link(spec: Requirements, table: ContractTable, known: Mapping[str, Volume]) -> Volume:
    relationship = table.relationship
    parents = [
        Parent(ref, known[ref])
        for c in table.columns
        if c.role == "reference" and (ref := c.ref_table) is not None and ref in known
    ]
    return link_volume(
        spec,
        table.name,
        relationship.rows if relationship else None,
        relationship.growth_per_month if relationship else None,
        parents,
    )


def link_volume(
    spec: Requirements,
    table: str,
    rows: int | None,
    growth: int | None,
    parents: Sequence[Parent],
) -> Volume:
    """A link table: stated rows (else one link per row of its larger parent), and growth
    stated, else from its insert rate, else at its links per row of the parent that drives it.
    """
    sized = [p for p in parents if p.volume.rows_now]
    if rows is None:
        if not sized:
            return Volume(DEFAULT_ROWS, 0, None, f"assumed {DEFAULT_ROWS:,} links")
        larger = max(sized, key=lambda p: p.volume.rows_now)
        rows, source = larger.volume.rows_now, f"assumed one link per {larger.table} row"
    else:
        source = "spec rows"
    if growth is not None:
        return Volume(rows, growth, None, f"{source}; +{growth:,}/month (spec growth_per_month)")
    inserted = insert_growth(spec, table)
    if inserted is not None:
        return Volume(rows, inserted[0], None, f"{source}; {inserted[1]}")
    return _driven(rows, source, sized)


def _driven(rows: int, source: str, parents: Sequence[Parent]) -> Volume:
    """Links per parent row stay as they are: the fastest-growing parent drives the growth."""
    growing = [p for p in parents if p.volume.growth > 0]
    if not growing:
        names = ", ".join(sorted({p.table for p in parents})) or "none sized"
        return Volume(rows, 0, None, f"{source}; no growth: its parents ({names}) do not grow")
    driver = max(growing, key=lambda p: p.volume.growth / p.volume.rows_now)
    per_row = rows / driver.volume.rows_now
    growth = round(per_row * driver.volume.growth)
    return Volume(
        rows,
        growth,
        None,
        f"{source}; {per_parent(per_row)} links per {driver.table} row, growing with "
        f"{driver.table}: +{growth:,}/month",
    )


def per_parent(ratio: float) -> str:
    """1.2, 0.75, 10, 1,000: two significant digits below ten, whole numbers above."""
    return f"{ratio:.2g}" if ratio < 10 else f"{ratio:,.0f}"


def child_volume(parents: Sequence[Parent]) -> Volume | None:
    """A table nobody sized, from the largest table it references and the fan-out to it."""
    sized = [p for p in parents if p.volume.rows_now]
    if not sized:
        return None
    parent = max(sized, key=lambda p: p.volume.rows_now)
    per_row = 1.0 if parent.one_to_one else ASSUMED_FANOUT
    fanout = (
        f"one-to-one: at most one row per {parent.table} row"
        if parent.one_to_one
        else f"assumed {per_row:g} row(s) per {parent.table} row (no fan-out stated: "
        "state its rows to replace this)"
    )
    return Volume(
        round(parent.volume.rows_now * per_row),
        round(parent.volume.growth * per_row),
        None,
        f"no volume stated; sized from {parent.table} ({parent.volume.rows_now:,} rows), "
        f"{fanout}, growing with it",
    )


def support_volume() -> Volume:
    return Volume(
        SUPPORT_ROWS, 0, None, f"assumed {SUPPORT_ROWS:,} rows (support table, references none)"
    )


def pattern_rate(pattern: AccessPattern) -> float:
    """A pattern's peak rate; one without a stated rate counts 1/s (reported as assumed)."""
    return pattern.per_second if pattern.per_second is not None else 1.0
