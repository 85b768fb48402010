"""squawk pass-through: the real binary, its JSON, 1-based positions, our severities and tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES

from tools.errors import ToolError
from tools.sql.parse import parse_schema, read_sources
from tools.sql.review import EXCLUDED, squawk_binary
from tools.sql.review.locate import LineLocator
from tools.sql.review.squawk import as_findings, run_squawk

PLANTED = FIXTURES / "review" / "planted.sql"


def test_binary_comes_from_the_wheel() -> None:
    assert squawk_binary().name == "squawk" and squawk_binary().exists()


def test_positions_are_one_based_and_names_come_back() -> None:
    sql = "\n\nCREATE TABLE a (id int PRIMARY KEY, label varchar(10));\n"
    violations = run_squawk([("first.sql", "SELECT 1;\n"), ("second.sql", sql)])
    by_rule = {v.rule_name: v for v in violations}
    assert set(by_rule) == {"prefer-bigint-over-int", "prefer-text-field"}
    integer, varchar = by_rule["prefer-bigint-over-int"], by_rule["prefer-text-field"]
    assert integer.file == "second.sql"
    assert (integer.line, integer.column) == (3, 20)  # "int" in "(id int"
    assert (varchar.line, varchar.column) == (3, 43)


def test_migration_only_rules_stay_quiet_on_a_fresh_schema() -> None:
    sql = (
        "CREATE TABLE a (id bigint PRIMARY KEY, at timestamp);\n"
        "CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint);\n"
        "ALTER TABLE b ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES a (id);\n"
        "CREATE INDEX b_a_id_idx ON b (a_id);\n"
    )
    assert run_squawk([("fresh.sql", sql)]) == []


def test_locks_on_an_existing_table_are_still_reported() -> None:
    migration = "ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';\n"
    migration += "CREATE INDEX accounts_plan_idx ON accounts (plan);\n"
    rules = {v.rule_name for v in run_squawk([("0002_plan.sql", migration)])}
    assert "require-concurrent-index-creation" in rules
    assert rules.isdisjoint(EXCLUDED)


def test_findings_land_on_their_table_and_column() -> None:
    schema = parse_schema(PLANTED)
    text = PLANTED.read_text(encoding="utf-8")
    findings = as_findings(run_squawk([(str(PLANTED), text)]), LineLocator(schema))
    assert [(f.rule, f.severity, f.table, f.column, f.line) for f in findings] == [
        ("squawk:prefer-text-field", "info", "shipments", "status", 50)
    ]
    assert findings[0].fix is not None and "TEXT" in findings[0].fix


@pytest.mark.parametrize(
    "name", ["pagila-schema.sql", "chinook-postgresql.sql", "openstreetmap-structure.sql"]
)
def test_corpus_squawk_findings_are_never_errors(name: str) -> None:
    sources = read_sources(CORPUS / name)
    violations = run_squawk([(s.name, s.text) for s in sources])
    assert violations, "squawk finds something in every corpus schema"
    assert {v.severity for v in violations} <= {"warning", "info"}
    assert not {v.rule_name for v in violations} & set(EXCLUDED)
    findings = as_findings(violations, LineLocator(parse_schema(CORPUS / name)))
    located = [f for f in findings if f.rule == "squawk:prefer-bigint-over-int"]
    assert located and all(f.table and f.column for f in located)


def test_timeout_is_a_tool_error() -> None:
    big = "CREATE TABLE t (id int);\n" * 20000
    with pytest.raises(ToolError, match="did not finish"):
        run_squawk([("big.sql", big)], timeout_s=0.001)


def test_nothing_to_lint() -> None:
    assert run_squawk([]) == []


def test_a_later_migration_file_is_placed_on_its_table(tmp_path: Path) -> None:
    (tmp_path / "1_init.sql").write_text(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);\n"
    )
    (tmp_path / "2_plan.sql").write_text(
        "-- plans\nALTER TABLE accounts ADD COLUMN plan text;\n"
        "CREATE INDEX accounts_plan_idx ON accounts (plan);\n"
    )
    sources = read_sources(tmp_path)
    violations = run_squawk([(s.name, s.text) for s in sources])
    findings = as_findings(violations, LineLocator(parse_schema(tmp_path)))
    placed = {(f.rule, Path(f.file or "").name, f.line, f.table) for f in findings}
    assert placed == {
        ("squawk:require-concurrent-index-creation", "2_plan.sql", 3, "accounts"),
    }
