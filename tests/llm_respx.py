"""respx at the Anthropic HTTP boundary of anthropic 2.x, which speaks httpx2, not httpx.

respx patches httpx/httpcore; the SDK's transport is httpcore2's connection pool. This mocker
patches that pool instead and converts at the edge: httpcore2 request -> httpx.Request for
respx's routes, the route's httpx.Response -> httpcore2.Response, and an httpx transport
error raised by a route (`side_effect=httpx.ConnectTimeout`) -> the same-named httpcore2
error, which httpx2 and the SDK then map exactly as they would a real one
(`APITimeoutError`). Everything above the pool - SDK, httpx2 client, retries - is real.

Use: `respx.mock(base_url=..., using="httpcore2")` (see `anthropic_api` in the tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore2
import httpx
import respx
from respx.mocks import HTTPCoreMocker

from agent.llm.scripted import Reply, sse_events
from agent.llm.scripted.script import new_id
from agent.llm.scripted.wire import message_body


class HTTPCore2Mocker(HTTPCoreMocker):
    name = "httpcore2"
    targets = [  # noqa: RUF012 - respx's own class attribute shape
        "httpcore2._async.connection.AsyncHTTPConnection",
        "httpcore2._async.connection_pool.AsyncConnectionPool",
        "httpcore2._async.http_proxy.AsyncHTTPProxy",
    ]

    @classmethod
    async def _send_async_request(cls, httpx_request: Any, **kwargs: Any) -> Any:
        try:
            return await super()._send_async_request(httpx_request, **kwargs)
        except httpx.TransportError as exc:
            twin = getattr(httpcore2, type(exc).__name__, httpcore2.NetworkError)
            raise twin(str(exc)) from exc

    @classmethod
    def from_sync_httpx_response(cls, httpx_response: Any, target: Any, **kwargs: Any) -> Any:
        return httpcore2.Response(
            status=httpx_response.status_code,
            headers=httpx_response.headers.raw,
            content=httpx_response.stream,
            extensions=httpx_response.extensions,
        )


API = "https://api.anthropic.com"
MODEL_ID = "claude-sonnet-5-5"


@contextmanager
def mock_anthropic(base_url: str = API) -> Iterator[respx.MockRouter]:
    """A respx router in front of the real SDK; unmatched requests fail the test."""
    with respx.mock(base_url=base_url, using="httpcore2", assert_all_called=False) as router:
        yield router


def usage(inp: int = 100, out: int = 20, write: int = 0, read: int = 0) -> dict[str, int]:
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
    }


def message(reply: Reply, counts: dict[str, int] | None = None, **headers: str) -> httpx.Response:
    """A 200 JSON Messages API response rendered from a scripted reply."""
    body = message_body(reply, MODEL_ID, new_id("msg"), counts or usage())
    return httpx.Response(200, json=body, headers={"request-id": new_id("req"), **headers})


def stream(reply: Reply, counts: dict[str, int] | None = None) -> httpx.Response:
    """The same reply as an SSE stream."""
    text = "".join(sse_events(reply, MODEL_ID, new_id("msg"), counts or usage()))
    return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


def error(status: int, **headers: str) -> httpx.Response:
    body = Reply.error(status, error_message=f"scripted {status}").error_body()
    return httpx.Response(status, json=body, headers={"request-id": f"req_{status}", **headers})


class RecordingSleep:
    """Stands in for asyncio.sleep inside tenacity: records each wait, sleeps for none."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
