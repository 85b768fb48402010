"""The `Read` tool: a window of lines from one text file inside the workspace."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from tools.errors import ToolError
from tools.fs.guards import open_regular
from tools.fs.paths import locate
from tools.registry import Tool, ToolContext

MAX_FILE_BYTES = 2_000_000
MAX_RETURNED_CHARS = 100_000
BINARY_SNIFF = 8192


class ReadInput(BaseModel):
    """Read part of a text file; paths are relative to the workspace root."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="File path relative to the workspace root.")
    offset: int = Field(default=1, ge=1, description="First line to return (1-based).")
    limit: int = Field(default=2000, ge=1, le=10_000, description="Maximum number of lines.")


class ReadResult(BaseModel):
    path: str
    content: str
    first_line: int
    lines_returned: int
    total_lines: int
    truncated: bool = Field(description="True when more lines follow the returned window.")


def read_bytes(ctx: ToolContext, raw_path: str, cap: int = MAX_FILE_BYTES) -> tuple[str, bytes]:
    """The file's bytes and display path; the one confined read every tool shares."""
    with locate(ctx.workspace, raw_path) as loc:
        fd, st = open_regular(loc, os.O_RDONLY)
        try:
            if st.st_size > cap:
                raise ToolError(f"{loc.display}: {st.st_size} bytes is over the {cap}-byte cap")
            data = os.read(fd, cap + 1)
        finally:
            os.close(fd)
        return loc.display, data


def decode_text(shown: str, data: bytes) -> str:
    """Text files only: a NUL byte or undecodable UTF-8 marks the file as binary."""
    if b"\x00" in data[:BINARY_SNIFF]:
        raise ToolError(f"{shown}: binary file refused")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ToolError(f"{shown}: not UTF-8 text (byte {exc.start})") from None


def read_file(args: ReadInput, ctx: ToolContext) -> ReadResult:
    shown, data = read_bytes(ctx, args.path)
    lines = decode_text(shown, data).splitlines(keepends=True)
    start = args.offset - 1
    window = lines[start : start + args.limit]
    joined = "".join(window)
    return ReadResult(
        path=shown,
        content=joined[:MAX_RETURNED_CHARS],
        first_line=args.offset,
        lines_returned=len(window),
        total_lines=len(lines),
        truncated=start + len(window) < len(lines) or len(joined) > MAX_RETURNED_CHARS,
    )


READ = Tool(
    name="Read",
    description=(
        "Read a UTF-8 text file inside the workspace, optionally a window of lines "
        "(offset is 1-based). Binary files, files over 2 MB, paths outside the workspace, "
        "symlinks leading out of it and hard-linked files are refused."
    ),
    input_model=ReadInput,
    func=read_file,
)
