"""Bad input that looked fine: it is refused as bad input (exit 2, 422), where it is written.

An empty or comment-only schema reviewed as a green OK; an access pattern naming a column no
table of the spec has passed `spec check` and then failed the patterns_plan gate on every
retry (exit 1, "a gate failed"), long after the spec was read.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES
from fastapi.testclient import TestClient
from service_support import local_client, settings_for

from agent.brains.rules.schema import compile_schema
from agent.service import create_app
from agent.service.design import DesignInput
from agent.spec import load_spec, parse_spec, resolve_contract
from agent.spec.patterns import promised_columns
from tools.catalog import toolset_for
from tools.errors import SpecError
from tools.registry import ToolContext
from tools.sql.server import PgServer

ROOT = FIXTURES.parents[1]
MINI = FIXTURES / "design" / "mini.yaml"
DBARCH = str(Path(sys.executable).with_name("dbarch"))
EMPTY = {"empty": "", "comments": "-- a schema, some day\n/* nothing yet */\n\n"}


def _dbarch(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env["DBARCH_HOME"] = str(home)
    return subprocess.run(
        [DBARCH, *args], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
        timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("kind", sorted(EMPTY))
def test_reviewing_no_sql_is_bad_input(tmp_path: Path, kind: str) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text(EMPTY[kind])
    done = _dbarch("review", str(schema), home=tmp_path)
    assert done.returncode == 2, done.stdout
    assert f"{schema}: nothing to review" in done.stderr and "OK" not in done.stdout


@pytest.fixture(scope="module")
def client(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("bad-input")
    with local_client(create_app(settings_for(home, pg, mount_mcp=False, workers=0))) as client:
        yield client


def test_http_and_tools_refuse_no_sql(client: TestClient, pg: PgServer, tmp_path: Path) -> None:
    answer = client.post("/v1/review", json={"schema": EMPTY["comments"]})
    assert answer.status_code == 400 and "nothing to review" in answer.json()["message"]
    tools = toolset_for(["validate_ddl", "lint_schema"], ToolContext(workspace=tmp_path, pg=pg))
    for name in ("validate_ddl", "lint_schema"):
        outcome = tools.call(name, {"schema": EMPTY["comments"], "name": "s.sql"})
        assert outcome.is_error and "s.sql: nothing to review" in outcome.content


def _with_pattern(tmp_path: Path, sql: str, **entity_extra: Any) -> Path:
    spec = yaml.safe_load(MINI.read_text())
    spec["entities"][2].update(entity_extra)
    if entity_extra.get("soft_delete"):  # the others read orders without `deleted_at IS NULL`
        spec["access_patterns"] = []
    spec["access_patterns"].append({"name": "probe", "per_second": 5, "sql": sql})
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("sql", "column"),
    [
        ("SELECT id, totl FROM orders WHERE store_id = $1", "totl"),
        ("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.mail = $1",
         "mail"),
        ("SELECT id FROM customers WHERE store_id = $1 ORDER BY signed_up_at", "signed_up_at"),
        ("UPDATE orders SET state = 'paid' WHERE id = $1", "state"),
        ("SELECT id FROM orders WHERE deleted_at IS NULL", "deleted_at"),  # no soft delete
    ],
)  # fmt: skip
def test_an_unknown_column_is_a_spec_problem_at_its_line(
    tmp_path: Path, sql: str, column: str
) -> None:
    spec = _with_pattern(tmp_path, sql)
    with pytest.raises(SpecError) as caught:
        load_spec(spec, patterns_by_contract=True)
    (problem,) = caught.value.problems
    assert f"no column '{column}'" in problem["message"]
    assert problem["line"] == _line_of(spec, sql[:30])


@pytest.mark.parametrize(
    ("sql", "extra"),
    [
        ("SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY n DESC", {}),
        ("WITH recent AS (SELECT id, customer_id FROM orders) SELECT anything FROM recent", {}),
        ("SELECT x.whatever FROM (SELECT id FROM orders) x", {}),
        ("SELECT id FROM orders WHERE deleted_at IS NULL", {"soft_delete": True}),
        ("SELECT id FROM orders WHERE attributes @> $1", {"varying_attributes": True}),
        ("SELECT row_to_json(o) FROM orders o WHERE o.ctid IS NOT NULL", {}),
        ("SELECT id FROM orders WHERE store_id = $1 AND customer_id IN "
         "(SELECT id FROM customers WHERE tier = 'gold')", {}),
        ("SELECT * FROM audit_log WHERE row_id = $1", {}),  # a table the spec does not define
    ],
)  # fmt: skip
def test_what_a_design_of_the_spec_has_is_accepted(
    tmp_path: Path, sql: str, extra: dict[str, Any]
) -> None:
    load_spec(_with_pattern(tmp_path, sql, **extra), patterns_by_contract=True)


def test_only_a_run_that_builds_its_schema_from_the_spec_reads_patterns_by_it() -> None:
    """optimize/scale patterns run on the existing schema, whose columns the spec may not list."""
    spec = yaml.safe_load(MINI.read_text())
    spec["access_patterns"].append({"name": "probe", "sql": "SELECT legacy_flag FROM orders"})
    with pytest.raises(SpecError, match="no column 'legacy_flag'"):
        DesignInput(spec=spec).request()
    current = "CREATE TABLE orders (id bigint PRIMARY KEY, legacy_flag bool);"
    request = DesignInput(spec=spec, mode="optimize", current_schema=current).request()
    assert request.spec is not None and len(request.spec.access_patterns) == 4


@pytest.mark.parametrize("command", ["spec check", "design"])
def test_cli_says_bad_input_before_any_stage(tmp_path: Path, command: str) -> None:
    spec = _with_pattern(tmp_path, "SELECT id, totl FROM orders WHERE store_id = $1")
    extra = ["--out", str(tmp_path / "out"), "--no-input"] if command == "design" else []
    done = _dbarch(*command.split(), str(spec), *extra, home=tmp_path)
    assert done.returncode == 2, done.stderr[-600:]
    assert f"{spec}:{_line_of(spec, 'totl')}:" in done.stderr and "did you mean 'total'" in (
        done.stderr
    )
    assert "patterns_plan" not in done.stderr and not (tmp_path / "out").exists()


def _specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for name in sorted(glob.glob(str(ROOT / "examples" / "*.yaml"))):
        yield name, yaml.safe_load(Path(name).read_text())
    for name in sorted(glob.glob(str(ROOT / "evals" / "cases" / "*.yaml"))):
        case = yaml.safe_load(Path(name).read_text())
        if isinstance(case.get("spec"), dict):
            yield name, case["spec"]


@pytest.mark.parametrize(("name", "data"), list(_specs()), ids=lambda v: Path(str(v)).stem)
def test_the_rules_brain_adds_no_column_a_pattern_could_not_name(
    name: str, data: dict[str, Any]
) -> None:
    """The columns spec switches add are listed in one place; the brain must stay within it."""
    spec = parse_spec(data)
    promised = promised_columns(spec, resolve_contract(spec))
    for table in compile_schema(spec).tables:
        if table.name in promised:
            assert {c.name for c in table.columns} <= promised[table.name], (name, table.name)
