"""Migration plans: ordered up/down files that squawk accepts and that apply up, down, up again."""

from __future__ import annotations

from pathlib import Path

import pytest
from rules_design import EXAMPLE_NAMES, NO_INDEXES, example

from agent.brains.rules.migrations import apply_migration, lint_migrations, plan_migrations
from agent.brains.rules.migrations.check import apply_all, migration_statements
from agent.package import Migration
from agent.stages import IndexPlan, IndexRecommendation, SchemaDesign
from tools.errors import DatabaseError, ToolError
from tools.sql.server import Scratch, connect

FIXTURE = Path(__file__).parent / "fixtures" / "migrations" / "design.sql"
# squawk's advice on column types the spec itself declared (`int`, `smallint`, `varchar`,
# `char(3)`): warnings to show the user, never errors, and not ours to override.
TYPE_ADVICE = {
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-text-field",
    "ban-char-field",
}
ADVISED = IndexPlan(
    indexes=[
        IndexRecommendation(
            ddl="CREATE INDEX ON devices (status, created_at)",
            table="devices",
            columns=["status", "created_at"],
        )
    ]
)


def fixture_migrations() -> list[Migration]:
    return plan_migrations(SchemaDesign(ddl=FIXTURE.read_text()), ADVISED)


def user_objects(dsn: str) -> list[tuple[str, str]]:
    """Everything the design can create in public: relations, types, functions, policies."""
    query = """
        SELECT 'relation', relname::text FROM pg_class
          WHERE relnamespace = 'public'::regnamespace
        UNION ALL SELECT 'type', typname::text FROM pg_type
          WHERE typnamespace = 'public'::regnamespace AND typtype IN ('e', 'd', 'c')
          AND typrelid = 0
        UNION ALL SELECT 'function', proname::text FROM pg_proc
          WHERE pronamespace = 'public'::regnamespace
        UNION ALL SELECT 'policy', polname::text FROM pg_policy
        UNION ALL SELECT 'extension', extname::text FROM pg_extension WHERE extname <> 'plpgsql'
        ORDER BY 1, 2
    """
    with connect(dsn) as conn:
        return [(str(kind), str(name)) for kind, name in conn.execute(query).fetchall()]


def test_fixture_is_split_into_ordered_steps() -> None:
    names = [m.name for m in fixture_migrations()]
    assert names == [
        "0001_types_and_functions",
        "0002_tables",
        "0003_constraints",
        "0004_validate_constraints",
        "0005_indexes",
        "0006_row_level_security",
        "0007_triggers",
        "0008_partitions",
        "0009_views",
    ]


def test_online_shapes_of_each_step() -> None:
    steps = {m.name.split("_", 1)[1]: m for m in fixture_migrations()}
    tables = steps["tables"].up
    assert "REFERENCES" not in tables  # foreign keys move to the constraints step
    assert "readings_device_id_recorded_at_idx" in tables  # partitioned parent: not CONCURRENTLY
    constraints = migration_statements(steps["constraints"].up)
    added = [s for s in constraints if "ADD CONSTRAINT" in s]
    assert len(added) == 4 and all(s.endswith("NOT VALID") for s in added)
    assert "sites_company_id_fkey" in steps["constraints"].up  # inline REFERENCES got a name
    assert steps["validate_constraints"].up.count("VALIDATE CONSTRAINT") == 4
    indexes = steps["indexes"]
    assert "BEGIN" not in indexes.up and "BEGIN" not in indexes.down
    created = [s for s in migration_statements(indexes.up) if s.startswith("CREATE")]
    assert len(created) == 4 and all("CONCURRENTLY IF NOT EXISTS" in s for s in created)
    assert "devices_status_created_at_idx" in indexes.up  # the advisor's unnamed index, named
    assert "DROP INDEX CONCURRENTLY IF EXISTS devices_status_created_at_idx" in indexes.down
    for mig in fixture_migrations():
        assert "SET lock_timeout = '5s';" in mig.up


def test_downs_undo_ups_in_reverse() -> None:
    tables = next(m for m in fixture_migrations() if m.name == "0002_tables")
    drops = [s for s in migration_statements(tables.down) if s.startswith("DROP")]
    assert drops == [
        "DROP TABLE IF EXISTS readings",
        "DROP TABLE IF EXISTS devices",
        "DROP TABLE IF EXISTS sites",
        "DROP TABLE IF EXISTS companies",
    ]


def test_squawk_accepts_every_fixture_up_file() -> None:
    assert lint_migrations(fixture_migrations()) == []


def test_fixture_applies_up_down_up_as_the_sandbox_role(scratch: Scratch) -> None:
    migrations = fixture_migrations()
    apply_all(scratch.dsn, migrations, "up")
    created = user_objects(scratch.dsn)
    assert ("relation", "readings_2025_02") in created
    assert ("policy", "devices_tenant_isolation") in created
    apply_all(scratch.dsn, migrations, "down")
    assert user_objects(scratch.dsn) == []
    apply_all(scratch.dsn, migrations, "up")
    assert user_objects(scratch.dsn) == created


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_pass_squawk_and_apply_up_down_up(name: str, scratch: Scratch) -> None:
    migrations = plan_migrations(example(name).schema, NO_INDEXES)
    assert [m.name[:4] for m in migrations] == [f"{n:04d}" for n in range(1, len(migrations) + 1)]
    violations = lint_migrations(migrations)
    assert not [v for v in violations if v.level.lower() == "error"]
    assert {v.rule_name for v in violations} <= TYPE_ADVICE, violations
    apply_all(scratch.dsn, migrations, "up")
    created = user_objects(scratch.dsn)
    assert len(created) >= len(example(name).schema.tables)
    apply_all(scratch.dsn, migrations, "down")
    assert user_objects(scratch.dsn) == []
    apply_all(scratch.dsn, migrations, "up")
    assert user_objects(scratch.dsn) == created


def test_two_unnamed_indexes_on_the_same_columns_get_distinct_names() -> None:
    ddl = (
        "CREATE TABLE t (id bigint PRIMARY KEY, a int);\n"
        "CREATE INDEX ON t (a);\nCREATE INDEX ON t (a) WHERE a > 0;"
    )
    [_, indexes] = plan_migrations(SchemaDesign(ddl=ddl), NO_INDEXES)
    assert "EXISTS t_a_idx ON" in indexes.up and "EXISTS t_a_idx2 ON" in indexes.up


def test_a_statement_without_a_known_rollback_is_refused() -> None:
    with pytest.raises(ToolError, match="GrantStmt"):
        plan_migrations(SchemaDesign(ddl="GRANT SELECT ON t TO someone;"), NO_INDEXES)


def test_a_failing_statement_is_named(scratch: Scratch) -> None:
    with pytest.raises(DatabaseError, match="missing_table"):
        apply_migration(scratch.dsn, "BEGIN;\nALTER TABLE missing_table ADD COLUMN x int;\nCOMMIT;")


def test_an_index_repeated_by_the_advisor_is_planned_once_and_a_clash_renamed() -> None:
    ddl = "CREATE TABLE t (id bigint PRIMARY KEY, a int, b int);\nCREATE INDEX t_a_idx ON t (a);"
    advice = IndexPlan(
        indexes=[
            IndexRecommendation(ddl="CREATE INDEX t_a_idx ON t (a)", table="t", columns=["a"]),
            IndexRecommendation(ddl="CREATE INDEX t_a_idx ON t (a, b)", table="t", columns=["a"]),
        ]
    )
    [_, indexes] = plan_migrations(SchemaDesign(ddl=ddl), advice)
    created = [s for s in migration_statements(indexes.up) if s.startswith("CREATE")]
    assert len(created) == 2
    assert "EXISTS t_a_idx ON t (a);" in indexes.up
    assert "EXISTS t_a_idx2 ON t (a, b);" in indexes.up
