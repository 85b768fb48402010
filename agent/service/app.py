"""`create_app(settings)`: the FastAPI app with its routes, guards, job workers and MCP mount."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from agent.service import errors, openapi
from agent.service.chat import open_runtime
from agent.service.config import ServiceSettings
from agent.service.guards import (
    Authenticator,
    AuthMiddleware,
    BodyLimitMiddleware,
    CountingMiddleware,
    LoopbackHostMiddleware,
    RateLimitMiddleware,
    RouteTemplates,
)
from agent.service.mcp import build_server
from agent.service.routes import designs as routes_designs
from agent.service.routes import evals as routes_evals
from agent.service.routes import ops as routes_ops
from agent.service.routes import review as routes_review
from agent.service.routes import sessions as routes_sessions
from agent.service.state import ServiceState
from agent.service.worker import Worker
from tools.errors import ArchitectError

log = logging.getLogger(__name__)


class _McpEndpoint:
    """ASGI endpoint for /mcp that finds the session manager of the running lifespan."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        manager: StreamableHTTPSessionManager = self.app.state.mcp_manager
        await manager.handle_request(scope, receive, send)


def _mcp_manager(state: ServiceState) -> StreamableHTTPSessionManager:
    """Stateless: no MCP session lives in this process, so any process can answer any call.

    No transport security settings of its own: `LoopbackHostMiddleware` guards /mcp and the
    REST routes alike.
    """
    server = build_server(state.settings, state.pg)
    return StreamableHTTPSessionManager(
        app=server,
        stateless=True,
        json_response=True,
        max_request_body_size=state.settings.max_body_bytes,
    )


def _resolve_server(state: ServiceState) -> None:
    """At start-up, off the event loop: resolving the server sweeps the scratch databases
    that dead processes (a killed server among them) left on it."""
    try:
        state.pg()
    except ArchitectError as exc:  # the first request that needs PostgreSQL reports it
        log.warning("PostgreSQL not available at start-up: %s", exc)


WARM_UP_PATH = "/.warm-up"  # no route matches it, so routing visits every route


async def _warm_routes(app: FastAPI) -> None:
    """Build every route's request handling before the server listens.

    FastAPI builds an included route's validators and response fields (a hundred pydantic
    TypeAdapters here) the first time routing passes it: on the first requests, a
    quarter-second with every other request waiting. A request no route matches passes them
    all. It goes to the router alone, around the guards, so it is neither counted nor
    rate-limited; with no `app` in its scope, the router answers the 404 itself.
    """
    scope: Scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": WARM_UP_PATH, "raw_path": WARM_UP_PATH.encode(),
        "query_string": b"", "root_path": "", "headers": [], "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }  # fmt: skip

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        del message

    await app.router(scope, receive, send)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
    state = ServiceState.open(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_resolve_server, args=(state,), daemon=True).start()
        workers = [Worker(state).start() for _ in range(settings.workers)]
        try:
            await _warm_routes(app)  # before `open_runtime` freezes what start-up built
            async with open_runtime(settings, state.db) as state.chat:
                if settings.mount_mcp:
                    app.state.mcp_manager = _mcp_manager(state)
                    async with app.state.mcp_manager.run():
                        yield
                else:
                    yield
        finally:
            state.chat = None
            for worker in workers:
                worker.stop()

    app = FastAPI(
        title="db-architect",
        version="0.1.0",
        summary="Requirements in, a checked PostgreSQL design package out.",
        lifespan=lifespan,
        responses=openapi.guard_responses(settings),
    )
    app.state.service = state
    errors.install(app)
    openapi.install(app, settings)
    routers = [m.router for m in (routes_designs, routes_review, routes_sessions, routes_evals)]
    routers.append(routes_ops.router)
    for router in routers:
        app.include_router(router)
    if settings.mount_mcp:
        app.router.routes.append(Route("/mcp", endpoint=_McpEndpoint(app)))
    own = [route for router in routers for route in router.routes]
    templates = [getattr(r, "path", None) for r in [*app.router.routes, *own]]
    _guard(app, state, RouteTemplates(t for t in templates if isinstance(t, str)))
    return app


def _guard(app: FastAPI, state: ServiceState, routes: RouteTemplates) -> None:
    """Outermost first: count, check the Host (without tokens), cap the body, authenticate,
    then rate-limit the caller."""
    settings = state.settings
    auth = {
        "authenticator": Authenticator(settings.tokens),
        "rates": state.rates,
        "failures_per_minute": settings.auth_failures_per_minute,
    }
    middleware: list[tuple[Any, dict[str, Any]]] = [
        (RateLimitMiddleware, {"rates": state.rates, "per_minute": settings.rate_limit_per_minute}),
        (AuthMiddleware, auth),
        (BodyLimitMiddleware, {"max_bytes": settings.max_body_bytes}),
    ]
    if not settings.tokens:
        middleware.append((LoopbackHostMiddleware, {}))
    middleware.append((CountingMiddleware, {"metrics": state.metrics, "routes": routes}))
    for cls, options in middleware:  # add_middleware wraps: the last added runs first
        app.add_middleware(cls, **options)
