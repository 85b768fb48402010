"""Running one vetted argv: no network, a scrubbed environment, a deadline, capped output.

Network isolation comes from a fresh user+network namespace (`unshare -rn`): the child
sees only a loopback interface that is down, so it cannot reach the host's loopback
either. When that cannot be had, the Bash tool refuses to run unless a setting says
otherwise (fail closed). The child leads its own process group, and the whole group is
killed at the deadline, when output passes the cap, and after a normal exit.
"""

from __future__ import annotations

import contextlib
import functools
import os
import selectors
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tools.errors import ToolError

SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Isolation:
    name: str  # "unshare-net", or "none" when explicitly allowed
    prefix: tuple[str, ...]


@dataclass(frozen=True)
class RunOutput:
    exit_code: int | None
    stdout: str
    stderr: str
    truncated: bool
    timed_out: bool
    seconds: float


def base_env(workspace: Path) -> dict[str, str]:
    """An allow-list, not a deny-list: nothing of the parent's environment leaks through."""
    return {
        "PATH": SAFE_PATH,
        "HOME": str(workspace),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
        "PAGER": "cat",
        "TZ": "UTC",
    }


def git_env(workspace: Path) -> dict[str, str]:
    """Pin git to the workspace's own repository and switch off system and global config."""
    return {
        "GIT_DIR": str(workspace / ".git"),
        "GIT_WORK_TREE": str(workspace),
        "GIT_CEILING_DIRECTORIES": str(workspace.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_PAGER": "cat",
        "XDG_CONFIG_HOME": str(workspace / ".git" / "no-xdg-config"),
    }


def find_program(name: str) -> str:
    path = shutil.which(name, path=SAFE_PATH)
    if path is None:
        raise ToolError(f"{name}: not installed on this machine")
    return path


@functools.cache
def _unshare_prefix() -> tuple[str, ...] | None:
    """`unshare -rn` when this kernel lets us make user+net namespaces; probed once."""
    exe = shutil.which("unshare", path=SAFE_PATH)
    true = shutil.which("true", path=SAFE_PATH)
    if exe is None or true is None:
        return None
    prefix = (exe, "--user", "--map-root-user", "--net", "--")
    try:
        done = subprocess.run(
            [*prefix, true], capture_output=True, timeout=PROBE_TIMEOUT_S, env={}, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return prefix if done.returncode == 0 else None


def isolation(allow_unsandboxed: bool) -> Isolation:
    prefix = _unshare_prefix()
    if prefix is not None:
        return Isolation("unshare-net", prefix)
    if allow_unsandboxed:
        return Isolation("none", ())
    raise ToolError(
        "Bash refused: this machine cannot isolate the command from the network "
        "(unshare --user --net failed); set DBARCH_BASH_ALLOW_UNSANDBOXED=1 to run anyway"
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is already gone
        os.killpg(pid, signal.SIGKILL)


@dataclass
class _Captured:
    out: bytearray
    err: bytearray
    truncated: bool = False
    timed_out: bool = False


def _pump(stdout: IO[bytes], stderr: IO[bytes], deadline: float, cap: int) -> _Captured:
    """Read both pipes until EOF, the deadline or the output cap, whichever comes first."""
    got = _Captured(bytearray(), bytearray())
    sinks = {stdout.fileno(): got.out, stderr.fileno(): got.err}
    total = 0
    with selectors.DefaultSelector() as sel:
        sel.register(stdout, selectors.EVENT_READ)
        sel.register(stderr, selectors.EVENT_READ)
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got.timed_out = True
                break
            for key, _ in sel.select(remaining):
                data = os.read(key.fd, 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                sinks[key.fd] += data[: max(cap - total, 0)]
                total += len(data)
                if total > cap:
                    got.truncated = True
                    return got
    return got


def run_argv(
    argv: list[str], *, cwd: Path, env: dict[str, str], timeout_s: float, max_bytes: int
) -> RunOutput:
    """Run with stdin at /dev/null in a new session; the whole group dies when we are done."""
    start = time.monotonic()
    deadline = start + timeout_s
    with subprocess.Popen(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True, close_fds=True,
    ) as proc:  # fmt: skip
        try:
            got = _pump(_pipe(proc.stdout), _pipe(proc.stderr), deadline, max_bytes)
            if not got.truncated and not got.timed_out:
                got.timed_out = _wait(proc, deadline)
        finally:
            _kill_group(proc.pid)
    return RunOutput(
        exit_code=None if got.timed_out else proc.returncode,
        stdout=got.out.decode("utf-8", errors="replace"),
        stderr=got.err.decode("utf-8", errors="replace"),
        truncated=got.truncated,
        timed_out=got.timed_out,
        seconds=round(time.monotonic() - start, 3),
    )


def _pipe(stream: IO[bytes] | None) -> IO[bytes]:
    if stream is None:
        raise ToolError("subprocess pipe missing")
    return stream


def _wait(proc: subprocess.Popen[bytes], deadline: float) -> bool:
    """Wait for the exit after the pipes closed; True when the deadline passed first."""
    try:
        proc.wait(max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:
        return True
    return False
