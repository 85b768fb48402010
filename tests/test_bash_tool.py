"""The Bash tool doing its job: allowed commands run, confined, isolated, bounded and killable."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS

from tools.bash import sandbox as bash_sandbox
from tools.bash.lex import Word, split_command
from tools.bash.policy import plan_command
from tools.bash.sandbox import base_env, isolation, run_argv
from tools.bash.sed import check_sed_script
from tools.catalog import toolset_for
from tools.errors import CommandDenied, ToolError
from tools.registry import ToolContext, Toolset


def _sandbox_ok() -> bool:
    try:
        isolation(allow_unsandboxed=False)
    except ToolError:
        return False
    return True


SANDBOX = _sandbox_ok()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "db").mkdir(parents=True)
    shutil.copy(CORPUS / "pagila-schema.sql", root / "db" / "pagila.sql")
    shutil.copy(CORPUS / "chinook-postgresql.sql", root / "db" / "chinook.sql")
    (root / "notes.md").write_text("first\nsecond\nthird\n")
    (root / "star*.txt").write_text("literal star\n")
    return root


def _tools(ws: Path, **extra: object) -> Toolset:
    ctx = ToolContext(workspace=ws, bash_enabled=True, bash_allow_unsandboxed=not SANDBOX)
    for key, value in extra.items():
        setattr(ctx, key, value)
    return toolset_for(["Bash"], ctx)


def _run(tools: Toolset, command: str, **kw: object) -> dict[str, object]:
    outcome = tools.call("Bash", {"command": command, **kw})
    assert not outcome.is_error, outcome.content
    result: dict[str, object] = json.loads(outcome.content)
    return result


def test_bash_is_off_unless_enabled(ws: Path) -> None:
    tools = toolset_for(["Bash"], ToolContext(workspace=ws))
    outcome = tools.call("Bash", {"command": "ls"})
    assert outcome.is_error and "disabled" in outcome.content


def test_allowed_commands_run_in_the_workspace(ws: Path) -> None:
    tools = _tools(ws)
    assert _run(tools, "pwd")["stdout"] == f"{ws.resolve()}\n"
    assert _run(tools, "head -n 2 notes.md")["stdout"] == "first\nsecond\n"
    assert _run(tools, "sed -n 3p notes.md")["stdout"] == "third\n"
    tables = _run(tools, "grep -c 'CREATE TABLE' db/pagila.sql")
    assert int(str(tables["stdout"])) >= 15
    found = _run(tools, "find db -name '*.sql'")
    assert sorted(str(found["stdout"]).split()) == ["db/chinook.sql", "db/pagila.sql"]
    listed = _run(tools, "grep -rln customer db")
    assert "db/pagila.sql" in str(listed["stdout"])
    assert _run(tools, "pwd")["isolation"] == ("unshare-net" if SANDBOX else "none")


def test_unquoted_globs_expand_inside_and_quoted_ones_stay_literal(ws: Path) -> None:
    tools = _tools(ws)
    counted = _run(tools, "wc -l db/*.sql")
    assert "db/chinook.sql" in str(counted["stdout"]) and "db/pagila.sql" in str(counted["stdout"])
    assert _run(tools, "cat 'star*.txt'")["stdout"] == "literal star\n"
    missing = _run(tools, "ls nothing*here")  # no match: the word is kept, as sh does
    assert missing["exit_code"] != 0 and "nothing*here" in str(missing["stderr"])


def test_long_output_is_capped_and_the_command_stopped(ws: Path) -> None:
    (ws / "big.txt").write_text(("y" * 199 + "\n") * 20_000)  # 4 MB
    result = _run(_tools(ws), "cat big.txt")
    assert result["truncated"] is True
    assert len(str(result["stdout"])) <= 30_000


def test_timeout_reports_and_kills(ws: Path) -> None:
    result = _run(_tools(ws), "find .", timeout_s=0.001)
    assert result["timed_out"] is True and "exit_code" not in result  # killed: no exit code


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    """A background grandchild dies with its parent when the deadline passes."""
    script = "sleep 30 & echo $!; wait"
    start = time.monotonic()
    done = run_argv(
        ["/bin/sh", "-c", script],
        cwd=tmp_path,
        env=base_env(tmp_path),
        timeout_s=0.5,
        max_bytes=1000,
    )
    assert done.timed_out and time.monotonic() - start < 5
    grandchild = int(done.stdout.split()[0])
    time.sleep(0.1)
    status = Path(f"/proc/{grandchild}/status")
    assert not status.exists() or "State:\tZ" in status.read_text()


def test_environment_is_an_allow_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-should-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgresql://secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-secret")
    env = base_env(tmp_path)
    assert set(env) == {"PATH", "HOME", "LANG", "LC_ALL", "TERM", "PAGER", "TZ"}
    assert env["HOME"] == str(tmp_path)
    done = run_argv(["/usr/bin/env"], cwd=tmp_path, env=env, timeout_s=5, max_bytes=10_000)
    assert "secret" not in done.stdout and "sk-" not in done.stdout
    assert sorted(line.split("=")[0] for line in done.stdout.splitlines()) == sorted(env)


def test_no_network_inside_the_sandbox(tmp_path: Path) -> None:
    """Even the host's loopback is unreachable from the command's network namespace."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
        if SANDBOX:
            prefix = list(isolation(allow_unsandboxed=False).prefix)
            done = run_argv(
                [*prefix, sys.executable, "-c", probe],
                cwd=tmp_path,
                env=base_env(tmp_path),
                timeout_s=10,
                max_bytes=10_000,
            )
            assert done.exit_code != 0 and "Error" in done.stderr
            outside = subprocess.run([sys.executable, "-c", probe], check=False, timeout=10)
            assert outside.returncode == 0  # the same probe works without the namespace
        else:
            with pytest.raises(ToolError, match="cannot isolate"):
                isolation(allow_unsandboxed=False)


def test_fails_closed_without_network_isolation(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bash_sandbox, "_unshare_prefix", lambda: None)
    strict = toolset_for(["Bash"], ToolContext(workspace=ws, bash_enabled=True))
    outcome = strict.call("Bash", {"command": "ls"})
    assert outcome.is_error and "cannot isolate" in outcome.content
    lax = _tools(ws, bash_allow_unsandboxed=True)
    assert _run(lax, "ls notes.md")["isolation"] == "none"


@pytest.fixture
def repo(ws: Path) -> Path:
    git = shutil.which("git")
    assert git is not None, "git is needed for the git tests"
    env = {"PATH": os.environ["PATH"], "HOME": str(ws), "GIT_CONFIG_NOSYSTEM": "1"}
    for argv in (
        ["init", "-q", "-b", "main"],
        ["add", "notes.md"],
        ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "Add notes"],
    ):
        subprocess.run([git, *argv], cwd=ws, env=env, check=True)
    return ws


def test_read_only_git_runs_on_a_vetted_repository(repo: Path) -> None:
    tools = _tools(repo)
    assert "Add notes" in str(_run(tools, "git log --oneline -n 1")["stdout"])
    status = _run(tools, "git status --short")
    assert "?? db/" in str(status["stdout"])
    shown = _run(tools, "git show --stat HEAD")
    assert "notes.md" in str(shown["stdout"])
    blob = _run(tools, "git show main:notes.md")  # a revision, not a file: allowed through
    assert blob["stdout"] == "first\nsecond\nthird\n"


def test_git_refuses_unvetted_config_and_redirected_repos(repo: Path) -> None:
    tools = _tools(repo)
    config = repo / ".git" / "config"
    original = config.read_text()
    config.write_text(original + '[diff "sql"]\n\ttextconv = cat /etc/passwd\n')
    outcome = tools.call("Bash", {"command": "git diff"})
    assert outcome.is_error and "diff.sql.textconv" in outcome.content
    config.write_text(original)
    (repo / ".git" / "modules" / "lib").mkdir(parents=True)
    outcome = tools.call("Bash", {"command": "git status"})
    assert outcome.is_error and "submodules" in outcome.content
    shutil.rmtree(repo / ".git" / "modules")
    (repo / ".git" / "objects" / "info" / "alternates").write_text("/elsewhere/objects\n")
    outcome = tools.call("Bash", {"command": "git log"})
    assert outcome.is_error and "alternates" in outcome.content


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("grep -n 'a b' f.sql", [Word("grep"), Word("-n"), Word("a b"), Word("f.sql")]),
        ('echo "it\'s" \\$1', [Word("echo"), Word("it's"), Word("$1")]),
        ("ls *.sql", [Word("ls"), Word("*.sql", "*.sql")]),
        ("ls '*'.sql*", [Word("ls"), Word("*.sql*", "[*].sql*")]),
        ("grep -E 'x|y$' f", [Word("grep"), Word("-E"), Word("x|y$"), Word("f")]),
    ],
)
def test_split_follows_sh_quoting(line: str, words: list[Word]) -> None:
    assert split_command(line) == words


@pytest.mark.parametrize(
    "script",
    ["s/a/b/g", "1,5p", "/x/{p;q}", "$d", "/^--/d;s|x|y|2", "y/abc/xyz/", "3q", "a text; w x"],
)
def test_sed_scripts_that_are_safe(script: str) -> None:
    check_sed_script(script)


@pytest.mark.parametrize(
    "script",
    [
        "w out",
        "s/a/b/w out",
        "s/a/b/e",
        "1e id",
        "r /etc/passwd",
        "R f",
        "/x/W f",
        "{p",
        "v",
        "s/a/b",
    ],
)
def test_sed_scripts_that_are_refused(script: str) -> None:
    with pytest.raises(CommandDenied):
        check_sed_script(script)


def test_policy_marks_file_operands_and_forces_sandbox_flags() -> None:
    plan = plan_command(["grep", "-rn", "-e", "x", "db", "notes.md"])
    assert [p.text for p in plan.paths] == ["db", "notes.md"] and all(
        p.recursive for p in plan.paths
    )
    assert plan_command(["sed", "-n", "1p", "f"]).argv[:2] == ["sed", "--sandbox"]
    git = plan_command(["git", "log", "--oneline"])
    assert "core.fsmonitor=false" in git.argv and "--no-textconv" in git.argv and git.git
    assert [p.text for p in plan_command(["uniq", "-c", "f"]).paths] == ["f"]
    with pytest.raises(CommandDenied, match="at most 1"):
        plan_command(["uniq", "in", "out"])
