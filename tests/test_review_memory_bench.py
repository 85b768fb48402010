"""The review memory benchmark: its measurement of a child and its targets (full run: manual)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import REPO

from tools.sql.parse import parse_schema

sys.path.insert(0, str(REPO))  # benchmarks/ is a folder of scripts, not an installed package
from benchmarks.review_memory import Row, Run, _missed, main, measured
from benchmarks.schema_gen import generate_schema


def test_a_childs_peak_memory_is_its_own() -> None:
    """Not its parent's: a fork of a 300 MiB parent would report 300 MiB for `print(1)`."""
    ballast = b"\x01" * (300 * 2**20)  # the pytest process, grown large
    big = measured([sys.executable, "-c", "x = bytearray(200 * 2**20); print(len(x))"])
    small = measured([sys.executable, "-c", "print(1)"])
    assert len(ballast) == 300 * 2**20
    assert big.stdout.strip() == str(200 * 2**20)
    assert big.peak_mib > 200 > small.peak_mib


def _row(
    mib: float, review_peak: float, seconds: float, stderr: str, shape: str = "wide", tables=10
) -> Row:
    review = Run(seconds, review_peak, "", stderr)
    return Row(shape, tables, mib, review, {}, Run(1, 9000, "", ""), None)


def test_targets() -> None:
    assert _missed(_row(20, 500, 60, "  5.0s parsing: 10%\n")) == []
    assert _missed(_row(1, 950, 3, "")) == []  # too small to judge memory; short: no lines
    missed = _missed(_row(20, 9500, 60, ""))
    assert len(missed) == 2 and "not below" in missed[0] and "no progress" in missed[1]


def test_the_issues_dump_must_stay_below_a_gibibyte() -> None:
    """Below the whole-file parse is not enough there: the issue's dump had its own bound."""
    lines = "  5.0s parsing: 10%\n"
    assert _missed(_row(20, 700, 240, lines, "narrow", 184_000)) == []
    (missed,) = _missed(_row(20, 1500, 240, lines, "narrow", 184_000))
    assert "the issue's dump" in missed and "1024 MiB" in missed
    assert _missed(_row(20, 1500, 240, lines, "wide", 184_000)) == []  # another shape


def test_a_narrow_schema_is_the_issues_shape(tmp_path: Path) -> None:
    """~110 bytes a table, like the 184,000-table 20 MB dump, and it applies and parses."""
    sql = generate_schema(1000, shape="narrow")
    assert 100 < len(sql) / 1000 < 120
    schema = parse_schema(sql)
    assert len(schema.tables) == 1000
    assert sum(len(t.foreign_keys) for t in schema.tables.values()) == 750


def test_small_run_end_to_end(capsys: object) -> None:
    assert main(["--sizes", "5,20", "--no-psql"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["tables", "SQL", "MiB"]
    assert [line.split()[0] for line in lines[1:3]] == ["5", "20"]
    assert "memory per MiB of SQL" in out
