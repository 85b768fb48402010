"""ASGI middleware around every route: request counting, the body-size cap and the rate limit.

Pure ASGI (not BaseHTTPMiddleware) so SSE and the MCP transport stream through untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import anyio
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.service.guards.auth import CLIENT_KEY, OPEN_PATHS, header, send_json, send_rate_limited
from agent.service.metrics import RequestMetrics
from agent.service.stores import RateStore

UNLIMITED_PATHS = OPEN_PATHS | {"/metrics"}


class RouteTemplates:
    """Names a request by the template of the route it would reach (`/v1/designs/{job_id}`).

    Built from plain path templates, not from the router's objects: requests refused before
    routing (401, 413, 429) are named the same way as served ones, and a FastAPI release that
    nests included routers differently (0.16x's `_IncludedRouter` has no `path`) cannot break
    the count.
    """

    def __init__(self, templates: Iterable[str]) -> None:
        self._patterns = [(compile_path(t)[0], t) for t in dict.fromkeys(templates)]

    def name(self, path: str) -> str:
        for regex, template in self._patterns:
            if regex.match(path):
                return template
        return "unmatched"


class CountingMiddleware:
    """Counts each answered request under its route template, whatever answered it."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics, routes: RouteTemplates) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            self.metrics.count(scope["method"], self.routes.name(scope["path"]), status[0])


class _TooLarge(BaseException):
    """Not an Exception: FastAPI turns any Exception raised while reading a body into a 400,
    and this must reach `BodyLimitMiddleware` to become a 413."""


class BodyLimitMiddleware:
    """413 for a body over the cap: by Content-Length up front, or while a chunked body streams."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body: dict[str, object] = {
            "type": "PayloadTooLarge",
            "message": f"request body over the limit of {self.max_bytes} bytes",
            "limit": self.max_bytes,
        }
        await send_json(send, 413, body)


class RateLimitMiddleware:
    """429 with Retry-After once a caller (token, or address without tokens) exceeds its rate."""

    def __init__(self, app: ASGIApp, rates: RateStore, per_minute: int) -> None:
        self.app = app
        self.rates = rates
        self.per_minute = per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS or self.per_minute <= 0:
            await self.app(scope, receive, send)
            return
        key = str(scope.get(CLIENT_KEY, "anonymous"))
        hits, reset_s = await anyio.to_thread.run_sync(partial(self.rates.hit, key))
        if hits > self.per_minute:
            await send_rate_limited(send, self.per_minute, "requests", reset_s)
            return
        await self.app(scope, receive, send)
