"""The synthetic data generator on the real PostgreSQL: constraints, volumes, distributions."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from tools.errors import InputError
from tools.sql.datagen import generate_data
from tools.sql.datagen.fill import row_targets
from tools.sql.model import Schema
from tools.sql.parse import parse_schema
from tools.sql.server import Conn, Scratch, connect
from tools.sql.validate import apply_statements

WORKLOAD = FIXTURES / "workload"


def _apply(name: str, scratch: Scratch) -> Schema:
    schema = parse_schema(WORKLOAD / name)
    assert apply_statements(schema, scratch).valid
    return schema


def _scalar(conn: Conn, query: str) -> float:
    row = conn.execute(query).fetchone()
    assert row is not None
    return float(row[0])


def test_shop_loads_with_skewed_keys_and_enums(scratch: Scratch) -> None:
    schema = _apply("shop.sql", scratch)
    rows = {"customers": 2000, "products": 300, "orders": 40000, "order_items": 80000}
    report = generate_data(schema, scratch, rows)
    assert report.failures == [] and report.notes == [] and report.sampling_note is None
    assert {t.table: t.loaded for t in report.tables} == rows
    with connect(scratch.dsn) as conn:
        assert _scalar(conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 3
        top = _scalar(  # orders held by the busiest 1% of customers
            conn,
            "SELECT sum(n) / 40000.0 FROM (SELECT count(*) n FROM orders GROUP BY customer_id"
            " ORDER BY n DESC LIMIT 20) t",
        )
        assert top > 0.08, "foreign keys should be skewed, not uniform (uniform: 0.01)"
        counts = [r[0] for r in conn.execute("SELECT count(*) FROM orders GROUP BY status")]
        assert len(counts) == 5 and max(counts) > 2.5 * min(counts)
        years = _scalar(
            conn, "SELECT extract(epoch FROM max(created_at) - min(created_at)) FROM orders"
        )
        assert years > 2 * 365 * 86400
        stats = _scalar(conn, "SELECT count(*) FROM pg_stats WHERE tablename = 'orders'")
        assert stats == 6, "ANALYZE ran"


def test_tricky_constraints_are_all_honoured(scratch: Scratch) -> None:
    schema = _apply("tricky.sql", scratch)
    rows = {"departments": 50, "employees": 5000, "profiles": 4000, "projects": 40}
    rows["assignments"] = 9000
    report = generate_data(schema, scratch, rows)
    assert report.failures == []
    loaded = {t.table: t.loaded for t in report.tables}
    assert loaded["departments"] == 50 and loaded["projects"] == 40
    assert 4000 < loaded["employees"] < 5000, "rows failing the underived check are dropped"
    assert 3000 < loaded["profiles"] <= 4000 and 6000 < loaded["assignments"] <= 9000
    assert any("level * 10 + 5 <> 75" in n for n in report.notes)
    assert not any("ends_on" in n for n in report.notes), "ordering checks are derived"
    with connect(scratch.dsn) as conn:
        assert _scalar(conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 6
        assert _scalar(conn, "SELECT count(manager_id) FROM departments") > 25
        assert _scalar(conn, "SELECT count(*) FROM employees WHERE boss_id IS NULL") >= 1
        assert _scalar(conn, "SELECT count(*) FROM employees WHERE ends_on IS NOT NULL") > 100
        assert _scalar(conn, "SELECT count(*) FROM profiles") == loaded["profiles"]
        cycles = "SELECT count(*) FROM employees WHERE boss_id >= id"
        assert _scalar(conn, cycles) == 0, "a tree: every boss row comes earlier"
        assert _scalar(conn, "SELECT count(DISTINCT role) FROM employees") == 3
        deleted = _scalar(conn, "SELECT avg((deleted_at IS NULL)::int) FROM projects")
        assert deleted > 0.6
        assert _scalar(conn, "SELECT min(cardinality(skills)) FROM employees") == 2


def test_volumes_past_the_cap_are_sampled_with_ratios_kept(scratch: Scratch) -> None:
    schema = _apply("shop.sql", scratch)
    rows = {"customers": 1_000_000, "products": 1_000, "orders": 2_000_000, "order_items": 0}
    report = generate_data(schema, scratch, rows, cap=40_000)
    loaded = {t.table: t.loaded for t in report.tables}
    # orders and customers shrink by the same factor; products keep the selectivity floor
    assert loaded == {"customers": 20_000, "products": 1_000, "orders": 40_000, "order_items": 0}
    assert report.factor == pytest.approx(0.02)
    assert report.sampling_note is not None and "2,000,000 stated" in report.sampling_note


def test_shrunk_tables_keep_a_floor_for_realistic_selectivity() -> None:
    schema = parse_schema(WORKLOAD / "shop.sql")
    rows = {"customers": 150_000, "products": 5_000, "orders": 10_000_000, "order_items": 0}
    _, target, factor = row_targets(schema, rows, cap=100_000)
    assert factor == pytest.approx(0.01)
    assert target["orders"] == 100_000
    assert target["customers"] == 20_000  # a large table: 1,500 would be hashed, not probed
    assert target["products"] == 1_000  # 50 rows would make product_id = $1 read 2% of rows


def test_unknown_table_in_row_counts_is_named() -> None:
    schema = parse_schema(WORKLOAD / "shop.sql")
    with pytest.raises(InputError, match="invoices"):
        row_targets(schema, {"invoices": 10}, cap=100)


TENANT_KEYS = """
CREATE TABLE orgs (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);
CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES orgs (id), UNIQUE (org_id, id));
CREATE TABLE tasks (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES orgs (id),
    owner_id bigint NOT NULL, helper_id bigint,
    FOREIGN KEY (org_id, owner_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, helper_id) REFERENCES users (org_id, id) ON DELETE SET NULL (helper_id),
    UNIQUE (org_id, id));
CREATE TABLE task_watchers (task_id bigint NOT NULL, user_id bigint NOT NULL,
    org_id bigint NOT NULL, PRIMARY KEY (task_id, user_id),
    FOREIGN KEY (org_id, task_id) REFERENCES tasks (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id));
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON tasks USING (org_id = current_setting('app.tenant_id', true)::bigint);
"""


def test_tenant_keys_shared_by_two_parents_keep_their_rows(scratch: Scratch) -> None:
    """A child of two parents of the same tenant: each reference finds a parent of the row's
    own tenant, instead of the row being dropped; forced row-level security does not stop
    the owner's load, and the sample keeps FORCE lifted."""
    schema = parse_schema(TENANT_KEYS)
    assert apply_statements(schema, scratch).valid
    rows = {"orgs": 50, "users": 2000, "tasks": 20000, "task_watchers": 20000}
    report = generate_data(schema, scratch, rows)
    assert report.failures == []
    loaded = {t.table: t.loaded for t in report.tables}
    assert loaded["tasks"] == 20000  # no task lost to a cross-tenant owner draw
    assert loaded["task_watchers"] > 0.9 * 20000
    with connect(scratch.dsn) as conn:
        assert _scalar(conn, "SELECT count(*) FROM tasks") == 20000  # the owner reads them
        assert _scalar(conn, "SELECT count(*) FROM task_watchers") == loaded["task_watchers"]
        assert _scalar(conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 6
        owners = _scalar(conn, "SELECT count(DISTINCT owner_id) FROM tasks")
        assert owners > 1000, "re-pointed owners stay spread over the tenant's users"
    assert any("row-level security is not forced in the sample" in n for n in report.notes)
