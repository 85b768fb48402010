"""Mode migrate: a real schema diff turned into online steps, replayed up and down on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest
from conftest import FIXTURES
from mode_support import mode_context
from rules_design import example

from agent.brains.rules.migrate import plan_migration
from agent.brains.rules.migrate.diff import diff_schemas
from agent.brains.rules.migrations import apply_migration, migration_files
from agent.brains.rules.migrations.check import apply_all, migration_statements
from agent.engine import run_design
from agent.gates.migrate import lint_verdict, round_trip
from agent.package import DesignPackage
from agent.report import package_files, render_report
from agent.spec import load_spec
from agent.stages import MigrationPlan
from agent.state import DesignRequest
from tools.errors import DatabaseError
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer, connect, scratch_database
from tools.sql.validate import apply_statements

MODES = FIXTURES / "modes"
TRACKER_V1 = (MODES / "task-tracker-v1.sql").read_text()
SHOP_V1, SHOP_V2 = (MODES / "shop-v1.sql").read_text(), (MODES / "shop-v2.sql").read_text()
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "task-tracker.yaml"
PHASES = ("expand", "backfill", "contract")


@pytest.fixture(scope="module")
def tracker_plan() -> MigrationPlan:
    return plan_migration(TRACKER_V1, example("task-tracker").schema.ddl)


def test_diff_reads_the_model_object_by_object() -> None:
    diff = diff_schemas(parse_schema(SHOP_V1), parse_schema(SHOP_V2))
    assert diff.enum_values == [("order_status", "cancelled", "shipped")]
    assert [(t, u.columns) for t, u in diff.unique_added] == [("customers", ["email"])]
    assert [(t, f.ref_table) for t, f in diff.foreign_added] == [("orders", "customers")]
    assert [(t, c.expression) for t, c in diff.checks_added] == [("orders", "total >= 0")]
    assert [(t, c.expression) for t, c in diff.checks_dropped] == [("orders", "quantity > 0")]
    changed = {f"{c.table}.{c.old.name}": c for c in diff.changed}
    assert set(changed) == {"customers.note", "orders.status", "orders.total", "orders.placed_at"}
    assert changed["orders.placed_at"].nullability and changed["orders.placed_at"].default
    assert not changed["orders.status"].retyped and changed["orders.status"].default
    assert [i.name for i in diff.indexes_added] == ["orders_customer_id_placed_at_idx"]
    assert [i.name for i in diff.indexes_dropped] == ["orders_placed_at_idx"]
    assert [s.split(" AS ")[0] for s in diff.statements_dropped] == ["CREATE VIEW customer_emails"]
    assert not diff.renamed and not diff.tables_added and not diff.unsupported


def test_tracker_changes_are_named(tracker_plan: MigrationPlan) -> None:
    changes = {(c.object, c.change, c.name): c.detail for c in tracker_plan.changes}
    assert changes[("column", "renamed", "users.name")].startswith("-> display_name")
    assert changes[("column", "changed", "tasks.status")] == "text -> task_status (shadow column)"
    assert changes[("column", "changed", "companies.slug")] == "character varying(64) -> text"
    assert ("column", "dropped", "users.fax") in changes
    assert ("table", "dropped", "legacy_notes") in changes
    assert ("index", "dropped", "tasks_title_idx") in changes
    assert ("table", "added", "comments") in changes
    assert ("table", "changed", "tasks") in changes  # row-level security enabled
    assert ("trigger", "added", "tasks_set_updated_at on tasks") in changes
    assert ("policy", "added", "tenant_isolation on tasks") in changes


def test_steps_are_ordered_expand_backfill_contract(tracker_plan: MigrationPlan) -> None:
    order = [PHASES.index(s.phase) for s in tracker_plan.steps]
    assert order == sorted(order) and set(order) == {0, 1, 2}
    names = [s.name for s in tracker_plan.steps]
    assert len(names) == len(set(names))
    for step in tracker_plan.steps:
        assert step.down.strip() and step.why and step.lock
        assert ("CONCURRENTLY" in step.up or "DO $$" in step.up) == (not step.transactional)
    by_name = {s.name: s for s in tracker_plan.steps}
    swap = by_name["swap_tasks_status"]
    assert swap.phase == "contract"
    assert "RENAME COLUMN status__new TO status" in swap.up
    assert {a.rule for a in swap.accepted_lint} >= {"renaming-column"}
    copy = by_name["copy_users_name_to_display_name"]
    assert "LIMIT 10000" in copy.up and "COMMIT" in copy.up and not copy.transactional
    not_null = by_name["set_not_null_users_display_name"]
    assert not_null.up.index("VALIDATE CONSTRAINT") < not_null.up.index("SET NOT NULL")
    assert "NOT VALID" in by_name["check_not_null_users_display_name"].up
    retire = by_name["retire_column_users_fax"]
    assert retire.risk == "high" and not retire.on_purpose and retire.rollback_loses is None
    assert "RENAME COLUMN fax TO fax__retired" in retire.up
    assert "RENAME COLUMN fax__retired TO fax" in retire.down
    purge = by_name["purge_column_users_fax__retired"]
    assert purge.risk == "high" and purge.on_purpose and purge.phase == "contract"
    assert [a.rule for a in purge.accepted_lint] == ["ban-drop-column"]
    assert "dbarch.allow_data_loss" in purge.up and "DROP COLUMN IF EXISTS fax__retired" in purge.up
    assert "ADD COLUMN IF NOT EXISTS fax__retired text" in purge.down
    assert purge.rollback_loses is not None and "users.fax" in purge.rollback_loses
    table = by_name["purge_table_legacy_notes"]
    assert table.on_purpose and "DROP TABLE IF EXISTS legacy_notes__retired" in table.up
    assert table.rollback_loses is not None and "every row of legacy_notes" in table.rollback_loses
    assert names.index("retire_table_legacy_notes") < names.index("purge_table_legacy_notes")
    assert names[-2:] == [
        "purge_column_users_fax__retired",
        "purge_table_legacy_notes",
    ]  # the data-destroying steps come last
    swapped = by_name["drop_column_tasks_status__old"]
    assert swapped.risk == "medium" and swapped.rollback_loses is not None


def test_dropped_data_survives_until_a_purge_run_on_purpose(
    tracker_plan: MigrationPlan, pg: PgServer
) -> None:
    """Up to the purges, the retired column keeps its values and a rollback restores them;
    the purge file stops unless the session allows data loss."""
    files = migration_files(tracker_plan)
    first_purge = next(n for n, s in enumerate(tracker_plan.steps) if s.on_purpose)
    with scratch_database(pg) as db:
        apply_statements(parse_schema(TRACKER_V1), db)
        with connect(db.dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO companies (name, slug) VALUES ('acme', 'acme')")
            conn.execute(
                "INSERT INTO users (company_id, email, name, fax) VALUES (1, 'a@x', 'A', '555')"
            )
        apply_all(db.dsn, files[:first_purge], "up")
        with connect(db.dsn) as conn:
            row = conn.execute("SELECT fax__retired FROM users").fetchone()
        assert row == ("555",)
        with pytest.raises(DatabaseError, match=r"dbarch\.allow_data_loss"):
            apply_migration(db.dsn, files[first_purge].up)
        apply_all(db.dsn, files[:first_purge], "down")
        with connect(db.dsn) as conn:
            assert conn.execute("SELECT fax FROM users").fetchone() == ("555",)
        apply_all(db.dsn, files, "up", allow_data_loss=True)
        with connect(db.dsn) as conn:
            gone = conn.execute(
                "SELECT count(*) FROM information_schema.columns WHERE column_name LIKE 'fax%'"
            ).fetchone()
        assert gone == (0,)


def test_a_purge_is_allowed_by_the_session_option_a_person_sets(
    tracker_plan: MigrationPlan, pg: PgServer
) -> None:
    """The documented way to run a purge: PGOPTIONS='-c dbarch.allow_data_loss=on'."""
    purge = next(s for s in tracker_plan.steps if s.on_purpose)
    guard = migration_statements(purge.up)[0]
    with scratch_database(pg) as db:
        options = "-c dbarch.allow_data_loss=on"
        with psycopg.connect(db.dsn, autocommit=True, options=options) as conn:
            conn.execute(guard)  # passes: the session allows it
        with connect(db.dsn, autocommit=True) as conn, pytest.raises(psycopg.Error):
            conn.execute(guard)


def test_files_wrap_each_step_as_a_runner_applies_it(tracker_plan: MigrationPlan) -> None:
    files = migration_files(tracker_plan)
    assert len(files) == len(tracker_plan.steps)
    assert files[0].name == f"0001_{tracker_plan.steps[0].name}"
    for mig, step in zip(files, tracker_plan.steps, strict=True):
        assert "SET lock_timeout = '5s';" in mig.up
        assert ("BEGIN;" in mig.up) == step.transactional
        assert mig.up.splitlines()[0].startswith(f"-- {mig.name} (up, {step.phase}):")


def test_default_changes_read_as_sentences() -> None:
    """No 'default None -> now()': a default added, dropped or changed says which."""
    details = {c.detail for c in plan_migration(SHOP_V1, SHOP_V2).changes if "default" in c.detail}
    assert details == {"default added: now()", "default 'open' -> 'paid'"}
    back = {c.detail for c in plan_migration(SHOP_V2, SHOP_V1).changes if "default" in c.detail}
    assert "default dropped (was now())" in back


def test_shop_target_schema_round_trips_on_postgresql(pg: PgServer) -> None:
    plan = plan_migration(SHOP_V1, SHOP_V2)
    files = migration_files(plan)
    reaches, rolls_back = round_trip(SHOP_V1, SHOP_V2, files, pg)
    assert reaches.passed, [f.message for f in reaches.findings]
    assert rolls_back.passed, [f.message for f in rolls_back.findings]
    lint = lint_verdict(plan, files)
    assert lint.passed, [f.message for f in lint.findings]
    assert any("changing-column-type accepted" in n for n in lint.notes)
    enum = next(s for s in plan.steps if s.name == "add_values_order_status")
    assert (
        enum.up == "ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'cancelled' BEFORE 'shipped';"
    )
    assert "CREATE TYPE order_status AS ENUM ('open', 'paid', 'shipped')" in enum.down


def test_gates_catch_a_missing_step_a_broken_rollback_and_unaccepted_lint(
    pg: PgServer,
) -> None:
    plan = plan_migration(SHOP_V1, SHOP_V2)
    without_check = plan.model_copy(
        update={"steps": [s for s in plan.steps if "orders_quantity_check" not in s.name]}
    )
    reaches, _ = round_trip(SHOP_V1, SHOP_V2, migration_files(without_check), pg)
    assert not reaches.passed
    assert [f.message for f in reaches.findings] == [
        "after the up files: unexpected constraint orders: CHECK ((quantity > 0))"
    ]
    broken = plan.model_copy(deep=True)
    widen = next(s for s in broken.steps if s.name == "widen_orders_total")
    widen.down = "-- forgotten"
    widen.accepted_lint = []
    files = migration_files(broken)
    _, rolls_back = round_trip(SHOP_V1, SHOP_V2, files, pg)
    assert [f.message for f in rolls_back.findings] == [
        "after the down files: missing column orders.total numeric(10,2) NOT NULL",
        "after the down files: unexpected column orders.total numeric(12,2) NOT NULL",
    ]
    lint = lint_verdict(broken, files)
    (finding,) = lint.findings
    assert finding.message.startswith("0004_widen_orders_total.up.sql:")
    assert "squawk changing-column-type" in finding.message


@pytest.fixture(scope="module")
def tracker_run(tmp_path_factory: pytest.TempPathFactory, pg: PgServer) -> DesignPackage:
    ctx, events = mode_context(tmp_path_factory.mktemp("home"), pg)
    request = DesignRequest(
        mode="migrate",
        spec=load_spec(EXAMPLE),
        current_schema=TRACKER_V1,
        schema_name="task-tracker-v1.sql",
    )
    outcome = asyncio.run(run_design(request, ctx))
    assert outcome.status == "done", outcome.message
    assert [e.stage for e in events if e.kind == "stage_start"] == [
        "requirements",
        "current",
        "target",
        "migrate",
        "adr",
    ]
    assert outcome.package is not None
    return outcome.package


def test_migrate_run_passes_every_gate_and_ships_the_steps(tracker_run: DesignPackage) -> None:
    pkg = tracker_run
    gates = {c.gate: c.passed for c in pkg.checks}
    assert gates["migration_reaches_target"] and gates["migration_rolls_back"]
    assert gates["migration_lint"] and gates["naming_contract"] and all(gates.values())
    assert pkg.migration is not None and pkg.current is not None
    assert [m.name for m in pkg.migrations] == [m.name for m in migration_files(pkg.migration)]
    assert pkg.schema_design is not None and pkg.schema_design.table("task_labels") is not None
    assert pkg.current.table("legacy_notes") is not None
    (adr,) = pkg.adrs
    assert adr.title.startswith("Migrate online: expand, backfill, contract")
    assert f"in {len(pkg.migration.steps)} steps" in adr.decision


def test_migrate_report_and_files(tracker_run: DesignPackage) -> None:
    report = render_report(tracker_run)
    files = package_files(tracker_run, report)
    ups = [f for f in files if f.startswith("migrations/") and f.endswith(".up.sql")]
    downs = [f for f in files if f.startswith("migrations/") and f.endswith(".down.sql")]
    assert len(ups) == len(downs) == len(tracker_run.migrations)
    assert report.startswith("# task-tracker: migration plan")
    titles = [line for line in report.splitlines() if line.startswith("## ")]
    assert titles == [
        "## Summary",
        "## Current schema",
        "## Target schema",
        "## Entity relationship diagram",
        "## Migration plan",
        "## Checks",
        "## Architecture decision records",
        "## Next steps",
    ]
    assert "| column | renamed | users.name |" in report
    assert "### What a rollback cannot bring back" in report
    assert "every row of legacy_notes: the down file re-creates the table empty" in report
    ups = {m.name: m.up for m in tracker_run.migrations}
    purge = next(text for name, text in ups.items() if name.endswith("purge_table_legacy_notes"))
    assert "-- DESTROYS DATA: stops unless run on purpose" in purge
    assert "`0001_types_and_functions`" in report


TENANT_V1 = """
CREATE TABLE orgs (id bigint PRIMARY KEY);
CREATE TABLE projects (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs (id));
CREATE TABLE tasks (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs (id),
    project_id bigint NOT NULL CONSTRAINT tasks_project_id_fkey REFERENCES projects (id));
CREATE INDEX ON tasks (project_id);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
"""
TENANT_V2 = """
CREATE TABLE orgs (id bigint PRIMARY KEY);
CREATE TABLE projects (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs (id),
    CONSTRAINT projects_org_id_id_key UNIQUE (org_id, id));
CREATE TABLE tasks (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs (id),
    project_id bigint NOT NULL,
    CONSTRAINT tasks_org_id_project_id_fkey FOREIGN KEY (org_id, project_id)
        REFERENCES projects (org_id, id));
CREATE INDEX ON tasks (project_id, org_id);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
"""


def test_a_tenant_key_migration_builds_the_parent_key_first_and_forces_after_backfills(
    pg: PgServer,
) -> None:
    plan = plan_migration(TENANT_V1, TENANT_V2)
    names = [s.name for s in plan.steps]
    unique = names.index("unique_constraint_projects_org_id_id_key")
    widened = next(i for i, s in enumerate(plan.steps) if "tasks_org_id_project_id_fkey" in s.up)
    assert unique < widened  # the composite key needs the parent's (org_id, id) first
    force = plan.steps[names.index("force_rls_tasks")]
    assert force.phase == "contract" and force.up == "ALTER TABLE tasks FORCE ROW LEVEL SECURITY;"
    assert force.down == "ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY;"
    files = migration_files(plan)
    reaches, rolls_back = round_trip(TENANT_V1, TENANT_V2, files, pg)
    assert reaches.passed, reaches.findings
    assert rolls_back.passed, rolls_back.findings
