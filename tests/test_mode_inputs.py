"""What each mode needs from its caller, the spec derived from a schema, and the current schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES

from agent.cli.requests import build_request
from agent.ddl import summarize_schema
from agent.mode_inputs import check_mode_inputs, derive_spec, merge_workload, table_rows
from agent.spec import load_spec
from agent.state import DesignRequest, NamedQuery
from tools.errors import InputError, SqlSyntaxError
from tools.sql.parse import parse_schema

CHINOOK = CORPUS / "chinook-postgresql.sql"
PAGILA = CORPUS / "pagila-schema.sql"
TRACKER = Path(__file__).resolve().parents[1] / "examples" / "task-tracker.yaml"
WORKLOAD = FIXTURES / "modes" / "chinook-workload.sql"
SQL = "CREATE TABLE t (id int PRIMARY KEY);"
QUERY = [NamedQuery(name="q", sql="SELECT id FROM t")]


@pytest.mark.parametrize(
    ("request_data", "names"),
    [
        ({"mode": "optimize"}, "--schema FILE|FOLDER"),
        ({"mode": "scale"}, "--schema FILE|FOLDER"),
        ({"mode": "optimize", "current_schema": SQL}, "--workload FILE"),
        ({"mode": "migrate", "current_schema": SQL}, "--target-schema"),
        ({"mode": "compare"}, "--mode compare needs a SPEC"),
        ({"mode": "design", "current_schema": SQL, "text": "x"}, "--schema is for --mode"),
        ({"mode": "scale", "current_schema": SQL, "target_schema": SQL}, "--target-schema is for"),
    ],
)
def test_missing_or_misplaced_inputs_name_the_option(
    request_data: dict[str, object], names: str
) -> None:
    with pytest.raises(InputError, match=names.replace("|", r"\|")):
        check_mode_inputs(DesignRequest.model_validate(request_data))


@pytest.mark.parametrize(
    "request_data",
    [
        {"mode": "optimize", "current_schema": SQL, "workload": QUERY},
        {"mode": "scale", "current_schema": SQL},
        {"mode": "migrate", "current_schema": SQL, "target_schema": SQL},
        {"mode": "migrate", "current_schema": SQL, "text": "a task tracker"},
        {"mode": "compare", "text": "a task tracker"},
    ],
)
def test_complete_inputs_pass(request_data: dict[str, object]) -> None:
    check_mode_inputs(DesignRequest.model_validate(request_data))


def test_spec_derived_from_chinook() -> None:
    schema = parse_schema(CHINOOK)
    spec = derive_spec(schema, QUERY, str(CHINOOK))
    assert spec.name == "chinook-postgresql"
    assert [e.name for e in spec.entities][:3] == ["album", "artist", "customer"]
    assert all(e.rows is None for e in spec.entities)
    assert [(p.name, p.sql) for p in spec.access_patterns] == [("q", "SELECT id FROM t")]
    with pytest.raises(InputError, match="creates no table"):
        derive_spec(parse_schema("CREATE TYPE x AS ENUM ('a')"), [], "types.sql")


def test_workload_merges_into_the_spec_and_clashing_names_are_refused() -> None:
    spec = load_spec(TRACKER)
    live = "SELECT count(*) FROM tasks WHERE deleted_at IS NULL"  # tasks are soft-deleted
    merged = merge_workload(spec, [NamedQuery(name="slow report", sql=live)])
    assert [p.name for p in merged.access_patterns][-1] == "slow report"
    assert len(merged.access_patterns) == len(spec.access_patterns) + 1
    same = spec.access_patterns[0]
    assert merge_workload(spec, [NamedQuery(name=same.name, sql=same.sql)]) == spec
    with pytest.raises(InputError, match="my open tasks"):
        merge_workload(spec, [NamedQuery(name="my open tasks", sql="SELECT 1")])


def test_rows_come_from_entities_then_rows_options() -> None:
    schema = parse_schema(CHINOOK)
    spec = derive_spec(schema, [], None).model_copy(deep=True)
    spec.entities[0].rows = 500  # album: a singular table, matched by the entity's own name
    assert table_rows(spec, schema, {"track": 9}) == {"album": 500, "track": 9}
    with pytest.raises(InputError, match="--rows names table 'tracks'"):
        table_rows(spec, schema, {"tracks": 9})
    assert table_rows(spec, schema, {"tracks": 9}, strict=False)["tracks"] == 9


def test_current_schema_summary_of_pagila() -> None:
    schema = parse_schema(PAGILA)
    design = summarize_schema(schema, PAGILA.read_text(), {"rental": 7})
    names = [t.name for t in design.tables]
    assert "payment" in names and not any(n.startswith("payment_p20") for n in names)
    (payment,) = design.partitioning
    assert payment.table == "payment" and payment.column == "payment_date"
    assert payment.strategy == "range" and len(payment.partitions) >= 5
    rental = design.table("rental")
    assert rental is not None and rental.estimated_rows == 7
    film_actor = design.table("film_actor")
    assert film_actor is not None and film_actor.kind == "join"
    refs = {c.name: c.references for c in film_actor.columns}
    assert refs["actor_id"] == "actor.actor_id" and refs["film_id"] == "film.film_id"
    assert design.enum_types["mpaa_rating"] == ["G", "PG", "PG-13", "R", "NC-17"]
    assert design.ddl == PAGILA.read_text()


def test_a_sql_file_as_spec_is_the_current_schema(tmp_path: Path) -> None:
    request = build_request(str(CHINOOK), "optimize", None, WORKLOAD, ["track=10"], False)
    assert request.spec is None and request.text is None
    assert request.schema_name == str(CHINOOK) and request.rows == {"track": 10}
    assert request.workload[0].name == "customer by email"
    with pytest.raises(InputError, match="give the current schema once"):
        build_request(str(CHINOOK), "optimize", CHINOOK, WORKLOAD, [], False)
    broken = tmp_path / "broken.sql"
    broken.write_text("CREATE TABLE ok (id int);\nCREATE TABLE (;\n")
    with pytest.raises(SqlSyntaxError) as caught:
        build_request(None, "scale", broken, None, [], False)
    assert caught.value.location.file == str(broken) and caught.value.location.line == 2
