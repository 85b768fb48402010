"""Reading SQL input: file order, psql leftovers blanked in place, statements located."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.errors import InputError, SqlSyntaxError
from tools.sql.parse import preprocess, read_sources
from tools.sql.parse.source import load_file
from tools.sql.parse.split import split_statements

SQL = FIXTURES / "sql"


def test_folder_is_read_in_natural_order_without_down_migrations() -> None:
    names = [Path(s.name or "").name for s in read_sources(SQL / "migrations_ok")]
    assert names == ["1_create_accounts.sql", "2_create_orders.sql", "10_alter_accounts.sql"]


def test_missing_path_and_empty_folder_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_sources(tmp_path / "absent.sql")
    with pytest.raises(InputError, match=r"no \.sql files"):
        read_sources(tmp_path)


def test_undecodable_file_is_reported_with_its_name_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.sql"
    bad.write_bytes(b"CREATE TABLE t (a int);\n-- caf\xe9\n")
    with pytest.raises(InputError) as caught:
        load_file(bad)
    assert str(caught.value).startswith(f"{bad}:2: not valid UTF-8")


def test_meta_commands_and_copy_data_are_blanked_keeping_lines() -> None:
    path = SQL / "psql_script.sql"
    original = path.read_text()
    source = load_file(path)
    assert source.text.count("\n") == original.count("\n")
    assert [(s.line, s.text) for s in source.skipped] == [
        (1, "\\set ON_ERROR_STOP on"),
        (2, "\\connect shop"),
        (6, "COPY shop_app.items (id, label, price) FROM stdin;"),
    ]
    assert "applied to the scratch database" in source.skipped[1].reason
    assert "2 data row(s)" in source.skipped[2].reason
    statements, _ = split_statements(source)
    assert [(s.statement.line, s.statement.kind) for s in statements] == [
        (3, "VariableSetStmt"),
        (4, "CreateSchemaStmt"),
        (5, "CreateStmt"),
        (10, "CreateStmt"),
        (11, "SelectStmt"),
    ]
    # the string with `\\` and the default 'a;b' survive untouched
    assert statements[-1].statement.sql == "SELECT 'after \\\\ backslash in a string'"
    assert "DEFAULT 'a;b'" in statements[3].statement.sql


def test_chinook_connect_line_is_skipped() -> None:
    source = load_file(CORPUS / "chinook-postgresql.sql")
    assert [(s.line, s.text) for s in source.skipped] == [(28, "\\c chinook;")]


def test_backslashes_inside_strings_comments_and_dollar_quotes_are_not_commands() -> None:
    text = (
        "SELECT E'\\\\c not a command';\n"
        "/* \\c nor /* nested \\x */ this */ SELECT 1;\n"
        "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$ SELECT '\\q' $body$;\n"
        'SELECT 1 AS "\\g";\n'
    )
    source = preprocess(text)
    assert source.skipped == ()
    assert source.text == text


def test_statement_positions_count_characters_after_non_ascii_names() -> None:
    source = load_file(CORPUS / "pagila-schema.sql")
    statements, _ = split_statements(source)
    by_line = {s.statement.line: s.statement for s in statements}
    domain = by_line[32]
    assert domain.sql == 'CREATE DOMAIN public."bıgınt" AS bigint'
    assert by_line[35].sql == 'ALTER DOMAIN public."bıgınt" OWNER TO postgres'
    text = "CREATE DOMAIN \"bıgınt\" AS bigint; CREATE TABLE t (a int);\n  SELECT 'ünï' ;"
    located = [
        (s.statement.line, s.statement.column) for s in split_statements(preprocess(text))[0]
    ]
    assert located == [(1, 1), (1, 35), (2, 3)]


def test_syntax_error_position_after_non_ascii_text() -> None:
    text = "SELECT 'ıııı';\nCREATE TABLE ü (a int,, b int);"
    with pytest.raises(SqlSyntaxError) as caught:
        split_statements(preprocess(text, "x.sql"))
    assert caught.value.to_dict() == {
        "type": "SqlSyntaxError",
        "message": 'syntax error at or near ","',
        "file": "x.sql",
        "line": 2,
        "column": 23,
    }


_piece = st.sampled_from(
    [
        "SELECT 1",
        "SELECT 'a;b'",
        "SELECT 'ı'",
        'CREATE TABLE "ü" (a int)',
        "SELECT $$ ; $$",
        "SELECT 1 /* ; */",
        "SELECT E'\\';'",
    ]
)
_gap = st.sampled_from(["\n", " ", "\n\n  ", "\n-- note; \n", "\n/* c */ "])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_gap, _piece), min_size=1, max_size=8))
def test_split_finds_each_statement_where_it_was_written(parts: list[tuple[str, str]]) -> None:
    text, expected = "", []
    for gap, piece in parts:
        text += gap
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
        expected.append((line, column, piece))
        text += piece + ";"
    found = [
        (s.statement.line, s.statement.column, s.statement.sql)
        for s in split_statements(preprocess(text))[0]
    ]
    assert found == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_gap, _piece), min_size=1, max_size=8), st.integers(1, 40))
def test_parsing_in_slices_finds_the_same_statements(
    parts: list[tuple[str, str]], size: int
) -> None:
    text = "".join(gap + piece + ";" for gap, piece in parts)
    whole, _ = split_statements(preprocess(text), slice_chars=len(text) + 1)
    sliced, _ = split_statements(preprocess(text), slice_chars=size)
    assert [s.statement for s in sliced] == [s.statement for s in whole]


def test_a_function_body_with_semicolons_is_not_cut() -> None:
    text = (
        "CREATE TABLE t (a int);\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;\n"
        "CREATE TABLE u (b int);\n"
    )
    statements, _ = split_statements(preprocess(text), slice_chars=1)
    assert [(s.statement.line, s.statement.kind) for s in statements] == [
        (1, "CreateStmt"), (2, "CreateFunctionStmt"), (7, "CreateStmt"),
    ]  # fmt: skip


def test_a_syntax_error_in_a_later_slice_names_its_own_line_and_column() -> None:
    text = "CREATE TABLE a (x int);\nCREATE TABLE b (y int);\nCREATE TABLE ü (z int,, w int);\n"
    with pytest.raises(SqlSyntaxError) as caught:
        split_statements(preprocess(text, "x.sql"), slice_chars=1)
    assert (caught.value.location.line, caught.value.location.column) == (3, 23)
    cut = "CREATE TABLE a (x int);\nCREATE TABLE b (y int,, z int);\nCREATE TABLE c (w int);\n"
    with pytest.raises(SqlSyntaxError) as caught:
        split_statements(preprocess(cut, "y.sql"), slice_chars=1)
    assert (caught.value.location.line, caught.value.location.column) == (2, 23)


def test_the_model_of_a_real_dump_does_not_depend_on_the_slice_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tools.sql.parse import parse_schema
    from tools.sql.parse import split as split_module

    whole = parse_schema(CORPUS / "pagila-schema.sql")
    monkeypatch.setattr(split_module, "SLICE_BYTES", 512)
    assert parse_schema(CORPUS / "pagila-schema.sql") == whole
