"""The attribute type strings of a spec (`text!`, `enum(a, b) unique`, `numeric(12,2)`), parsed.

One small grammar, so that a bad string is refused with the position of the offending part
and the list of what would have been accepted, instead of surfacing later as a DDL error:

    TYPE ['(' ARGS ')'] ['[]'] ['!'] ['unique'] ['default' LITERAL...]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Canonical kinds (those of DESIGN.md first) and the PostgreSQL type each is stored as.
# `money` is numeric(19,4) (never float, never PostgreSQL's locale-bound `money`),
# `timestamp` is timestamptz, `json` is jsonb, `enum` gets its own type per column.
SQL_TYPES: dict[str, str] = {
    "text": "text",
    "int": "integer",
    "bigint": "bigint",
    "float": "double precision",
    "money": "numeric(19,4)",
    "numeric": "numeric",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamptz",
    "json": "jsonb",
    "uuid": "uuid",
    "enum": "",  # named per column: see agent.naming.enum_type_name
    "smallint": "smallint",
    "varchar": "varchar",
    "char": "character",
    "time": "time",
    "interval": "interval",
    "inet": "inet",
    "bytea": "bytea",
}

# Spellings a spec author is likely to use for the same kinds.
SYNONYMS: dict[str, str] = {
    "string": "text",
    "integer": "int",
    "int4": "int",
    "int8": "bigint",
    "long": "bigint",
    "double": "float",
    "float8": "float",
    "real": "float",
    "decimal": "numeric",
    "number": "numeric",
    "boolean": "bool",
    "timestamptz": "timestamp",
    "datetime": "timestamp",
    "jsonb": "json",
    "ip": "inet",
    "bytes": "bytea",
    "binary": "bytea",
}

KINDS: tuple[str, ...] = tuple(SQL_TYPES)
_WITH_ARGS = ("numeric", "enum", "varchar", "char")
TYPE_STRING_HELP = (
    "Attribute type string: one of "
    + ", ".join(k if k not in _WITH_ARGS else f"{k}(...)" for k in KINDS)
    + " (numeric(p,s), varchar(n), char(n), enum(a, b, ...)); `[]` makes an array; a "
    "trailing `!` "
    "means required (NOT NULL); a following word `unique` means unique; `default <value>` "
    "sets a default. Examples: `text!`, `text! unique`, `money!`, `enum(todo, doing, done)!`, "
    "`numeric(12,2)`, `timestamp`, `json`, `text[]`, `bool! default false`."
)

_HEAD = re.compile(r"\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*")
_ENUM_VALUE = re.compile(r"^[^'\"(),]+$|^'[^']+'$|^\"[^\"]+\"$")


class TypeStringError(ValueError):
    """A type string that does not parse; `offset` is the 0-based position of the problem."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class AttributeType:
    """What a type string says: kind, modifiers, and the flags written after it."""

    kind: str
    args: tuple[int, ...] = ()
    values: tuple[str, ...] = ()  # enum values, in order
    is_array: bool = False
    required: bool = False
    unique: bool = False
    default: str | None = None
    text: str = field(default="", compare=False)

    def sql_type(self, enum_type: str | None = None) -> str:
        """The PostgreSQL column type; an enum needs the name of its type."""
        if self.kind == "enum":
            if not enum_type:
                raise ValueError("an enum attribute needs its type name")
            base = enum_type
        elif self.args:
            base = f"{SQL_TYPES[self.kind]}({','.join(str(a) for a in self.args)})"
        else:
            base = SQL_TYPES[self.kind]
        return base + ("[]" if self.is_array else "")


def parse_type(text: str) -> AttributeType:
    """Parse one type string, raising `TypeStringError` that says what was expected."""
    head = _HEAD.match(text)
    if head is None or not text.strip():
        raise TypeStringError(f"empty or malformed type {text!r}; {_expected()}", 0)
    kind = _kind(head.group("name"), head.start("name"))
    pos = head.end()
    args: tuple[int, ...] = ()
    values: tuple[str, ...] = ()
    if text.startswith("(", pos):
        close = text.find(")", pos)
        if close < 0:
            raise TypeStringError(f"unclosed '(' in type {text!r}", pos)
        inner = text[pos + 1 : close]
        if kind == "enum":
            values = _enum_values(inner, pos + 1)
        else:
            kind = "varchar" if kind == "text" else kind  # string(255) is varchar(255)
            args = _numeric_args(kind, inner, pos + 1)
        pos = _skip_ws(text, close + 1)
    elif kind == "enum":
        raise TypeStringError("an enum needs its values: enum(a, b, ...)", pos)
    is_array = text.startswith("[]", pos)
    if is_array:
        pos = _skip_ws(text, pos + 2)
    required, unique, default = _flags(text, pos)
    return AttributeType(kind, args, values, is_array, required, unique, default, text.strip())


def _expected() -> str:
    return "expected one of " + ", ".join(KINDS) + " (see `dbarch spec schema`)"


def _kind(name: str, offset: int) -> str:
    lowered = name.lower()
    kind = SYNONYMS.get(lowered, lowered)
    if kind not in SQL_TYPES:
        raise TypeStringError(f"unknown attribute type {name!r}; {_expected()}", offset)
    return kind


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _enum_values(inner: str, offset: int) -> tuple[str, ...]:
    """Enum values are comma-separated words, optionally quoted; none may repeat."""
    if not inner.strip():
        raise TypeStringError("an enum with no values: write enum(a, b, ...)", offset)
    values: list[str] = []
    cursor = offset
    for raw in inner.split(","):
        item = raw.strip()
        at = cursor + len(raw) - len(raw.lstrip())
        if not item or not _ENUM_VALUE.match(item):
            raise TypeStringError(f"bad enum value {item!r}", at)
        value = item.strip("'\"").strip()
        if value in values:
            raise TypeStringError(f"enum value {value!r} appears twice", at)
        values.append(value)
        cursor += len(raw) + 1
    return tuple(values)


def _numeric_args(kind: str, inner: str, offset: int) -> tuple[int, ...]:
    parts = [p.strip() for p in inner.split(",")]
    if kind not in ("numeric", "varchar", "char") or not all(p.isdigit() for p in parts):
        raise TypeStringError(f"type {kind!r} takes no arguments ({inner!r})", offset)
    args = tuple(int(p) for p in parts)
    if kind in ("varchar", "char") and (len(args) != 1 or args[0] < 1):
        raise TypeStringError(f"{kind} takes one positive length: {kind}(n)", offset)
    if kind == "numeric" and not (len(args) <= 2 and 1 <= args[0] <= 1000):
        raise TypeStringError("numeric takes (precision[, scale]), precision 1..1000", offset)
    if kind == "numeric" and len(args) == 2 and not 0 <= args[1] <= args[0]:
        raise TypeStringError("numeric scale must be between 0 and the precision", offset)
    return args


def _flags(text: str, pos: int) -> tuple[bool, bool, str | None]:
    """`!`, `unique` and `default <literal>` after the type, in any order, each once."""
    required = unique = False
    default: str | None = None
    while pos < len(text):
        if text[pos] == "!" and not required:
            required, pos = True, _skip_ws(text, pos + 1)
            continue
        word = re.match(r"[A-Za-z]+", text[pos:])
        token = word.group(0).lower() if word else text[pos]
        if token == "unique" and not unique:
            unique, pos = True, _skip_ws(text, pos + len(token))
        elif token == "default" and default is None:
            default = text[pos + len(token) :].strip()
            if not default:
                raise TypeStringError("`default` needs a value", pos)
            break
        else:
            raise TypeStringError(
                f"unexpected {token!r} in type {text.strip()!r}: after the type only `!`, "
                "`unique` and `default <value>` may follow",
                pos,
            )
    if default is not None and default.endswith("!"):
        required, default = True, default[:-1].rstrip()
    return required, unique, default
