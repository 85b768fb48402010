"""`no_overlap`: a spec rule becomes an exclusion constraint the application cannot get past.

The spec refuses rules no range could express, at their line and column; the compiled DDL
applies to the embedded PostgreSQL 18 (btree_gist from contrib) and, used by a role that
does not own the tables, refuses an overlapping booking while accepting back-to-back ones;
the claims, the ADR, the report's table notes and the ERD all say so, from the same plan;
and a migration adds or drops the rule on an existing table as a constraint.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from conftest import FIXTURES, REPO
from tenant_exercise import Exerciser, application_role, overlaps_are_refused

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
from agent.spec.model import Requirements
from tools.erd import render_erd
from tools.errors import SpecError
from tools.sql.parse import parse_schema
from tools.sql.review.lint import lint_schema
from tools.sql.server import PgServer, Scratch
from tools.sql.validate import apply_statements

CASE = REPO / "evals" / "cases" / "room-booking.yaml"
EXCLUDE = (
    "CONSTRAINT bookings_room_id_no_overlap EXCLUDE USING gist "
    "(room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)"
)


def case_data() -> dict[str, Any]:
    return dict(yaml.safe_load(CASE.read_text())["spec"])


def room_booking() -> Requirements:
    return parse_spec(case_data())


def entity(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in data["entities"] if e["name"] == name)


def test_rules_no_range_could_hold_are_refused_at_their_key() -> None:
    path = FIXTURES / "spec" / "no_overlap_problems.yaml"
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    found = {(p["path"], p["line"], p["column"]): p["message"] for p in caught.value.problems}
    assert all(p["file"] == str(path) for p in caught.value.problems)
    rule = "entities[1].no_overlap"
    assert sorted(found) == sorted([
        (f"{rule}[0].per[0]", 16, 15), (f"{rule}[0].per[1]", 16, 25),
        (f"{rule}[0].per[2]", 16, 32), (f"{rule}[0].per[3]", 16, 38),
        (f"{rule}[0].per[4]", 16, 45), (f"{rule}[0].range", 17, 16),
        (f"{rule}[1].range", 18, 31), (f"{rule}[2].per[1]", 19, 25),
        (f"{rule}[2].range[0]", 19, 43), (f"{rule}[2].range[1]", 19, 52),
    ])  # fmt: skip
    assert found[(f"{rule}[0].per[0]", 16, 15)].startswith(
        "'room_idd' is not a column of 'booking' (its columns: id, room_id, starts_at"
    )
    assert "is a json document" in found[(f"{rule}[0].per[1]", 16, 25)]
    assert "is a boolean" in found[(f"{rule}[0].per[2]", 16, 32)]
    assert "is an array" in found[(f"{rule}[0].per[3]", 16, 38)]
    assert "part of the range" in found[(f"{rule}[0].per[4]", 16, 45)]
    assert (
        "'starts_at' (timestamp) and 'day' (date) are of different kinds"
        in (found[(f"{rule}[0].range", 17, 16)])
    )
    assert "same column 'ends_at'" in found[(f"{rule}[1].range", 18, 31)]
    assert "named twice" in found[(f"{rule}[2].per[1]", 19, 25)]
    assert found[(f"{rule}[2].range[1]", 19, 52)].startswith("range column 'notes' is json;")


@pytest.mark.parametrize(
    ("rule", "where", "at", "message"),
    [
        ("{per: room_id, range: [starts_at, ends_at], colour: red}", "colour", "colour",
         "unknown key 'colour'; allowed keys here: per, range, bounds, where"),
        ("{per: room_id, range: [starts_at]}", "range", "[starts_at]",
         "List should have at least 2 items"),
        ('{per: room_id, range: [starts_at, ends_at], bounds: "(]"}', "bounds", '"(]"',
         "Input should be '[)' or '[]'"),
    ],
)  # fmt: skip
def test_badly_shaped_rules_name_the_key_line_and_column(
    tmp_path: Path, rule: str, where: str, at: str, message: str
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: x\nentities:\n  - name: room\n  - name: booking\n    attributes:\n"
        "      starts_at: timestamp!\n      ends_at: timestamp!\n    belongs_to: [room]\n"
        f"    no_overlap:\n      - {rule}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    [problem] = caught.value.problems
    column = len("      - ") + rule.index(at) + 1
    assert (problem["path"], problem["file"], problem["line"], problem["column"]) == (
        f"entities[1].no_overlap[0].{where}",
        str(spec),
        10,
        column,
    )
    assert message in str(problem["message"])
    assert f"{spec}:10:{column}: entities[1].no_overlap[0].{where}: " in str(caught.value)


def test_the_rule_compiles_to_one_exclusion_constraint_and_its_extension() -> None:
    design = compile_schema(room_booking())
    first = design.statements[0]
    assert (first.kind, first.sql) == ("extension", "CREATE EXTENSION IF NOT EXISTS btree_gist;")
    bookings = next(s.sql for s in design.statements if s.object == "bookings")
    assert EXCLUDE + "," in bookings
    # the spec already orders the period, so no second CHECK of the same thing
    assert bookings.count("CHECK (ends_at > starts_at)") == 1
    # the GiST index leads with room_id: the foreign key needs no btree index of its own
    assert "bookings_room_id_idx" not in design.ddl
    assert "bookings_employee_id_idx" in design.ddl
    findings = lint_schema(parse_schema(design.ddl))
    assert [(f.rule, f.table) for f in findings if f.severity == "error"] == []
    [claim] = [c for c in design.claims if isinstance(c, NoOverlap)]
    assert claim.sentence() == (
        "No two rows of bookings with the same room_id may hold overlapping periods "
        "tstzrange(starts_at, ends_at, '[)'): exclusion constraint bookings_room_id_no_overlap "
        "(GiST, btree_gist for the = columns); CHECK bookings_ends_at_check keeps ends_at "
        "after starts_at."
    )


def test_tenancy_and_soft_delete_shape_the_constraint() -> None:
    data = case_data()
    data["tenancy"] = "shared-schema"
    data["entities"].insert(0, {"name": "company", "rows": 100, "attributes": {"name": "text!"}})
    entity(data, "building")["belongs_to"] = ["company"]
    entity(data, "employee")["belongs_to"] = ["company"]
    entity(data, "booking")["soft_delete"] = True
    data["access_patterns"] = []
    design = compile_schema(parse_spec(data))
    bookings = next(s.sql for s in design.statements if s.object == "bookings")
    assert (
        "CONSTRAINT bookings_room_id_no_overlap EXCLUDE USING gist (room_id WITH =, company_id "
        "WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (deleted_at IS NULL)"
    ) in bookings
    # partial, it cannot serve the foreign key: the key keeps its btree index
    assert "bookings_room_id_company_id_idx" in design.ddl


def test_a_time_series_with_a_rule_is_not_partitioned() -> None:
    data = case_data()
    entity(data, "booking").update(time_series=True, growth_per_month=50_000_000)
    design = compile_schema(parse_spec(data))
    assert design.partitioning == []
    assert any(
        a.startswith("bookings is not partitioned although") and "exclusion" in a
        for a in design.assumptions
    )
    assert EXCLUDE in design.ddl


def _insert(conn: psycopg.Connection[Any], room: int, start: int, end: int) -> None:
    base = datetime(2031, 3, 1, 9, tzinfo=UTC)
    conn.execute(
        "INSERT INTO bookings (room_id, employee_id, starts_at, ends_at) VALUES (%s, 1, %s, %s)",
        (room, base + timedelta(minutes=start), base + timedelta(minutes=end)),
    )


def test_the_application_role_cannot_double_book(scratch: Scratch) -> None:
    design = compile_schema(room_booking())
    applied = apply_statements(parse_schema(design.ddl), scratch)
    assert applied.errors == []
    catalog = read_catalog(scratch.dsn)
    assert check_claims(design.claims, catalog) == []
    [excl] = catalog.constraints_of("bookings", "exclusion")  # pg_constraint contype 'x'
    assert excl.name == "bookings_room_id_no_overlap"
    with psycopg.connect(scratch.dsn, autocommit=True) as owner:
        owner.execute("INSERT INTO buildings (name) VALUES ('hq')")
        owner.execute(
            "INSERT INTO rooms (building_id, name, capacity) VALUES (1, 'a', 4), (1, 'b', 8)"
        )
        owner.execute("INSERT INTO employees (email, full_name) VALUES ('e@x.org', 'E')")
    with application_role(scratch) as app_dsn, psycopg.connect(app_dsn, autocommit=True) as app:
        assert app.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles "
                           "WHERE rolname = current_user").fetchone() == (False,)  # fmt: skip
        _insert(app, 1, 0, 60)
        with pytest.raises(psycopg.errors.ExclusionViolation) as refused:
            _insert(app, 1, 30, 90)  # overlaps the first half hour
        assert refused.value.sqlstate == "23P01"
        assert refused.value.diag.constraint_name == "bookings_room_id_no_overlap"
        _insert(app, 1, 60, 120)  # starts as the first ends: adjacent, not overlapping
        _insert(app, 1, -60, 0)  # ends as the first starts
        _insert(app, 2, 30, 90)  # another room, the same time
        with pytest.raises(psycopg.errors.ExclusionViolation):
            _insert(app, 1, 10, 20)  # inside an existing booking
        with pytest.raises(psycopg.errors.CheckViolation):
            _insert(app, 1, 200, 200)  # empty: would overlap nothing
        with pytest.raises(psycopg.errors.ExclusionViolation):  # moved onto a taken period
            app.execute("UPDATE bookings SET room_id = 1 WHERE room_id = 2")
        rows = app.execute("SELECT count(*) FROM bookings").fetchone()
        assert rows == (4,)


def test_the_exerciser_runs_every_rule_as_the_application(scratch: Scratch) -> None:
    spec = load_spec(FIXTURES / "tenancy" / "coworking.yaml")
    design = compile_schema(spec)
    assert apply_statements(parse_schema(design.ddl), scratch).errors == []
    with Exerciser.open(scratch, design.claims) as ex:
        assert overlaps_are_refused(ex) == 2  # hourly desk bookings and inclusive day passes
    passes = next(s.sql for s in design.statements if s.object == "day_passes")
    assert "daterange(first_day, last_day, '[]') WITH &&" in passes
    assert "CHECK (last_day >= first_day)" in passes  # one day, [d, d], is a period


def test_report_adr_and_erd_say_it_from_the_design() -> None:
    spec = room_booking()
    design = compile_schema(spec)
    assert table_notes(design.claims, "bookings") == (
        "no overlapping starts_at-ends_at per room_id (exclusion)"
    )
    adr = overlap_adr(spec, design)
    assert adr is not None
    assert adr.title == "Refuse overlapping periods with exclusion constraints"
    assert adr.context.startswith("booking: no two rows with the same room_id may overlap in "
                                  "starts_at..ends_at.")  # fmt: skip
    assert [c.kind for c in adr.claims] == ["no_overlap"]
    assert not any("live rows" in c for c in adr.consequences)
    plain = load_spec(REPO / "examples" / "task-tracker.yaml")
    assert overlap_adr(plain, compile_schema(plain)) is None
    erd = render_erd(parse_schema(design.ddl))
    assert '        timestamptz starts_at "no overlap per room_id"\n' in erd
    assert '        timestamptz ends_at "no overlap per room_id"\n' in erd
    assert "        bigint room_id FK\n" in erd


@pytest.mark.parametrize("direction", ["add", "drop"])
def test_migrate_adds_and_drops_the_rule_as_a_constraint(pg: PgServer, direction: str) -> None:
    """To a kept table the rule is ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE (a plain GiST
    index would accept double bookings; an index drop would be refused), replayed up and
    down on PostgreSQL; its lock is named, and squawk's NOT VALID advice accepted with why."""
    data = case_data()
    del entity(data, "booking")["no_overlap"]
    plain, ruled = compile_schema(parse_spec(data)).ddl, compile_schema(room_booking()).ddl
    current, target = (plain, ruled) if direction == "add" else (ruled, plain)
    plan = plan_migration(current, target)
    files = migration_files(plan)
    reaches, rolls_back = round_trip(current, target, files, pg)
    assert reaches.passed, [f.message for f in reaches.findings]
    assert rolls_back.passed, [f.message for f in rolls_back.findings]
    lint = lint_verdict(plan, files)
    assert lint.passed, [f.message for f in lint.findings]
    add = (
        "ALTER TABLE bookings ADD CONSTRAINT bookings_room_id_no_overlap EXCLUDE USING gist "
        "(room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&);"
    )
    drop = "ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_room_id_no_overlap;"
    [step] = [s for s in plan.steps if "no_overlap" in s.name]
    assert (step.up, step.down) == ((add, drop) if direction == "add" else (drop, add))
    assert not any("INDEX" in s.up and "no_overlap" in s.up for s in plan.steps)
    if direction == "add":
        assert (step.online, step.risk) == (False, "high")
        assert step.lock.startswith("ACCESS EXCLUSIVE while the index is built")
        assert any("fails if rows already overlap" in n for n in plan.notes)
        assert any("btree_gist" in s.up for s in plan.steps if s.phase == "expand")


def test_lint_never_calls_the_constraint_redundant_beside_a_plain_index() -> None:
    """Whichever comes first, the plain GiST index on the same keys is the redundant one:
    dropping the constraint's index would drop the rule."""
    findings = lint_schema(
        parse_schema(
            "CREATE TABLE b (id int PRIMARY KEY, room_id int, s timestamptz, e timestamptz);"
            "CREATE INDEX b_gist ON b USING gist (room_id, tstzrange(s, e));"
            "ALTER TABLE b ADD CONSTRAINT b_excl EXCLUDE USING gist "
            "(room_id WITH =, tstzrange(s, e) WITH &&);"
        )
    )
    [redundant] = [f for f in findings if f.rule == "redundant-index"]
    assert redundant.message == (
        "index 'b_gist' (room_id, (tstzrange(s, e))) on 'b' is covered by exclusion "
        "constraint 'b_excl'"
    )


def test_the_contract_gate_holds_any_brain_to_the_rule() -> None:
    """A schema that drops the constraint (as a model-written DDL might) fails the gate,
    naming the table and the rule; the compiled one passes."""
    spec = room_booking()
    ddl = compile_schema(spec).ddl
    assert contract_verdict(parse_schema(ddl), spec).findings == []
    without = ddl.replace(EXCLUDE + ",", "")
    plain_gist = without.replace(
        "CREATE INDEX bookings_employee_id_idx",
        "CREATE INDEX bookings_period_idx ON bookings USING gist (room_id, "
        "tstzrange(starts_at, ends_at));\nCREATE INDEX bookings_employee_id_idx",
    )
    for schema in (without, plain_gist):
        [finding] = contract_verdict(parse_schema(schema), spec).findings
        assert finding.table == "bookings"
        assert finding.message.startswith(
            "bookings has no exclusion constraint keeping starts_at..ends_at from overlapping "
            "per room_id (the spec's no_overlap)"
        )
