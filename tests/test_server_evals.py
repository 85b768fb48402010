"""/v1/evals wired to the eval runner: a small suite run as a job, graded, with progress events."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import FIXTURES
from service_support import local_client, read_sse, settings_for

from agent.service import create_app
from tools.sql.server import PgServer

SUITE = FIXTURES / "evals" / "cases"


def test_an_eval_job_grades_the_chosen_cases(pg: PgServer, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, pg, mount_mcp=False, eval_suite=SUITE)
    with local_client(create_app(settings)) as client:
        accepted = client.post("/v1/evals", json={"cases": ["tiny-wrong"], "jobs": 2})
        assert accepted.status_code == 202
        eval_id = accepted.json()["id"]
        deadline = time.monotonic() + 240
        while (view := client.get(f"/v1/evals/{eval_id}").json())["status"] not in (
            "done",
            "failed",
        ):
            assert time.monotonic() < deadline, view
            time.sleep(0.2)
        with client.stream("GET", f"/v1/evals/{eval_id}/events") as response:
            events = read_sse(response)
    assert view["status"] == "done", view["message"]
    assert (view["done"], view["pass_rate"], view["message"]) == (1, 0.0, "0/1 cases passed")
    (wrong,) = view["report"]["cases"]
    verdicts = {check["check"]: check["passed"] for check in wrong["checks"]}
    assert verdicts == {
        "ddl_applies": True,
        "tables": False,
        "partitioned": False,
        "adrs_min": False,
    }
    notes = [e.data for e in events if e.event == "note"]
    assert [(n["data"]["case"], n["data"]["passed"]) for n in notes] == [("tiny-wrong", False)]
    assert [e.event for e in events][-2:] == ["run_done", "end"]


def test_unknown_case_ids_are_422_with_their_path(pg: PgServer, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, pg, mount_mcp=False, eval_suite=SUITE, workers=0)
    with local_client(create_app(settings)) as client:
        response = client.post("/v1/evals", json={"cases": ["tiny-notes", "../../etc/passwd"]})
        missing = client.get("/v1/evals/nope")
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["path"] == "body.cases.1"
    assert "tiny-compare" in problem["message"]
    assert missing.status_code == 404
