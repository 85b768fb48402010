"""The schema compiler on the real embedded PostgreSQL: DDL applies as the sandbox role,
the naming contract holds column by column, and every access pattern plans."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import FIXTURES, REPO

from agent.brains.rules.schema import compile_schema
from agent.claims.model import LookupFunction, RowSecurity
from agent.spec import Requirements, load_spec, parse_spec, resolve_contract
from agent.stages import SchemaDesign
from tools.sql.parse import parse_schema
from tools.sql.review import lint_schema
from tools.sql.server import Scratch

SPECS = [
    *sorted((REPO / "examples").glob("*.yaml")),
    *sorted((FIXTURES / "spec").glob("plain_*")),
    FIXTURES / "spec" / "edge_cases.yaml",
]
TODAY = date.today()

# format_type() spelling of each attribute kind: written out here, independently of the code.
EXPECTED_TYPES = {
    "text": "text", "int": "integer", "bigint": "bigint", "smallint": "smallint",
    "float": "double precision", "money": "numeric(19,4)", "bool": "boolean", "date": "date",
    "timestamp": "timestamp with time zone", "json": "jsonb", "uuid": "uuid",
}  # fmt: skip


def example(name: str) -> Requirements:
    return load_spec(REPO / "examples" / f"{name}.yaml")


def apply(scratch: Scratch, design: SchemaDesign) -> psycopg.Connection[Any]:
    conn = psycopg.connect(scratch.dsn, autocommit=True)
    conn.execute(design.ddl)
    return conn


def columns(conn: psycopg.Connection[Any]) -> dict[tuple[str, str], tuple[str, bool]]:
    rows = conn.execute(
        """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
             AND a.attnum > 0 AND NOT a.attisdropped"""
    ).fetchall()
    return {(t, c): (ty, nn) for t, c, ty, nn in rows}


def constraints(conn: psycopg.Connection[Any], table: str, kind: str) -> list[str]:
    rows = conn.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = %s ORDER BY conname",
        (table, kind),
    ).fetchall()
    return [r[0] for r in rows]


def rls_tables(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relkind IN ('r', 'p') AND relrowsecurity"
    ).fetchall()
    return {r[0] for r in rows}


def expected_type(owner: str, column: str, attribute: Any) -> str:
    parsed = attribute.parsed
    if parsed.kind == "enum":
        base = f"{owner}_{column}"
    elif parsed.kind in ("numeric", "varchar", "char") and parsed.args:
        name = {"numeric": "numeric", "varchar": "character varying", "char": "character"}[
            parsed.kind
        ]
        base = f"{name}({','.join(map(str, parsed.args))})"
    else:
        base = EXPECTED_TYPES[parsed.kind]
    return base + ("[]" if parsed.is_array else "")


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_ddl_applies_as_sandbox_and_keeps_the_naming_contract(scratch: Scratch, path: Path) -> None:
    spec = load_spec(path)
    design = compile_schema(spec, today=TODAY)
    with apply(scratch, design) as conn:
        user, superuser = conn.execute(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone() or ("", True)
        assert (user, superuser) == ("dbarch_sandbox", False)
        found = columns(conn)
        for table in resolve_contract(spec).tables.values():
            for column in table.columns:
                sql_type, not_null = found[(table.name, column.name)]
                if column.attribute is not None and column.role == "attribute":
                    assert sql_type == expected_type(table.owner, column.name, column.attribute)
                    assert not_null or not column.attribute.required
                if column.role == "reference":
                    assert sql_type in ("bigint", "uuid") and not_null != column.optional
            if table.kind == "entity":
                for stamp in ("created_at", "updated_at"):
                    assert found[(table.name, stamp)] == ("timestamp with time zone", True)
                assert found[(table.name, "id")][1] is True
            assert constraints(conn, table.name, "p"), f"{table.name} has a primary key"


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_access_pattern_plans_against_the_compiled_schema(
    scratch: Scratch, path: Path
) -> None:
    spec = load_spec(path)
    with apply(scratch, compile_schema(spec, today=TODAY)) as conn:
        for pattern in spec.access_patterns:
            plan = conn.execute(f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {pattern.sql}").fetchone()
            assert plan is not None and plan[0][0]["Plan"]["Total Cost"] > 0, pattern.name


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_compiled_schema_has_no_lint_errors_and_indexes_every_foreign_key(path: Path) -> None:
    design = compile_schema(load_spec(path), today=TODAY)
    findings = lint_schema(parse_schema(design.ddl, f"{path.stem}.sql"))
    assert [f for f in findings if f.severity == "error"] == []
    assert [f for f in findings if f.rule in ("fk-without-index", "eav-table")] == []


def test_compilation_is_deterministic_and_ordered() -> None:
    spec = example("task-tracker")
    first, second = (compile_schema(spec, today=TODAY) for _ in range(2))
    assert first == second
    kinds = [s.kind for s in first.statements]
    assert kinds.index("type") < kinds.index("function") < kinds.index("table")
    assert max(i for i, k in enumerate(kinds) if k == "table") < kinds.index("index")
    assert first.ddl.count("CREATE TABLE") == len(first.tables)


def test_task_tracker_types_keys_and_tenancy(scratch: Scratch) -> None:
    design = compile_schema(example("task-tracker"), today=TODAY)
    assert design.enum_types["task_status"] == ["todo", "doing", "done"]
    assert design.join_tables == ["task_assignees", "task_labels"]
    with apply(scratch, design) as conn:
        found = columns(conn)
        assert found[("tasks", "status")] == ("task_status", True)
        assert found[("companies", "plan")] == ("company_plan", True)
        assert found[("comments", "company_id")] == ("bigint", True)  # tenant key added
        assert constraints(conn, "task_assignees", "p") == ["PRIMARY KEY (task_id, user_id)"]
        fks = constraints(conn, "tasks", "f")
        assert (  # the tenant key rides along: no reference can cross tenants
            "FOREIGN KEY (company_id, reporter_id) REFERENCES users(company_id, id) "
            "ON DELETE RESTRICT" in fks
        )
        assert (
            "FOREIGN KEY (company_id, project_id) REFERENCES projects(company_id, id) "
            "ON DELETE CASCADE" in fks
        )
        assert "UNIQUE (company_id, id)" in constraints(conn, "projects", "u")
        assert rls_tables(conn) == {
            "companies", "users", "projects", "tasks", "comments", "labels",
            "task_assignees", "task_labels",
        }  # fmt: skip
        assert found[("tasks", "deleted_at")] == ("timestamp with time zone", False)
    assert design.tenancy is not None and design.tenancy.tenant_column == "company_id"


def test_tenant_policies_really_isolate_rows(scratch: Scratch) -> None:
    with apply(scratch, compile_schema(example("task-tracker"), today=TODAY)) as conn:
        for tenant in (1, 2):  # forced: the owner, too, writes only as a tenant
            conn.execute("SELECT set_config('app.tenant_id', %s, false)", (str(tenant),))
            insert = "INSERT INTO companies (id, name, slug) VALUES (%s, 'c', %s)"
            conn.execute(insert, (tenant, f"c{tenant}"))
        conn.execute("INSERT INTO projects (company_id, name) VALUES (2, 'p2'), (2, 'p3')")
        assert conn.execute("SELECT count(*) FROM projects").fetchone() == (2,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO projects (company_id, name) VALUES (1, 'sneaky')")
        conn.execute("SELECT set_config('app.tenant_id', '', false)")
        assert conn.execute("SELECT count(*) FROM projects").fetchone() == (0,)


def test_hipaa_clinic_has_rls_on_phi_and_an_audit_trail(scratch: Scratch) -> None:
    design = compile_schema(example("clinic-booking"), today=TODAY)
    phi = {"patients", "appointments", "visit_notes", "invoices"}
    assert set(design.rls_tables) == phi
    assert design.audit is not None and set(design.audit.audited_tables) == phi
    with apply(scratch, design) as conn:
        assert rls_tables(conn) == phi
        assert columns(conn)[("invoices", "total")] == ("numeric(19,4)", True)
        checks = " ".join(constraints(conn, "invoices", "c"))
        assert "total >= (0)::numeric" in checks
        assert "ends_at > starts_at" in " ".join(constraints(conn, "appointments", "c"))
        conn.execute("SELECT set_config('app.user_id', 'dr-who', false)")
        conn.execute("SELECT set_config('app.purpose_of_use', 'treatment', false)")
        conn.execute(
            "INSERT INTO patients (mrn, first_name, last_name, date_of_birth) "
            "VALUES ('m1', 'Ada', 'L', '1990-01-01'), ('m2', 'Bo', 'K', '1980-02-02')"
        )
        conn.execute("UPDATE patients SET last_name = last_name || '!'")
        conn.execute("DELETE FROM patients WHERE mrn = 'm2'")
        actions = conn.execute(
            "SELECT action::text, row_id, old_row ->> 'last_name', new_row ->> 'last_name', "
            "actor FROM audit_log WHERE table_name = 'patients' ORDER BY changed_at, row_id"
        ).fetchall()
        assert actions == [
            ("INSERT", "1", None, "L", "dr-who"),
            ("INSERT", "2", None, "K", "dr-who"),
            ("UPDATE", "1", "L", "L!", "dr-who"),
            ("UPDATE", "2", "K", "K!", "dr-who"),
            ("DELETE", "2", "K!", None, "dr-who"),
        ]


def test_telemetry_readings_are_partitioned_by_time_with_retention(scratch: Scratch) -> None:
    design = compile_schema(example("iot-telemetry"), today=TODAY)
    [plan] = design.partitioning
    assert (plan.table, plan.column, plan.interval, plan.retention) == (
        "readings", "recorded_at", "1 day", "90 days"
    )  # fmt: skip
    assert plan.partitions[-1] == "readings_default"
    assert f"readings_{TODAY:%Y_%m_%d}" in plan.partitions
    with apply(scratch, design) as conn:
        keydef = conn.execute("SELECT pg_get_partkeydef('readings'::regclass)").fetchone()
        assert keydef == ("RANGE (recorded_at)",)
        assert constraints(conn, "readings", "p") == ["PRIMARY KEY (id, recorded_at)"]
        conn.execute(
            "CREATE TABLE readings_2001_01_01 PARTITION OF readings "
            "FOR VALUES FROM ('2001-01-01 00:00:00+00') TO ('2001-01-02 00:00:00+00')"
        )
        conn.execute("SELECT manage_partitions('readings', '1 day', 10, '90 days')")
        children = {
            r[0]
            for r in conn.execute(
                "SELECT inhrelid::regclass::text FROM pg_inherits "
                "WHERE inhparent = 'readings'::regclass"
            ).fetchall()
        }
        assert "readings_2001_01_01" not in children  # past retention: dropped
        ahead = date.fromordinal(date.today().toordinal() + 10)
        assert f"readings_{ahead:%Y_%m_%d}" in children  # created ahead
        assert "readings_default" in children


def test_catalog_keeps_varying_attributes_in_one_jsonb_object(scratch: Scratch) -> None:
    design = compile_schema(example("product-catalog"), today=TODAY)
    with apply(scratch, design) as conn:
        assert columns(conn)[("products", "attributes")] == ("jsonb", True)
        conn.execute("INSERT INTO categories (name, slug) VALUES ('tv', 'tv')")
        conn.execute("INSERT INTO brands (name) VALUES ('acme')")
        insert = (
            "INSERT INTO products (sku, name, price, category_id, brand_id, attributes) "
            "VALUES (%s, 'x', 1, 1, 1, %s::jsonb)"
        )
        conn.execute(insert, ("a", '{"screen_inches": 55}'))
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(insert, ("b", "[1, 2]"))
        fks = constraints(conn, "categories", "f")
        assert fks == ["FOREIGN KEY (parent_id) REFERENCES categories(id) ON DELETE SET NULL"]


def test_self_many_to_many_names_the_second_reference_after_the_role(scratch: Scratch) -> None:
    with apply(scratch, compile_schema(example("social-feed"), today=TODAY)) as conn:
        assert constraints(conn, "user_followers", "p") == ["PRIMARY KEY (user_id, follower_id)"]


def test_append_only_ledger_postings_are_partitioned_and_audited(scratch: Scratch) -> None:
    design = compile_schema(example("ledger"), today=TODAY)
    assert [p.table for p in design.partitioning] == ["postings"]
    assert design.partitioning[0].interval == "1 month"
    assert design.audit is not None
    assert {"accounts", "journal_entries", "postings"} <= set(design.audit.audited_tables)
    with apply(scratch, design) as conn:
        conn.execute(
            "INSERT INTO accounts (code, name, type, currency) VALUES ('1', 'c', 'asset', 'E')"
        )
        conn.execute("INSERT INTO journal_entries (entry_date, description) VALUES (now(), 'x')")
        conn.execute(
            "INSERT INTO postings (journal_entry_id, account_id, amount) "
            "SELECT 1, 1, g FROM generate_series(1, 3) g"
        )
        counts = conn.execute(
            "SELECT table_name, count(*) FROM audit_log GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert counts == [("accounts", 1), ("journal_entries", 1), ("postings", 3)]


@pytest.mark.parametrize("tenancy", ["schema-per-tenant", "database-per-tenant"])
def test_isolated_tenancy_models_are_documented_not_keyed(tenancy: str) -> None:
    spec = example("task-tracker").model_copy(update={"tenancy": tenancy})
    design = compile_schema(spec, today=TODAY)
    assert design.tenancy is not None and design.tenancy.model == tenancy
    assert design.tenancy.notes and not design.rls_tables
    labels = design.table("labels")
    assert labels is not None and "company_id" in [c.name for c in labels.columns]  # belongs_to


def test_uuid_keys_propagate_to_references(scratch: Scratch) -> None:
    spec = parse_spec(
        {
            "name": "uuids",
            "keys": "uuid",
            "entities": [
                {"name": "author", "attributes": {"name": "text!"}},
                {"name": "book", "attributes": {"title": "text!"}, "belongs_to": ["author"]},
            ],
        }
    )
    with apply(scratch, compile_schema(spec, today=TODAY)) as conn:
        found = columns(conn)
        assert found[("books", "id")][0] == found[("books", "author_id")][0] == "uuid"
        conn.execute("INSERT INTO authors (name) VALUES ('a')")


def test_guessed_tenant_gets_keys_and_policies_everywhere(scratch: Scratch) -> None:
    spec = parse_spec(
        {
            "name": "shops",
            "tenancy": "shared-schema",
            "entities": [
                {"name": "store"},
                {"name": "product", "belongs_to": ["store"], "attributes": {"price": "money!"}},
                {"name": "sale", "belongs_to": ["product"], "attributes": {"qty": "int!"}},
            ],
        }
    )
    design = compile_schema(spec, today=TODAY)
    assert design.tenancy is not None and design.tenancy.tenant_column == "store_id"
    with apply(scratch, design) as conn:
        assert columns(conn)[("sales", "store_id")] == ("bigint", True)
        assert rls_tables(conn) == {"stores", "products", "sales"}


def test_patients_hold_phi_even_when_only_staff_fields_are_marked() -> None:
    spec = parse_spec(
        {
            "name": "lab",
            "compliance": ["hipaa"],
            "entities": [
                {"name": "technician", "attributes": {"email": "text!"}, "pii": ["email"]},
                {"name": "patient", "attributes": {"full_name": "text!"}},
                {"name": "lab_order", "belongs_to": ["patient", "technician"]},
                {"name": "result", "belongs_to": ["lab_order"], "attributes": {"value": "text"}},
            ],
        }
    )
    design = compile_schema(spec, today=TODAY)
    assert set(design.rls_tables) == {"technicians", "patients", "lab_orders", "results"}


def test_edge_cases_keep_uuid_tenant_keys_and_layer_phi_on_tenant_policies(
    scratch: Scratch,
) -> None:
    design = compile_schema(load_spec(FIXTURES / "spec" / "edge_cases.yaml"), today=TODAY)
    # events is a time series, but partitioning would widen its unique key by occurred_at,
    # and (unique_key, occurred_at) no longer promises one row per unique_key
    assert design.partitioning == []
    assert any("events is not partitioned" in a and "unique_key" in a for a in design.assumptions)
    with apply(scratch, design) as conn:
        found = columns(conn)
        assert found[("orders", "organization_id")] == ("uuid", True)
        assert found[("patients", "deleted_at")] == ("timestamp with time zone", False)
        assert constraints(conn, "events", "u") == ["UNIQUE (unique_key)"]
        policies = conn.execute(
            "SELECT policyname, permissive FROM pg_policies WHERE tablename = 'orders' "
            "ORDER BY policyname"
        ).fetchall()
        assert policies == [
            ("phi_purpose_of_use", "RESTRICTIVE"),
            ("tenant_isolation", "PERMISSIVE"),
        ]
        org = "6f1c2d3e-0000-4000-8000-000000000001"
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (org,))
        conn.execute("INSERT INTO organizations (id, name) VALUES (%s, 'o')", (org,))
        conn.execute("INSERT INTO users (organization_id, email) VALUES (%s, 'a@b')", (org,))
        assert conn.execute("SELECT active FROM users").fetchone() == (True,)


def test_only_plain_pre_tenant_patterns_get_a_lookup_function() -> None:
    base = example("task-tracker")
    patterns = [
        {"name": "sign in", "sql": "SELECT id, company_id FROM users WHERE email = $1"},
        {
            "name": "login of a company",
            "sql": "SELECT id FROM users WHERE company_id = $1 AND email = $2",
        },
        {
            "name": "invitation joined",
            "sql": "SELECT u.id FROM users u JOIN companies c "
            "ON c.id = u.company_id WHERE u.email = $1",
        },
        {
            "name": "users by name",
            "before_tenant": False,
            "sql": "SELECT id FROM users WHERE display_name = $1",
        },
        {
            "name": "a lookup",
            "before_tenant": True,
            "sql": "SELECT id, display_name FROM users WHERE display_name = $1",
        },
    ]
    data = base.model_dump(mode="json", by_alias=True, exclude_none=True)
    spec = parse_spec({**data, "access_patterns": patterns})
    design = compile_schema(spec, today=TODAY)
    functions = {c.function: c for c in design.claims if isinstance(c, LookupFunction)}
    assert sorted(functions) == ["a_lookup", "sign_in"]  # named; stated; tenant known: none
    assert functions["sign_in"].arguments == ["text"]
    assert any("'invitation joined' runs before a tenant is known" in a for a in design.assumptions)
    [unforced] = [c for c in design.claims if isinstance(c, RowSecurity) and not c.forced]
    assert unforced.tables == ["users"]
    assert unforced.reason.startswith("sign_in(), a_lookup() read it as the owner")
