"""`dbarch review` as a user runs it: the installed entry point, exit codes, JSON and text."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

from agent.cli.review_text import console_for

REVIEW = FIXTURES / "review"
DBARCH = Path(sys.executable).parent / "dbarch"


def dbarch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DBARCH), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_planted_json_fields_and_exit_1() -> None:
    done = dbarch("review", str(REVIEW / "planted.sql"), "--format", "json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["valid"] is True and data["errors"] == []
    assert data["tables"][:3] == ["customers", "audit_log", "orders"]
    money = next(f for f in data["findings"] if f["rule"] == "float-for-money")
    assert money == {
        "rule": "float-for-money",
        "severity": "error",
        "table": "payments",
        "column": "amount",
        "message": "payments: money column 'amount' is double precision",
        "fix": "Use numeric(19,4) (or an integer count of the smallest currency unit).",
        "file": str(REVIEW / "planted.sql"),
        "line": 66,
    }
    assert data["counts"]["error"] == 3 and data["counts"]["tables"] == 11
    assert data["erd"].startswith("erDiagram")
    assert data["skipped"] == []


def test_sound_text_output_is_plain_when_piped_and_exits_0() -> None:
    done = dbarch("review", str(REVIEW / "sound.sql"))
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout  # no colour codes when not a terminal
    assert "DDL applied cleanly" in done.stdout
    assert done.stdout.rstrip().endswith("OK: 0 error(s), 0 warning(s), 0 info")
    assert done.stderr == ""  # no progress line when stderr is not a terminal


def test_syntax_error_exits_2_naming_file_line_column() -> None:
    path = REVIEW / "syntax_error.sql"
    done = dbarch("review", str(path), "--format", "json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{path}:8:22: syntax error" in done.stderr


def test_fk_to_missing_table_exits_1_and_names_it() -> None:
    done = dbarch("review", str(REVIEW / "fk_missing.sql"), "--format", "json")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["valid"] is False
    first = data["errors"][0]
    assert first["message"] == 'relation "accounts" does not exist'
    assert (first["line"], first["column"]) == (7, 1)
    assert first["caused_by"] is None and first["missing_extension"] is None
    text = dbarch("review", str(REVIEW / "fk_missing.sql"))
    assert text.returncode == 1
    assert 'relation "accounts" does not exist' in text.stdout
    assert "follows from line 7" in text.stdout


def test_bad_input_exits_2() -> None:
    missing = dbarch("review", str(REVIEW / "nope.sql"))
    assert missing.returncode == 2 and "nope.sql: no such file or folder" in missing.stderr
    nothing = dbarch("review")
    assert nothing.returncode == 2 and "give a SCHEMA" in nothing.stderr
    bad_option = dbarch("review", "--format", "xml", str(REVIEW / "sound.sql"))
    assert bad_option.returncode == 2


def test_rules_listing() -> None:
    done = dbarch("review", "--rules", "--format", "json")
    assert done.returncode == 0
    catalogue = json.loads(done.stdout)
    ids = [r["id"] for r in catalogue["rules"]]
    assert ids[0] == "missing-primary-key" and len(ids) == 10
    assert catalogue["squawk"]["prefix"] == "squawk:"
    assert "prefer-robust-stmts" in catalogue["squawk"]["excluded"]
    text = dbarch("review", "--rules")
    assert "float-for-money" in text.stdout and "squawk:<rule>" in text.stdout


def test_erd_only_and_help_with_an_example() -> None:
    erd = dbarch("review", str(REVIEW / "sound.sql"), "--erd")
    assert erd.returncode == 0
    assert erd.stdout.startswith("erDiagram\n") and '"users" ||--o| "user_profiles"' in erd.stdout
    helped = dbarch("review", "--help")
    assert helped.returncode == 0 and "dbarch review schema.sql" in helped.stdout


def test_console_colour_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert console_for(io.StringIO()).no_color
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not console_for(Tty()).no_color
    monkeypatch.setenv("NO_COLOR", "1")
    assert console_for(Tty()).no_color
