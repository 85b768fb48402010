"""`dbarch review` where CI reads it: SARIF 2.1.0, GitHub annotations, in-SQL suppressions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import FIXTURES
from test_review_cli import dbarch_here

from tools.sql.parse import parse_schema

SARIF_SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text())
PLANTED = FIXTURES / "review" / "planted.sql"
ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=(?P<file>[^,]+),line=(?P<line>\d+)(,col=\d+)?,"
    r"title=(?P<title>[^:]+)::(?P<message>.+)$"
)
ONE_DEFECT = """CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
-- a copy of rows from elsewhere, keyed by the source system
{comment}
CREATE TABLE audit_copy (
    customer_id bigint REFERENCES customers (id),
    note text
);
CREATE INDEX audit_copy_customer_id_idx ON audit_copy (customer_id);
"""


def _validate(sarif: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)


def _review(monkeypatch: pytest.MonkeyPatch, capsys: Any, *args: str) -> tuple[int, str]:
    code, out, err = dbarch_here(monkeypatch, capsys, "review", *args)
    assert code in (0, 1), err
    return code, out


def _write(tmp_path: Path, comment: str) -> Path:
    path = tmp_path / "one.sql"
    path.write_text(ONE_DEFECT.format(comment=comment))
    return path


def test_sarif_of_the_planted_defects_is_valid_sarif_2_1_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(FIXTURES.parent.parent)
    code, out = _review(monkeypatch, capsys, "tests/fixtures/review/planted.sql", "-f", "sarif")
    assert code == 1
    sarif = json.loads(out)
    _validate(sarif)
    run = sarif["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    for rule in ("missing-primary-key", "float-for-money", "eav-table"):
        result = by_rule[rule]
        assert result["level"] == "error" and rules[result["ruleIndex"]] == rule
        place = result["locations"][0]["physicalLocation"]
        assert place["artifactLocation"]["uri"] == "tests/fixtures/review/planted.sql"
        assert place["region"]["startLine"] > 1
    assert by_rule["fk-without-index"]["level"] == "warning"
    missing_pk = by_rule["missing-primary-key"]["locations"][0]["physicalLocation"]["region"]
    lines = PLANTED.read_text().splitlines()
    assert lines[missing_pk["startLine"] - 1].startswith("CREATE TABLE audit_log")


def test_refused_statements_are_sarif_results_with_their_column(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "broken.sql"
    path.write_text("CREATE TABLE a (id bigint PRIMARY KEY);\nCREATE INDEX ON nope (id);\n")
    code, out = _review(monkeypatch, capsys, str(path), "-f", "sarif")
    sarif = json.loads(out)
    _validate(sarif)
    refused = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "statement-refused"]
    assert code == 1 and len(refused) == 1
    assert 'relation "nope" does not exist' in refused[0]["message"]["text"]
    assert refused[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_github_annotations_point_at_file_and_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(FIXTURES.parent.parent)
    code, out = _review(monkeypatch, capsys, "tests/fixtures/review/planted.sql", "-f", "github")
    assert code == 1
    lines = out.splitlines()
    parsed = [ANNOTATION.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m]
    errors = {m["title"]: m for m in parsed if m and m.group(1) == "error"}
    assert {"missing-primary-key", "float-for-money", "eav-table"} <= set(errors)
    assert errors["missing-primary-key"]["file"] == "tests/fixtures/review/planted.sql"


def test_a_suppression_with_a_reason_silences_the_rule_and_is_listed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, "-- dbarch:ignore missing-primary-key rows are copies, keyed upstream")
    code, out = _review(monkeypatch, capsys, str(path), "-f", "json")
    report = json.loads(out)
    assert code == 0, report["findings"]
    assert "missing-primary-key" not in {f["rule"] for f in report["findings"]}
    [suppressed] = report["suppressed"]
    assert suppressed["rule"] == "missing-primary-key" and suppressed["line"] == 3
    assert suppressed["reason"] == "rows are copies, keyed upstream"
    assert [f["table"] for f in suppressed["findings"]] == ["audit_copy"]
    code, out = _review(monkeypatch, capsys, str(path), "-f", "sarif")
    sarif = json.loads(out)
    _validate(sarif)
    [silenced] = [r for r in sarif["runs"][0]["results"] if "suppressions" in r]
    assert silenced["ruleId"] == "missing-primary-key"
    assert silenced["suppressions"] == [
        {"kind": "inSource", "justification": "rows are copies, keyed upstream"}
    ]
    code, out = _review(monkeypatch, capsys, str(path))
    assert code == 0 and "Suppressed 1 finding(s)" in out and "keyed upstream" in out
    code, out = _review(monkeypatch, capsys, str(path), "-f", "github")
    assert "::error" not in out and "1 finding(s) silenced" in out


def test_a_suppression_without_a_reason_is_an_error_and_silences_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, "-- dbarch:ignore missing-primary-key")
    code, out = _review(monkeypatch, capsys, str(path), "-f", "json")
    report = json.loads(out)
    rules = {f["rule"]: f for f in report["findings"]}
    assert code == 1 and report["suppressed"] == []
    assert "missing-primary-key" in rules
    assert rules["suppression-without-reason"]["severity"] == "error"
    assert rules["suppression-without-reason"]["line"] == 3


def test_a_suppression_that_silences_nothing_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, "-- dbarch:ignore float-for-money no money column here")
    code, out = _review(monkeypatch, capsys, str(path), "-f", "json")
    rules = {f["rule"]: f for f in json.loads(out)["findings"]}
    assert code == 1  # the missing key is still reported
    assert rules["unused-suppression"]["severity"] == "warning"
    assert "float-for-money" in rules["unused-suppression"]["message"]


def test_suppressions_cover_their_own_statement_only() -> None:
    schema = parse_schema(
        "-- dbarch:ignore missing-primary-key first one\n"
        "CREATE TABLE a (x int);\n"
        "CREATE TABLE b (\n  y int, -- dbarch:ignore float-for-money a ratio\n  z float8);\n"
        "/* dbarch:ignore eav-table\n   spans lines */ CREATE TABLE c (id int PRIMARY KEY);\n",
        "s.sql",
    )
    spans = [(s.rule, s.reason, s.line, s.first_line, s.last_line) for s in schema.suppressions]
    assert spans == [
        ("missing-primary-key", "first one", 1, 2, 2),
        ("float-for-money", "a ratio", 4, 3, 5),
        ("eav-table", "spans lines", 6, 7, 7),
    ]
