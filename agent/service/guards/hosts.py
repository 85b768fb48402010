"""The DNS-rebinding guard: a server without tokens answers only to loopback names.

Without DBARCH_API_TOKENS the service listens on loopback only, and anyone who reaches it is
trusted. A web page the user opens can still reach it: a name the attacker controls is made
to resolve to 127.0.0.1, and the browser sends that name as Host (and the page's Origin).
So every request, REST and MCP alike, must name a loopback host, and a browser's request
must come from a loopback origin. With tokens a page cannot call the API anyway (it does not
have a token), and a proxy in front may use any name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from agent.service.bind import is_loopback
from agent.service.guards.auth import header, send_json

LOOPBACK_HINT = "127.0.0.1, localhost or [::1]"


def loopback_authority(authority: str | None) -> bool:
    """True for `127.0.0.1:8080`, `localhost`, `[::1]:80`; false for any other name or junk."""
    if not authority:
        return False
    try:
        parts = urlsplit(f"//{authority}")
        _ = parts.port  # raises for a port that is not a number in range
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return False
    return parts.netloc == authority and is_loopback(parts.hostname)


def loopback_origin(origin: str) -> bool:
    """A browser's Origin (`http://localhost:8080`) naming a loopback host; `null` is not."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in {"http", "https"} or parts.path or parts.query or parts.fragment:
        return False
    return loopback_authority(parts.netloc)


class LoopbackHostMiddleware:
    """421 for a Host that is not a loopback name, 403 for an Origin that is not loopback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = header(scope, b"host")
        if not loopback_authority(host):
            message = (
                f"Host {host!r} is not this server: without DBARCH_API_TOKENS it answers only "
                f"to {LOOPBACK_HINT}"
            )
            body: dict[str, object] = {"type": "MisdirectedRequest", "message": message}
            await send_json(send, 421, body)
            return
        origin = header(scope, b"origin")
        if origin is not None and not loopback_origin(origin):
            message = (
                f"Origin {origin!r} may not call this server: without DBARCH_API_TOKENS only "
                f"pages served from {LOOPBACK_HINT} may"
            )
            await send_json(send, 403, {"type": "Forbidden", "message": message})
            return
        await self.app(scope, receive, send)
