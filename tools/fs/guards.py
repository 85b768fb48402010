"""Checks on a located entry: protected folders for writes, hard links, plain files only."""

from __future__ import annotations

import os
import stat

from tools.errors import PathEscapeError, ToolError
from tools.fs.paths import Located

# VCS internals, hook folders, agent settings and files other tools execute on their own
# (direnv, pre-commit): never written by the agent.
PROTECTED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".husky", ".githooks", ".claude", ".dbarch", ".direnv", ".vscode"}
)
PROTECTED_FILES = frozenset(
    {".envrc", ".gitmodules", ".gitconfig", ".mcp.json", ".pre-commit-config.yaml"}
)


class ProtectedPathError(ToolError):
    """A write aimed at VCS internals, hooks or the agent's own settings."""


def check_protected(rel: tuple[str, ...]) -> None:
    """Refuse writes into VCS internals and agent settings, case-insensitively (macOS, Windows)."""
    folded = [part.casefold() for part in rel]
    if any(part in PROTECTED_DIRS for part in folded) or (folded and folded[-1] in PROTECTED_FILES):
        shown = "/".join(rel)
        raise ProtectedPathError(f"{shown}: writing VCS internals or agent settings is refused")


def check_single_link(st: os.stat_result, shown: str) -> None:
    """A regular file with more than one name may be a hard link to a file outside the root."""
    if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
        raise PathEscapeError(
            f"{shown}: file has {st.st_nlink} hard links; refused because another name may "
            "lie outside the workspace"
        )


def open_regular(loc: Located, flags: int) -> tuple[int, os.stat_result]:
    """Open the located entry itself (never through a symlink) and insist it is a plain file."""
    if loc.name is None:
        raise ToolError(f"{loc.display}: is a directory")
    try:
        fd = os.open(
            loc.name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=loc.dir_fd
        )
    except FileNotFoundError:
        raise ToolError(f"{loc.display}: no such file") from None
    except OSError as exc:
        raise ToolError(f"{loc.display}: {exc.strerror}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise ToolError(f"{loc.display}: {kind}")
    try:
        check_single_link(st, loc.display)
    except PathEscapeError:
        os.close(fd)
        raise
    return fd, st
