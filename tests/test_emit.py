"""`dbarch design --emit`: each output checked by its own tool, for every example spec.

SQLAlchemy's `create_all` must build the catalog schema.sql builds (tables, columns, types,
nullability, defaults, keys, foreign keys, indexes, and the DDL the models replay);
`prisma validate` must accept the Prisma schema; `@dbml/core` must parse the DBML; SQLite
must run its file. The MySQL file is only checked to be marked unvalidated and to parse.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
import sqlalchemy
import sqlglot
from conftest import CORPUS, FIXTURES, REPO
from npm_support import node_script, npm_folder

from agent.gates.catalog_snapshot import differences, snapshot
from tools.emit.names import own_tables
from tools.emit.sqlalchemy import emit as sqlalchemy_models
from tools.sql.model import Column, Schema
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer, Scratch, connect, scratch_database

EXAMPLES = sorted(p.stem for p in (REPO / "examples").glob("*.yaml"))
ALL = "sqlalchemy,prisma,dbml,mysql,sqlite"
DBARCH = str(Path(sys.executable).with_name("dbarch"))
PRISMA, DBML = "prisma@7.10.1", "@dbml/core@10.2.0"


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example designed by the CLI with every output, once for the module."""
    root = tmp_path_factory.mktemp("emit")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(DBARCH_HOME=str(root / "home"), DBARCH_SAMPLE_ROW_CAP="20000")
    folders = {}
    for name in EXAMPLES:
        out = root / name
        done = subprocess.run(
            [DBARCH, "design", str(REPO / "examples" / f"{name}.yaml"), "--emit", ALL,
             "--out", str(out), "--no-input"],
            capture_output=True, text=True, env=env, timeout=900, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert done.returncode == 0, f"{name}: {done.stderr[-1500:]}"
        folders[name] = out
    return folders


def _ddl(folder: Path) -> str:
    return (folder / "schema.sql").read_text() + "\n" + (folder / "indexes.sql").read_text()


def _load(path: Path, name: str) -> ModuleType:
    """Import a models.py as an application would (registered, so annotations resolve)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _create_all(module: ModuleType, scratch: Scratch) -> None:
    engine = sqlalchemy.create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(scratch.admin_dsn)
    )
    try:
        module.Base.metadata.create_all(engine)
    finally:
        engine.dispose()


def _same_catalog(pg: PgServer, ddl: str, models: Path, module_name: str) -> list[str]:
    module = _load(models, module_name)
    with scratch_database(pg) as expected, scratch_database(pg) as actual:
        with connect(expected.admin_dsn, autocommit=True) as conn:
            conn.execute(ddl)  # one script, as psql -f runs it
        _create_all(module, actual)
        return differences(snapshot(expected.admin_dsn), snapshot(actual.admin_dsn), 20)


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_sqlalchemy_create_all_builds_the_catalog_of_schema_sql(
    packages: dict[str, Path], pg: PgServer, name: str
) -> None:
    folder = packages[name]
    module_name = f"models_{name.replace('-', '_')}"
    assert _same_catalog(pg, _ddl(folder), folder / "models.py", module_name) == []
    models = (folder / "models.py").read_text()
    assert "class Tasks(Base)" in models or name != "task-tracker"


@pytest.mark.parametrize(
    "path",
    [CORPUS / "pagila-schema.sql", CORPUS / "chinook-postgresql.sql",
     FIXTURES / "review" / "sound.sql"],
    ids=lambda p: p.stem,
)  # fmt: skip
def test_sqlalchemy_models_of_real_dumps_build_the_same_catalog(
    pg: PgServer, path: Path, tmp_path: Path
) -> None:
    """pg_dump output (serial columns, ATTACH PARTITION, a view's index, virtual generated
    columns, functions returning row types) round-trips too."""
    models = tmp_path / "models.py"
    models.write_text(sqlalchemy_models(parse_schema(path), path.stem))
    with scratch_database(pg) as expected, scratch_database(pg) as actual:
        from tools.sql.validate import apply_statements

        assert apply_statements(parse_schema(path), expected).valid
        _create_all(_load(models, f"dump_{path.stem.replace('-', '_')}"), actual)
        assert differences(snapshot(expected.admin_dsn), snapshot(actual.admin_dsn), 20) == []


def test_exclusion_constraints_survive_every_output(pg: PgServer, tmp_path: Path) -> None:
    """A no-overlap rule (GiST EXCLUDE with btree_gist, partial under soft delete): SQLAlchemy
    models build it as an ExcludeConstraint, the formats without the concept say it in a note
    or comment, and none turns it into a plain index that would accept the double booking."""
    from agent.brains.rules.schema import compile_schema
    from agent.spec import load_spec
    from tools.emit import KINDS, emit

    ddl = compile_schema(load_spec(FIXTURES / "tenancy" / "coworking.yaml")).ddl
    files = emit(list(KINDS), ddl, "coworking")
    assert files["models.py"].count("postgresql.ExcludeConstraint(") == 2
    models = tmp_path / "models.py"
    models.write_text(files["models.py"])
    with scratch_database(pg) as expected, scratch_database(pg) as actual:
        with connect(expected.admin_dsn, autocommit=True) as conn:
            conn.execute(ddl)
        _create_all(_load(models, "models_coworking"), actual)
        assert differences(snapshot(expected.admin_dsn), snapshot(actual.admin_dsn), 20) == []
        with connect(actual.admin_dsn) as conn:
            kinds = conn.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'x' ORDER BY 1"
            ).fetchall()
        assert kinds == [("bookings_desk_id_no_overlap",), ("day_passes_member_id_no_overlap",)]
    clause = (
        "bookings_desk_id_no_overlap: EXCLUDE USING gist (desk_id WITH =, operator_id WITH =, "
        "tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (deleted_at IS NULL)"
    )
    assert clause.replace("'", "\\'") in files["schema.dbml"]
    assert "[name: 'bookings_desk_id_no_overlap'" not in files["schema.dbml"]
    assert f"// not expressible in Prisma: index {clause}" in files["schema.prisma"]
    for dialect in ("schema.mysql.sql", "schema.sqlite.sql"):
        header = files[dialect].split("\nCREATE", 1)[0]
        assert "exclusion constraint bookings_desk_id_no_overlap (EXCLUDE USING gist" in header
    script = node_script(npm_folder("dbml", [DBML]), "emit/dbml_parse.mjs")
    dbml = tmp_path / "schema.dbml"
    dbml.write_text(files["schema.dbml"])
    done = subprocess.run(
        ["node", str(script), str(dbml)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "error" not in json.loads(done.stdout)[str(dbml)]


@pytest.fixture(scope="module")
def prisma() -> Path:
    return npm_folder("prisma", [PRISMA]) / "node_modules" / ".bin" / "prisma"


@pytest.mark.slow
def test_prisma_validate_accepts_every_prisma_schema(
    packages: dict[str, Path], prisma: Path, tmp_path: Path
) -> None:
    # `prisma validate` runs the schema checks in WebAssembly; the CLI still wants a native
    # schema engine on disk and downloads one from its own host, which only the npm registry
    # of the package hosts is reachable here. The stand-in is never executed by `validate`.
    engine = tmp_path / "schema-engine"
    engine.write_text("#!/bin/sh\nexit 1\n")
    engine.chmod(0o755)
    env = {**os.environ, "PRISMA_SCHEMA_ENGINE_BINARY": str(engine), "CHECKPOINT_DISABLE": "1"}
    for name, folder in packages.items():
        done = subprocess.run(
            [str(prisma), "validate", "--schema", str(folder / "schema.prisma")],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"
        assert "is valid" in done.stdout + done.stderr
    broken = tmp_path / "broken.prisma"
    broken.write_text((packages["task-tracker"] / "schema.prisma").read_text().replace(
        "BigInt @id", "BigIntt @id", 1))  # fmt: skip
    refused = subprocess.run(
        [str(prisma), "validate", "--schema", str(broken)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert refused.returncode != 0 and "BigIntt" in refused.stdout + refused.stderr


@pytest.mark.slow
def test_dbml_core_parses_every_dbml_file(packages: dict[str, Path]) -> None:
    script = node_script(npm_folder("dbml", [DBML]), "emit/dbml_parse.mjs")
    files = {name: folder / "schema.dbml" for name, folder in packages.items()}
    done = subprocess.run(
        ["node", str(script), *map(str, files.values())], capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    for name, path in files.items():
        result = parsed[str(path)]
        assert "error" not in result, f"{name}: {result}"
        schema = parse_schema(_ddl(packages[name]), "schema.sql")
        assert sorted(result["tables"]) == sorted(t.name for t in own_tables(schema))
        assert sorted(result["enums"]) == sorted(schema.enums)


@pytest.mark.slow
def test_sqlite_runs_its_file_with_every_table_and_foreign_key(packages: dict[str, Path]) -> None:
    for name, folder in packages.items():
        schema = parse_schema(_ddl(folder), "schema.sql")
        db = sqlite3.connect(":memory:")
        db.execute("PRAGMA foreign_keys = ON")
        db.executescript((folder / "schema.sqlite.sql").read_text())
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {t.name for t in own_tables(schema)}, name
        for table in own_tables(schema):
            columns = {r[1] for r in db.execute(f'PRAGMA table_info("{table.name}")')}
            assert columns == set(table.column_names), (name, table.name)
            fks = {r[0] for r in db.execute(f'PRAGMA foreign_key_list("{table.name}")')}
            assert len(fks) == len(table.foreign_keys), (name, table.name)
        _insert_a_row_per_table(db, schema, name)


def _insert_a_row_per_table(db: sqlite3.Connection, schema: Schema, name: str) -> None:
    """A row into each table without references: required values given, the enum CHECKs
    satisfied, the key numbered by SQLite itself (its rowid) and the defaults filled in."""
    for table in own_tables(schema):
        key = table.column(table.primary_key[0]) if len(table.primary_key) == 1 else None
        if table.foreign_keys or key is None or not key.identity:
            continue
        given = {c.name: _value(c, schema) for c in table.columns
                 if not c.nullable and c.default is None and not c.identity}  # fmt: skip
        columns = ", ".join(f'"{c}"' for c in given)
        marks = ", ".join("?" for _ in given)
        db.execute(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', list(given.values()))
        row = db.execute(f'SELECT * FROM "{table.name}"').fetchone()
        assert row[table.column_names.index(key.name)] == 1, (name, table.name)
        assert None not in [row[i] for i, c in enumerate(table.columns) if not c.nullable]


def _value(column: Column, schema: Schema) -> object:
    enum = schema.enums.get(column.base_type)
    if enum is not None:
        return enum.values[0]
    if column.base_type in ("int2", "int4", "int8", "numeric", "float4", "float8", "bool"):
        return 1
    return "2025-01-15" if column.base_type.startswith(("date", "timestamp")) else "x"


@pytest.mark.slow
def test_mysql_file_is_marked_unvalidated_and_parses_as_mysql(packages: dict[str, Path]) -> None:
    for name, folder in packages.items():
        text = (folder / "schema.mysql.sql").read_text()
        assert "NOT VALIDATED" in text.splitlines()[1], name
        statements = sqlglot.parse(text, read="mysql")
        created = [s for s in statements if s and s.key == "create" and s.kind == "TABLE"]
        schema = parse_schema(_ddl(folder), "schema.sql")
        assert len(created) == len(own_tables(schema)), name
        assert "AUTO_INCREMENT" in text and "GENERATED BY DEFAULT" not in text


def test_bad_emit_lists_are_bad_input(tmp_path: Path) -> None:
    spec = str(FIXTURES / "design" / "mini.yaml")
    env = {**os.environ, "DBARCH_HOME": str(tmp_path)}
    unknown = subprocess.run(
        [DBARCH, "design", spec, "--emit", "sqlalchemy,hibernate"], capture_output=True,
        text=True, env=env, timeout=120,
    )  # fmt: skip
    assert unknown.returncode == 2 and "hibernate" in unknown.stderr
    piped = subprocess.run(
        [DBARCH, "design", spec, "--emit", "dbml", "-f", "json"], capture_output=True,
        text=True, env=env, timeout=120,
    )  # fmt: skip
    assert piped.returncode == 2 and "--out" in piped.stderr
