"""Column type rules: money in floats, zone-less timestamps, statuses as free text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tools.sql.model import Column, Schema, Table
from tools.sql.rules.base import Hit, name_tokens, own_tables, rule

_FLOAT_TYPES = {"float4", "float8", "real", "double precision", "float"}
_TEXT_TYPES = {"text", "varchar", "bpchar", "char", "citext"}

# A float column is money when a token says so outright ("unit_price", "tax"), or when
# every token is a word that only means money next to other such words ("total_amount",
# "amount_due"); "total_distance" has a non-money noun, "tax_rate" a ratio word.
_MONEY_WORDS = {
    "price", "cost", "costs", "fee", "fees", "salary", "wage", "wages", "revenue", "tax",
    "balance", "budget", "payment", "refund", "money", "subtotal", "freight",
    "income", "expense", "expenses", "profit", "payout", "cash", "usd", "eur",
}  # fmt: skip
_MONEY_IF_ALONE = {
    "total", "amount", "paid", "due", "credit", "debit", "net", "gross", "unit", "sale", "discount",
    "sales", "list", "base", "final", "min", "max", "avg", "original", "estimated",
}  # fmt: skip
_NOT_MONEY = {"rate", "ratio", "pct", "percent", "percentage", "factor", "weight", "score"}


def is_money_name(name: str) -> bool:
    tokens = set(name_tokens(name))
    if not tokens or tokens & _NOT_MONEY:
        return False
    if tokens & _MONEY_WORDS:
        return True
    return tokens <= _MONEY_IF_ALONE and bool(tokens & {"total", "amount", "paid", "due"})


@rule(
    "float-for-money",
    "error",
    "Binary floating point cannot represent most decimal amounts (0.1 + 0.2 != 0.3): "
    "sums of money drift by cents.",
    "Use numeric(19,4) (or an integer count of the smallest currency unit).",
)
def float_for_money(schema: Schema) -> Iterator[Hit]:
    for table, column in _columns(schema):
        if column.base_type in _FLOAT_TYPES and is_money_name(column.name):
            yield _hit(table, column, f"money column '{column.name}' is {column.type}")


@rule(
    "timestamp-without-time-zone",
    "warning",
    "timestamp without time zone stores wall-clock time with no offset: the same instant "
    "written from two zones reads as two times, and DST changes make values ambiguous.",
    "Use timestamptz (timestamp with time zone); PostgreSQL stores UTC and converts on read.",
)
def timestamp_without_time_zone(schema: Schema) -> Iterator[Hit]:
    for table, column in _columns(schema):
        if column.base_type == "timestamp":
            yield _hit(table, column, f"'{column.name}' is {column.type}")


_STATUS_WORDS = {"status", "state", "stage", "phase"}
# "state" next to city/country is a region of an address, not a lifecycle state.
_ADDRESS_WORDS = {"city", "country", "zip", "postal", "postcode", "address", "street", "province"}


def is_status_name(table: Table, name: str) -> bool:
    tokens = name_tokens(name)
    if not tokens or tokens[-1] not in _STATUS_WORDS:
        return False
    if tokens[-1] != "state":
        return True
    return not any(set(name_tokens(c.name)) & _ADDRESS_WORDS for c in table.columns)


def _restricted_by_check(table: Table, column: Column) -> bool:
    pattern = re.compile(rf"\b{re.escape(column.name)}\b")
    return any(
        column.name in check.columns or pattern.search(check.expression) for check in table.checks
    )


@rule(
    "stringly-typed-status",
    "warning",
    "A status kept as free text accepts any typo ('actve', 'Active ') and the set of "
    "states lives only in application code.",
    "Use an enum type (CREATE TYPE ... AS ENUM), a CHECK (status IN (...)), or a foreign key "
    "to a lookup table.",
)
def stringly_typed_status(schema: Schema) -> Iterator[Hit]:
    for table, column in _columns(schema):
        if not is_status_name(table, column.name) or column.base_type not in _TEXT_TYPES:
            continue
        if column.is_array or _restricted_by_check(table, column):
            continue
        if any(column.name in fk.columns for fk in table.foreign_keys):
            continue
        yield _hit(table, column, f"status column '{column.name}' is unrestricted {column.type}")


def _columns(schema: Schema) -> Iterator[tuple[Table, Column]]:
    for table in own_tables(schema):
        for column in table.columns:
            yield table, column


def _hit(table: Table, column: Column, message: str) -> Hit:
    return Hit(
        table.name, column.name, f"{table.name}: {message}", column.line or table.line, table.file
    )
