"""The CLI's own basics: --version, shell completion, help that names real files, --rows forms."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import FIXTURES, REPO

from agent.cli import _register, app
from agent.cli.requests import build_request
from tools.counts import parse_rows
from tools.errors import InputError

DBARCH = str(Path(sys.executable).with_name("dbarch"))
# Parameters whose value is something the command writes, not a file it reads.
OUTPUTS = {"out", "out_dir"}
# An example line: `dbarch ...`, maybe after VAR=value assignments.
EXAMPLE = re.compile(r"^\s*(\w+=\S+\s+)*dbarch\s")


def _dbarch(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    return subprocess.run(
        [DBARCH, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )


def test_version_is_the_projects() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    done = _dbarch("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"dbarch {declared}"


def test_shell_completion_completes_commands_and_choices() -> None:
    env = {**os.environ, "_DBARCH_COMPLETE": "complete_bash", "COMP_WORDS": "dbarch rev"}
    done = _dbarch(env={**env, "COMP_CWORD": "1"})
    assert done.stdout.split() == ["review"]
    env["COMP_WORDS"] = "dbarch review --format "
    done = _dbarch(env={**env, "COMP_CWORD": "3"})
    assert {"text", "json", "sarif", "github"} <= set(done.stdout.split())
    script = _dbarch("--show-completion", "bash")
    assert script.returncode == 0 and "_DBARCH_COMPLETE" in script.stdout


def _commands() -> Iterator[tuple[list[str], Any]]:
    """Every command and group, walked through typer's own (vendored) click objects."""
    _register(None)
    stack: list[tuple[list[str], Any]] = [([], typer.main.get_command(app))]
    while stack:
        path, command = stack.pop()
        yield path, command
        subcommands = getattr(command, "commands", {})
        stack += [([*path, name], sub) for name, sub in subcommands.items()]


def _examples(help_text: str) -> Iterator[list[str]]:
    """The command lines of a help text's examples, cut at pipes and redirections."""
    for line in help_text.splitlines():
        if not EXAMPLE.match(line):
            continue
        words = shlex.split(line, comments=True)
        while words[0] != "dbarch":  # `DATABASE_URL=... dbarch explain ...`
            words.pop(0)
        for stop in ("|", ">"):
            words = words[: words.index(stop)] if stop in words else words
        if len(words) > 1:
            yield words[1:]


def _named_files(argv: list[str]) -> Iterator[str]:
    """The files and folders an example command reads, found through the command's params."""
    _register(None)
    command: Any = typer.main.get_command(app)
    while argv and argv[0] in getattr(command, "commands", {}):
        command, argv = command.commands[argv[0]], argv[1:]
    ctx = command.make_context("dbarch", list(argv), resilient_parsing=True)
    for name, value in ctx.params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            text = str(item) if item is not None else ""
            if name in OUTPUTS or not text or " " in text:
                continue
            if "/" in text or Path(text).suffix in {".sql", ".yaml", ".yml", ".json"}:
                yield text


def test_every_file_named_in_help_exists() -> None:
    checked: list[str] = []
    for path, command in _commands():
        for argv in _examples(command.help or ""):
            for name in _named_files(argv):
                target = Path(name.removeprefix("./") or ".")
                assert (REPO / target).exists(), (
                    f"`dbarch {' '.join(path)} --help` names {name}, not in the repo"
                )
                checked.append(name)
    assert len(checked) >= 10  # the walk really found the examples


def test_rows_take_the_same_forms_in_every_door() -> None:
    assert parse_rows(["orders=2M", "users=50k", "events=1.5b", "t=1_000", "u=2,000"]) == {
        "orders": 2_000_000, "users": 50_000, "events": 1_500_000_000, "t": 1000, "u": 2000,
    }  # fmt: skip
    for bad in ("orders", "=5", "orders=lots", "orders=-1"):
        with pytest.raises(InputError, match="TABLE=COUNT"):
            parse_rows([bad])
    schema = REPO / "evals" / "cases" / "inputs" / "legacy-shop.sql"
    request = build_request(None, "scale", schema, None, ["orders=2M", "customers=50k"], False)
    assert request.rows == {"orders": 2_000_000, "customers": 50_000}


def test_json_design_writes_only_to_stdout_unless_out_is_given(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env["DBARCH_HOME"] = str(tmp_path / "home")
    spec = str(FIXTURES / "design" / "mini.yaml")
    done = _dbarch("design", spec, "--mode", "compare", "-f", "json", env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mode"] == "compare"
    assert list(work.iterdir()) == []
    out = tmp_path / "pkg"
    again = _dbarch("design", spec, "--mode", "compare", "-f", "json", "--out", str(out), env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "design.json").read_text()) == json.loads(again.stdout)


def test_status_lines_stay_quiet_for_short_work_then_throttle() -> None:
    import io

    from agent.cli.progress import StatusLines

    quiet = io.StringIO()
    short = StatusLines(quiet, after=60, every=10)
    short("parsing: 10%")
    assert quiet.getvalue() == ""
    log = io.StringIO()
    long = StatusLines(log, after=0, every=3600)
    long("parsing: 10%")
    long("parsing: 20%")  # within the hour: throttled
    assert [line.split(maxsplit=1)[1] for line in log.getvalue().splitlines()] == ["parsing: 10%"]


def test_a_review_reports_its_progress_through_every_step(pg: object) -> None:
    from tools.sql.review import ReviewRequest, review

    said: list[str] = []
    request = ReviewRequest(path=str(FIXTURES / "review" / "planted.sql"))
    review(request, pg, progress=said.append)  # type: ignore[arg-type]
    assert said[0] == "reading" and any(s.startswith("parsing: 100%") for s in said)
    assert any(s.startswith("applying statements to PostgreSQL:") for s in said)
