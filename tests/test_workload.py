"""The workload reader: grammar-based splitting, names, parameters and error positions."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.errors import InputError, SqlSyntaxError
from tools.sql.query import parse_workload, read_workload, workload_from_patterns


def test_reads_names_parameters_and_positions() -> None:
    queries = read_workload(FIXTURES / "workload" / "named.sql")
    assert [q.name for q in queries] == ["open tasks of a project", "q2", "by title", "q4"]
    assert [q.params for q in queries] == [1, 3, 1, 1]
    assert [q.line for q in queries] == [4, 8, 13, 15]
    assert [q.kind for q in queries] == ["SelectStmt", "SelectStmt", "SelectStmt", "UpdateStmt"]
    assert "'done;not'" in queries[0].sql
    assert queries[1].sql.endswith("owner_id = $3")
    assert queries[2].sql == "SELECT * FROM tasks WHERE lower(title) = lower($1)"
    assert queries[0].file is not None and queries[0].file.endswith("named.sql")


def test_syntax_error_names_file_line_and_column() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_workload("SELECT 1;\n\n  SELEC id FROM t;", file="w.sql")
    assert (caught.value.location.line, caught.value.location.column) == (3, 3)
    assert str(caught.value).startswith("w.sql:3:3:")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.sql"):
        read_workload(tmp_path / "nope.sql")


def test_duplicate_names_are_refused() -> None:
    text = "-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;"
    with pytest.raises(InputError, match="'a' is already used at line 2"):
        parse_workload(text)


def test_from_access_patterns_keeps_names_and_weights() -> None:
    queries = workload_from_patterns(
        [
            ("recent orders", "SELECT * FROM orders WHERE customer_id = $1", 500.0),
            ("all", "TABLE t"),
        ]
    )
    assert [(q.name, q.weight, q.params) for q in queries] == [
        ("recent orders", 500.0, 1),
        ("all", 1.0, 0),
    ]
    with pytest.raises(InputError, match="exactly one statement"):
        workload_from_patterns([("two", "SELECT 1; SELECT 2")])


@given(st.lists(st.text(alphabet="ab;'-$/*\n é", max_size=12), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_split_matches_statements_whatever_the_literals_hold(literals: list[str]) -> None:
    statements = [
        f"SELECT '{text.replace(chr(39), chr(39) * 2)}' AS c{i}" for i, text in enumerate(literals)
    ]
    queries = parse_workload(";\n-- c;\n".join(statements) + ";")
    assert [q.sql for q in queries] == statements


def test_syntax_error_at_end_of_input_is_located() -> None:
    """libpg_query gives no offset for "at end of input"; that once crashed with TypeError."""
    with pytest.raises(SqlSyntaxError) as caught:
        parse_workload("SELECT 1;\nSELECT (", file="w.sql")
    assert (caught.value.location.line, caught.value.location.column) == (2, 9)
