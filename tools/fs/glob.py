"""The `Glob` tool: file paths inside the workspace matching a pattern such as `**/*.sql`."""

from __future__ import annotations

import re
import stat

from pydantic import BaseModel, ConfigDict, Field

from tools.errors import PathEscapeError, ToolError
from tools.fs.paths import locate, refuse_traversal
from tools.fs.walk import walk_entries
from tools.registry import Tool, ToolContext

MAX_GLOB_RESULTS = 1000


class GlobInput(BaseModel):
    """Find files by name pattern; `**` spans folders, `*` and `?` stay within one name."""

    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(description="Glob relative to `path`, e.g. '**/*.sql' or 'db/*.yaml'.")
    path: str = Field(default=".", description="Folder to search, relative to the workspace.")
    max_results: int = Field(default=200, ge=1, le=MAX_GLOB_RESULTS)


class GlobResult(BaseModel):
    paths: list[str]
    total: int
    truncated: bool


def _component(part: str) -> str:
    """One path component of a glob as a regex; a leading `*` or `?` never matches a dot."""
    out = ["(?!\\.)"] if part[:1] in ("*", "?") else []
    i = 0
    while i < len(part):
        ch = part[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[" and (end := part.find("]", i + 2)) != -1:
            body = part[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a glob to an anchored regex over '/'-separated relative paths."""
    parts = pattern.split("/")
    pieces = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            pieces.append(".*" if last else "(?:[^/]+/)*")
        else:
            pieces.append(_component(part) + ("" if last else "/"))
    return re.compile("^" + "".join(pieces) + "$")


def check_pattern(pattern: str) -> None:
    """Patterns are relative and never climb: `../**` or `/etc/*` would widen the search."""
    if not pattern or any(ord(ch) < 32 for ch in pattern):
        raise ToolError("glob pattern is empty or contains control characters")
    if pattern.startswith("/"):
        raise PathEscapeError(f"{pattern}: glob patterns must be relative to the workspace")
    for part in pattern.split("/"):
        if part == ".":
            raise PathEscapeError(f"{pattern}: '.' components are not allowed in glob patterns")
        refuse_traversal(pattern, part)


def glob_files(args: GlobInput, ctx: ToolContext) -> GlobResult:
    check_pattern(args.pattern)
    regex = glob_regex(args.pattern)
    found: list[str] = []
    with locate(ctx.workspace, args.path) as loc:
        if loc.st is not None and not stat.S_ISDIR(loc.st.st_mode):
            raise ToolError(f"{loc.display}: not a directory")
        base = "" if loc.display == "." else loc.display + "/"
        for entry in walk_entries(loc):
            below = entry.rel[len(base) :]
            if regex.match(below):
                found.append(entry.rel)
    found.sort()
    shown = found[: args.max_results]
    return GlobResult(paths=shown, total=len(found), truncated=len(found) > len(shown))


GLOB = Tool(
    name="Glob",
    description=(
        "List files inside the workspace whose path (relative to `path`) matches a glob: "
        "'**' spans folders, '*' and '?' match within a name. Results are sorted and capped; "
        "symlinked folders are not entered; .git, .venv and node_modules are skipped."
    ),
    input_model=GlobInput,
    func=glob_files,
)
