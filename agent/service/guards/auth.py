"""Bearer-token authentication for every route, as ASGI middleware, and who the caller is.

Tokens come from DBARCH_API_TOKENS (comma-separated). Each presented token is compared with
every configured one in constant time, and only a hash of it is ever kept (as the caller's
principal and rate-limit key): tokens are never logged, stored or echoed. Failed attempts
are counted per client address in the shared rate store, so guessing is throttled across
every server process alike.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from functools import partial
from typing import Annotated

import anyio
from fastapi import Depends
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.service.stores import RateStore

OPEN_PATHS = frozenset({"/healthz"})  # answer without a token (with less detail)
CLIENT_KEY = "dbarch.client"  # scope key: who is calling, for rate limits and logs
PRINCIPAL_KEY = "dbarch.principal"  # scope key: whose jobs and sessions the caller may see
LOCAL = "local"  # the one principal of a server without tokens (loopback only)


class Authenticator:
    def __init__(self, tokens: set[str]) -> None:
        self._tokens = [token.encode() for token in sorted(tokens)]

    @property
    def enabled(self) -> bool:
        return bool(self._tokens)

    def verify(self, authorization: str | None) -> bool:
        """True for `Bearer <token>` with a configured token; no early exit on a match."""
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return False
        candidate = presented.strip().encode()
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(token, candidate)
        return matched


def token_key(authorization: str) -> str:
    """A stable, non-reversible name for the caller's token: its principal."""
    presented = authorization.partition(" ")[2].strip()
    return "token:" + hashlib.sha256(presented.encode()).hexdigest()[:32]


async def principal(request: Request) -> str:
    """FastAPI dependency: the authenticated caller, which owns what it creates.

    Async although it awaits nothing: FastAPI runs a plain `def` dependency in its thread
    pool, a trip to a worker thread (and back) on every request just to read the scope."""
    return str(request.scope.get(PRINCIPAL_KEY) or LOCAL)


Principal = Annotated[str, Depends(principal)]


def authenticated(request: Request) -> bool:
    """True unless an open path was reached without a token on a server that has tokens."""
    return request.scope.get(PRINCIPAL_KEY) is not None


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def client_address(scope: Scope) -> str:
    client = scope.get("client") or ("unknown", 0)
    return str(client[0])


async def send_json(
    send: Send, status: int, body: dict[str, object], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


async def send_rate_limited(send: Send, limit: int, what: str, reset_s: float) -> None:
    """429 with Retry-After: the window's limit of `what` (per minute) is used up."""
    retry = max(1, math.ceil(reset_s))
    body: dict[str, object] = {
        "type": "RateLimited",
        "message": f"more than {limit} {what} a minute; retry in {retry} s",
        "limit": limit,
        "retry_after": retry,
    }
    await send_json(send, 429, body, {"Retry-After": str(retry)})


class AuthMiddleware:
    """401 with `WWW-Authenticate: Bearer` unless the request carries a configured token;
    429 with Retry-After for an address past `failures_per_minute` refused attempts."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        rates: RateStore,
        failures_per_minute: int,
    ) -> None:
        self.app = app
        self.auth = authenticator
        self.rates = rates
        self.failures_per_minute = failures_per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = header(scope, b"authorization")
        if not self.auth.enabled:
            scope[CLIENT_KEY] = f"client:{client_address(scope)}"
            scope[PRINCIPAL_KEY] = LOCAL
        elif authorization is None and scope["path"] in OPEN_PATHS:
            scope[CLIENT_KEY] = f"client:{client_address(scope)}"
        elif not await self._admitted(scope, send, authorization):
            return
        await self.app(scope, receive, send)

    async def _admitted(self, scope: Scope, send: Send, authorization: str | None) -> bool:
        """Check the token; refuse (and count the failure) or name the caller in the scope."""
        key = f"auth-failures:{client_address(scope)}"
        if self.failures_per_minute > 0:
            failures, reset_s = await anyio.to_thread.run_sync(self.rates.peek, key)
            if failures >= self.failures_per_minute:
                what = "failed authentications from this address"
                await send_rate_limited(send, self.failures_per_minute, what, reset_s)
                return False
        if authorization is None or not self.auth.verify(authorization):
            if self.failures_per_minute > 0:
                await anyio.to_thread.run_sync(partial(self.rates.hit, key))
            await self._refuse(send, presented=authorization is not None)
            return False
        scope[CLIENT_KEY] = scope[PRINCIPAL_KEY] = token_key(authorization)
        return True

    async def _refuse(self, send: Send, presented: bool) -> None:
        challenge = 'Bearer realm="dbarch"'
        if presented:
            challenge += ', error="invalid_token"'
            message = "the bearer token is not valid for this server"
        else:
            message = "this server needs 'Authorization: Bearer <token>' (see DBARCH_API_TOKENS)"
        body: dict[str, object] = {"type": "Unauthorized", "message": message}
        await send_json(send, 401, body, {"WWW-Authenticate": challenge})
