"""Read, Write, Grep and Glob doing their jobs inside a workspace built from the real corpus."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS

from tools.catalog import all_tools, toolset_for
from tools.fs import grep as grep_module
from tools.fs.glob import glob_regex
from tools.registry import ToolContext, Toolset


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "db" / "migrations").mkdir(parents=True)
    shutil.copy(CORPUS / "pagila-schema.sql", root / "db" / "pagila.sql")
    shutil.copy(CORPUS / "chinook-postgresql.sql", root / "db" / "chinook.sql")
    (root / "db" / "migrations" / "0001_users.sql").write_text(
        "CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text NOT NULL\n);\n"
    )
    (root / ".hidden.sql").write_text("SELECT 1;\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return root


@pytest.fixture
def tools(ws: Path) -> Toolset:
    return toolset_for(["Read", "Write", "Grep", "Glob"], ToolContext(workspace=ws))


def _ok(tools: Toolset, name: str, args: dict[str, Any]) -> dict[str, Any]:
    outcome = tools.call(name, args)
    assert not outcome.is_error, outcome.content
    result: dict[str, Any] = json.loads(outcome.content)
    return result


def _err(tools: Toolset, name: str, args: dict[str, Any]) -> str:
    outcome = tools.call(name, args)
    assert outcome.is_error, outcome.content
    return outcome.content


def test_schemas_are_generated_from_the_input_models() -> None:
    for name in ("Read", "Write", "Grep", "Glob", "Bash"):
        tool = all_tools()[name]
        schema = tool.schema()
        assert schema["name"] == name and len(schema["description"]) > 40
        expected = tool.input_model.model_json_schema()
        expected.pop("title")
        assert schema["input_schema"] == expected
        assert schema["input_schema"]["additionalProperties"] is False


def test_read_windows_a_real_schema(tools: Toolset, ws: Path) -> None:
    lines = (ws / "db" / "pagila.sql").read_text().splitlines(keepends=True)
    whole = _ok(tools, "Read", {"path": "db/pagila.sql"})
    assert whole["total_lines"] == len(lines) and whole["truncated"] is (len(lines) > 2000)
    window = _ok(tools, "Read", {"path": "db/pagila.sql", "offset": 20, "limit": 5})
    assert window["content"] == "".join(lines[19:24])
    assert window["first_line"] == 20 and window["lines_returned"] == 5 and window["truncated"]
    absolute = _ok(tools, "Read", {"path": str(ws / "db" / "migrations" / "0001_users.sql")})
    assert absolute["path"] == "db/migrations/0001_users.sql"


def test_read_refuses_binary_missing_directories_and_oversized(tools: Toolset, ws: Path) -> None:
    assert "binary" in _err(tools, "Read", {"path": "logo.png"})
    assert "no such file" in _err(tools, "Read", {"path": "db/nope.sql"})
    assert "directory" in _err(tools, "Read", {"path": "db"})
    (ws / "huge.sql").write_bytes(b"-- x\n" * 500_000)
    assert "cap" in _err(tools, "Read", {"path": "huge.sql"})
    os.mkfifo(ws / "pipe")
    assert "not a regular file" in _err(tools, "Read", {"path": "pipe"})
    assert "invalid input" in _err(tools, "Read", {"path": "x", "surprise": 1})


def test_write_creates_folders_and_replaces_atomically(tools: Toolset, ws: Path) -> None:
    made = _ok(tools, "Write", {"path": "out/design/schema.sql", "content": "SELECT 1;\n"})
    assert made == {"path": "out/design/schema.sql", "bytes_written": 10, "created": True}
    target = ws / "out" / "design" / "schema.sql"
    target.chmod(0o600)
    inode = target.stat().st_ino
    again = _ok(tools, "Write", {"path": "out/design/schema.sql", "content": "SELECT 2;\n"})
    assert again["created"] is False and target.read_text() == "SELECT 2;\n"
    assert target.stat().st_ino != inode  # a new file renamed into place, not an in-place edit
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not [p for p in target.parent.iterdir() if "dbarch-tmp" in p.name]


def test_write_refuses_directories_and_symlinked_folders_inside_are_fine(
    tools: Toolset, ws: Path
) -> None:
    assert "directory" in _err(tools, "Write", {"path": "db", "content": "x"})
    os.symlink("db/migrations", ws / "mig")
    written = _ok(tools, "Write", {"path": "mig/0002_orders.sql", "content": "-- orders\n"})
    assert written["path"] == "db/migrations/0002_orders.sql"
    assert (ws / "db" / "migrations" / "0002_orders.sql").read_text() == "-- orders\n"


def test_grep_finds_real_definitions(tools: Toolset) -> None:
    found = _ok(tools, "Grep", {"pattern": r"^CREATE TABLE public\.actor \(", "path": "db"})
    assert [(m["path"], m["text"]) for m in found["matches"]] == [
        ("db/pagila.sql", "CREATE TABLE public.actor (")
    ]
    assert found["matches"][0]["line"] > 1
    scoped = _ok(tools, "Grep", {"pattern": "create table", "ignore_case": True, "glob": "0*.sql"})
    assert [m["path"] for m in scoped["matches"]] == ["db/migrations/0001_users.sql"]
    capped = _ok(tools, "Grep", {"pattern": r"\bINT\b", "path": "db/chinook.sql", "max_matches": 3})
    assert len(capped["matches"]) == 3 and capped["truncated"] and capped["total_matches"] > 3
    everything = _ok(tools, "Grep", {"pattern": "PNG"})
    assert everything["skipped"] == {"binary": 1} and everything["matches"] == []


def test_grep_rejects_bad_regex_and_stops_runaway_backtracking(
    tools: Toolset, ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "invalid regular expression" in _err(tools, "Grep", {"pattern": "(unclosed"})
    (ws / "evil.txt").write_text("a" * 40 + "!\n")
    monkeypatch.setattr(grep_module, "REGEX_TIMEOUT_S", 1.0)
    start = time.monotonic()
    message = _err(tools, "Grep", {"pattern": "^(a+)+$", "path": "evil.txt"})
    assert "took over" in message and time.monotonic() - start < 5


def test_glob_matches_sorted_capped_and_skips_dotfiles(tools: Toolset) -> None:
    everything = _ok(tools, "Glob", {"pattern": "**/*.sql"})
    assert everything["paths"] == [
        "db/chinook.sql",
        "db/migrations/0001_users.sql",
        "db/pagila.sql",
    ]
    assert _ok(tools, "Glob", {"pattern": "db/*.sql"})["paths"] == [
        "db/chinook.sql",
        "db/pagila.sql",
    ]
    assert _ok(tools, "Glob", {"pattern": ".*.sql"})["paths"] == [".hidden.sql"]
    capped = _ok(tools, "Glob", {"pattern": "**", "max_results": 2})
    assert capped["truncated"] and capped["total"] == 5 and len(capped["paths"]) == 2
    inside = _ok(tools, "Glob", {"pattern": "*.sql", "path": "db/migrations"})
    assert inside["paths"] == ["db/migrations/0001_users.sql"]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("**/*.sql", "a/b/c.sql", True),
        ("**/*.sql", "c.sql", True),
        ("a/**/c.sql", "a/c.sql", True),
        ("*.sql", "a/c.sql", False),
        ("*", ".env", False),
        ("[!x]?.sql", "ab.sql", True),
        ("[!a]?.sql", "ab.sql", False),
    ],
)
def test_glob_translation(pattern: str, path: str, matches: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is matches
