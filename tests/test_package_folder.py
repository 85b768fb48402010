"""`--out` is the user's folder: only package files are written, replaced or removed there.

`--out . --force` in a repository root once renamed the whole folder away and deleted it
(`.git` included) and left it mode 0700. Now the folder is never moved or re-moded, and
`--force` replaces only files an earlier package wrote, unchanged since.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES

from agent.package_folder import MANIFEST, check_out_dir, write_package
from tools.errors import InputError

MINI = FIXTURES / "design" / "mini.yaml"
DBARCH = str(Path(sys.executable).with_name("dbarch"))
PACKAGE = {"design.json": "{}\n", "report.md": "# Report\n", "adr/0001-x.md": "# ADR\n"}


@pytest.fixture(autouse=True)
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A folder someone works in: a .git, their own files, mode 0755."""
    root = tmp_path / "repo"
    (root / ".git" / "refs").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    (root / "notes.txt").write_text("mine\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("print(1)\n")
    root.chmod(0o755)
    return root


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_force_into_a_repository_root_keeps_everything_else(repo: Path) -> None:
    before = _tree(repo)
    write_package(PACKAGE, repo, force=True)
    after = _tree(repo)
    assert {k: after[k] for k in before} == before  # .git/config, notes.txt, src/app.py
    assert {k: after[k] for k in PACKAGE} == PACKAGE
    assert _mode(repo) == 0o755
    assert _mode(repo / "report.md") == 0o644 and _mode(repo / "adr") == 0o755
    manifest = json.loads((repo / MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(PACKAGE)


def test_a_new_folder_gets_normal_modes(tmp_path: Path) -> None:
    out = write_package(PACKAGE, tmp_path / "pkg")
    assert _mode(out) == 0o755 and _mode(out / "design.json") == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left


def test_force_again_replaces_ours_and_drops_what_the_new_package_lacks(repo: Path) -> None:
    write_package(PACKAGE, repo, force=True)
    newer = {"design.json": '{"v": 2}\n', "report.md": "# Report 2\n"}
    write_package(newer, repo, force=True)
    assert (repo / "design.json").read_text() == '{"v": 2}\n'
    assert not (repo / "adr").exists()  # its only file was ours, and is gone
    assert (repo / "notes.txt").read_text() == "mine\n"


def _foreign_report(root: Path) -> None:
    (root / "report.md").write_text("my own report\n")


def _edited_report(root: Path) -> None:
    write_package(PACKAGE, root, force=True)
    (root / "report.md").write_text("edited\n")


def _symlinked_folder(root: Path) -> None:
    (root / "adr").symlink_to(root / "src")


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (_foreign_report, "not written by"),
        (_edited_report, "changed since"),
        (_symlinked_folder, "not a plain folder"),
    ],
)
def test_force_refuses_files_that_are_not_ours(
    repo: Path, prepare: Callable[[Path], None], message: str
) -> None:
    prepare(repo)
    before = _tree(repo)
    with pytest.raises(InputError, match=message):
        write_package(PACKAGE, repo, force=True)
    assert _tree(repo) == before


def test_a_planted_manifest_cannot_name_files_outside_the_package(repo: Path) -> None:
    """A cloned folder could carry a manifest naming `.git/config` or `../x`: ignored."""
    outside = repo.parent / "outside.txt"
    outside.write_text("keep\n")
    planted = {".git/config": "x", "../outside.txt": "x", "src/app.py": "wrong"}
    (repo / MANIFEST).write_text(json.dumps({"files": planted}))
    write_package({"design.json": "{}\n"}, repo, force=True)
    assert (repo / ".git" / "config").read_text() == "[core]\n"
    assert outside.read_text() == "keep\n" and (repo / "src" / "app.py").exists()


def test_out_is_checked_before_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        check_out_dir(afile, force=True)
    with pytest.raises(InputError, match="cannot be created"):
        check_out_dir(afile / "sub", force=False)
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked)
    with pytest.raises(InputError, match="no permission"):
        check_out_dir(locked, force=True)
    with pytest.raises(InputError, match="no permission"):
        check_out_dir(locked / "new" / "deeper", force=False)


@pytest.mark.parametrize("command", ["design", "eval"])
def test_cli_refuses_a_bad_out_with_exit_2_before_the_run(tmp_path: Path, command: str) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    args = [str(MINI)] if command == "design" else [str(FIXTURES / "evals" / "cases")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env["DBARCH_HOME"] = str(tmp_path / "home")
    for out in (afile, afile / "sub"):
        done = subprocess.run(
            [DBARCH, command, *args, "--out", str(out), "--force"],
            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr[-800:]
        assert f"--out {out}" in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1  # the refusal, and no progress
