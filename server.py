"""ASGI entry point: `uvicorn server:app` (what `dbarch serve` runs) serves the db-architect API.

The app is built on first access, not at import, so importing this module touches nothing.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(f"module 'server' has no attribute {name!r}")
    from agent.service import create_app

    app = create_app()
    globals()["app"] = app
    return app
