"""Bearer-token authentication for every route but /healthz, as ASGI middleware.

Tokens come from DBARCH_API_TOKENS (comma-separated). Each presented token is compared with
every configured one in constant time, and only a hash of it is ever kept (as the caller's
rate-limit key): tokens are never logged, stored or echoed.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_PATHS = frozenset({"/healthz"})
CLIENT_KEY = "dbarch.client"  # scope key: who is calling, for rate limits and logs


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
    """A stable, non-reversible name for the caller's token."""
    presented = authorization.partition(" ")[2].strip()
    return "token:" + hashlib.sha256(presented.encode()).hexdigest()[:16]


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def send_json(
    send: Send, status: int, body: dict[str, object], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class AuthMiddleware:
    """401 with `WWW-Authenticate: Bearer` unless the request carries a configured token."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.auth = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = header(scope, b"authorization")
        if not self.auth.enabled or scope["path"] in OPEN_PATHS:
            client = scope.get("client") or ("unknown", 0)
            scope[CLIENT_KEY] = f"client:{client[0]}"
            await self.app(scope, receive, send)
            return
        if authorization is None or not self.auth.verify(authorization):
            await self._refuse(send, presented=authorization is not None)
            return
        scope[CLIENT_KEY] = token_key(authorization)
        await self.app(scope, receive, send)

    async def _refuse(self, send: Send, presented: bool) -> None:
        challenge = 'Bearer realm="dbarch"'
        if presented:
            challenge += ', error="invalid_token"'
            message = "the bearer token is not valid for this server"
        else:
            message = "this server needs 'Authorization: Bearer <token>' (see DBARCH_API_TOKENS)"
        body: dict[str, object] = {"type": "Unauthorized", "message": message}
        await send_json(send, 401, body, {"WWW-Authenticate": challenge})
