"""File-system checks behind the Bash policy: glob expansion, operand confinement, the git repo.

These reuse the file tools' resolver, so a path operand is judged exactly as `Read` would
judge it: inside the root after resolving symlinks, not hard-linked, not a device or FIFO.
Programs that read whole folders (`grep -r`, `rg`) get the folder vetted for hard links.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tools.bash.lex import Word
from tools.bash.policy import PathArg, Plan
from tools.errors import CommandDenied, PathEscapeError, ToolError
from tools.fs.glob import GlobInput, glob_files
from tools.fs.guards import check_single_link
from tools.fs.paths import DIR_FLAGS, Located, MissingPathError, locate
from tools.fs.read import read_bytes
from tools.registry import ToolContext

MAX_EXPANSION = 500
MAX_SCAN_ENTRIES = 200_000


def expand_words(ctx: ToolContext, words: list[Word]) -> list[str]:
    """Expand unquoted globs inside the workspace, as `sh` would; no match keeps the word.

    Words that look like options are never expanded (`--include=*.sql` stays as written).
    """
    argv: list[str] = []
    for word in words:
        if word.pattern is None or word.text.startswith("-") or not argv:
            argv.append(word.text)
            continue
        found = glob_files(GlobInput(pattern=word.pattern, max_results=MAX_EXPANSION), ctx)
        if found.truncated:
            raise CommandDenied(f"{word.text}: matches more than {MAX_EXPANSION} files")
        argv.extend(found.paths or [word.text])
    return argv


def _scan_hard_links(dir_fd: int, shown: str) -> None:
    """Refuse a folder a recursive reader would enter if any file in it has other names."""
    base = os.open(".", DIR_FLAGS, dir_fd=dir_fd)
    seen = 0
    try:
        for dirpath, _dirs, files, fd in os.fwalk(".", dir_fd=base):
            for name in files:
                seen += 1
                if seen > MAX_SCAN_ENTRIES:
                    raise CommandDenied(f"{shown}: over {MAX_SCAN_ENTRIES} files to vet")
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                check_single_link(st, "/".join(p for p in (shown, dirpath[2:], name) if p))
    finally:
        os.close(base)


def confine(ctx: ToolContext, arg: PathArg) -> None:
    """One file operand: inside the root, and nothing a program could be tricked by."""
    try:
        with locate(ctx.workspace, arg.text) as loc:
            _check_located(loc, arg)
    except MissingPathError:
        return  # e.g. a git revision `origin/main`: lexically inside, and nothing there


def _check_located(loc: Located, arg: PathArg) -> None:
    """Plain files must have one name; folders read recursively must hold only such files."""
    if loc.st is None:
        return  # the program will report the missing file itself
    mode = loc.st.st_mode
    if stat.S_ISREG(mode):
        if arg.content:
            check_single_link(loc.st, loc.display)
    elif not stat.S_ISDIR(mode):
        raise PathEscapeError(f"{loc.display}: devices, FIFOs and sockets are refused")
    elif arg.recursive and loc.name is None:
        _scan_hard_links(loc.dir_fd, loc.display)
    elif arg.recursive and loc.name is not None:
        fd = os.open(loc.name, DIR_FLAGS, dir_fd=loc.dir_fd)
        try:
            _scan_hard_links(fd, loc.display)
        finally:
            os.close(fd)


def confine_plan(ctx: ToolContext, plan: Plan) -> None:
    for arg in plan.paths:
        confine(ctx, arg)
    if plan.git:
        check_git_repo(ctx)


def check_git_repo(ctx: ToolContext) -> None:
    """git runs only on a plain `.git` folder of the workspace itself, not redirected elsewhere.

    Its config keys are vetted by asking git (`git.config_listing_argv`), not here.
    """
    root = Path(ctx.workspace).resolve()
    try:
        st = os.lstat(root / ".git")
    except FileNotFoundError:
        raise CommandDenied("git: the workspace is not a git repository") from None
    if not stat.S_ISDIR(st.st_mode):
        raise CommandDenied("git refused: .git is not a plain folder (gitfile or symlink)")
    for redirect in ("commondir", "objects/info/alternates", "objects/info/http-alternates"):
        if os.path.lexists(root / ".git" / redirect):
            raise CommandDenied(f"git refused: .git/{redirect} points the repo elsewhere")
    if os.path.lexists(root / ".git" / "modules"):
        raise CommandDenied("git refused: submodules carry configs of their own, not vetted")
    try:
        read_bytes(ctx, ".git/config")  # a plain, single-linked file inside the workspace
    except ToolError as exc:
        raise CommandDenied(f"git refused: {exc}") from None
