"""The review benchmark's generator and target checks (the full-size run is a manual step)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import REPO

from tools.sql.parse import parse_schema
from tools.sql.review import lint_schema

sys.path.insert(0, str(REPO))  # benchmarks/ is a folder of scripts, not an installed package
from benchmarks.review_scale import Sample, _check_targets, main
from benchmarks.schema_gen import generate_schema, write_schema


def test_generated_schemas_are_deterministic_sound_and_sized(tmp_path: Path) -> None:
    assert generate_schema(40) == generate_schema(40)
    assert generate_schema(40, seed=1) != generate_schema(40, seed=2)
    schema = parse_schema(write_schema(tmp_path, 40))
    assert len(schema.tables) == 40
    fks = [fk for t in schema.tables.values() for fk in t.foreign_keys]
    indexes = [i for t in schema.tables.values() for i in t.indexes]
    assert len(fks) >= 20 and len(indexes) >= 40
    assert lint_schema(schema) == []


def _sample(tables: int, review: float, psql: float, squawk: float) -> Sample:
    return Sample(tables, [review], [review - 1], [review - 1.5], [psql], [squawk])


def test_targets_are_checked() -> None:
    ok = {100: _sample(100, 2.0, 0.5, 0.05), 1000: _sample(1000, 12.0, 4.5, 0.3)}
    assert _check_targets(ok) == []
    slow = {100: _sample(100, 2.0, 0.5, 0.05), 1000: _sample(1000, 30.0, 4.5, 0.3)}
    missed = _check_targets(slow)
    assert [m.split(":")[0] for m in missed] == ["linear growth", "baseline ratio"]


def test_small_run_end_to_end(capsys: object) -> None:
    assert main(["--sizes", "6", "--repeat", "1"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    header, row = out.splitlines()[:2]
    assert header.split() == ["tables", "review", "engine", "validate", "psql", "squawk",
                              "review/(psql+squawk)"]  # fmt: skip
    assert row.split()[0] == "6" and all(float(x) > 0 for x in row.split()[1:])
