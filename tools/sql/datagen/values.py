"""Per-type value generators: SQL expressions over the series number `{g}`.

Every value is a pure function of the row's series number and a per-column salt (through
`hashint8`), so a load is reproducible, parent keys can be recomputed from a child's
chosen parent number, and nothing round-trips to Python per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from psycopg import sql

from tools.sql.datagen.checks import ColumnRule

# Aliases PostgreSQL accepts for the same base type, folded to one spelling.
_TYPE_ALIASES = {
    "integer": "int4", "int": "int4", "smallint": "int2", "bigint": "int8", "serial": "int4",
    "bigserial": "int8", "smallserial": "int2", "real": "float4", "double precision": "float8",
    "boolean": "bool", "character varying": "varchar", "character": "bpchar", "char": "bpchar",
    "decimal": "numeric", "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp", "time without time zone": "time",
    "time with time zone": "timetz",
}  # fmt: skip
_INTS = {"int2": 32_000, "int4": 2_000_000_000, "int8": 9_000_000_000_000_000_000}
YEARS_OF_HISTORY = 3
_COUNTRY_LIKE = frozenset({"country", "country_code", "lang", "language", "locale", "currency"})


@dataclass(frozen=True)
class Gen:
    """What a column generator may know: its salt, the row count, and derived bounds."""

    salt: int
    rows: int
    name: str
    base: str
    mods: tuple[int, ...] = ()
    unique: bool = False
    rule: ColumnRule | None = None


def canonical(base_type: str) -> str:
    base = base_type.lower().split("(")[0].strip()
    return _TYPE_ALIASES.get(base, base)


def uniform(salt: int, g: str = "{g}") -> str:
    """A uniform number in [0, 1) fixed by the row number and the column's salt."""
    return f"((hashint8(({g}) * 7919 + {salt}) & 2147483647)::float8 / 2147483648.0)"


def skewed_index(salt: int, count: str, exponent: float = 2.5) -> str:
    """1..count with a Zipf-like head: low numbers are drawn far more often."""
    return f"(1 + floor(({count}) * power({uniform(salt)}, {exponent}))::bigint)"


def zipf_choice(salt: int, values: list[str]) -> str:
    """One of `values` (SQL literals) with frequencies falling as 1/rank."""
    weights = [1.0 / (rank + 1) for rank in range(len(values))]
    total, running, bounds = sum(weights), 0.0, []
    for weight in weights[:-1]:
        running += weight / total
        bounds.append(f"{running:.6f}")
    array = ", ".join(values)
    thresholds = ", ".join(["0", *bounds])
    return f"(ARRAY[{array}])[width_bucket({uniform(salt)}, ARRAY[{thresholds}]::float8[])]"


def literal(value: str) -> str:
    return sql.Literal(value).as_string()


def value_expr(gen: Gen) -> str | None:
    """The expression for one scalar column, or None when the type is not one we know."""
    rule = gen.rule
    if rule is not None and rule.choices:
        return zipf_choice(gen.salt, rule.choices)
    base = gen.base
    if base in _INTS or base in ("numeric", "float4", "float8", "money"):
        return _number(gen)
    maker = _MAKERS.get(base)
    return maker(gen) if maker else None


def later_gap(gen: Gen) -> str:
    """A positive step for a column that must come after another (dates, times, numbers)."""
    u = uniform(gen.salt)
    if gen.base == "date":
        return f"(1 + floor(90 * {u}))::int"
    if gen.base in ("timestamptz", "timestamp", "time", "timetz", "interval"):
        return f"(interval '1 second' + {u} * interval '90 days')"
    return f"(1 + floor(100 * {u}))"


def _number(gen: Gen) -> str:
    lo, hi = _bounds(gen)
    if gen.unique:
        return f"({lo} + {{g}})" if lo > 0 else "({g})"
    u = uniform(gen.salt)
    if gen.base in _INTS:
        return f"({lo} + floor(({hi} - {lo}) * power({u}, 2)))::bigint"
    scale = gen.mods[1] if len(gen.mods) > 1 else 2
    return f"round(({lo} + ({hi} - {lo}) * power({u}, 3))::numeric, {scale})"


def _bounds(gen: Gen) -> tuple[float, float]:
    """A plausible range, narrowed by check constraints and numeric precision."""
    cap = float(_INTS.get(gen.base, 10**15))
    if gen.base == "numeric" and gen.mods:
        precision, scale = gen.mods[0], gen.mods[1] if len(gen.mods) > 1 else 0
        cap = 10.0 ** (precision - scale) - 1
    lo, hi = 0.0, min(_default_high(gen.name), cap)
    rule = gen.rule
    if rule is not None:
        step = 1.0 if gen.base in _INTS else 10.0 ** -(gen.mods[1] if len(gen.mods) > 1 else 2)
        lo = rule.low + (step if rule.low_strict else 0) if rule.low is not None else lo
        hi = rule.high - (step if rule.high_strict else 0) if rule.high is not None else hi
        hi = max(hi, lo + 1000) if rule.high is None else hi
    return lo, min(max(hi, lo), cap)


def _default_high(name: str) -> float:
    lowered = name.lower()
    if any(word in lowered for word in ("quantity", "qty", "count", "rating", "stars")):
        return 10
    if "year" in lowered:
        return 2030
    return 1000


def _text(gen: Gen) -> str:
    limit = gen.mods[0] if gen.mods else None
    expr = _text_body(gen)
    return f"left({expr}, {limit})" if limit else expr


def _text_body(gen: Gen) -> str:
    lowered, u = gen.name.lower(), uniform(gen.salt)
    if gen.unique:
        if "email" in lowered:
            return "('user' || {g} || '@example.com')"
        return f"({literal(gen.name + '-')} || {{g}})"
    if "email" in lowered:
        return f"('user' || floor({gen.rows} * {u})::bigint || '@example.com')"
    if lowered in _COUNTRY_LIKE:
        return zipf_choice(gen.salt, [literal(c) for c in ("US", "DE", "FR", "GB", "JP", "BR")])
    return f"({literal(gen.name + ' ')} || floor(1000 * power({u}, 2))::int)"


def _fixed_char(gen: Gen) -> str:
    width = gen.mods[0] if gen.mods else 1
    if gen.name.lower() in _COUNTRY_LIKE and width >= 2 and not gen.unique:
        return _text(gen)
    if gen.unique:
        return f"lpad(to_hex({{g}}), {width}, '0')"
    return f"upper(left(md5(floor(50 * power({uniform(gen.salt)}, 2))::text), {width}))"


def _moment(gen: Gen) -> str:
    """Timestamps spread over the past years; creation times grow with the row number."""
    span = f"interval '{YEARS_OF_HISTORY * 365} days'"
    lowered = gen.name.lower()
    if lowered.startswith("created") or lowered in ("inserted_at", "occurred_at", "ts"):
        position = f"(1.0 - {{g}}::float8 / {max(gen.rows, 1)} + 0.001 * {uniform(gen.salt)})"
    else:
        position = uniform(gen.salt)
    return f"(timestamptz '2026-01-01 00:00:00+00' - {position} * {span})"


def _json(gen: Gen) -> str:
    kind = zipf_choice(gen.salt, [literal(k) for k in ("alpha", "beta", "gamma", "delta")])
    u = uniform(gen.salt + 1)
    return f"jsonb_build_object('kind', {kind}, 'score', floor(100 * {u})::int, 'ok', {u} < 0.7)"


_MAKERS: dict[str, Callable[[Gen], str]] = {
    "text": _text,
    "varchar": _text,
    "citext": _text,
    "name": _text,
    "bpchar": _fixed_char,
    "bool": lambda gen: f"({uniform(gen.salt)} < 0.3)",
    "date": lambda gen: f"({_moment(gen)})::date",
    "timestamptz": _moment,
    "timestamp": lambda gen: f"({_moment(gen)})::timestamp",
    "time": lambda gen: f"(time '00:00' + {uniform(gen.salt)} * interval '24 hours')",
    "timetz": lambda gen: f"(timetz '00:00+00' + {uniform(gen.salt)} * interval '24 hours')",
    "interval": lambda gen: f"({uniform(gen.salt)} * interval '30 days')",
    "uuid": lambda gen: f"md5({gen.salt}::text || ':' || {{g}})::uuid",
    "jsonb": _json,
    "json": lambda gen: f"({_json(gen)})::json",
    "bytea": lambda gen: "decode(md5({g}::text), 'hex')",
    "inet": lambda gen: "('10.0.0.0'::inet + {g})",
    "cidr": lambda gen: "set_masklen('10.0.0.0'::inet + {g} * 256, 24)::cidr",
}
