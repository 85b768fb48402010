"""The Mermaid library report.html inlines, so its diagrams render with no network.

Taken from the npm package: `DBARCH_MERMAID_JS` names a `mermaid.min.js` to use; otherwise
the copy in the cache (`$XDG_CACHE_HOME/dbarch/mermaid-<version>/`, the folder the ERD
tests install the real parser into), installed there once with npm when npm is on PATH.
Without either, the page shows each diagram's source and says why it is not drawn.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

MERMAID_VERSION = "11.17.2"
_DIST = Path("node_modules") / "mermaid" / "dist" / "mermaid.min.js"


def mermaid_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dbarch" / f"mermaid-{MERMAID_VERSION}"


def install_mermaid(folder: Path, *extra: str) -> None:
    """`npm install` mermaid (and `extra` packages, e.g. jsdom for the parser tests) into
    `folder`; `OSError` or `CalledProcessError` when npm is missing or fails."""
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError("npm is not on PATH")
    folder.mkdir(parents=True, exist_ok=True)
    packages = [f"mermaid@{MERMAID_VERSION}", *extra]
    subprocess.run(
        [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--silent",
         *packages],
        check=True,
        timeout=600,
        capture_output=True,
    )  # fmt: skip


def mermaid_script(install: bool = True) -> tuple[str | None, str]:
    """(the library's text, where it came from) or (None, why there is none)."""
    named = os.environ.get("DBARCH_MERMAID_JS")
    if named:
        path = Path(named)
        if path.is_file():
            return path.read_text(encoding="utf-8"), str(path)
        return None, f"DBARCH_MERMAID_JS names {path}, which is not a file"
    cached = mermaid_folder() / _DIST
    if not cached.is_file() and install:
        log.warning("installing mermaid@%s from npm into %s (once)", MERMAID_VERSION, cached)
        try:
            install_mermaid(mermaid_folder())
        except (OSError, subprocess.SubprocessError) as exc:
            return None, f"mermaid@{MERMAID_VERSION} could not be installed with npm: {exc}"
    if cached.is_file():
        return cached.read_text(encoding="utf-8"), str(cached)
    return None, f"no {cached}; install it with npm or set DBARCH_MERMAID_JS"
