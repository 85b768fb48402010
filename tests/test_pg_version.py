"""Target PostgreSQL versions: the version table, the lint rule, and what the rules brain emits.

A design for `--pg-version 14` must use nothing PostgreSQL 14 refuses. The version table
(tools/sql/pg_features.py) is checked against each construct's own sample here, and every
example's DDL, for 14 and for 18, is checked against the table; where Debian's
PostgreSQL 15 is installed the 14 DDL is applied to that real older server too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from conftest import REPO
from rules_design import EXAMPLE_NAMES, EXAMPLES, NO_INDEXES, compile_spec

from agent.brains.rules.migrations import plan_migrations
from agent.brains.rules.scaling.ops import _plan_drift
from agent.spec import load_spec
from tools.sql.parse import parse_schema
from tools.sql.pg_features import (
    BY_ID,
    FEATURES,
    NEWEST,
    OLDEST,
    unsupported_in_sql,
    version_findings,
)

sys.path.insert(0, str(REPO))  # benchmarks/ is a folder of scripts, not an installed package
from benchmarks.pg15_hypopg import PG_BIN, pg15_cluster

# One statement per construct, as a person would write it.
SAMPLES = {
    "multirange-types": "CREATE TABLE t (busy tstzmultirange)",
    "column-compression": "CREATE TABLE t (body text COMPRESSION lz4)",
    "range-agg": "SELECT range_agg(r) FROM t",
    "nulls-not-distinct": "CREATE TABLE t (a int, UNIQUE NULLS NOT DISTINCT (a))",
    "merge": "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
    "security-invoker-view": "CREATE VIEW v WITH (security_invoker) AS SELECT 1",
    "fk-set-null-columns": "CREATE TABLE c (a int, b int, FOREIGN KEY (a, b) "
    "REFERENCES p ON DELETE SET NULL (b))",
    "explain-generic-plan": "EXPLAIN (GENERIC_PLAN) SELECT * FROM t WHERE id = $1",
    "sql-json-constructors": "SELECT JSON_OBJECT('a': 1)",
    "any-value": "SELECT any_value(a) FROM t",
    "json-table": "SELECT * FROM JSON_TABLE('[1]'::jsonb, '$[*]' COLUMNS (a int PATH '$')) j",
    "merge-returning": "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE "
    "RETURNING t.id",
    "uuid-extract-timestamp": "SELECT uuid_extract_timestamp(gen_random_uuid())",
    "uuidv7": "CREATE TABLE t (id uuid PRIMARY KEY DEFAULT uuidv7())",
    "virtual-generated-column": "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2))",
    "without-overlaps": "CREATE TABLE t (room int, during tstzrange, "
    "PRIMARY KEY (room, during WITHOUT OVERLAPS))",
    "not-null-not-valid": "ALTER TABLE t ADD CONSTRAINT a_nn NOT NULL a NOT VALID",
}


def test_every_construct_of_the_table_has_a_sample() -> None:
    assert set(SAMPLES) == set(BY_ID)
    assert all(OLDEST < f.since <= NEWEST for f in FEATURES)


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.id)
def test_each_construct_is_seen_below_its_version_only(feature: object) -> None:
    sql = SAMPLES[feature.id]  # type: ignore[attr-defined]
    since = feature.since  # type: ignore[attr-defined]
    below = {f.id for _, f in unsupported_in_sql(sql, since - 1)}
    assert feature.id in below  # type: ignore[attr-defined]
    assert feature.id not in {f.id for _, f in unsupported_in_sql(sql, since)}  # type: ignore[attr-defined]


def test_plain_sql_is_fine_everywhere() -> None:
    plain = "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a text UNIQUE);"
    plain += "CREATE INDEX ON t (a) INCLUDE (id) WHERE a IS NOT NULL;"
    plain += "SELECT a, count(*) FROM t GROUP BY a;"
    assert list(unsupported_in_sql(plain, OLDEST)) == []


def test_the_lint_rule_names_the_construct_and_the_target() -> None:
    schema = parse_schema(
        "CREATE TABLE t (id uuid PRIMARY KEY DEFAULT uuidv7(), a int,\n"
        "  UNIQUE NULLS NOT DISTINCT (a));\n",
        "t.sql",
    )
    findings = version_findings(schema.statements, 14)
    assert {f.rule for f in findings} == {"unsupported-in-target-version"}
    assert all(f.severity == "error" and f.line == 1 and f.file == "t.sql" for f in findings)
    messages = " ".join(f.message for f in findings)
    assert (
        "uuidv7()" in messages and "PostgreSQL 18" in messages and "NULLS NOT DISTINCT" in messages
    )
    assert version_findings(schema.statements, 18) == []


def _variants() -> list[tuple[str, str]]:
    return [(name, keys) for name in EXAMPLE_NAMES for keys in ("identity", "uuid")]


def _compiled(name: str, keys: str, version: int) -> tuple[str, list[str]]:
    spec = load_spec(EXAMPLES / f"{name}.yaml")
    spec = spec.model_copy(update={"keys": keys, "pg_version": version})
    compiled = compile_spec(spec)
    migrations = plan_migrations(compiled.schema, NO_INDEXES)
    return compiled.schema.ddl, [m.up for m in migrations] + [m.down for m in migrations]


@pytest.mark.parametrize(("name", "keys"), _variants())
def test_a_pg14_design_uses_nothing_pg14_lacks(name: str, keys: str) -> None:
    ddl, migrations = _compiled(name, keys, 14)
    for sql in [ddl, *migrations]:
        assert [f.id for _, f in unsupported_in_sql(sql, 14)] == [], sql[:300]
    if keys == "uuid":
        assert "gen_random_uuid()" in ddl and "uuidv7" not in ddl


def test_an_18_design_uses_uuidv7_for_uuid_keys() -> None:
    ddl, _ = _compiled("task-tracker", "uuid", 18)
    assert "DEFAULT uuidv7()" in ddl
    assert {f.id for _, f in unsupported_in_sql(ddl, 17)} == {"uuidv7"}


def test_generic_plan_advice_follows_the_target() -> None:
    assert "EXPLAIN (GENERIC_PLAN)" in _plan_drift(16) and "PREPARE" not in _plan_drift(16)
    assert "PREPARE p AS" in _plan_drift(15) and "force_generic_plan" in _plan_drift(15)


pg15 = pytest.mark.skipif(
    not PG_BIN.exists(),
    reason=f"PostgreSQL 15 is not installed ({PG_BIN}); .ci/run installs Debian's "
    "postgresql-15 where apt-get works",
)


@pg15
def test_pg14_designs_of_every_example_apply_to_a_real_postgresql_15() -> None:
    with pg15_cluster() as url:
        for name, keys in _variants():
            ddl, _ = _compiled(name, keys, 14)
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS v_{os.getpid()}")
                admin.execute(f"CREATE DATABASE v_{os.getpid()}")
            try:
                with psycopg.connect(url.replace("/postgres?", f"/v_{os.getpid()}?")) as conn:
                    assert conn.info.server_version // 10000 == 15
                    conn.execute(ddl)  # one script, as psql -f would run it
            except psycopg.Error as exc:
                pytest.fail(f"{name} ({keys} keys) for PostgreSQL 14 fails on 15: {exc}")
            finally:
                with psycopg.connect(url, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE v_{os.getpid()}")


@pg15
@pytest.mark.slow
def test_a_design_against_an_older_server_reads_its_version(tmp_path: Path) -> None:
    """DATABASE_URL at PostgreSQL 15 and no --pg-version: the design targets 15, every gate
    runs on the real 15, and the package says so."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(DBARCH_HOME=str(tmp_path / "home"), DBARCH_SAMPLE_ROW_CAP="20000")
    spec = REPO / "tests" / "fixtures" / "design" / "mini.yaml"
    with pg15_cluster() as url:
        env["DATABASE_URL"] = url
        done = subprocess.run(
            [str(Path(sys.executable).with_name("dbarch")), "design", str(spec), "-f", "json",
             "--no-input"],
            capture_output=True, text=True, env=env, timeout=900, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    package = json.loads(done.stdout)
    assert package["spec"]["pg_version"] == 15
    assert all(check["passed"] for check in package["checks"])
    assert "PostgreSQL 15" in package["technology"]["primary"]["product"]


@pytest.mark.slow
def test_design_for_14_through_the_cli(tmp_path: Path) -> None:
    """`--pg-version 14`: uuid keys from gen_random_uuid(), PREPARE-based plan checks, the
    version named, and every gate (the version rule in lint_clean among them) passed."""
    spec = tmp_path / "shop.yaml"
    mini = (REPO / "tests" / "fixtures" / "design" / "mini.yaml").read_text()
    spec.write_text(mini.replace("tenancy: shared-schema", "tenancy: shared-schema\nkeys: uuid"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(DBARCH_HOME=str(tmp_path / "home"), DBARCH_SAMPLE_ROW_CAP="20000")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbarch")), "design", str(spec), "--pg-version",
         "14", "-f", "json", "--no-input"],
        capture_output=True, text=True, env=env, timeout=900, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    package = json.loads(done.stdout)
    ddl = package["schema_design"]["ddl"]
    assert package["spec"]["pg_version"] == 14 and "DEFAULT gen_random_uuid()" in ddl
    assert list(unsupported_in_sql(ddl, 14)) == []
    assert any("PREPARE p AS" in m for m in package["scaling"]["monitoring"])
    assert package["technology"]["primary"]["product"] == "PostgreSQL 14"
    assert all(check["passed"] for check in package["checks"])
