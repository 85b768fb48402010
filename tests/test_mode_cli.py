"""`dbarch design --mode ...` as a user runs it: exit codes, messages and package files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES

MODES = FIXTURES / "modes"
SHOP_V1, SHOP_V2 = MODES / "shop-v1.sql", MODES / "shop-v2.sql"
DBARCH = str(Path(sys.executable).with_name("dbarch"))


def dbarch(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(DBARCH_HOME=str(home), DBARCH_SAMPLE_ROW_CAP="50000")
    return subprocess.run(
        [DBARCH, "design", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_help_teaches_the_modes(tmp_path: Path) -> None:
    done = dbarch(["--help"], tmp_path)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for phrase in ("Modes (--mode)", "optimize", "--target-schema", "--workload", "compare"):
        assert phrase in text
    assert "dbarch design evals/cases/inputs/legacy-shop.sql --mode optimize --workload" in text


def test_optimize_takes_a_schema_file_instead_of_a_spec(tmp_path: Path) -> None:
    workload = tmp_path / "queries.sql"
    workload.write_text(
        "-- name: order page\nSELECT * FROM orders ORDER BY placed_at DESC LIMIT 20 OFFSET 200;\n"
    )
    out = tmp_path / "out"
    args = [str(SHOP_V1), "--mode", "optimize", "--workload", str(workload), "--out", str(out)]
    done = dbarch([*args, "--rows", "orders=5000"], tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("shop-v1 (optimize): ")
    assert "2 rewrites" in done.stdout
    assert {"report.md", "rewrites.sql", "indexes.sql", "design.json"} <= _files(out)
    rewrites = (out / "rewrites.sql").read_text()
    assert "-- name: order page" in rewrites and "OFFSET" not in rewrites.splitlines()[-1]
    assert "[optimize] rewrites_equivalent: ok" in done.stderr


def test_migrate_to_a_target_schema_writes_ordered_steps(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["--mode", "migrate", "--schema", str(SHOP_V1), "--target-schema", str(SHOP_V2)]
    done = dbarch([*args, "--out", str(out), "--format", "json"], tmp_path / "home")
    assert done.returncode == 0, done.stderr
    pkg = json.loads(done.stdout)
    steps = pkg["migration"]["steps"]
    names = sorted(f for f in _files(out) if f.startswith("migrations/"))
    assert len(names) == 2 * len(steps)
    assert names[0] == f"migrations/0001_{steps[0]['name']}.down.sql"
    assert pkg["mode"] == "migrate" and pkg["name"] == "shop-v1"
    assert {c["gate"] for c in pkg["checks"]} >= {
        "migration_reaches_target",
        "migration_rolls_back",
    }


def test_missing_inputs_exit_2_naming_the_option(tmp_path: Path) -> None:
    cases = [
        (["--mode", "optimize", "--schema", str(SHOP_V1)], "--workload FILE"),
        (["--mode", "migrate", "--schema", str(SHOP_V1)], "--target-schema"),
        (["--mode", "scale", "--schema", str(SHOP_V1), "--rows", "nope=5"], "'nope'"),
        (["--mode", "scale", "--schema", str(tmp_path / "missing.sql")], "missing.sql"),
        (["--mode", "compare"], "--schema FILE"),
    ]
    for args, named in cases:
        done = dbarch(args, tmp_path / "home")
        assert done.returncode == 2, (args, done.stderr)
        assert named in done.stderr, (args, done.stderr)


def test_a_migration_no_online_step_can_make_fails_its_gate_with_exit_1(tmp_path: Path) -> None:
    current, target = tmp_path / "v1.sql", tmp_path / "v2.sql"
    current.write_text("CREATE TABLE t (a int PRIMARY KEY, b int NOT NULL);\n")
    target.write_text("CREATE TABLE t (a int, b int NOT NULL, PRIMARY KEY (a, b));\n")
    args = ["--mode", "migrate", "--schema", str(current), "--target-schema", str(target)]
    done = dbarch([*args, "--out", str(tmp_path / "out")], tmp_path / "home")
    assert done.returncode == 1, done.stderr
    assert "gate 'migration_reaches_target' failed after 3 attempt(s)" in done.stderr
    assert "missing constraint t: PRIMARY KEY (a, b)" in done.stderr
    assert not (tmp_path / "out").exists()
