"""Attribute type strings and the naming contract: properties over many generated inputs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.naming import (
    enum_type_name,
    fk_column,
    join_table_name,
    plural,
    quote_ident,
    singular,
    table_name,
)
from agent.spec.types import KINDS, SQL_TYPES, SYNONYMS, TypeStringError, parse_type

SIMPLE_KINDS = [k for k in KINDS if k not in ("enum", "numeric", "varchar", "char")]
labels = st.from_regex(r"[a-z][a-z0-9_ ]{0,12}[a-z0-9]", fullmatch=True)


@st.composite
def type_strings(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """A valid type string and what parsing it must yield."""
    kind = draw(st.sampled_from([*SIMPLE_KINDS, "enum", "numeric", "varchar", "char"]))
    spelled = draw(st.sampled_from([kind, *[s for s, k in SYNONYMS.items() if k == kind]]))
    text, args, values = spelled, (), ()
    if kind == "enum":
        values = tuple(draw(st.lists(labels, min_size=1, max_size=6, unique=True)))
        quote = draw(st.sampled_from(["", "'"]))
        text += "(" + ", ".join(f"{quote}{v}{quote}" for v in values) + ")"
    elif kind == "numeric" and draw(st.booleans()):
        precision = draw(st.integers(1, 38))
        args = (precision, draw(st.integers(0, precision)))
        text += f"({args[0]},{args[1]})"
    elif kind in ("varchar", "char"):
        args = (draw(st.integers(1, 10_000)),)
        text += f"({args[0]})"
    is_array = draw(st.booleans())
    required = draw(st.booleans())
    unique = draw(st.booleans())
    text += ("[]" if is_array else "") + ("!" if required else "")
    text += draw(st.sampled_from([" unique", " UNIQUE"])) if unique else ""
    expected = {"kind": kind, "args": args, "values": values, "is_array": is_array,
                "required": required, "unique": unique}  # fmt: skip
    return text, expected


@given(type_strings())
def test_valid_type_strings_parse_to_what_they_say(case: tuple[str, dict[str, object]]) -> None:
    text, expected = case
    parsed = parse_type(text)
    assert {k: getattr(parsed, k) for k in expected} == expected
    sql = parsed.sql_type("x_status")
    assert sql.endswith("[]") == parsed.is_array
    if parsed.kind not in ("enum",):
        assert sql.startswith(SQL_TYPES[parsed.kind])


@given(st.text(max_size=40))
def test_any_text_parses_or_fails_with_a_positioned_type_error(text: str) -> None:
    try:
        parsed = parse_type(text)
    except TypeStringError as error:
        assert 0 <= error.offset <= len(text)
        assert str(error)
    else:
        assert parsed.kind in SQL_TYPES


@pytest.mark.parametrize(
    ("text", "fragment", "offset"),
    [
        ("strng!", "unknown attribute type 'strng'", 0),
        ("enum()", "an enum with no values", 5),
        ("enum", "needs its values", 4),
        ("enum(a, a)", "appears twice", 8),
        ("numeric(3,5)", "scale must be between", 8),
        ("bool(5)", "takes no arguments", 5),
        ("string(0)", "varchar takes one positive length", 7),
        ("text! uniq", "unexpected 'uniq'", 6),
        ("int default", "`default` needs a value", 4),
    ],
)
def test_bad_type_strings_say_what_was_expected(text: str, fragment: str, offset: int) -> None:
    with pytest.raises(TypeStringError) as caught:
        parse_type(text)
    assert fragment in str(caught.value)
    assert caught.value.offset == offset


def test_money_timestamp_json_map_as_the_contract_says() -> None:
    assert parse_type("money!").sql_type() == "numeric(19,4)"
    assert parse_type("timestamp").sql_type() == "timestamptz"
    assert parse_type("json").sql_type() == "jsonb"
    assert parse_type("float").sql_type() == "double precision"
    assert parse_type("enum(a, b)").sql_type("task_status") == "task_status"
    flags = parse_type("bool! default false")
    assert (flags.required, flags.default) == (True, "false")


@pytest.mark.parametrize(
    ("entity", "table"),
    [
        ("appointment", "appointments"),
        ("company", "companies"),
        ("status", "statuses"),
        ("address", "addresses"),
        ("box", "boxes"),
        ("person", "people"),
        ("order_item", "order_items"),
        ("OrderItem", "order_items"),
        ("category", "categories"),
        ("key", "keys"),
        ("series", "series"),
        ("analysis", "analyses"),
        ("movie", "movies"),
    ],
)
def test_table_names_are_english_plurals(entity: str, table: str) -> None:
    assert table_name(entity) == table
    if entity.islower():
        assert singular(table) == entity


@given(st.from_regex(r"[a-z]{2,10}(_[a-z]{2,8})?", fullmatch=True))
def test_singular_inverts_plural_for_regular_nouns(word: str) -> None:
    last = word.split("_")[-1]
    irregular = ("s", "x", "z", "h", "y", "f", "o", "um", "on", "ie", "se", "xe", "ze", "he")
    if last.endswith(irregular):
        return  # irregular endings: covered by the table test above
    assert singular(plural(word)) == word


def test_reference_join_and_enum_names_follow_the_contract() -> None:
    assert fk_column("appointment") == "appointment_id"
    assert join_table_name("task", "assignees", "user") == "task_assignees"
    assert join_table_name("post", None, "tag") == "post_tags"
    assert enum_type_name("task", "status") == "task_status"
    assert enum_type_name(singular("task_assignees"), "role") == "task_assignee_role"


def test_identifiers_are_quoted_only_when_needed() -> None:
    assert quote_ident("status") == "status"
    assert quote_ident("order") == '"order"'
    assert quote_ident("user") == '"user"'
    assert quote_ident("Mixed") == '"Mixed"'


def test_common_spellings_map_to_the_contract_types() -> None:
    assert parse_type("string(255)!").sql_type() == "varchar(255)"
    assert parse_type("number(10,2)").sql_type() == "numeric(10,2)"
    assert parse_type("char(3)").sql_type() == "character(3)"
    assert parse_type("datetime!").sql_type() == "timestamptz"
