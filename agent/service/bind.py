"""The start-up refusal: no listening beyond loopback unless API tokens protect the service.

Kept apart from the app so `dbarch serve` can refuse before importing the whole service.
"""

from __future__ import annotations

import ipaddress

from agent.service.config import ServiceSettings
from tools.errors import InputError

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: ServiceSettings) -> None:
    """Refuse to listen beyond loopback when no API token protects the service."""
    if not is_loopback(host) and not settings.tokens:
        raise InputError(
            f"refusing to bind to {host}: without DBARCH_API_TOKENS the service is open to "
            "anyone who can reach it; set tokens or bind to 127.0.0.1"
        )
