"""Walking a confined directory tree for Grep and Glob, without ever following a symlink."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from tools.errors import ToolError
from tools.fs.paths import DIR_FLAGS, Located

# Noise a database architect never wants searched: VCS internals, virtualenvs, caches.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "node_modules", "__pycache__"})
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class Entry:
    """One non-directory entry met by the walk; `dir_fd` is only valid during iteration."""

    rel: str
    dir_fd: int
    name: str
    st: os.stat_result


def _open_base(loc: Located) -> int:
    if loc.name is None:
        return os.dup(loc.dir_fd)
    if loc.st is None:
        raise ToolError(f"{loc.display}: no such file or directory")
    return os.open(loc.name, DIR_FLAGS, dir_fd=loc.dir_fd)


def walk_entries(loc: Located) -> Iterator[Entry]:
    """Every file, symlink and special file under a located directory (or the file itself).

    `os.fwalk` with `follow_symlinks=False` holds a dirfd per level and checks each opened
    directory against its lstat, so a directory swapped for a symlink is not entered.
    """
    if loc.name is not None and loc.st is not None and not stat.S_ISDIR(loc.st.st_mode):
        yield Entry(loc.display, loc.dir_fd, loc.name, loc.st)
        return
    base = _open_base(loc)
    prefix = "" if loc.display == "." else loc.display + "/"
    seen = 0
    try:
        for dirpath, dirnames, filenames, dir_fd in os.fwalk(".", dir_fd=base):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            sub = dirpath[2:] + "/" if dirpath != "." else ""
            for name in sorted(filenames):
                seen += 1
                if seen > MAX_ENTRIES:
                    raise ToolError(f"more than {MAX_ENTRIES} files; narrow the path")
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                yield Entry(prefix + sub + name, dir_fd, name, st)
    finally:
        os.close(base)
