"""`dbarch review` as a user runs it: the installed entry point, exit codes, JSON and text."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from conftest import FIXTURES

from agent.cli import exits
from agent.cli.review import command as review
from agent.cli.review import console_for

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


def dbarch_here(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """`dbarch review` in this process (no interpreter start-up) through exits.run."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    review.register(app)
    monkeypatch.setattr(sys, "argv", ["dbarch", *args])
    with pytest.raises(SystemExit) as exited:
        exits.run(app)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


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


def test_sound_text_output_is_plain_when_piped_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = dbarch_here(monkeypatch, capsys, "review", str(REVIEW / "sound.sql"))
    assert code == 0, err
    assert "\x1b[" not in out  # no colour codes when not a terminal
    assert "DDL applied cleanly" in out
    assert out.rstrip().endswith("OK: 0 error(s), 0 warning(s), 0 info")
    assert err == ""  # no progress line when stderr is not a terminal


def test_syntax_error_exits_2_naming_file_line_column() -> None:
    path = REVIEW / "syntax_error.sql"
    done = dbarch("review", str(path), "--format", "json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{path}:8:22: syntax error" in done.stderr


def test_fk_to_missing_table_exits_1_and_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(REVIEW / "fk_missing.sql")
    code, out, _ = dbarch_here(monkeypatch, capsys, "review", path, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["valid"] is False
    first = data["errors"][0]
    assert first["message"] == 'relation "accounts" does not exist'
    assert (first["line"], first["column"]) == (7, 1)
    assert first["caused_by"] is None and first["missing_extension"] is None
    code, text, _ = dbarch_here(monkeypatch, capsys, "review", path)
    assert code == 1
    assert 'relation "accounts" does not exist' in text
    assert "follows from line 7" in text


def test_bad_input_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = dbarch_here(monkeypatch, capsys, "review", str(REVIEW / "nope.sql"))
    assert code == 2 and "nope.sql: no such file or folder" in err
    code, _, err = dbarch_here(monkeypatch, capsys, "review")
    assert code == 2 and "give a SCHEMA" in err
    code, _, _ = dbarch_here(monkeypatch, capsys, "review", "--format", "xml", "x.sql")
    assert code == 2


def test_rules_listing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = dbarch_here(monkeypatch, capsys, "review", "--rules", "--format", "json")
    assert code == 0
    catalogue = json.loads(out)
    ids = [r["id"] for r in catalogue["rules"]]
    assert ids[0] == "missing-primary-key" and len(ids) >= 12
    assert {"suppression-without-reason", "unused-suppression"} <= set(ids)
    assert catalogue["squawk"]["prefix"] == "squawk:"
    assert "prefer-robust-stmts" in catalogue["squawk"]["excluded"]
    code, text, _ = dbarch_here(monkeypatch, capsys, "review", "--rules")
    assert code == 0 and "float-for-money" in text and "squawk:<rule>" in text


def test_erd_only_and_help_with_an_example(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, erd, _ = dbarch_here(monkeypatch, capsys, "review", str(REVIEW / "sound.sql"), "--erd")
    assert code == 0
    assert erd.startswith("erDiagram\n") and '"users" ||--o| "user_profiles"' in erd
    code, helped, _ = dbarch_here(monkeypatch, capsys, "review", "--help")
    assert code == 0 and "dbarch review evals/cases/inputs/legacy-shop.sql" in helped


def test_console_colour_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert console_for(io.StringIO()).no_color
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not console_for(Tty()).no_color
    monkeypatch.setenv("NO_COLOR", "1")
    assert console_for(Tty()).no_color
