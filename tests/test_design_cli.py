"""`dbarch design` as a user runs it: a real process, killed, interrupted and resumed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
from conftest import FIXTURES
from process_support import default_sigint

from tools.sql.server import SCRATCH_PREFIX, PgServer

MINI = FIXTURES / "design" / "mini.yaml"
DBARCH = str(Path(sys.executable).with_name("dbarch"))


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env.update(DBARCH_HOME=str(home), DBARCH_SAMPLE_ROW_CAP="50000")
    return env


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DBARCH, "design", *args],
        capture_output=True,
        text=True,
        env=_env(home),
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def _start_and_stop_at(args: list[str], home: Path, marker: str, sig: int) -> tuple[str, int, int]:
    """Run until a progress line contains `marker`, send `sig`; (stderr, exit code, pid)."""
    proc = subprocess.Popen(
        [DBARCH, "design", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(home),
        preexec_fn=default_sigint,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            proc.send_signal(sig)
            break
    seen.extend(proc.stderr)
    return "".join(seen), proc.wait(timeout=300), proc.pid


def _scratch_of(pg: PgServer, pid: int) -> list[str]:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{SCRATCH_PREFIX}{pid}_%",)
        ).fetchall()
    return [r[0] for r in rows]


def test_a_killed_run_resumes_from_its_checkpoint(tmp_path: Path, pg: PgServer) -> None:
    out = tmp_path / "out"
    args = [str(MINI), "--out", str(out), "--no-input"]
    log, code, pid = _start_and_stop_at(args, tmp_path, "[indexes] running", signal.SIGKILL)
    assert code == -signal.SIGKILL and not out.exists(), log
    thread = re.search(r"--resume (\w+)", log)
    assert thread, log
    resumed = _run(["--resume", thread[1], "--out", str(out)], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "[indexes] running" in resumed.stderr and "[schema] running" not in resumed.stderr
    package = json.loads((out / "design.json").read_text())
    assert package["name"] == "mini-shop" and all(c["passed"] for c in package["checks"])
    assert _scratch_of(pg, pid) == []  # swept: the killed process could not drop its own


def test_ctrl_c_exits_130_leaving_no_folder_and_no_database(tmp_path: Path, pg: PgServer) -> None:
    out = tmp_path / "out"
    args = [str(MINI), "--out", str(out), "--no-input"]
    log, code, pid = _start_and_stop_at(args, tmp_path, "[indexes] running", signal.SIGINT)
    assert code == 130, log
    assert "interrupted" in log
    assert not out.exists() and not list(tmp_path.glob(".out.tmp-*"))
    assert _scratch_of(pg, pid) == []


def test_json_output_and_exit_codes(tmp_path: Path) -> None:
    done = _run(
        [str(MINI), "--mode", "compare", "--out", str(tmp_path / "c"), "-f", "json"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    package = json.loads(done.stdout)
    assert package["mode"] == "compare" and package["technology"]["primary"]["engine"]
    again = _run([str(MINI), "--mode", "compare", "--out", str(tmp_path / "c")], tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr


def test_bad_spec_names_file_line_and_key(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        MINI.read_text().replace("  - name: store\n", "  - name: store\n    colour: red\n")
    )
    result = _run([str(spec), "--out", str(tmp_path / "o")], tmp_path)
    assert result.returncode == 2
    assert "colour" in result.stderr and f"{spec}:" in result.stderr
    assert re.search(r"bad\.yaml:\d+:\d+", result.stderr), result.stderr
    assert not (tmp_path / "o").exists()
    missing = _run([str(tmp_path / "nope.yaml")], tmp_path)
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr


def test_resume_of_an_unknown_thread_is_bad_input(tmp_path: Path) -> None:
    result = _run(["--resume", "deadbeef"], tmp_path)
    assert result.returncode == 2 and "deadbeef" in result.stderr


def test_the_readme_quick_start_prints_the_summary_the_readme_quotes(tmp_path: Path) -> None:
    """The README's example summary line is a claim about the main job: run it and compare."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    quoted = re.search(r"such\s+as\s+`(task-tracker \(design\):[^`]+)`", readme)
    assert quoted is not None, "the README no longer quotes the quick start's summary line"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    env["DBARCH_HOME"] = str(tmp_path / "home")  # the defaults, as the quick start runs
    example = Path(__file__).resolve().parents[1] / "examples" / "task-tracker.yaml"
    done = subprocess.run(
        [DBARCH, "design", str(example), "--out", str(tmp_path / "out"), "--force"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-1500:]
    printed = next(line for line in done.stdout.splitlines() if line.startswith("task-tracker ("))
    assert printed == " ".join(quoted.group(1).split())
