"""Average on-disk widths of PostgreSQL column types: the documented basis of every size estimate.

Fixed-width types take their storage size. Variable-width types (text, jsonb, bytea, arrays)
take an assumed average, stated here once so the report can cite it: real averages come from
`pg_stats.avg_width` once data exists, and the estimate should be redone with them.
"""

from __future__ import annotations

import math
import re

PAGE_BYTES = 8192
PAGE_HEADER_BYTES = 24
TUPLE_HEADER_BYTES = 24  # HeapTupleHeader (23 bytes) aligned to 8
ITEM_POINTER_BYTES = 4  # the line pointer in the page for every tuple
INDEX_TUPLE_HEADER_BYTES = 8  # IndexTupleData: heap TID + info
BTREE_FILL = 0.90  # btree leaf pages are built 90% full (fillfactor default)
UPDATED_FILL = 0.90  # heap pages of updated tables: room for HOT updates and vacuum lag
APPEND_ONLY_FILL = 1.00  # heap pages of append-only tables are packed
ENUM_BYTES = 4  # an enum value is stored as its 4-byte OID
UNKNOWN_BYTES = 16  # a type this table does not know: a conservative middle

FIXED: dict[str, int] = {
    "smallint": 2,
    "integer": 4,
    "int": 4,
    "bigint": 8,
    "real": 4,
    "double precision": 8,
    "boolean": 1,
    "date": 4,
    "time": 8,
    "timestamptz": 8,
    "timestamp": 8,
    "timestamp with time zone": 8,
    "timestamp without time zone": 8,
    "interval": 16,
    "uuid": 16,
    "inet": 8,
    "money": 8,
    "oid": 4,
}

# Assumed averages of variable-width values (payload plus the 1-byte short varlena header).
VARIABLE: dict[str, int] = {
    "text": 33,  # 32 characters: names, titles, short codes, e-mail addresses
    "citext": 33,
    "jsonb": 257,  # a small document of a few keys; past ~2 kB it is TOASTed and compressed
    "json": 257,
    "bytea": 65,
    "tsvector": 129,
    "numeric": 12,  # unconstrained numeric: a typical amount of ~10 significant digits
}
ARRAY_BYTES = 65  # an array of a few elements (24-byte header + elements)

WIDTHS_NOTE = (
    "Row widths: tuple header 24 B + line pointer 4 B + columns (int 4, bigint 8, "
    "timestamptz 8, date 4, uuid 16, boolean 1, enum 4, numeric(p,s) (ceil(p/4)+2)*2, "
    "text ~33 (32 chars assumed), varchar(n)/char(n) min(n,32)+1, jsonb ~257 (small document "
    "assumed), arrays ~65), rounded up to 8-byte alignment; heap pages 8 kB filled 90% "
    "(100% for append-only tables); btree entries 8 B header + keys + 4 B pointer at 90% "
    "leaf fill. Variable widths are assumptions: re-estimate with pg_stats.avg_width."
)

_NUMERIC = re.compile(r"^numeric\s*\(\s*(\d+)\s*(?:,\s*\d+\s*)?\)$")
_VARCHAR = re.compile(r"^(?:varchar|character varying|char|character|bpchar)\s*\(\s*(\d+)\s*\)$")
_VECTOR = re.compile(r"^vector\s*\(\s*(\d+)\s*\)$")


def column_bytes(sql_type: str, enum_types: frozenset[str] = frozenset()) -> int:
    """The assumed average stored width of one value of `sql_type` (as written in DDL)."""
    text = " ".join(sql_type.lower().split())
    if text.endswith("[]"):
        return ARRAY_BYTES
    if text in FIXED:
        return FIXED[text]
    if text in VARIABLE:
        return VARIABLE[text]
    if text in enum_types:
        return ENUM_BYTES
    return _parameterised(text)


def _parameterised(text: str) -> int:
    if match := _NUMERIC.match(text):
        return (math.ceil(int(match.group(1)) / 4) + 2) * 2
    if match := _VARCHAR.match(text):
        return min(int(match.group(1)), 32) + 1
    if match := _VECTOR.match(text):
        return 4 * int(match.group(1)) + 8
    if text.startswith(("timestamp", "time")):
        return 8
    return UNKNOWN_BYTES


def align8(value: int) -> int:
    return (value + 7) // 8 * 8


def heap_row_bytes(column_widths: list[int]) -> int:
    """Bytes one row takes in a heap page: header, line pointer, aligned data."""
    return TUPLE_HEADER_BYTES + ITEM_POINTER_BYTES + align8(sum(column_widths))


def heap_bytes(rows: int, row_bytes: int, fill: float) -> int:
    """Whole 8 kB pages needed for `rows` rows at the given page fill."""
    if rows <= 0:
        return 0
    usable = (PAGE_BYTES - PAGE_HEADER_BYTES) * fill
    per_page = max(1, int(usable // row_bytes))
    return math.ceil(rows / per_page) * PAGE_BYTES


def btree_bytes(rows: int, key_widths: list[int]) -> int:
    """A btree on `rows` keys: leaf pages at 90% fill plus ~1% for inner pages."""
    if rows <= 0:
        return PAGE_BYTES
    entry = INDEX_TUPLE_HEADER_BYTES + align8(sum(key_widths)) + ITEM_POINTER_BYTES
    usable = (PAGE_BYTES - PAGE_HEADER_BYTES - 16) * BTREE_FILL  # 16: btree special space
    per_page = max(1, int(usable // entry))
    leaves = math.ceil(rows / per_page)
    return (leaves + math.ceil(leaves / 100) + 1) * PAGE_BYTES
