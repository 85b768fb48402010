"""Git through the Bash tool never runs a program the repository's config names.

The attack: a `.gitattributes` names a diff driver or filter, and `.git/config` defines it
on a line a home-made config reader skips (a `;` comment or an escaped `\\\\` ending in a
backslash is not a continuation for git). Whatever the spelling, git itself is asked which
keys it reads, and the commands run with inert overrides.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.bash.git import parse_git
from tools.bash.sandbox import base_env, git_env, isolation
from tools.catalog import toolset_for
from tools.errors import ToolError
from tools.registry import ToolContext, Toolset


def _sandbox_ok() -> bool:
    try:
        isolation(allow_unsandboxed=False)
    except ToolError:
        return False
    return True


SANDBOX = _sandbox_ok()
COMMANDS = [
    "git blame a.txt",
    "git diff",
    "git diff --stat",
    "git log -p",
    "git show HEAD",
    "git status",
    "git ls-files -m",
    "git grep two",
]


@dataclass
class Repo:
    ws: Path
    marker: Path
    tools: Toolset

    @property
    def config(self) -> Path:
        return self.ws / ".git" / "config"

    def payload(self) -> str:
        return f"touch {self.marker}; cat"


def _git(ws: Path, *args: str) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": str(ws), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=ws, env=env, check=True)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Two commits of a file whose attributes name the driver and filter `evil`, then an edit."""
    ws = tmp_path / "ws"
    ws.mkdir()
    _git(ws, "init", "-q", "-b", "main")
    (ws / ".gitattributes").write_text("a.txt diff=evil filter=evil\n")
    for text in ("one\n", "two\n"):
        (ws / "a.txt").write_text(text)
        _git(ws, "add", ".")
        _git(ws, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", text)
    (ws / "a.txt").write_text("three\n")
    ctx = ToolContext(workspace=ws, bash_enabled=True, bash_allow_unsandboxed=not SANDBOX)
    return Repo(ws, tmp_path / "pwned", toolset_for(["Bash"], ctx))


def _hidden_comment(repo: Repo, section: str, key: str) -> str:
    return f"[user]\n\tname = x ; note \\\n[{section}] {key} = {repo.payload()}\n"


def _hidden_escape(repo: Repo, section: str, key: str) -> str:
    return f"[user]\n\tname = x\\\\\n[{section}] {key} = {repo.payload()}\n"


PLANTS = {
    "textconv-after-comment": lambda r: _hidden_comment(r, 'diff "evil"', "textconv"),
    "textconv-after-escaped-backslash": lambda r: _hidden_escape(r, 'diff "evil"', "textconv"),
    "clean-filter-after-comment": lambda r: _hidden_comment(r, 'filter "evil"', "clean"),
    "process-filter-after-escape": lambda r: _hidden_escape(r, 'filter "evil"', "process"),
    "external-diff-after-comment": lambda r: _hidden_comment(r, "diff", "external"),
    "include-of-a-workspace-file": lambda r: "[include]\n\tpath = ../evil.cfg\n",
}


@pytest.mark.parametrize("plant", sorted(PLANTS))
@pytest.mark.parametrize("command", COMMANDS)
def test_git_config_naming_a_program_never_runs_it(repo: Repo, plant: str, command: str) -> None:
    (repo.ws / "evil.cfg").write_text(f'[diff "evil"]\n\ttextconv = {repo.payload()}\n')
    repo.config.write_text(repo.config.read_text() + PLANTS[plant](repo))
    outcome = repo.tools.call("Bash", {"command": command})
    assert not repo.marker.exists(), f"{command} ran the planted program ({plant})"
    assert outcome.is_error, outcome.content
    assert outcome.content.startswith("CommandDenied"), outcome.content


def test_worktree_config_is_vetted_too(repo: Repo) -> None:
    repo.config.write_text(repo.config.read_text() + "[extensions]\n\tworktreeConfig = true\n")
    (repo.ws / ".git" / "config.worktree").write_text(
        f'[diff "evil"]\n\ttextconv = {repo.payload()}\n'
    )
    outcome = repo.tools.call("Bash", {"command": "git blame a.txt"})
    assert outcome.is_error and "extensions.worktreeconfig" in outcome.content
    assert not repo.marker.exists()


def test_a_plain_config_with_comments_and_backslashes_still_runs(repo: Repo) -> None:
    plain = "[user]\n\tname = a\\\\b ; a comment \\\n\temail = t@example.com\n"
    repo.config.write_text(repo.config.read_text() + plain)
    outcome = repo.tools.call("Bash", {"command": "git log --oneline -n 1"})
    assert not outcome.is_error, outcome.content
    assert "two" in outcome.content


def test_not_a_repository_fails_closed(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    (ws / ".git" / "config").write_text("[core]\n\tbare = false\n")
    ctx = ToolContext(workspace=ws, bash_enabled=True, bash_allow_unsandboxed=not SANDBOX)
    outcome = toolset_for(["Bash"], ctx).call("Bash", {"command": "git status"})
    assert outcome.is_error and "could not list" in outcome.content


@pytest.mark.parametrize("command", ["blame a.txt", "diff", "log -p", "show HEAD"])
def test_forced_switches_keep_a_driver_out_even_unvetted(repo: Repo, command: str) -> None:
    """The second layer alone: the argv we run ignores a driver git's config defines."""
    repo.config.write_text(
        repo.config.read_text() + f'[diff "evil"]\n\ttextconv = {repo.payload()}\n'
        f"\tcommand = {repo.payload()}\n[diff]\n\texternal = {repo.payload()}\n"
    )
    argv, _ = parse_git(command.split())
    env = base_env(repo.ws) | git_env(repo.ws)
    done = subprocess.run(argv, cwd=repo.ws, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert not repo.marker.exists(), f"git {command} ran the driver"
