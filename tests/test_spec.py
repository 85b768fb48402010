"""The requirements spec: examples load, errors carry key path + line + column, CLI output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO
from typer.testing import CliRunner

from agent.cli import _register, app
from agent.spec import (
    load_spec,
    missing_information,
    parse_spec,
    resolve_contract,
    spec_json_schema,
)
from tools.errors import SpecError

EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
SPECS = FIXTURES / "spec"


def problems_of(path: Path) -> list[dict[str, object]]:
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    return caught.value.problems


def test_there_are_at_least_six_examples_of_different_kinds() -> None:
    names = {p.stem for p in EXAMPLES}
    assert len(names) >= 6
    assert {"task-tracker", "clinic-booking", "iot-telemetry", "product-catalog"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_loads_and_names_its_access_pattern_tables(path: Path) -> None:
    spec = load_spec(path)
    assert spec.name == path.stem
    assert spec.access_patterns, "examples show access patterns"
    assert all(e.rows for e in spec.entities), "examples state volumes"
    unknown_tables = [q for q in missing_information(spec) if "does not define" in q.message]
    assert unknown_tables == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_spec_survives_a_json_round_trip(path: Path) -> None:
    """The graph checkpoints specs as JSON (by alias); they must validate back unchanged."""
    spec = load_spec(path)
    again = parse_spec(json.loads(spec.model_dump_json(by_alias=True)))
    assert again == spec


def test_the_design_sketch_keys_are_accepted_and_parsed() -> None:
    spec = load_spec(REPO / "examples" / "task-tracker.yaml")
    task = spec.entity("task")
    assert task is not None and task.rows == 50_000_000 and task.growth_per_month == 2_000_000
    status = task.attributes["status"]
    assert (status.kind, status.parsed.values, status.required) == (
        "enum",
        ("todo", "doing", "done"),
        True,
    )
    assert [r.entity for r in task.belongs_to] == ["project", "company", "user"]
    assert task.belongs_to[2].as_ == "reporter"
    rel = spec.relationships[0]
    assert (rel.from_, rel.to, rel.kind, rel.as_) == ("task", "user", "many-to-many", "assignees")
    assert spec.tenancy == "shared-schema" and spec.compliance == ["gdpr"]
    tables = resolve_contract(spec).tables
    assert tables["task_assignees"].column_names == ["task_id", "user_id", "created_at"]
    assert tables["task_assignees"].primary_key == ["task_id", "user_id"]


def test_unknown_key_names_the_key_the_allowed_ones_and_its_position() -> None:
    [problem] = problems_of(SPECS / "unknown_key.yaml")
    assert problem["path"] == "entities[0].atributes"
    assert (problem["line"], problem["column"]) == (5, 5)
    message = str(problem["message"])
    assert "unknown key 'atributes'" in message and "did you mean 'attributes'" in message
    assert "allowed keys here: name, description, rows" in message


def test_bad_type_string_points_into_the_value_and_lists_types() -> None:
    [problem] = problems_of(SPECS / "bad_type.yaml")
    assert problem["path"] == "entities[0].attributes.due_at"
    assert (problem["line"], problem["column"]) == (7, 15)
    assert "unknown attribute type 'timestmp'" in str(problem["message"])
    assert "timestamp" in str(problem["message"])


def test_unknown_entity_references_are_each_reported_with_a_suggestion() -> None:
    first, second = problems_of(SPECS / "unknown_entity.yaml")
    assert first["path"] == "entities[1].belongs_to[1]"
    assert (first["line"], first["column"]) == (5, 27)
    assert "unknown entity 'compnay'; did you mean 'company'?" in str(first["message"])
    assert second["path"] == "relationships[0].to"
    assert (second["line"], second["column"]) == (8, 22)
    assert "unknown entity 'user'" in str(second["message"])


def test_unparsable_access_pattern_sql_names_the_pattern_and_the_file_position() -> None:
    [problem] = problems_of(SPECS / "bad_sql.yaml")
    assert problem["path"] == "access_patterns[1].sql"
    # Line 13 of the file is `      WHERE title = $1 AND ORDER BY id`; ORDER starts at column 28.
    assert (problem["line"], problem["column"]) == (13, 28)
    assert "'tasks by title'" in str(problem["message"])
    assert 'syntax error at or near "ORDER"' in str(problem["message"])


def test_reference_cycles_that_no_insert_can_satisfy_are_errors() -> None:
    problems = problems_of(SPECS / "cycle.yaml")
    messages = {str(p["path"]): str(p["message"]) for p in problems}
    assert "belongs to itself as a required reference" in messages["entities[2].belongs_to[0]"]
    cycle = messages["entities[0].belongs_to[0]"]
    assert "department -> employee -> department" in cycle and "make one of them optional" in cycle


def test_field_errors_are_reported_together_with_their_values() -> None:
    problems = problems_of(SPECS / "many_problems.yaml")
    by_path = {str(p["path"]): p for p in problems}
    assert set(by_path) == {"tenancy", "entities[0].rows"}
    assert "'shared-schema'" in str(by_path["tenancy"]["message"])
    assert (by_path["entities[0].rows"]["line"], by_path["entities[0].rows"]["column"]) == (5, 11)


def test_semantic_problems_of_a_valid_shape_are_all_reported() -> None:
    data = {
        "name": "x",
        "entities": [
            {"name": "project", "attributes": {"Name": "text!"}, "pii": ["email"]},
            {"name": "project"},
        ],
        "access_patterns": [{"name": "two", "sql": "SELECT 1; SELECT 2"}],
    }
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    messages = [str(p["message"]) for p in caught.value.problems]
    assert any("defined twice" in m for m in messages)
    assert any("'Name' is not a snake_case column name" in m for m in messages)
    assert any("'email' is not an attribute of 'project'" in m for m in messages)
    assert any("exactly one SQL statement, not 2" in m for m in messages)
    assert all(p["line"] is None for p in caught.value.problems)  # no file: no positions


def test_duplicate_yaml_keys_and_broken_yaml_are_positioned() -> None:
    with pytest.raises(SpecError) as caught:
        load_spec("name: a\nentities:\n  - name: b\nname: c\n")
    assert caught.value.problems[0]["path"] == "name"
    assert caught.value.problems[0]["line"] == 4
    with pytest.raises(SpecError) as caught:
        load_spec("name: a\nentities: [\n")
    assert caught.value.problems[0]["line"] is not None


def test_friendly_values_are_normalised() -> None:
    spec = parse_spec(
        {
            "name": "friendly",
            "compliance": "PCI-DSS",
            "availability": "99.95%",
            "entities": [{"name": "OrderItem", "rows": "1.5M", "retention": 30}],
        }
    )
    assert spec.compliance == ["pci"]
    assert spec.availability == pytest.approx(99.95)
    item = spec.entities[0]
    assert (item.name, item.rows, item.retention) == ("order_item", 1_500_000, "30 days")
    assert resolve_contract(spec).tables["order_items"].column_names[0] == "id"


def test_missing_information_asks_questions_before_assumptions() -> None:
    questions = missing_information(load_spec(SPECS / "open_questions.yaml"))
    kinds = [q.kind for q in questions]
    assert kinds == sorted(kinds, key=lambda k: k != "question")
    topics = {(q.kind, q.topic) for q in questions}
    assert ("question", "tenancy") in topics  # `organization` looks like a tenant
    assert ("question", "retention") in topics  # append-only without retention
    assert ("assumption", "volumes") in topics and ("assumption", "consistency") in topics
    unknown = [q for q in questions if "reads table 'vitals'" in q.message]
    assert len(unknown) == 1 and unknown[0].path == "access_patterns[1].sql"
    assert any("fedramp" in q.message for q in questions)


def test_complete_examples_leave_nothing_important_open() -> None:
    spec = load_spec(REPO / "examples" / "clinic-booking.yaml")
    assert missing_information(spec) == []


def test_json_schema_documents_the_contract() -> None:
    schema = spec_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "entities"}
    entity = schema["$defs"]["Entity"]
    assert {"rows", "growth_per_month", "belongs_to", "retention", "pii"} <= set(
        entity["properties"]
    )
    attribute = schema["$defs"]["Attribute"]
    assert attribute["anyOf"][0]["type"] == "string"
    assert "enum(a, b, ...)" in attribute["anyOf"][0]["description"]
    assert "from" in schema["$defs"]["Relationship"]["properties"]


runner = CliRunner()
_register()


def test_cli_prints_the_json_schema() -> None:
    result = runner.invoke(app, ["spec", "schema"])
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert printed["title"] == "db-architect requirements spec"
    assert "Requirements" not in printed.get("$defs", {})  # the root is the spec itself


def test_cli_check_lists_contract_tables_and_questions() -> None:
    result = runner.invoke(app, ["spec", "check", str(SPECS / "open_questions.yaml")])
    assert result.exit_code == 0
    assert "vital_signs (id, patient_id, measured_at, kind, value, created_at, updated_at)" in (
        result.stdout
    )
    assert "questions:" in result.stdout and "assumptions:" in result.stdout


def test_cli_check_json_reports_problems_with_exit_2() -> None:
    args = ["spec", "check", str(SPECS / "unknown_key.yaml"), "--format", "json"]
    result = runner.invoke(app, args, standalone_mode=False)
    assert result.return_value == 2
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert payload["problems"][0]["line"] == 5


def test_dbarch_spec_check_exits_2_naming_file_line_and_column() -> None:
    """The installed command, end to end: the error tree becomes exit 2 and a message."""
    spec = SPECS / "bad_type.yaml"
    done = subprocess.run(
        [sys.executable, "-c", "from agent.cli import main; main()", "spec", "check", str(spec)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{spec}:7:15: entities[0].attributes.due_at: unknown attribute type" in done.stderr


def test_entities_may_be_a_mapping_and_keep_their_positions() -> None:
    [problem] = problems_of(SPECS / "mapping_form.yaml")
    assert problem["path"] == "entities[2].belongs_to[1]"
    assert (problem["line"], problem["column"]) == (17, 25)
    assert "unknown entity 'custmer'" in str(problem["message"])


def test_shorthands_for_kinds_rates_and_choices() -> None:
    spec = parse_spec(
        {
            "name": "short",
            "tenancy": "Shared_Schema",
            "workload": "read heavy",
            "entities": {"store": {"rows": 10}, "item": {"belongs_to": "store"}, "tag": None},
            "relationships": [{"from": "item", "to": "tag", "kind": "n:m"}],
            "access_patterns": [
                {"name": "daily", "per_day": 86400, "sql": "SELECT count(*) FROM items"}
            ],
        }
    )
    assert (spec.tenancy, spec.workload) == ("shared-schema", "read-heavy")
    assert [e.name for e in spec.entities] == ["store", "item", "tag"]
    assert spec.relationships[0].kind == "many-to-many"
    assert spec.access_patterns[0].per_second == pytest.approx(1.0)
    with pytest.raises(SpecError, match="disagree"):
        parse_spec(
            {
                "name": "x",
                "entities": [{"name": "a"}],
                "access_patterns": [
                    {"name": "p", "per_second": 5, "per_minute": 60, "sql": "SELECT 1"}
                ],
            }
        )


def test_an_undeclared_tenant_is_the_root_most_entities_belong_to() -> None:
    spec = parse_spec(
        {
            "name": "shops",
            "tenancy": "shared-schema",
            "entities": [
                {"name": "region"},
                {"name": "store", "belongs_to": [{"entity": "region", "optional": True}]},
                {"name": "product", "belongs_to": ["store"]},
                {"name": "sale", "belongs_to": ["product"]},
            ],
        }
    )
    [guess] = [q for q in missing_information(spec) if q.topic == "tenancy"]
    assert guess.kind == "assumption" and "'store'" in guess.message
    assert guess.assumed == "every tenant-owned table carries store_id"


def test_examples_validate_against_the_printed_json_schema() -> None:
    """Editors validate specs with the schema: it must accept what the loader accepts."""
    import jsonschema  # installed with the mcp SDK
    import yaml

    validator = jsonschema.Draft202012Validator(spec_json_schema())
    for path in [*EXAMPLES, SPECS / "plain_telemetry.yaml", SPECS / "open_questions.yaml"]:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], path.name
    mapping = yaml.safe_load((SPECS / "mapping_form.yaml").read_text())
    mapping.update(tenancy="shared-schema", workload="read-heavy")
    mapping["relationships"][0]["kind"] = "many-to-many"
    assert list(validator.iter_errors(mapping)) == []
    typo = yaml.safe_load((SPECS / "unknown_key.yaml").read_text())
    assert list(validator.iter_errors(typo)) != []


def test_defaults_postgresql_would_reject_are_spec_errors() -> None:
    data = {
        "name": "defaults",
        "entities": [
            {
                "name": "task",
                "attributes": {
                    "status": "enum(todo, done)! default doing",
                    "points": "int default many",
                    "open": "bool default maybe",
                    "due_at": "timestamp default now()",
                },
            }
        ],
    }
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    messages = {str(p["path"]): str(p["message"]) for p in caught.value.problems}
    assert set(messages) == {
        "entities[0].attributes.status",
        "entities[0].attributes.points",
        "entities[0].attributes.open",
    }
    assert "not one of the enum's values (todo, done)" in messages["entities[0].attributes.status"]


def test_reads_of_soft_deleted_tables_must_filter_deleted_rows() -> None:
    spec = {
        "name": "t",
        "entities": [
            {"name": "project", "attributes": {"name": "text!"}},
            {"name": "task", "belongs_to": ["project"], "soft_delete": True},
        ],
        "access_patterns": [
            {"name": "tasks of a project", "sql": "SELECT id FROM tasks WHERE project_id = $1"},
            {
                "name": "joined",
                "sql": "SELECT t.id FROM tasks t JOIN projects p ON p.id = t.project_id "
                "WHERE p.name = $1 AND deleted_at IS NULL",  # unqualified: which table?
            },
            {
                "name": "live",
                "sql": "SELECT id FROM tasks WHERE project_id = $1 AND deleted_at IS NULL",
            },
            {"name": "by id", "sql": "SELECT id FROM tasks WHERE id = $1"},
            {"name": "purge", "sql": "DELETE FROM tasks WHERE deleted_at < now()"},
            {"name": "aliased", "sql": "SELECT t.id FROM tasks t WHERE t.deleted_at IS NULL"},
        ],
    }
    with pytest.raises(SpecError) as caught:
        parse_spec(spec)
    found = [(p["path"], p["message"]) for p in caught.value.problems]
    assert [path for path, _ in found] == ["access_patterns[0].sql", "access_patterns[1].sql"]
    assert found[0][1].startswith(
        "access pattern 'tasks of a project' reads tasks, which keeps deleted rows (soft "
        "delete), without a condition on deleted_at"
    )
