"""Workspace confinement: resolve a model-supplied path to a directory fd and name, race-free.

Every file tool goes through `locate()`. It never asks the kernel to follow a symlink on its
behalf: each component is opened with `O_NOFOLLOW` relative to the directory fd held from
the previous step, and a symlink met on the way is read and spliced into the remaining path
by this code, so the only symlinks honoured are those whose targets stay inside the root.
Swapping a directory for a symlink mid-walk makes the next `openat` fail instead of escaping.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from tools.errors import PathEscapeError, ToolError

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_SYMLINKS = 40


class MissingPathError(ToolError):
    """A folder on the path does not exist (so nothing below it can be reached either)."""


@dataclass(frozen=True)
class Located:
    """Where a path landed: `dir_fd` is the parent, `name` the entry (None: the dir itself).

    `rel` is the resolved path below the root, after symlinks, used for display and for
    the protected-path check. `st` is the entry's lstat, or None when it does not exist.
    """

    dir_fd: int
    name: str | None
    rel: tuple[str, ...]
    st: os.stat_result | None

    @property
    def display(self) -> str:
        return "/".join(self.rel) or "."


def workspace_root(path: Path) -> Path:
    """The trusted root: resolved once, when the tool context is made, never from model input."""
    root = path.resolve(strict=True)
    if not root.is_dir():
        raise ToolError(f"workspace {root} is not a directory")
    return root


def lexical_parts(root: Path, raw: str) -> list[str]:
    """Split a model-supplied path into components below `root`, refusing what cannot be safe.

    Absolute paths are accepted only when they name something under the root, compared
    component by component (so `/work_evil` is not inside `/work`). `..` is refused outright,
    also when it hides behind percent-encoding or Unicode look-alikes another layer might
    normalise.
    """
    if not raw:
        raise ToolError("empty path")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise ToolError(f"path {raw!r} contains control characters")
    if raw.startswith("/"):
        parts = PurePosixPath(raw).parts
        if parts[: len(root.parts)] != root.parts:
            raise PathEscapeError(f"{raw}: absolute path outside the workspace {root}")
        parts = parts[len(root.parts) :]
    else:
        parts = tuple(raw.split("/"))
    kept = [p for p in parts if p not in ("", ".")]
    for part in kept:
        refuse_traversal(raw, part)
    return kept


def refuse_traversal(raw: str, part: str) -> None:
    folded = unicodedata.normalize("NFKC", part)
    decoded = unquote(unquote(part))
    if ".." in (part, folded, decoded) or "/" in folded or "/" in decoded or "\\" in decoded:
        raise PathEscapeError(f"{raw}: '..' and encoded separators are not allowed in paths")


def _outside(root: Path, target: str) -> list[str] | None:
    """Components of an absolute symlink target below root, or None when it points outside."""
    parts = PurePosixPath(target).parts
    if parts[: len(root.parts)] != root.parts:
        return None
    return list(parts[len(root.parts) :])


def _lstat(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


class _Walk:
    """The state of one resolution: held directory fds and the components still to visit."""

    def __init__(self, root: Path, root_fd: int, raw: str, parts: list[str]) -> None:
        self.root, self.root_fd, self.raw = root, root_fd, raw
        self.stack: list[tuple[str, int]] = []
        self.pending: deque[str] = deque(parts)
        self.links = 0

    @property
    def cur(self) -> int:
        return self.stack[-1][1] if self.stack else self.root_fd

    @property
    def rel(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.stack)

    def up(self) -> None:
        if not self.stack:
            raise PathEscapeError(f"{self.raw}: a symlink on this path leads outside the workspace")
        os.close(self.stack.pop()[1])

    def splice(self, name: str) -> None:
        """Replace symlink `name` (in the current dir) by its target, if the target stays in."""
        self.links += 1
        if self.links > MAX_SYMLINKS:
            raise ToolError("too many levels of symbolic links")
        target = os.readlink(name, dir_fd=self.cur)
        if target.startswith("/"):
            inside = _outside(self.root, target)
            if inside is None:
                shown = "/".join((*self.rel, name))
                raise PathEscapeError(f"{self.raw}: symlink {shown} points outside the workspace")
            while self.stack:
                os.close(self.stack.pop()[1])
            self.pending.extendleft(reversed(inside))
        else:
            self.pending.extendleft(reversed([p for p in target.split("/") if p]))

    def close(self) -> None:
        while self.stack:
            os.close(self.stack.pop()[1])


def _enter(walk: _Walk, name: str, mkdir: Callable[[tuple[str, ...]], None] | None) -> None:
    """Descend into directory `name`, following it by hand if it is a symlink."""
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=walk.cur)
    except FileNotFoundError:
        if mkdir is None:
            raise MissingPathError(f"{'/'.join((*walk.rel, name))}: no such directory") from None
        mkdir((*walk.rel, name))
        os.mkdir(name, 0o755, dir_fd=walk.cur)
        fd = os.open(name, DIR_FLAGS, dir_fd=walk.cur)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise ToolError(f"{'/'.join((*walk.rel, name))}: {exc.strerror}") from None
        st = _lstat(name, walk.cur)
        if st is None or not stat.S_ISLNK(st.st_mode):
            raise ToolError(f"{'/'.join((*walk.rel, name))}: not a directory") from None
        walk.splice(name)
        return
    walk.stack.append((name, fd))


@contextmanager
def locate(
    root: Path,
    raw: str,
    *,
    mkdir: Callable[[tuple[str, ...]], None] | None = None,
) -> Iterator[Located]:
    """Resolve `raw` inside `root`; yields a `Located` whose fds stay valid inside the block.

    `mkdir`, when given, is called with each missing directory's path below the root before
    it is created (Write uses it to refuse protected folders before touching them).
    """
    root = root.resolve(strict=True)
    parts = lexical_parts(root, raw)
    root_fd = os.open(root, DIR_FLAGS)
    walk = _Walk(root, root_fd, raw, parts)
    try:
        yield _resolve(walk, mkdir)
    finally:
        walk.close()
        os.close(root_fd)


def _resolve(walk: _Walk, mkdir: Callable[[tuple[str, ...]], None] | None) -> Located:
    while walk.pending:
        name = walk.pending.popleft()
        if name in ("", "."):
            continue
        if name == "..":
            walk.up()
            continue
        if walk.pending:
            _enter(walk, name, mkdir)
            continue
        st = _lstat(name, walk.cur)
        if st is not None and stat.S_ISLNK(st.st_mode):
            walk.splice(name)
            continue
        return Located(walk.cur, name, (*walk.rel, name), st)
    return Located(walk.cur, None, walk.rel, os.fstat(walk.cur))
