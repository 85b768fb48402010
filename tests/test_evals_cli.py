"""`dbarch eval` as a user runs it: the installed entry point, exit codes, JSON and --out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from conftest import FIXTURES

from agent.cli import eval as eval_cli
from agent.cli import exits

CASES = FIXTURES / "evals" / "cases"
BAD = FIXTURES / "evals" / "bad_cases"
DBARCH = Path(sys.executable).parent / "dbarch"


def dbarch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    return subprocess.run(
        [str(DBARCH), "eval", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**environment, **(env or {})},
        check=False,
    )


def dbarch_here(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """The command in this process (fast) through the CLI's one error-to-exit-code mapping."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    eval_cli.register(app)
    monkeypatch.setattr(sys, "argv", ["dbarch", "eval", *args])
    with pytest.raises(SystemExit) as exited:
        exits.run(app)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def test_json_shape_exit_1_below_min_pass_and_out_folder(tmp_path: Path) -> None:
    out = tmp_path / "eval-out"
    done = dbarch(
        str(CASES / "tiny-notes.yaml"),
        str(CASES / "tiny-wrong.yaml"),
        str(FIXTURES / "evals" / "gate_fail" / "tiny-sample.yaml"),
        "--format",
        "json",
        "--jobs",
        "2",
        "--out",
        str(out),
        env={"DBARCH_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["pass_rate"] == 0.3333
    assert [case["id"] for case in data["cases"]] == ["tiny-notes", "tiny-wrong", "tiny-sample"]
    for case in data["cases"]:
        assert {"id", "passed", "seconds", "tokens", "cost_usd", "checks"} <= set(case)
        for check in case["checks"]:
            assert set(check) == {"check", "passed", "detail", "expected"}
    wrong = data["cases"][1]["checks"]
    tables = {
        "check": "tables",
        "passed": False,
        "detail": "missing table(s): ghosts",
        "expected": ["notebooks", "ghosts"],
    }
    assert tables in wrong
    gate_failed = data["cases"][2]
    assert gate_failed["status"] == "failed" and gate_failed["error"] is None
    assert gate_failed["message"].startswith("gate 'patterns_indexed' failed after")
    assert [c["check"] for c in gate_failed["checks"]] == ["ddl_applies", "tables"]
    for check in gate_failed["checks"]:
        assert not check["passed"]
        assert check["detail"] == "the run failed: " + gate_failed["message"]
    assert "'random sample of notes' scans the large table notes" in gate_failed["message"]
    assert "[rules] FAIL tiny-sample" in done.stderr
    assert "[rules] FAIL tiny-wrong" in done.stderr and "[rules] pass tiny-notes" in done.stderr
    assert json.loads((out / "results.json").read_text())["pass_rate"] == 0.3333
    assert (out / "report.md").read_text().startswith("# Eval report")
    assert "FAIL tables: missing table(s): ghosts" in (out / "report.txt").read_text()
    assert not (out / "cases" / "tiny-sample").exists()  # a failed run has no package
    package = json.loads((out / "cases" / "tiny-notes" / "design.json").read_text())
    assert package["name"] == "tiny-notes"
    assert "CREATE TABLE" in (out / "cases" / "tiny-notes" / "schema.sql").read_text()


def test_text_report_and_exit_0_at_min_pass(tmp_path: Path) -> None:
    done = dbarch(
        str(CASES / "tiny-compare.yaml"),
        "--min-pass",
        "1.0",
        env={"DBARCH_HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1/1 cases passed (100.0%) with the rules brain")
    assert "PASS tiny-compare" in done.stdout
    assert "    ok   alternatives: weighed" in done.stdout


def test_bad_case_file_exits_2_naming_the_position(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = dbarch_here(monkeypatch, capsys, str(BAD / "unknown-check.yaml"))
    assert code == 2 and out == ""
    assert "unknown-check.yaml:6:5: expect[1]: unknown check 'lint_clen'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--brain", "anthropic"], "the anthropic brain needs ANTHROPIC_API_KEY"),
        (["--baseline"], "--baseline compares another brain"),
        (["--jobs", "0"], "--jobs"),
        (["--min-pass", "1.5"], "--min-pass"),
        (["--format", "yaml"], "--format"),
        (["--batch"], "--batch sends the anthropic brain's model calls as batches"),
        (["--compare", "nowhere/results.json"], "cannot read baseline nowhere/results.json"),
        (["--floor", str(CASES / "tiny-notes.yaml")], "is not a floor file"),
    ],
)
def test_bad_options_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    code, out, err = dbarch_here(monkeypatch, capsys, str(CASES / "tiny-compare.yaml"), *args)
    assert code == 2 and out == ""
    assert message in err


def test_missing_case_path_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = dbarch_here(monkeypatch, capsys, str(CASES / "nowhere.yaml"))
    assert code == 2 and "no such case file or folder" in err


def test_unreachable_postgres_exits_3(tmp_path: Path) -> None:
    done = dbarch(
        str(CASES / "tiny-compare.yaml"),
        env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "DBARCH_HOME": str(tmp_path)},
    )
    assert done.returncode == 3
    assert "cannot connect to PostgreSQL" in done.stderr


def test_list_checks_teaches_each_check_and_its_argument(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = dbarch_here(monkeypatch, capsys, "--list-checks")
    assert code == 0
    lines = out.splitlines()
    assert "- ddl_applies" in lines and "- adrs_min: N" in lines
    assert "- tables: [a, b, ...]" in lines and "- technology: NAME" in lines
    assert "- column_type: {key: value, ...}" in lines
    position = lines.index("- rls: [a, b, ...]")
    assert "row-level security enabled and at least one policy" in lines[position + 1]
