"""The `dbarch-review` pre-commit hook, tried the way pre-commit's docs say: `try-repo`.

pre-commit builds the hook's environment from this repository (a shadow commit carries
uncommitted changes) with pip, once per commit; PRE_COMMIT_HOME under the cache keeps it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, REPO

PRE_COMMIT = str(Path(sys.executable).with_name("pre-commit"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's repository with one SQL file carrying planted defects and one clean file."""
    folder = tmp_path_factory.mktemp("project")
    shutil.copyfile(FIXTURES / "review" / "planted.sql", folder / "bad.sql")
    shutil.copyfile(FIXTURES / "review" / "sound.sql", folder / "good.sql")
    (folder / "notes.txt").write_text("not SQL\n")
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run(["git", "add", "."], cwd=folder, check=True)
    return folder


def _try_repo(project: Path, *files: str) -> subprocess.CompletedProcess[str]:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache / "dbarch" / "pre-commit")}
    return subprocess.run(
        [PRE_COMMIT, "try-repo", str(REPO), "dbarch-review", "--verbose", "--files", *files],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )


def test_the_hook_is_declared_for_sql_files() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "dbarch-review" and hook["types"] == ["sql"]
    assert hook["entry"].split()[:2] == ["dbarch", "review"] and hook["language"] == "python"


@pytest.mark.slow
def test_try_repo_fails_on_a_planted_defect_and_passes_a_clean_file(project: Path) -> None:
    bad = _try_repo(project, "bad.sql", "notes.txt")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "dbarch review" in bad.stdout and "Failed" in bad.stdout
    assert "missing-primary-key" in bad.stdout and "FAILED: 3 error(s)" in bad.stdout
    good = _try_repo(project, "good.sql")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
