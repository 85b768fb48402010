"""Bounds on every number a caller may send: row counts, rates, latencies, durations, sizes.

A number from an HTTP body, a spec, an MCP call or the model's tool call ends up in SQLite
or PostgreSQL (BIGINT), in float arithmetic or in `range()`. Unbounded, a huge one
overflows deep inside (an OverflowError, a 500, a cut stream) and `Infinity` slips through
JSON and YAML alike. So each kind of number has one bound, here, stated in the JSON Schema
too, and anything past it is refused where it enters, naming the field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ROWS = 10**12  # a trillion rows: past any one table this tool sizes
MAX_RATE = 10**9  # executions per second (or per minute, hour, day) of one access pattern
MAX_LATENCY_MS = 86_400_000  # a day
MAX_DURATION_DAYS = 365_000  # a thousand years: retention, RPO, RTO
MAX_SIZE_BYTES = 2**50  # a pebibyte: index budgets

RowCount = Annotated[int, Field(ge=0, le=MAX_ROWS)]
Rate = Annotated[float, Field(ge=0, le=MAX_RATE)]
