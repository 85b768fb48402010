"""Loading eval cases: the built-in suite, and bad case files refused with file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from evals.cases import SUITE, case_files, load_case, load_cases
from tools.errors import InputError, SpecError

BAD = FIXTURES / "evals" / "bad_cases"


def _problems(path: Path) -> list[tuple[int | None, int | None, str, str]]:
    with pytest.raises(SpecError) as caught:
        load_case(path)
    assert str(path) in str(caught.value)
    return [(p["line"], p["column"], p["path"], p["message"]) for p in caught.value.problems]


def test_the_built_in_suite_loads_and_covers_every_example() -> None:
    cases = load_cases()
    assert len(cases) >= 8
    assert len({case.id for case in cases}) == len(cases)
    examples = {p.stem for p in (SUITE.parents[1] / "examples").glob("*.yaml")}
    names = [case.request.spec.name if case.request.spec else None for case in cases]
    assert examples <= set(names)
    assert {case.mode for case in cases} == {"design", "compare", "optimize", "scale", "migrate"}
    inline = [name for name in names if name is not None and name not in examples]
    assert len(inline) >= 4


def test_cases_carry_the_documented_checks() -> None:
    checks = {e.check for case in load_cases() for e in case.expect}
    documented = {"ddl_applies", "lint_clean", "patterns_indexed", "adrs_min", "tables"}
    documented |= {"column_type", "partitioned", "rls", "technology", "no_eav", "mentions"}
    assert documented <= checks


def test_a_case_turns_into_a_non_interactive_request() -> None:
    case = load_case(SUITE / "saas-tasks.yaml")
    request = case.request
    assert request.mode == "design" and not request.interactive
    assert request.spec is not None and request.spec.name == "task-tracker"
    rls = next(e for e in case.expect if e.check == "rls")
    assert rls.arg == ["tasks", "projects", "users", "labels"]
    types = next(e for e in case.expect if e.check == "column_type")
    assert types.arg["tasks.status"] == "task_status"


def test_mode_inputs_are_read_relative_to_the_case() -> None:
    optimize = load_case(SUITE / "optimize-legacy-shop.yaml").request
    assert optimize.spec is None and optimize.mode == "optimize"
    assert optimize.current_schema is not None
    assert "CREATE TABLE order_items" in optimize.current_schema
    assert optimize.schema_name is not None
    assert optimize.schema_name.endswith("inputs/legacy-shop.sql")
    assert [q.name for q in optimize.workload][:2] == ["orders of a customer", "customer by email"]
    assert optimize.rows["order_items"] == 20_000_000
    migrate = load_case(SUITE / "migrate-legacy-shop.yaml").request
    assert migrate.target_schema is not None and "order_status" in migrate.target_schema


def test_a_missing_mode_input_is_a_case_problem() -> None:
    problems = _problems(BAD / "missing-schema.yaml")
    assert len(problems) == 1
    assert "--mode optimize needs the current schema" in problems[0][3]
    assert "schema_file" in problems[0][3]


def test_unknown_check_names_it_with_line_and_column() -> None:
    problems = _problems(BAD / "unknown-check.yaml")
    assert [(line, column, path) for line, column, path, _ in problems] == [
        (6, 5, "expect[1]"),
        (8, 5, "expect[3]"),
    ]
    assert "unknown check 'lint_clen' (did you mean 'lint_clean'?)" in problems[0][3]
    assert "unknown check 'partitoned' (did you mean 'partitioned'?)" in problems[1][3]


def test_unknown_check_error_text_carries_the_position() -> None:
    with pytest.raises(SpecError, match=r"unknown-check\.yaml:6:5: expect\[1\]: unknown check"):
        load_case(BAD / "unknown-check.yaml")


def test_bad_arguments_are_positioned_at_the_value() -> None:
    problems = _problems(BAD / "bad-argument.yaml")
    assert [(line, column) for line, column, _, _ in problems] == [(4, 15), (5, 18), (6, 18)]
    assert "bad argument for check 'adrs_min'" in problems[0][3]
    assert "valid integer" in problems[0][3]
    assert "valid dictionary" in problems[1][3]
    assert "check 'ddl_applies' takes no argument" in problems[2][3]


def test_inline_spec_problems_point_into_the_case_file() -> None:
    problems = _problems(BAD / "bad-inline-spec.yaml")
    assert [(line, column, path) for line, column, path, _ in problems] == [
        (9, 7, "spec.entities[0].colour"),
        (12, 9, "spec.entities[1].attributes.weight"),
    ]
    assert "unknown key 'colour'" in problems[0][3]
    assert "unknown attribute type 'grams'" in problems[1][3]


def test_unknown_keys_bad_id_and_bad_mode() -> None:
    problems = _problems(BAD / "bad-keys.yaml")
    by_path = {path: (line, column, message) for line, column, path, message in problems}
    assert by_path["expects"] == (4, 1, "unknown key 'expects'")
    assert by_path["mode"][:2] == (3, 7) and "'compare'" in by_path["mode"][2]
    assert by_path["id"][:2] == (1, 5)


def test_one_spec_source_at_most() -> None:
    problems = _problems(BAD / "two-specs.yaml")
    assert (
        "one of `spec` (inline) or `spec_file`" in problems[0][3] and "not both" in problems[0][3]
    )


def test_a_design_needs_a_spec(tmp_path: Path) -> None:
    case = tmp_path / "no-spec.yaml"
    case.write_text("id: no-spec\nexpect: [ddl_applies]\n")
    problems = _problems(case)
    assert "--mode design needs a SPEC" in problems[0][3]


def test_folders_expand_in_name_order_and_missing_paths_are_named(tmp_path: Path) -> None:
    files = case_files([BAD])
    assert [f.name for f in files] == sorted(f.name for f in files)
    with pytest.raises(InputError, match=r"no such case file or folder: .*nowhere"):
        case_files([tmp_path / "nowhere"])
    with pytest.raises(InputError, match="no case files"):
        case_files([tmp_path])


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    source = (
        (SUITE / "ledger.yaml")
        .read_text()
        .replace("../../examples", str(SUITE.parents[1] / "examples"))
    )
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(source)
    with pytest.raises(SpecError, match="case id 'ledger' is also used by"):
        load_cases([tmp_path])
