"""`no_overlap` with a `where`: only the rows it names compete for a period.

The clinic example keeps cancelled and missed appointments as rows; they must not block the
practitioner. The rule's values are checked against the column at their line and column,
quoted by the compiler (never pasted), and the constraint's predicate is what the claim
promises: pg_get_constraintdef() must show it, for every kind of column a `where` compares.
As the application role, overlapping live appointments fail with 23P01 while a cancelled one
is accepted; a migration that adds the `where` replaces the constraint in one step.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy
import yaml
from conftest import FIXTURES, REPO
from tenant_exercise import application_role

from agent.brains.rules.adr.data import overlap_adr
from agent.brains.rules.migrate import plan_migration
from agent.brains.rules.migrations.files import migration_files
from agent.brains.rules.schema import compile_schema
from agent.claims.catalog import read_catalog
from agent.claims.check import check_claims
from agent.claims.model import NoOverlap
from agent.gates.migrate import lint_verdict, round_trip
from agent.gates.schema import contract_verdict
from agent.report.claims import table_notes
from agent.spec import load_spec, parse_spec
from tools.emit import emit
from tools.erd import render_erd
from tools.errors import SpecError
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer, Scratch, connect
from tools.sql.validate import apply_statements

CLINIC = REPO / "examples" / "clinic-booking.yaml"
PREDICATE = "status <> ALL (ARRAY['cancelled', 'no_show']::appointment_status[])"
EXCLUDE = (
    "CONSTRAINT appointments_practitioner_id_no_overlap EXCLUDE USING gist (practitioner_id "
    f"WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE ({PREDICATE})"
)


def clinic_data() -> dict[str, Any]:
    return dict(yaml.safe_load(CLINIC.read_text()))


def test_the_clinic_example_lets_only_live_appointments_compete() -> None:
    spec = load_spec(CLINIC)
    design = compile_schema(spec)
    appointments = next(s.sql for s in design.statements if s.object == "appointments")
    assert EXCLUDE + "," in appointments
    [claim] = [c for c in design.claims if isinstance(c, NoOverlap)]
    assert claim.predicate == PREDICATE
    assert claim.sentence().endswith(f"(GiST, btree_gist for the = columns), over rows WHERE "
                                     f"{PREDICATE}; CHECK appointments_ends_at_check keeps "
                                     "ends_at after starts_at.")  # fmt: skip
    # partial, the constraint cannot serve the foreign key: its btree index stays
    assert "CREATE INDEX appointments_practitioner_id_idx" in design.ddl
    adr = overlap_adr(spec, design)
    assert adr is not None
    assert adr.context.startswith(
        "appointment: no two rows with the same practitioner_id may overlap in "
        "starts_at..ends_at, among rows whose status is not cancelled or no_show."
    )
    assert adr.decision.endswith(", over the rows a rule's where lets compete.")
    assert "soft-deleted" not in adr.decision  # the predicate is no soft delete
    assert adr.consequences[-1].startswith(
        "Rows a rule's where leaves out (appointment: status is cancelled or no_show) hold "
        "no period"
    )
    # the table cell and the ERD say the constraint holds for some rows; the claim says which
    assert table_notes(design.claims, "appointments") == (
        "RLS forced, audited, no overlapping starts_at-ends_at per practitioner_id (exclusion "
        "over some rows)"
    )
    erd = render_erd(parse_schema(design.ddl))
    assert ' starts_at "no overlap per practitioner_id among some rows"\n' in erd


def _book(app: psycopg.Connection[Any], start: int, end: int, status: str) -> int:
    base = datetime(2031, 3, 3, 9, tzinfo=UTC)
    row = app.execute(
        "INSERT INTO appointments (patient_id, practitioner_id, clinic_id, starts_at, ends_at, "
        "status) VALUES (1, 1, 1, %s, %s, %s) RETURNING id",
        (base + timedelta(minutes=start), base + timedelta(minutes=end), status),
    ).fetchone()
    assert row is not None
    return int(row[0])


PURPOSE = "SELECT set_config('app.purpose_of_use', 'treatment', false)"  # the HIPAA policy


def test_a_cancelled_appointment_does_not_block_the_practitioner(scratch: Scratch) -> None:
    design = compile_schema(load_spec(CLINIC))
    assert apply_statements(parse_schema(design.ddl), scratch).errors == []
    catalog = read_catalog(scratch.dsn)
    assert check_claims(design.claims, catalog) == []
    [excl] = catalog.constraints_of("appointments", "exclusion")
    assert excl.definition.endswith(
        "WHERE ((status <> ALL (ARRAY['cancelled'::appointment_status, "
        "'no_show'::appointment_status])))"
    )
    with psycopg.connect(scratch.dsn, autocommit=True) as owner:
        owner.execute(PURPOSE)
        owner.execute("INSERT INTO clinics (name, timezone, address) VALUES ('c', 'UTC', 'a')")
        owner.execute("INSERT INTO practitioners (clinic_id, full_name, npi, specialty) "
                      "VALUES (1, 'Dr P', '1234567890', 'general')")  # fmt: skip
        owner.execute("INSERT INTO patients (mrn, first_name, last_name, date_of_birth) "
                      "VALUES ('m1', 'A', 'B', '1990-01-01')")  # fmt: skip
    with application_role(scratch) as app_dsn, psycopg.connect(app_dsn, autocommit=True) as app:
        app.execute(PURPOSE)
        first = _book(app, 0, 60, "booked")
        for status in ("booked", "checked_in", "completed"):  # every live status competes
            with pytest.raises(psycopg.errors.ExclusionViolation) as refused:
                _book(app, 30, 90, status)
            assert refused.value.sqlstate == "23P01"
            assert refused.value.diag.constraint_name == "appointments_practitioner_id_no_overlap"
        _book(app, 30, 90, "cancelled")  # overlaps the live one: accepted
        _book(app, 0, 60, "no_show")
        app.execute("UPDATE appointments SET status = 'cancelled' WHERE id = %s", (first,))
        _book(app, 30, 90, "booked")  # the cancelled slot is free again
        with pytest.raises(psycopg.errors.ExclusionViolation):  # and cannot be taken back
            app.execute("UPDATE appointments SET status = 'booked' WHERE id = %s", (first,))
        counts = app.execute(
            "SELECT status::text, count(*) FROM appointments GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert counts == [("booked", 1), ("cancelled", 2), ("no_show", 1)]


def test_the_claim_fails_when_the_applied_constraint_lacks_the_predicate(
    scratch: Scratch,
) -> None:
    design = compile_schema(load_spec(CLINIC))
    without = design.ddl.replace(f" WHERE ({PREDICATE})", "")
    assert without != design.ddl
    assert apply_statements(parse_schema(without), scratch).errors == []
    [failure] = check_claims(design.claims, read_catalog(scratch.dsn))
    assert failure.kind == "no_overlap"
    assert failure.problems == [
        "appointments_practitioner_id_no_overlap is EXCLUDE USING gist (practitioner_id WITH "
        "=, tstzrange(starts_at, ends_at, '[)'::text) WITH &&)"
    ]


def test_the_claim_compares_the_values_too(scratch: Scratch) -> None:
    design = compile_schema(load_spec(CLINIC))
    fewer = design.ddl.replace("ARRAY['cancelled', 'no_show']", "ARRAY['cancelled']")
    assert apply_statements(parse_schema(fewer), scratch).errors == []
    [failure] = check_claims(design.claims, read_catalog(scratch.dsn))
    assert failure.problems[0].endswith(
        "WHERE ((status <> ALL (ARRAY['cancelled'::appointment_status])))"
    )


UUID = "6f1c2b2e-7d7b-4b8e-9a51-0c2c7f0a1d11"
# (column, operator, values, the predicate the compiler writes for it)
KINDS = [
    ("st", "in", ["b", "c d"], "st = ANY (ARRAY['b', 'c d']::r0_st[])"),
    ("st", "equals", "a", "st = 'a'"),
    ("v", "not_in", ["it's", "a\\b"], "(v IS NULL OR v <> ALL (ARRAY['it''s', 'a\\b']))"),
    ("t", "not_in", ["x"], "t <> ALL (ARRAY['x'])"),
    ("ch", "in", ["ab"], "ch = ANY (ARRAY['ab'])"),
    ("n", "in", [1, 2.5, -1.5, 0.00001], "n = ANY (ARRAY[1, 2.5, -1.5, 0.00001])"),
    ("m", "not_in", [1e20], "(m IS NULL OR m <> ALL (ARRAY[100000000000000000000]))"),
    ("i", "not_in", [-1, 2], "(i IS NULL OR i <> ALL (ARRAY[-1, 2]))"),
    ("b", "in", [1, -9000000000], "b = ANY (ARRAY[1, -9000000000])"),
    ("sm", "equals", -3, "sm = -3"),
    ("u", "not_in", [UUID], f"(u IS NULL OR u <> ALL (ARRAY['{UUID}']::uuid[]))"),
    ("fl", "equals", True, "fl = true"),
]  # fmt: skip


def test_every_kind_a_where_compares_applies_as_claimed(scratch: Scratch) -> None:
    """Quoting, negative and huge numbers, enum and uuid arrays, a nullable column's NULL:
    each predicate is written as the compiler means it and read back as the claim says."""
    attributes = {"s": "timestamp!", "e": "timestamp!", "st": "enum(a, b, 'c d')!",
                  "v": "varchar(20)", "t": "text!", "ch": "char(3)!", "n": "numeric(12,5)!",
                  "m": "money", "i": "int", "b": "bigint!", "sm": "smallint!", "u": "uuid",
                  "fl": "bool!"}  # fmt: skip
    entities = [
        {"name": f"r{k}", "attributes": attributes,
         "no_overlap": {"range": ["s", "e"], "where": {"column": column, op: values}}}
        for k, (column, op, values, _) in enumerate(KINDS)
    ]  # fmt: skip
    design = compile_schema(parse_spec({"name": "kinds", "entities": entities}))
    claims = [c for c in design.claims if isinstance(c, NoOverlap)]
    assert [c.predicate for c in claims] == [sql for *_, sql in KINDS]
    assert apply_statements(parse_schema(design.ddl), scratch).errors == []
    assert check_claims(design.claims, read_catalog(scratch.dsn)) == []


def test_sqlalchemy_models_keep_the_predicate(scratch: Scratch, tmp_path: Path) -> None:
    """The emitted ExcludeConstraint carries `where=`: create_all builds what the claim says."""
    design = compile_schema(load_spec(CLINIC))
    models = tmp_path / "clinic_models.py"
    models.write_text(emit(["sqlalchemy"], design.ddl, "clinic")["models.py"])
    [exclude] = [line for line in models.read_text().splitlines() if "ExcludeConstraint(" in line]
    assert "where=text(" in exclude and "'no_show'" in exclude
    loader = importlib.util.spec_from_file_location("clinic_models", models)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    sys.modules["clinic_models"] = module  # registered, so its annotations resolve
    loader.loader.exec_module(module)
    engine = sqlalchemy.create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(scratch.admin_dsn)
    )
    try:
        module.Base.metadata.create_all(engine)
    finally:
        engine.dispose()
    [claim] = [c for c in design.claims if isinstance(c, NoOverlap)]
    assert check_claims([claim], read_catalog(scratch.dsn)) == []


@pytest.mark.parametrize("direction", ["add", "drop"])
def test_migrate_replaces_the_constraint_when_its_where_changes(
    pg: PgServer, direction: str
) -> None:
    """Same name, new definition: one step drops and adds it in one transaction (adding
    first would collide on the name; dropping in the contract phase would drop the new one)."""
    data = clinic_data()
    ruled = compile_schema(parse_spec(data)).ddl
    appointment = next(e for e in data["entities"] if e["name"] == "appointment")
    del appointment["no_overlap"][0]["where"]
    plain = compile_schema(parse_spec(data)).ddl
    current, target = (plain, ruled) if direction == "add" else (ruled, plain)
    plan = plan_migration(current, target)
    files = migration_files(plan)
    reaches, rolls_back = round_trip(current, target, files, pg)
    assert reaches.passed, [f.message for f in reaches.findings]
    assert rolls_back.passed, [f.message for f in rolls_back.findings]
    lint = lint_verdict(plan, files)
    assert lint.passed, [f.message for f in lint.findings]
    [step] = [s for s in plan.steps if "no_overlap" in s.name]
    assert step.name == "replace_exclusion_appointments_practitioner_id_no_overlap"
    drop = (
        "ALTER TABLE appointments DROP CONSTRAINT IF EXISTS "
        "appointments_practitioner_id_no_overlap;"
    )
    assert step.up.startswith(drop) and step.down.startswith(drop)
    where = "WHERE (status <> ALL(CAST(ARRAY['cancelled', 'no_show'] AS appointment_status[])))"
    assert (where in step.up) == (direction == "add")
    assert (where in step.down) == (direction == "drop")
    assert (step.online, step.risk) == (False, "high")
    assert [(c.change, c.name) for c in plan.changes if c.object == "constraint"] == [
        ("changed", "appointments.appointments_practitioner_id_no_overlap")
    ]


def test_a_bad_where_is_refused_at_its_key() -> None:
    path = FIXTURES / "spec" / "no_overlap_where_problems.yaml"
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    found = {(p["path"], p["line"], p["column"]): p["message"] for p in caught.value.problems}
    assert all(p["file"] == str(path) for p in caught.value.problems)
    rule = "entities[1].no_overlap"
    assert found == {
        (f"{rule}[0].where.column", 17, 69):
            "'state' is not a column of 'booking' (its columns: id, room_id, starts_at, "
            "ends_at, status, code, paid, seats, day, created_at, updated_at)",
        (f"{rule}[1].where.not_in[1]", 20, 53):
            "'canceled' is not a value of 'status' (its values: booked, cancelled)",
        (f"{rule}[1].where.not_in[2]", 20, 63):
            "true is not a value of 'status' (its values: booked, cancelled) (quote it to "
            "mean the label)",
        (f"{rule}[1].where.not_in[3]", 20, 68): "'cancelled' is named twice",
        (f"{rule}[2].where.in[0]", 23, 36):
            "'abcd' cannot be held by 'code' (varchar(3)): give text of at most 3 characters",
        (f"{rule}[2].where.in[1]", 23, 42):
            "7 cannot be held by 'code' (varchar(3)): give text of at most 3 characters",
        (f"{rule}[3].where.equals", 26, 39):
            "'true' cannot be held by 'paid' (bool): give true or false",
        (f"{rule}[4].where.in[0]", 29, 37):
            "40000 cannot be held by 'seats' (smallint): give a whole number from -32768 to "
            "32767",
        (f"{rule}[4].where.in[1]", 29, 44):
            "1.5 cannot be held by 'seats' (smallint): give a whole number from -32768 to 32767",
        (f"{rule}[5].where.column", 32, 25):
            "where column 'day' is date; where compares one attribute of kind text, varchar, "
            "char, enum, bool, smallint, int, bigint, numeric, money, uuid",
        (f"{rule}[6].where.column", 35, 25):
            "where column 'room_id' is a reference; where compares one attribute of kind "
            "text, varchar, char, enum, bool, smallint, int, bigint, numeric, money, uuid",
    }  # fmt: skip
    assert f"{path}:20:53: {rule}[1].where.not_in[1]: 'canceled' is not a value" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("where", "key", "at", "message"),
    [
        ("{column: status}", "where", "{column: status}",
         "where takes exactly one of equals, in, not_in"),
        ("{column: status, in: [a], not_in: [b]}", "where", "{column: status, in",
         "where takes exactly one of equals, in, not_in (got in and not_in)"),
        ("{column: status, in: []}", "where", "{column: status, in",
         "where's in lists no values: name at least one"),
        ("{column: status, not: [a]}", "where.not", "not:",
         "unknown key 'not' (did you mean 'not_in'?); allowed keys here: column, equals, in, "
         "not_in"),
        ("{column: status, in: [{a: 1}]}", "where.in[0]", "{a: 1}",
         "a where value is text, a number or true/false, not a mapping"),
        ("{not_in: [a]}", "where", "{not_in", "missing required key 'column'"),
        ("{column: status, equals: 1.0e+999}", "where.equals", "1.0e+999",
         "a where number is finite and at most 1.8e308 in size, not inf"),
        ("{column: status, not_in: [1, .nan]}", "where.not_in[1]", ".nan",
         "a where number is finite and at most 1.8e308 in size, not nan"),
    ],
)  # fmt: skip
def test_a_badly_shaped_where_names_its_key_line_and_column(
    tmp_path: Path, where: str, key: str, at: str, message: str
) -> None:
    spec = tmp_path / "spec.yaml"
    rule = f"{{range: [starts_at, ends_at], where: {where}}}"
    spec.write_text(
        "name: x\nentities:\n  - name: booking\n    attributes:\n"
        "      starts_at: timestamp!\n      ends_at: timestamp!\n"
        f"    no_overlap:\n      - {rule}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    [problem] = caught.value.problems
    column = len("      - ") + rule.index(at) + 1
    path = f"entities[0].no_overlap[0].{key}"
    assert (problem["path"], problem["line"], problem["column"]) == (path, 8, column)
    assert problem["message"] == message
    assert f"{spec}:8:{column}: {path}: {message}" in str(caught.value)


def test_soft_delete_and_where_combine_in_one_predicate(scratch: Scratch) -> None:
    data = clinic_data()
    appointment = next(e for e in data["entities"] if e["name"] == "appointment")
    appointment["soft_delete"] = True
    data["access_patterns"] = []
    design = compile_schema(parse_spec(data))
    assert f"WHERE (deleted_at IS NULL AND {PREDICATE})" in design.ddl
    assert apply_statements(parse_schema(design.ddl), scratch).errors == []
    assert check_claims(design.claims, read_catalog(scratch.dsn)) == []
    with connect(scratch.admin_dsn) as conn:
        [(definition,)] = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'x'"
        ).fetchall()
    assert "((deleted_at IS NULL) AND (status <> ALL" in definition


def test_the_contract_gate_holds_any_brain_to_the_where() -> None:
    """A model-written constraint that drops the predicate (every row competing) fails the
    gate with the predicate to add; the same rows named as NOT IN pass."""
    spec = load_spec(CLINIC)
    ddl = compile_schema(spec).ddl
    assert contract_verdict(parse_schema(ddl), spec).findings == []
    in_words = ddl.replace(PREDICATE, "status NOT IN ('no_show', 'cancelled')")
    assert in_words != ddl
    assert contract_verdict(parse_schema(in_words), spec).findings == []
    for predicate in ("", " WHERE (status <> 'cancelled')"):
        schema = parse_schema(ddl.replace(f" WHERE ({PREDICATE})", predicate))
        [finding] = contract_verdict(schema, spec).findings
        assert (finding.gate, finding.table) == ("naming_contract", "appointments")
        assert finding.message == (
            "the exclusion constraint on appointments (starts_at..ends_at per practitioner_id) "
            "does not narrow the rows that compete to those whose status is not cancelled or "
            f"no_show (the spec's no_overlap where): add WHERE ({PREDICATE})"
        )
