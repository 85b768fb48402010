"""Writing a package folder: checked before the run, files only, never touching what is not ours.

`--out` may name a folder that holds other things (`--out .` in a repository). So the
folder itself is never moved, removed or re-moded; only files are written into it, and a
manifest (`.dbarch-package.json`, each file with the SHA-256 it was written with) records
them. `--force` replaces exactly those files, and only while they still hold what was
written: a file the user changed, or one no package wrote, is refused by name.

A new folder is written beside its final name and renamed into place, so a failed write
leaves nothing behind; in an existing folder every file is written to a temporary name
first and only then moved over, so a failure there changes nothing either.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path, PurePosixPath

from tools.errors import InputError

MANIFEST = ".dbarch-package.json"


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse now, before a long run, what `write_package` would refuse after it."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise InputError(f"--out {out_dir}: is a file, not a folder")
        _check_writable(out_dir, out_dir)
        if not force and any(out_dir.iterdir()):
            raise InputError(
                f"--out {out_dir}: the folder is not empty; use --force to replace a package "
                "written there before (nothing else in it is touched)"
            )
        return
    ancestor = out_dir.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"--out {out_dir}: cannot be created, {ancestor} is a file")
    _check_writable(out_dir, ancestor)


def check_parent(folder: Path) -> None:
    """For a package whose folder name is known only after the run: its parent must take it."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder to write the package in")
    _check_writable(folder, folder)


def _check_writable(out_dir: Path, folder: Path) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        where = "" if folder == out_dir else f" (in {folder})"
        raise InputError(f"--out {out_dir}: no permission to write there{where}")


def write_package(files: dict[str, str], out_dir: Path, force: bool = False) -> Path:
    """Write `files` (relative path -> text) into `out_dir` and record them in the manifest."""
    check_out_dir(out_dir, force)
    data = {rel: text.encode("utf-8") for rel, text in files.items()}
    for rel in data:
        _check_relative(rel)
    try:
        if not out_dir.exists():
            _write_new(data, out_dir)
        else:
            _write_over(data, out_dir)
    except OSError as exc:
        raise InputError(f"--out {out_dir}: cannot write the package: {exc}") from exc
    return out_dir.resolve()


def _write_new(data: dict[str, bytes], out_dir: Path) -> None:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{secrets.token_hex(4)}")
    os.mkdir(tmp)  # the process umask decides the mode, as for any folder the user makes
    try:
        for rel, content in data.items():
            _create(tmp / rel, content)
        _create(tmp / MANIFEST, _manifest(data))
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # our own temporary folder; links not followed
        raise


def _write_over(data: dict[str, bytes], out_dir: Path) -> None:
    previous = _read_manifest(out_dir)
    for rel in data:
        _check_replaceable(out_dir, rel, previous)
    stale = [rel for rel in previous if rel not in data and _unchanged(out_dir, rel, previous)]
    staged: list[tuple[Path, Path]] = []
    try:
        for rel, content in data.items():
            target = out_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")
            _create(temp, content)
            staged.append((temp, target))
        for temp, target in staged:
            os.replace(temp, target)
    except BaseException:
        for temp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        raise
    _replace_manifest(out_dir, data)
    for rel in stale:
        _remove_file(out_dir, rel)


def _check_relative(rel: str) -> None:
    """A path a package may hold: relative, no `..`, no hidden component (`.git`, `.env`)."""
    path = PurePosixPath(rel)
    if path.is_absolute() or not path.parts or any(p.startswith(".") for p in path.parts):
        raise InputError(f"not a package file name: {rel!r}")


def _check_replaceable(out_dir: Path, rel: str, previous: dict[str, str]) -> None:
    """Only plain files we wrote, unchanged since, under folders that are really folders."""
    target = out_dir / rel
    for parent in reversed(target.relative_to(out_dir).parents[:-1]):
        folder = out_dir / parent
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise InputError(f"--out {out_dir}: {parent} is not a plain folder; refused")
    if not os.path.lexists(target):
        return
    if target.is_symlink() or not target.is_file():
        raise InputError(f"--out {out_dir}: {rel} is not a plain file; refused")
    if rel not in previous:
        raise InputError(
            f"--out {out_dir}: {rel} was not written by an earlier package; move it away "
            "(--force only replaces files a package wrote)"
        )
    if _digest(target.read_bytes()) != previous[rel]:
        raise InputError(
            f"--out {out_dir}: {rel} changed since dbarch wrote it; move it away to keep it"
        )


def _unchanged(out_dir: Path, rel: str, previous: dict[str, str]) -> bool:
    """A file of the earlier package this one no longer has: removed only if still ours."""
    try:
        _check_replaceable(out_dir, rel, previous)
    except InputError:
        return False
    return os.path.lexists(out_dir / rel)


def _read_manifest(out_dir: Path) -> dict[str, str]:
    """Files an earlier package recorded; entries that are not package names are ignored."""
    path = out_dir / MANIFEST
    if not path.is_file() or path.is_symlink():
        return {}
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    files: dict[str, str] = {}
    for rel, digest in recorded.items() if isinstance(recorded, dict) else ():
        with contextlib.suppress(InputError):
            _check_relative(str(rel))
            files[str(rel)] = str(digest)
    return files


def _manifest(data: dict[str, bytes]) -> bytes:
    files = {rel: _digest(content) for rel, content in sorted(data.items())}
    return (json.dumps({"written_by": "dbarch", "files": files}, indent=2) + "\n").encode()


def _replace_manifest(out_dir: Path, data: dict[str, bytes]) -> None:
    target = out_dir / MANIFEST
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise InputError(f"--out {out_dir}: {MANIFEST} is not a plain file; refused")
    temp = out_dir / f".{MANIFEST}.tmp-{secrets.token_hex(4)}"
    _create(temp, _manifest(data))
    os.replace(temp, target)


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _create(path: Path, content: bytes) -> None:
    """A new file with the mode any program's files get (0666 less the umask), not 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _remove_file(out_dir: Path, rel: str) -> None:
    """A stale file of the earlier package, then the folders it leaves empty (not out_dir)."""
    target = out_dir / rel
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    for parent in target.relative_to(out_dir).parents[:-1]:
        with contextlib.suppress(OSError):  # not empty: something else lives there
            (out_dir / parent).rmdir()
