"""Escape attempts on the file tools and Bash: every one is refused and touches nothing outside.

Each attempt runs through `Toolset.call`, exactly as the model's tool loop would, inside a
workspace booby-trapped with symlinks, a hard link and a `.git` folder that lead to (or
guard) a secret outside. After each attempt the test checks three things: the call was
an error, the secret's text is not in the reply, and nothing outside the workspace changed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.bash.sandbox import isolation
from tools.catalog import toolset_for
from tools.errors import ToolError
from tools.fs.paths import locate
from tools.registry import ToolContext, Toolset

SECRET = "TOP-SECRET-7f3a"


@dataclass
class Arena:
    root: Path
    ws: Path
    outside: Path
    evil: Path
    tools: Toolset

    def snapshot(self) -> dict[str, bytes]:
        """Every file outside the workspace that an escape could read or change."""
        found = {}
        for base in (self.outside, self.evil):
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    found[str(path)] = path.read_bytes()
        return found


def _sandbox_ok() -> bool:
    try:
        isolation(allow_unsandboxed=False)
    except ToolError:
        return False
    return True


@pytest.fixture
def arena(tmp_path: Path) -> Iterator[Arena]:
    ws, outside, evil = tmp_path / "ws", tmp_path / "outside", tmp_path / "ws_evil"
    for folder in (ws / "sub", ws / ".git" / "hooks", outside, evil):
        folder.mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET + "\n")
    (evil / "secret.txt").write_text(SECRET + "\n")
    (ws / "sub" / "ok.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);\n")
    (ws / ".git" / "config").write_text("[core]\n\tbare = false\n")
    os.symlink("../outside/secret.txt", ws / "link_file")
    os.symlink("../outside", ws / "link_dir")
    os.symlink(str(outside), ws / "abs_link")
    os.symlink("../outside/planted.txt", ws / "dangling")
    os.symlink("/proc/self/root/etc", ws / "proc_link")
    os.symlink("..", ws / "up")
    os.symlink(".git", ws / "gitlink")
    os.symlink("loop_b", ws / "loop_a")
    os.symlink("loop_a", ws / "loop_b")
    os.link(outside / "secret.txt", ws / "hard.txt")
    ctx = ToolContext(workspace=ws, bash_enabled=True, bash_allow_unsandboxed=not _sandbox_ok())
    yield Arena(
        tmp_path, ws, outside, evil, toolset_for(["Read", "Write", "Grep", "Glob", "Bash"], ctx)
    )


def _abs(arena: Arena, text: str) -> str:
    return text.replace("{ROOT}", str(arena.root)).replace("{WS}", str(arena.ws))


FILE_ATTEMPTS: list[tuple[str, str, dict[str, Any]]] = [
    ("read-dotdot", "Read", {"path": "../outside/secret.txt"}),
    ("read-dotdot-deep", "Read", {"path": "sub/../../outside/secret.txt"}),
    ("read-abs-outside", "Read", {"path": "{ROOT}/outside/secret.txt"}),
    ("read-abs-with-dotdot", "Read", {"path": "{WS}/../outside/secret.txt"}),
    ("read-etc-passwd", "Read", {"path": "/etc/passwd"}),
    ("read-proc-root", "Read", {"path": "/proc/self/root/etc/passwd"}),
    ("read-proc-environ", "Read", {"path": "/proc/self/environ"}),
    ("read-percent-encoded", "Read", {"path": "%2e%2e/outside/secret.txt"}),
    ("read-double-encoded", "Read", {"path": "%252e%252e/outside/secret.txt"}),
    ("read-fullwidth-dots", "Read", {"path": "\uff0e\uff0e/outside/secret.txt"}),
    ("read-encoded-slash", "Read", {"path": "..%2foutside%2fsecret.txt"}),
    ("read-nul-byte", "Read", {"path": "sub/ok.sql\x00../../outside/secret.txt"}),
    ("read-symlinked-file", "Read", {"path": "link_file"}),
    ("read-symlinked-parent", "Read", {"path": "link_dir/secret.txt"}),
    ("read-absolute-symlink", "Read", {"path": "abs_link/secret.txt"}),
    ("read-symlink-up", "Read", {"path": "up/outside/secret.txt"}),
    ("read-symlink-into-proc", "Read", {"path": "proc_link/passwd"}),
    ("read-symlink-loop", "Read", {"path": "loop_a"}),
    ("read-hard-link", "Read", {"path": "hard.txt"}),
    ("read-sibling-prefix", "Read", {"path": "{ROOT}/ws_evil/secret.txt"}),
    ("write-dotdot", "Write", {"path": "../outside/planted.txt", "content": "x"}),
    ("write-abs-outside", "Write", {"path": "{ROOT}/outside/planted.txt", "content": "x"}),
    ("write-dangling-symlink", "Write", {"path": "dangling", "content": "x"}),
    ("write-symlinked-parent", "Write", {"path": "link_dir/planted.txt", "content": "x"}),
    ("write-hard-link", "Write", {"path": "hard.txt", "content": "overwritten"}),
    ("write-git-hook", "Write", {"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\nid\n"}),
    ("write-git-config", "Write", {"path": ".git/config", "content": "[core]\nfsmonitor=id\n"}),
    ("write-git-uppercase", "Write", {"path": ".GIT/config", "content": "x"}),
    ("write-git-via-symlink", "Write", {"path": "gitlink/config", "content": "x"}),
    ("write-husky-hook", "Write", {"path": ".husky/pre-commit", "content": "id\n"}),
    ("write-envrc", "Write", {"path": "sub/.envrc", "content": "id\n"}),
    ("write-claude-settings", "Write", {"path": ".claude/settings.json", "content": "{}"}),
    ("write-dbarch-settings", "Write", {"path": ".dbarch/config.toml", "content": "x"}),
    ("write-sibling-prefix", "Write", {"path": "{ROOT}/ws_evil/planted.txt", "content": "x"}),
    ("write-proc", "Write", {"path": "/proc/self/attr/current", "content": "x"}),
    ("glob-dotdot", "Glob", {"pattern": "../**"}),
    ("glob-absolute", "Glob", {"pattern": "/etc/*"}),
    ("glob-path-outside", "Glob", {"pattern": "*", "path": "../outside"}),
    ("glob-path-symlinked", "Glob", {"pattern": "*", "path": "link_dir"}),
    ("grep-path-outside", "Grep", {"pattern": "SECRET", "path": "../outside"}),
    ("grep-path-absolute", "Grep", {"pattern": "SECRET", "path": "{ROOT}/outside"}),
    ("grep-path-symlinked", "Grep", {"pattern": "SECRET", "path": "link_dir"}),
    ("grep-hard-link", "Grep", {"pattern": "SECRET", "path": "hard.txt"}),
]

BASH_ATTEMPTS: list[tuple[str, str]] = [
    ("bash-cat-etc-passwd", "cat /etc/passwd"),
    ("bash-cat-dotdot", "cat ../outside/secret.txt"),
    ("bash-cat-symlink", "cat link_file"),
    ("bash-cat-symlinked-parent", "cat link_dir/secret.txt"),
    ("bash-cat-hard-link", "cat hard.txt"),
    ("bash-grep-r-hard-link", "grep -r SECRET ."),
    ("bash-grep-dereference", "grep -R SECRET sub"),
    ("bash-cat-proc-environ", "cat /proc/self/environ"),
    ("bash-cat-proc-symlink", "cat proc_link/passwd"),
    ("bash-dev-tcp", "cat /dev/tcp/127.0.0.1/80"),
    ("bash-sibling-prefix", "cat {ROOT}/ws_evil/secret.txt"),
    ("bash-glob-dotdot", "cat ../outside/*"),
    ("bash-find-root-exec", "find / -exec cat '{}' +"),
    ("bash-find-exec", "find . -exec cat '{}' ';'"),
    ("bash-find-delete", "find . -delete"),
    ("bash-find-fprint", "find . -fprint {ROOT}/outside/planted.txt"),
    ("bash-sed-w", "sed -n 'w {ROOT}/outside/planted.txt' sub/ok.sql"),
    ("bash-sed-s-w", "sed 's/a/b/w {ROOT}/outside/planted.txt' sub/ok.sql"),
    ("bash-sed-e", "sed e sub/ok.sql"),
    ("bash-sed-s-e", "sed 's/.*/cat ..\\/outside\\/secret.txt/e' sub/ok.sql"),
    ("bash-sed-r", "sed 'r /etc/passwd' sub/ok.sql"),
    ("bash-sed-in-place", "sed -i s/a/b/ sub/ok.sql"),
    ("bash-git-c-pager", "git -c core.pager=id log"),
    ("bash-git-upload-pack", "git log --upload-pack=id"),
    ("bash-git-C", "git -C / log"),
    ("bash-git-no-index", "git diff --no-index {ROOT}/outside/secret.txt sub/ok.sql"),
    ("bash-git-output", "git log --output={ROOT}/outside/planted.txt"),
    ("bash-git-network", "git ls-remote https://example.com/repo.git"),
    ("bash-env", "env"),
    ("bash-printenv-key", "printenv ANTHROPIC_API_KEY"),
    ("bash-curl", "curl http://example.com"),
    (
        "bash-python-socket",
        "python3 -c 'import socket; socket.create_connection((\"1.1.1.1\", 80))'",
    ),
    ("bash-bash-c", "bash -c 'cat /etc/passwd'"),
    ("bash-abs-program", "/bin/cat /etc/passwd"),
    ("bash-subst-dollar", "echo $(cat ../outside/secret.txt)"),
    ("bash-subst-backtick", "echo `cat ../outside/secret.txt`"),
    ("bash-variable", "cat $HOME/../outside/secret.txt"),
    ("bash-variable-quoted", 'cat "${HOME}/x"'),
    ("bash-semicolon", "ls; cat ../outside/secret.txt"),
    ("bash-and-list", "ls && cat ../outside/secret.txt"),
    ("bash-or-list", "ls || cat ../outside/secret.txt"),
    ("bash-pipe", "cat sub/ok.sql | tee {ROOT}/outside/planted.txt"),
    ("bash-redirect-out", "cat sub/ok.sql > {ROOT}/outside/planted.txt"),
    ("bash-redirect-in", "cat < ../outside/secret.txt"),
    ("bash-background", "cat sub/ok.sql &"),
    ("bash-newline", "ls\ncat ../outside/secret.txt"),
    ("bash-tilde", "cat ~/../outside/secret.txt"),
    ("bash-rg-pre", "rg --pre cat SECRET"),
    ("bash-rg-prefix-option", "grep --dereference-rec SECRET ."),
    ("bash-tail-follow", "tail -f sub/ok.sql"),
    ("bash-sort-output", "sort -o {ROOT}/outside/planted.txt sub/ok.sql"),
    ("bash-ls-root", "ls /"),
]


def _assert_contained(arena: Arena, before: dict[str, bytes], reply: str) -> None:
    assert SECRET not in reply
    assert arena.snapshot() == before
    assert not (arena.outside / "planted.txt").exists()
    assert (arena.ws / ".git" / "config").read_text() == "[core]\n\tbare = false\n"
    assert not list((arena.ws / ".git" / "hooks").iterdir())
    for made in (".claude", ".dbarch", ".husky", ".GIT", "sub/.envrc"):
        assert not (arena.ws / made).exists()


@pytest.mark.parametrize(
    ("tool", "args"), [a[1:] for a in FILE_ATTEMPTS], ids=[a[0] for a in FILE_ATTEMPTS]
)
def test_file_tool_escape_is_refused(arena: Arena, tool: str, args: dict[str, Any]) -> None:
    before = arena.snapshot()
    args = {k: _abs(arena, v) if isinstance(v, str) else v for k, v in args.items()}
    outcome = arena.tools.call(tool, args)
    assert outcome.is_error, outcome.content
    assert "Error" in outcome.content.split(":")[0]
    _assert_contained(arena, before, outcome.content)


@pytest.mark.parametrize(
    "command", [a[1] for a in BASH_ATTEMPTS], ids=[a[0] for a in BASH_ATTEMPTS]
)
def test_bash_escape_is_refused(
    arena: Arena, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    before = arena.snapshot()
    outcome = arena.tools.call("Bash", {"command": _abs(arena, command)})
    assert outcome.is_error, outcome.content
    assert outcome.content.startswith(("CommandDenied", "PathEscapeError")), outcome.content
    _assert_contained(arena, before, outcome.content)


def test_git_with_planted_fsmonitor_is_refused(arena: Arena) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": str(arena.ws)}
    subprocess.run(["git", "init", "-q"], cwd=arena.ws, env=env, check=True)
    (arena.ws / ".git" / "config").write_text(
        f"[core]\n\tfsmonitor = touch {arena.outside}/planted.txt\n"
    )
    outcome = arena.tools.call("Bash", {"command": "git status"})
    assert outcome.is_error and "core.fsmonitor" in outcome.content
    assert not (arena.outside / "planted.txt").exists()


def test_dangling_symlink_write_leaves_target_uncreated(arena: Arena) -> None:
    """The classic: a symlink to a not-yet-existing outside file, then a write through it."""
    outcome = arena.tools.call("Write", {"path": "dangling", "content": "pwned"})
    assert outcome.is_error and "outside the workspace" in outcome.content
    assert not (arena.outside / "planted.txt").exists()
    assert os.readlink(arena.ws / "dangling") == "../outside/planted.txt"


def test_recursive_tools_never_read_through_links(arena: Arena) -> None:
    """Grep and Glob over the whole workspace walk past every trap without reading it."""
    grep = arena.tools.call("Grep", {"pattern": "SECRET"})
    assert not grep.is_error and SECRET not in grep.content
    assert '"total_matches":0' in grep.content and '"hard-linked":1' in grep.content
    glob = arena.tools.call("Glob", {"pattern": "**/*.txt"})
    assert not glob.is_error and "secret.txt" not in glob.content


def test_recursive_bash_readers_do_not_follow_inner_symlinks(arena: Arena) -> None:
    """A symlink deep inside a folder is not followed by grep -r, rg or diff -r."""
    (arena.ws / "trap").mkdir()
    (arena.ws / "plain").mkdir()
    os.symlink("../../outside/secret.txt", arena.ws / "trap" / "x")
    (arena.ws / "plain" / "x").write_text("plain\n")
    for command in ("grep -r SECRET trap", "diff -r trap plain", "ls -lR trap"):
        outcome = arena.tools.call("Bash", {"command": command})
        assert not outcome.is_error, outcome.content
        assert SECRET not in outcome.content


def test_suite_has_at_least_forty_distinct_attempts() -> None:
    ids = [a[0] for a in FILE_ATTEMPTS] + [a[0] for a in BASH_ATTEMPTS]
    assert len(ids) == len(set(ids)) >= 40


_COMPONENTS = st.sampled_from(
    ["..", ".", "", "sub", "ok.sql", "link_dir", "link_file", "abs_link", "up", "proc_link",
     "hard.txt", "dangling", "loop_a", "gitlink", "%2e%2e", "\uff0e\uff0e", "outside", "x"]
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(_COMPONENTS, min_size=1, max_size=6), absolute=st.booleans())
def test_any_resolved_path_stays_inside(arena: Arena, parts: list[str], absolute: bool) -> None:
    """Property: whatever the components, locate() either refuses or lands inside the root."""
    raw = "/".join(parts)
    if absolute:
        raw = str(arena.ws) + "/" + raw
    try:
        with locate(arena.ws, raw) as loc:
            where = Path(os.readlink(f"/proc/self/fd/{loc.dir_fd}"))
            assert where == arena.ws or arena.ws in where.parents
            assert loc.name is None or "/" not in loc.name
    except ToolError:
        pass
