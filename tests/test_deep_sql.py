"""Deeply nested SQL is refused with a located error at every door, and never kills a process.

pglast segfaults building Python objects from ~100 KB of `SELECT 1+1+1...`; a Python walker
or deparser gives up with RecursionError far earlier. `tools.sql.pgparse` measures the tree
libpg_query returns before anything recurses on it. The doors are exercised as users meet
them: the CLI, `dbarch mcp` and `dbarch serve` run as child processes, so a crash shows up
as a dead child rather than a dead test run.
"""

from __future__ import annotations

import ast as pyast
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp_types as types
import pytest
import yaml
from conftest import FIXTURES
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from pglast.parser import ParseError
from pglast.stream import RawStream
from service_support import free_port, wait_healthy

from tools.errors import SqlSyntaxError
from tools.sql import pgparse
from tools.sql.query import parse_workload
from tools.sql.query.readonly import check_read_only
from tools.sql.server import PgServer

ROOT = FIXTURES.parents[1]
DBARCH = str(Path(sys.executable).with_name("dbarch"))
SHAPES: dict[str, Callable[[int], str]] = {
    "plus": lambda n: "SELECT 1" + "+1" * n,
    "concat": lambda n: "SELECT 'a'" + " || 'a'" * n,
    "cast": lambda n: "SELECT 1" + "::int" * n,
    "not": lambda n: "SELECT 1 WHERE " + "NOT " * n + "true",
    "subquery": lambda n: "SELECT " + "(SELECT " * n + "1" + ")" * n,
    "case": lambda n: "SELECT " + "CASE WHEN true THEN " * n + "1" + " END" * n,
    "array": lambda n: "SELECT " + "ARRAY[" * n + "1" + "]" * n,
}
ATTACKS = {
    "plus-50000": SHAPES["plus"](50_000),  # the issue's ~100 KB crash
    "parens-30000": "SELECT " + "(" * 30_000 + "1" + ")" * 30_000,
    "plus-16000": SHAPES["plus"](16_000),  # deepest libpg_query itself accepts
    "case-200": SHAPES["case"](200),
}
DEEP = SHAPES["plus"](50_000)


def _deepest_accepted(shape: Callable[[int], str]) -> str:
    """The most deeply nested instance of a shape that the check lets through."""
    n = 1
    while pgparse.nesting(pgparse._libpg_query_json(shape(n + 1))) <= pgparse.MAX_NESTING:
        n += 1
    return shape(n)


def test_nesting_counts_only_brackets_outside_json_strings() -> None:
    assert pgparse.nesting('{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert pgparse.nesting('{"a": "x\\\\", "b": "\\"[[[", "c": [[]]}') == 3
    assert pgparse.nesting("{}") == 1


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_nesting_past_the_limit_is_a_located_syntax_error(name: str) -> None:
    sql = "-- a workload\n" + ATTACKS[name]
    with pytest.raises(ParseError):
        pgparse.parse_sql(sql)
    with pytest.raises(SqlSyntaxError) as caught:
        pgparse.check_sql(sql, "deep.sql")
    location = caught.value.location
    assert (location.file, location.line) == ("deep.sql", 2)
    assert location.column is not None and location.column >= 1


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_sql_at_the_limit_passes_every_consumer(shape: str) -> None:
    """The limit is below where anything downstream would recurse too deep."""
    sql = _deepest_accepted(SHAPES[shape])
    (raw,) = pgparse.parse_sql(sql)
    assert RawStream()(raw)
    pgparse.parse_tree(sql)
    check_read_only(sql)
    assert parse_workload(sql)[0].sql.startswith("SELECT")
    with pytest.raises(ParseError):
        pgparse.parse_sql(SHAPES[shape](len(sql)))  # and far past it, refused


def test_the_read_only_guard_refuses_with_a_location() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        check_read_only("SELECT 1 FROM t WHERE x = (1")
    assert caught.value.location.line == 1 and caught.value.location.column is not None


def test_nothing_else_calls_pglasts_parsers() -> None:
    """Every parse goes through pgparse, so no door can skip the nesting check."""
    banned = {"parse_sql", "parse_sql_json", "parse_sql_protobuf", "parse_plpgsql"}
    offenders = []
    for folder in ("agent", "tools", "evals"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "tools" / "sql" / "pgparse.py":
                continue
            for node in pyast.walk(pyast.parse(path.read_text(), str(path))):
                if isinstance(node, pyast.ImportFrom) and (node.module or "").startswith("pglast"):
                    offenders += [f"{path}: {a.name}" for a in node.names if a.name in banned]
                if isinstance(node, pyast.Attribute) and node.attr in banned:
                    base = pyast.unparse(node.value)
                    if base.startswith("pglast"):
                        offenders.append(f"{path}: {base}.{node.attr}")
    assert offenders == []


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DBARCH, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def cli_env(pg: PgServer, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DBARCH_HOME": str(tmp_path / "home"),
        "DATABASE_URL": pg.url,
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(tmp_path / "cache")),
    }


def test_cli_explain_and_review_workload_exit_2_naming_the_place(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    deep = tmp_path / "deep.sql"
    deep.write_text("-- name: ok\nSELECT 1;\n-- name: deep\n" + DEEP + ";\n")
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    for args in (("explain", str(deep)), ("review", str(schema), "--workload", str(deep))):
        done = _run(*args, env=cli_env, cwd=tmp_path)
        assert done.returncode == 2, (args, done.returncode, done.stderr[-500:])
        assert f"{deep}:4:" in done.stderr and "nested too deeply" in done.stderr


def test_cli_review_of_a_deep_schema_exits_2(cli_env: dict[str, str], tmp_path: Path) -> None:
    schema = tmp_path / "schema.sql"
    deep_default = "1" + "+1" * 300
    schema.write_text(
        f"CREATE TABLE t (\n  id bigint PRIMARY KEY,\n  n int DEFAULT {deep_default}\n);\n"
    )
    done = _run("review", str(schema), env=cli_env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-500:]
    assert f"{schema}:3:" in done.stderr and "nested too deeply" in done.stderr


def _deep_spec(tmp_path: Path) -> Path:
    spec = yaml.safe_load((ROOT / "examples" / "task-tracker.yaml").read_text())
    spec["access_patterns"] = spec["access_patterns"][:1]
    spec["access_patterns"][0]["sql"] = "SELECT id FROM tasks WHERE id = 1" + "+1" * 300
    path = tmp_path / "deep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.mark.parametrize("command", [("spec", "check"), ("design",)])
def test_spec_pattern_too_deep_is_bad_input(
    cli_env: dict[str, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    spec = _deep_spec(tmp_path)
    line = next(i for i, text in enumerate(spec.read_text().splitlines(), 1) if "+1+1" in text)
    args = (
        (*command, str(spec), "--out", str(tmp_path / "out"))
        if command == ("design",)
        else (*command, str(spec))
    )
    done = _run(*args, env=cli_env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-500:]
    assert "nested too deeply" in done.stderr and f":{line}:" in done.stderr


def _text(result: types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


def test_mcp_stdio_survives_a_deep_query(cli_env: dict[str, str]) -> None:
    params = StdioServerParameters(command=DBARCH, args=["mcp"], env=cli_env)

    async def main() -> tuple[types.CallToolResult, types.CallToolResult]:
        async with Client(params, read_timeout_seconds=120) as client:
            deep = await client.call_tool("explain_queries", {"workload": DEEP})
            after = await client.call_tool("explain_queries", {"workload": "SELECT 1"})
            return deep, after

    deep, after = anyio.run(main)
    assert deep.is_error and "nested too deeply" in _text(deep)
    assert not after.is_error, _text(after)


@pytest.fixture
def served(cli_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """`dbarch serve` as a child process on loopback."""
    port = free_port()
    with subprocess.Popen(
        [DBARCH, "serve", "--port", str(port), "--log-level", "warning"],
        env=cli_env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    ) as proc:  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc)
            yield url
            assert proc.poll() is None, "the server died"
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_http_doors_answer_422_and_the_server_lives(served: str) -> None:
    spec: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "task-tracker.yaml").read_text())
    design = {"spec": spec, "workload": [{"name": "deep", "sql": DEEP}]}
    review = {"schema": "CREATE TABLE t (id int PRIMARY KEY);", "workload": DEEP}
    with httpx.Client(base_url=served, timeout=120) as http:
        for path, body in (("/v1/designs", design), ("/v1/review", review)):
            answer = http.post(path, json=body)
            assert answer.status_code == 422, (path, answer.status_code, answer.text[:300])
            assert "nested too deeply" in json.dumps(answer.json())
        time.sleep(1.0)  # a queued job would have reached a worker by now
        assert http.get("/healthz").status_code == 200


@pytest.mark.parametrize("text", ["name: " + "[" * 5000 + "]" * 5000, '{"a": ' + "{" * 3000])
def test_a_spec_nested_past_reason_is_a_spec_error(text: str) -> None:
    """The same class in the spec loader: PyYAML composes by recursion."""
    from agent.spec import load_spec
    from tools.errors import SpecError

    with pytest.raises(SpecError, match="nested hundreds of levels deep"):
        load_spec(text)
