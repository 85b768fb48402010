"""`dbarch eval --brain anthropic --batch` against the scripted server's Message Batches
routes: waves across cases, a first DDL that fails a gate and is repaired, half-price cost,
and a run killed with SIGKILL mid-way that resumes from the batch ids it had stored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from test_evals_anthropic import agreeable_architect

from agent.llm import Reply
from agent.llm.models import resolve_model
from agent.llm.scripted.server import ScriptedAnthropicServer
from agent.llm.usage import Usage

pytestmark = pytest.mark.timeout(600)

CASES = FIXTURES / "evals" / "cases"
DBARCH = str(Path(sys.executable).with_name("dbarch"))
BROKEN = "CREATE TABLE broken_by_the_model (id no_such_type);"


def architect(body: dict[str, Any]) -> Reply:
    """Fetches each stage's rules draft and submits it; its first schema adds a table whose
    type does not exist, so ddl_applies fails and the stage comes back with the finding."""
    reply = agreeable_architect(body)
    call = reply.content[-1]
    prompt = body["messages"][0]["content"]
    prompt = prompt if isinstance(prompt, str) else "".join(b.get("text", "") for b in prompt)
    if call["name"] == "submit_schema_design" and "[ddl_applies]" not in prompt:
        call["input"]["ddl"] += "\n" + BROKEN + "\n"
    return reply


def _env(tmp: Path, server: ScriptedAnthropicServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBARCH_"))}
    return env | {
        "ANTHROPIC_BASE_URL": server.base_url,
        "DBARCH_HOME": str(tmp / "home"),
        "DBARCH_BATCH_POLL_FIRST_S": "0.05",
        "DBARCH_BATCH_POLL_MAX_S": "0.2",
    }


COMMAND = [
    DBARCH, "eval", str(CASES / "tiny-notes.yaml"), str(CASES / "tiny-compare.yaml"),
    "--brain", "anthropic", "--model", "haiku", "--batch", "--no-baseline",
    "--format", "json", "--min-pass", "1.0",
]  # fmt: skip


def _custom_ids(server: ScriptedAnthropicServer) -> list[str]:
    return [cid for batch in server.batches.batches.values() for cid in batch.custom_ids]


def test_batched_run_completes_with_a_repaired_gate_at_half_price(tmp_path: Path) -> None:
    with ScriptedAnthropicServer(architect) as server:
        done = subprocess.run(
            COMMAND, capture_output=True, text=True, env=_env(tmp_path, server), timeout=500
        )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    notes, compare = report["cases"]
    assert notes["passed"] and compare["passed"]
    gates = next(c for c in notes["checks"] if c["check"] == "gates_passed")
    assert "after a retry" in gates["detail"] and not gates["detail"].startswith("0")
    batch = report["batch"]
    assert batch["batches"] == list(server.batches.batches) and batch["resumed_from"] == 0
    assert batch["sent"] == len(server.exchanges) == len(_custom_ids(server))
    assert all(x.headers == {"batched": "true"} for x in server.exchanges)  # no direct calls
    mixed = [
        b
        for b in server.batches.batches.values()
        if {c[:4] for c in b.custom_ids} == {"c000", "c001"}
    ]
    assert mixed, "the first stage calls of both cases travel in one batch"
    assert all(b.retrieved >= 2 for b in server.batches.batches.values())  # polled until ended
    price = resolve_model("haiku").pricing
    full = sum((Usage.priced(price, x.usage or {}) for x in server.exchanges), Usage())
    assert report["cost_usd"] == pytest.approx(full.cost_usd * 0.5, abs=2e-6)  # 6 decimals
    assert report["tokens"] == full.input_tokens + full.output_tokens
    journals = list((tmp_path / "home" / "eval-batches").iterdir())
    assert [p.name.endswith(".done.jsonl") for p in journals] == [True]  # the run finished


def _wait_for(journal_dir: Path, lines: int, process: subprocess.Popen[str], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = [p for p in journal_dir.glob("*.jsonl") if not p.name.endswith(".done.jsonl")]
        if found and len(found[0].read_text().splitlines()) >= lines:
            return
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    raise AssertionError(f"no {lines} stored batches within {limit}s")


def test_a_killed_batched_run_resumes_from_its_stored_batch_ids(tmp_path: Path) -> None:
    with ScriptedAnthropicServer(architect, batch_polls=4) as server:
        env = _env(tmp_path, server)
        first = subprocess.Popen(
            COMMAND, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            _wait_for(tmp_path / "home" / "eval-batches", 3, first, limit=300)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.communicate(timeout=60)
        assert first.returncode == -signal.SIGKILL
        before = dict(server.batches.batches)
        sent_before = _custom_ids(server)
        retrieved_before = {bid: b.retrieved for bid, b in before.items()}
        second = subprocess.run(COMMAND, capture_output=True, text=True, env=env, timeout=500)
    assert second.returncode == 0, second.stderr[-3000:]
    report = json.loads(second.stdout)
    assert report["pass_rate"] == 1.0
    batch = report["batch"]
    assert batch["resumed_from"] >= 3 and batch["reused"] > 0
    assert "resuming a batched run from" in second.stderr
    all_ids = _custom_ids(server)
    assert len(all_ids) == len(set(all_ids)), "a call stored before the kill was sent again"
    assert set(sent_before) <= set(all_ids) and set(batch["batches"]).isdisjoint(before)
    stored = [line for line in Path(batch["journal"]).parent.glob("*.done.jsonl")]
    assert len(stored) == 1
    journaled = [json.loads(line)["batch"] for line in stored[0].read_text().splitlines()]
    killed_run = [bid for bid in journaled if bid in before]
    assert len(killed_run) >= 3
    for bid in killed_run:  # the new process asked for each stored batch by its id
        assert server.batches.batches[bid].retrieved > retrieved_before[bid]
