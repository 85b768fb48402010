"""The `Grep` tool: regex search over text files inside the workspace, with a hard time limit."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tools.errors import ToolError
from tools.fs.glob import check_pattern, glob_regex
from tools.fs.guards import open_regular
from tools.fs.paths import locate
from tools.fs.walk import Entry, walk_entries
from tools.registry import Tool, ToolContext

MAX_FILE_BYTES = 1_000_000
MAX_TOTAL_BYTES = 32_000_000
MAX_LINE_CHARS = 500
REGEX_TIMEOUT_S = 10.0
WORKER = Path(__file__).with_name("grep_worker.py")


class GrepInput(BaseModel):
    """Search file contents with a Python regular expression."""

    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(description="Python regular expression, matched line by line.")
    path: str = Field(default=".", description="File or folder to search, workspace-relative.")
    glob: str | None = Field(default=None, description="Only files matching, e.g. '*.sql'.")
    ignore_case: bool = False
    max_matches: int = Field(default=100, ge=1, le=1000)


class GrepMatch(BaseModel):
    path: str
    line: int
    text: str


class _WorkerOutput(BaseModel):
    matches: list[tuple[str, int, str]]
    total: int


class GrepResult(BaseModel):
    matches: list[GrepMatch]
    total_matches: int
    files_searched: int
    skipped: dict[str, int] = Field(description="Files not searched, counted by reason.")
    truncated: bool


def _skip_reason(entry: Entry) -> str | None:
    mode = entry.st.st_mode
    if stat.S_ISLNK(mode):
        return "symlink"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    if entry.st.st_nlink > 1:
        return "hard-linked"
    if entry.st.st_size > MAX_FILE_BYTES:
        return "too large"
    return None


def _read_entry(entry: Entry) -> str | None:
    """Contents of one walked file, or None for binary; opened without following links."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(entry.name, flags, dir_fd=entry.dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            return None
        data = os.read(fd, MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _collect(ctx: ToolContext, args: GrepInput) -> tuple[list[tuple[str, str]], Counter[str]]:
    name_filter = None
    if args.glob is not None:
        check_pattern(args.glob)
        name_filter = glob_regex(args.glob if "/" in args.glob else "**/" + args.glob)
    texts: list[tuple[str, str]] = []
    skipped: Counter[str] = Counter()
    budget = MAX_TOTAL_BYTES
    with locate(ctx.workspace, args.path) as loc:
        if loc.name is not None and loc.st is not None and not stat.S_ISDIR(loc.st.st_mode):
            os.close(open_regular(loc, os.O_RDONLY)[0])  # a named file is refused, not skipped
        for entry in walk_entries(loc):
            if name_filter is not None and not name_filter.match(entry.rel):
                continue
            reason = _skip_reason(entry) or ("over total size" if budget <= 0 else None)
            text = None if reason else _read_entry(entry)
            if text is None:
                skipped[reason or "binary"] += 1
                continue
            budget -= len(text)
            texts.append((entry.rel, text))
    return texts, skipped


def _search(args: GrepInput, texts: list[tuple[str, str]]) -> _WorkerOutput:
    """Run the regex in a killable child process (see grep_worker for why)."""
    job = {
        "pattern": args.pattern,
        "ignore_case": args.ignore_case,
        "max_matches": args.max_matches,
        "max_line_chars": MAX_LINE_CHARS,
        "files": texts,
    }
    command = [sys.executable, "-I", str(WORKER)]
    try:
        done = subprocess.run(
            command, input=json.dumps(job), capture_output=True, text=True,
            timeout=REGEX_TIMEOUT_S, env={}, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise ToolError(
            f"regex search took over {REGEX_TIMEOUT_S:g}s (catastrophic backtracking?); "
            "simplify the pattern or narrow the path"
        ) from None
    if done.returncode != 0:
        raise ToolError(f"regex search failed: {done.stderr.strip()[-500:]}")
    return _WorkerOutput.model_validate_json(done.stdout)


def grep_files(args: GrepInput, ctx: ToolContext) -> GrepResult:
    try:
        re.compile(args.pattern)
    except re.error as exc:
        raise ToolError(f"invalid regular expression: {exc}") from None
    texts, skipped = _collect(ctx, args)
    found = _search(args, texts) if texts else _WorkerOutput(matches=[], total=0)
    matches = [GrepMatch(path=p, line=n, text=t) for p, n, t in found.matches]
    return GrepResult(
        matches=matches,
        total_matches=found.total,
        files_searched=len(texts),
        skipped=dict(skipped),
        truncated=found.total > len(matches),
    )


GREP = Tool(
    name="Grep",
    description=(
        "Search text files inside the workspace for a Python regular expression, line by "
        "line; returns path, line number and line. `path` may be a file or folder, `glob` "
        "filters file names. Symlinks are not followed; hard-linked, binary and files over "
        "1 MB are skipped; .git, .venv and node_modules are not searched."
    ),
    input_model=GrepInput,
    func=grep_files,
)
