"""Reading SQL input: file order, psql leftovers blanked in place, statements located."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.errors import InputError, SqlSyntaxError
from tools.sql.source import load_file, preprocess, read_sources, split_statements

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
