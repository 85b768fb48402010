"""The `Write` tool: create or replace one text file inside the workspace, atomically."""

from __future__ import annotations

import os
import secrets
import stat

from pydantic import BaseModel, ConfigDict, Field

from tools.errors import ToolError
from tools.fs.guards import check_protected, check_single_link
from tools.fs.paths import Located, locate
from tools.registry import Tool, ToolContext

MAX_WRITE_BYTES = 5_000_000


class WriteInput(BaseModel):
    """Write a whole file (created with its folders if missing, replaced if present)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="File path relative to the workspace root.")
    content: str = Field(description="The complete new content of the file (UTF-8 text).")


class WriteResult(BaseModel):
    path: str
    bytes_written: int
    created: bool


def _check_target(loc: Located) -> tuple[str, int]:
    """Refuse what must not be replaced; returns the entry name and the mode the file gets."""
    check_protected(loc.rel)
    if loc.name is None:
        raise ToolError(f"{loc.display}: is a directory")
    if loc.st is None:
        return loc.name, 0o644
    if stat.S_ISDIR(loc.st.st_mode):
        raise ToolError(f"{loc.display}: is a directory")
    if not stat.S_ISREG(loc.st.st_mode):
        raise ToolError(f"{loc.display}: not a regular file")
    check_single_link(loc.st, loc.display)
    return loc.name, stat.S_IMODE(loc.st.st_mode)


def _write_temp(dir_fd: int, name: str, data: bytes, mode: int) -> str:
    """Write into a fresh temp file beside the target; O_EXCL|O_NOFOLLOW so nothing is reused."""
    temp = f".{name[:80]}.{secrets.token_hex(6)}.dbarch-tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, mode, dir_fd=dir_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError:
        os.close(fd)
        os.unlink(temp, dir_fd=dir_fd)
        raise
    os.close(fd)
    return temp


def write_file(args: WriteInput, ctx: ToolContext) -> WriteResult:
    data = args.content.encode("utf-8")
    if len(data) > MAX_WRITE_BYTES:
        raise ToolError(f"content is {len(data)} bytes, over the {MAX_WRITE_BYTES}-byte cap")
    with locate(ctx.workspace, args.path, mkdir=check_protected) as loc:
        name, mode = _check_target(loc)
        temp = _write_temp(loc.dir_fd, name, data, mode)
        try:
            os.rename(temp, name, src_dir_fd=loc.dir_fd, dst_dir_fd=loc.dir_fd)
        except OSError as exc:
            os.unlink(temp, dir_fd=loc.dir_fd)
            raise ToolError(f"{loc.display}: {exc.strerror}") from None
        return WriteResult(path=loc.display, bytes_written=len(data), created=loc.st is None)


WRITE = Tool(
    name="Write",
    description=(
        "Create or overwrite a UTF-8 text file inside the workspace (missing folders are "
        "created). The write is atomic. Paths outside the workspace, symlinks leading out, "
        "hard-linked files, .git/ and agent settings folders (.claude/, .dbarch/) are refused."
    ),
    input_model=WriteInput,
    func=write_file,
)
