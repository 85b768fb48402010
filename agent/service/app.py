"""`create_app(settings)`: the FastAPI app with its routes, guards, job workers and MCP mount."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from agent.service import (
    errors,
    routes_designs,
    routes_evals,
    routes_ops,
    routes_review,
    routes_sessions,
)
from agent.service.auth import Authenticator, AuthMiddleware
from agent.service.config import ServiceSettings
from agent.service.mcp import build_server
from agent.service.middleware import (
    BodyLimitMiddleware,
    CountingMiddleware,
    RateLimitMiddleware,
    RouteTemplates,
)
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
    """Stateless: no MCP session lives in this process, so any process can answer any call."""
    security = None
    if not state.settings.tokens:  # loopback without tokens: guard against DNS rebinding
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*", "testserver"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        )
    server = build_server(state.settings, state.pg)
    return StreamableHTTPSessionManager(
        app=server,
        stateless=True,
        json_response=True,
        security_settings=security,
        max_request_body_size=state.settings.max_body_bytes,
    )


def _resolve_server(state: ServiceState) -> None:
    """At start-up, off the event loop: resolving the server sweeps the scratch databases
    that dead processes (a killed server among them) left on it."""
    try:
        state.pg()
    except ArchitectError as exc:  # the first request that needs PostgreSQL reports it
        log.warning("PostgreSQL not available at start-up: %s", exc)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
    state = ServiceState.open(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_resolve_server, args=(state,), daemon=True).start()
        workers = [Worker(state).start() for _ in range(settings.workers)]
        try:
            if settings.mount_mcp:
                app.state.mcp_manager = _mcp_manager(state)
                async with app.state.mcp_manager.run():
                    yield
            else:
                yield
        finally:
            for worker in workers:
                worker.stop()

    app = FastAPI(
        title="db-architect",
        version="0.1.0",
        summary="Requirements in, a checked PostgreSQL design package out.",
        lifespan=lifespan,
    )
    app.state.service = state
    errors.install(app)
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
    """Outermost first: count, cap the body, authenticate, then rate-limit the caller."""
    settings = state.settings
    middleware: list[tuple[Any, dict[str, Any]]] = [
        (RateLimitMiddleware, {"rates": state.rates, "per_minute": settings.rate_limit_per_minute}),
        (AuthMiddleware, {"authenticator": Authenticator(settings.tokens)}),
        (BodyLimitMiddleware, {"max_bytes": settings.max_body_bytes}),
        (CountingMiddleware, {"metrics": state.metrics, "routes": routes}),
    ]
    for cls, options in middleware:  # add_middleware wraps: the last added runs first
        app.add_middleware(cls, **options)
