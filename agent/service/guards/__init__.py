"""What stands between a request and the routes: bearer-token authentication and who the
caller is (`auth`), the DNS-rebinding guard (`hosts`), and the ASGI middleware that counts
every request, caps bodies and enforces the rate limit (`middleware`).

May import the service's configuration, `agent.service.bind`, its rate store and metrics;
the app, the OpenAPI document and the routes import it. The start-up refusal to listen
beyond loopback without tokens stays outside (`agent.service.bind`), so `dbarch serve`
refuses before it imports any of this.
"""

from agent.service.guards.auth import (
    CLIENT_KEY,
    OPEN_PATHS,
    Authenticator,
    AuthMiddleware,
    Principal,
    authenticated,
    header,
    send_json,
    send_rate_limited,
)
from agent.service.guards.hosts import LoopbackHostMiddleware
from agent.service.guards.middleware import (
    BodyLimitMiddleware,
    CountingMiddleware,
    RateLimitMiddleware,
    RouteTemplates,
)

__all__ = [
    "CLIENT_KEY",
    "OPEN_PATHS",
    "AuthMiddleware",
    "Authenticator",
    "BodyLimitMiddleware",
    "CountingMiddleware",
    "LoopbackHostMiddleware",
    "Principal",
    "RateLimitMiddleware",
    "RouteTemplates",
    "authenticated",
    "header",
    "send_json",
    "send_rate_limited",
]
