"""npm packages a test checks its output with (mermaid, prisma, @dbml/core), installed once.

Each set goes into its own folder under the cache ($XDG_CACHE_HOME/dbarch/npm-<name>), at
pinned versions, by the npm client from the registry; a later run (or CI on the same
machine) finds it there. A fresh machine installs it in the first test that asks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import FIXTURES


def npm_folder(name: str, packages: list[str]) -> Path:
    """A folder with `node_modules/` holding exactly `packages` (`name@version`)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "dbarch" / f"npm-{name}-{_tag(packages)}"
    marker = folder / ".installed"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        assert npm is not None, f"npm is needed to install {', '.join(packages)} for this test"
        subprocess.run(
            [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--silent",
             "--ignore-scripts", *packages],
            check=True,
            timeout=600,
        )  # fmt: skip
        marker.write_text("\n".join(packages) + "\n")
    return folder


def node_script(folder: Path, fixture: str) -> Path:
    """A checker script from tests/fixtures, copied beside its node_modules so imports resolve."""
    script = folder / Path(fixture).name
    shutil.copyfile(FIXTURES / fixture, script)
    return script


def _tag(packages: list[str]) -> str:
    return "-".join(p.rsplit("@", 1)[-1] for p in packages)
