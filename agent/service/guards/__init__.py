"""What refuses a request before a route sees it: bearer-token authentication and who the
caller is (`auth`), the start-up refusal to listen beyond loopback without tokens
(`bind`), and the DNS-rebinding guard (`hosts`).

May import the service's configuration and its rate store; the app and `dbarch serve`
import it.
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
from agent.service.guards.bind import check_bind
from agent.service.guards.hosts import LoopbackHostMiddleware

__all__ = [
    "CLIENT_KEY",
    "OPEN_PATHS",
    "AuthMiddleware",
    "Authenticator",
    "LoopbackHostMiddleware",
    "Principal",
    "authenticated",
    "check_bind",
    "header",
    "send_json",
    "send_rate_limited",
]
