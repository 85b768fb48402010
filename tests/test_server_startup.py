"""What a server process does before it listens, so its first requests and its load run
without one-off or periodic stalls: no request hops to a thread for a dependency, every
route is built at start-up, and full garbage collections are spaced after the freeze."""

from __future__ import annotations

import gc
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from service_support import local_client, settings_for

from agent.service import create_app
from agent.service.chat.runtime import FULL_COLLECTION_EVERY
from agent.service.routes import designs as routes_designs
from agent.service.routes import evals as routes_evals
from agent.service.routes import ops as routes_ops
from agent.service.routes import review as routes_review
from agent.service.routes import sessions as routes_sessions
from tools.sql.server import PgServer

ROUTERS = (routes_designs, routes_evals, routes_ops, routes_review, routes_sessions)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_no_endpoint_or_dependency_runs_in_fastapis_thread_pool() -> None:
    """FastAPI runs a plain `def` endpoint or dependency in its thread pool: a worker-thread
    round trip on every request, for work that never blocks."""
    routes = [r for m in ROUTERS for r in m.router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 10
    sync = [
        f"{route.path}: {getattr(call, '__name__', call)}"
        for route in routes
        for call in [route.endpoint, *_calls(route.dependant)]
        if not inspect.iscoroutinefunction(call)
    ]
    assert sync == []


def test_the_first_requests_build_no_validators(
    pg: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FastAPI builds an included route's validators when routing first passes it; start-up
    does that for every route, so the first requests do not wait for it."""
    built: list[object] = []
    original = pydantic.TypeAdapter.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(args[0] if args else kwargs.get("type"))
        original(self, *args, **kwargs)

    app = create_app(settings_for(tmp_path, pg, mount_mcp=False))
    with local_client(app) as client:
        monkeypatch.setattr(pydantic.TypeAdapter, "__init__", counting)
        session = client.post("/v1/sessions", json={})
        assert session.status_code == 201
        assert client.get(f"/v1/sessions/{session.json()['id']}").status_code == 200
        assert client.get("/v1/evals/nope").status_code == 404
        assert client.get("/metrics").status_code == 200
    assert built == []


def test_full_collections_are_spaced_after_the_freeze(pg: PgServer, tmp_path: Path) -> None:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's defaults, whatever an earlier app set
    try:
        with local_client(create_app(settings_for(tmp_path, pg, mount_mcp=False))):
            assert gc.get_threshold() == (700, 10, FULL_COLLECTION_EVERY)
            assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
