"""A scripted Anthropic-compatible HTTP server on loopback, for end-to-end tests of the client.

It serves `POST /v1/messages` (JSON, or SSE when the request asks to stream) from a queue of
`Reply`s or a handler function, can answer 429/529/500 with headers, delay (to provoke
timeouts) and send malformed tool input. The Message Batches routes (create, retrieve,
results; `batches`) answer each batched request from the same script. Run it for
demos and load tests with `python -m agent.llm.scripted.server --script FILE.json --port N`.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import itertools
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from agent.llm.scripted.batches import BatchStore, batch_get
from agent.llm.scripted.script import Reply, estimate_usage, load_script, new_id
from agent.llm.scripted.wire import message_body, sse_events
from tools.errors import InputError

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Reply]
EXHAUSTED = Reply.error(400, error_message="scripted server has no reply left")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # load tests open many connections at once; the default is 5


@dataclass
class Exchange:
    """One request the server received and the usage it reported back."""

    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    usage: dict[str, int] | None


class ScriptedAnthropicServer:
    """Use as a context manager; `base_url` is what ANTHROPIC_BASE_URL would be set to."""

    def __init__(
        self,
        script: Iterable[Reply] | Handler = (),
        *,
        repeat: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        batch_polls: int = 1,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise InputError(f"the fake server binds to loopback only, not {host}")
        self._handler = script if callable(script) else None
        self._queue = [] if callable(script) else list(script)
        self._repeat = repeat
        self._cursor = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.stopping = threading.Event()
        self.exchanges: list[Exchange] = []
        self.batches = BatchStore(batch_polls)  # in_progress for `batch_polls` retrieves
        self._httpd = _Server((host, port), _make_handler(self))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        if self._handler is not None:
            return self._handler(body)
        with self._lock:
            if self._cursor >= len(self._queue):
                if not (self._repeat and self._queue):
                    return EXHAUSTED
                self._cursor = 0
            reply = self._queue[self._cursor]
            self._cursor += 1
            return reply

    def record(self, exchange: Exchange) -> str:
        """Keep the exchange; returns a fresh request id for the response headers."""
        with self._lock:
            self.exchanges.append(exchange)
            return f"req_{next(self._ids):06d}"

    def start(self) -> ScriptedAnthropicServer:
        # A short poll interval keeps stop() fast: shutdown waits for the next poll.
        serve = lambda: self._httpd.serve_forever(poll_interval=0.05)  # noqa: E731
        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI); `start()` serves in a background thread."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedAnthropicServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _make_handler(server: ScriptedAnthropicServer) -> type[BaseHTTPRequestHandler]:
    class MessagesHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Streamed events are small writes; without this, Nagle holds each one back until
            # the client's delayed ACK (40 ms) on a kept-alive connection.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("fake server: " + format, *args)

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            route = self.path.split("?")[0]
            if route == "/v1/messages/batches":
                batch = server.batches.create(json.loads(raw)["requests"], _batch_answer(server))
                self._json(200, batch.body(server.base_url), {})
                return
            if route != "/v1/messages":
                self._json(404, Reply.error(404, error_message="no such route").error_body(), {})
                return
            try:
                _answer(self, server, json.loads(raw or b"{}"))
            except OSError:  # the client gave up (timeout) while we were delaying or writing
                self.close_connection = True

        def do_GET(self) -> None:
            status, body = batch_get(self.path, server.batches, server.base_url)
            if isinstance(body, dict):
                self._json(status, body, {})
                return
            data = body.encode()
            self.send_response(status)
            self.send_header("content-type", "application/binary")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return MessagesHandler


def _batch_answer(server: ScriptedAnthropicServer) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """One batched request answered like a `POST /v1/messages`, as a batch result object."""

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        reply = server.next_reply(params)
        usage = (
            None if reply.is_error else dict(reply.usage or estimate_usage(params, reply.content))
        )
        server.record(Exchange(params, {"batched": "true"}, reply.status, usage))
        if usage is None:
            return {"type": "errored", "error": reply.error_body()}
        model = str(params.get("model", "scripted"))
        return {"type": "succeeded", "message": message_body(reply, model, new_id("msg"), usage)}

    return answer


def _answer(handler: Any, server: ScriptedAnthropicServer, body: dict[str, Any]) -> None:
    reply = server.next_reply(body)
    if reply.delay_s and server.stopping.wait(reply.delay_s):
        return
    headers = {k.lower(): v for k, v in handler.headers.items()}
    usage = None if reply.is_error else dict(reply.usage or estimate_usage(body, reply.content))
    request_id = server.record(Exchange(body, headers, reply.status, usage))
    out_headers = {"request-id": request_id, **reply.headers}
    if usage is None:
        handler._json(reply.status, reply.error_body(), out_headers)
        return
    model, msg_id = str(body.get("model", "scripted")), new_id("msg")
    if not body.get("stream"):
        handler._json(200, message_body(reply, model, msg_id, usage), out_headers)
        return
    events = sse_events(reply, model, msg_id, usage)
    _stream(handler, events, out_headers, reply.stall_s, server.stopping)


def _stream(
    handler: Any,
    events: Iterable[str],
    headers: dict[str, str],
    stall_s: float,
    stopping: threading.Event,
) -> None:
    """SSE in chunked transfer encoding, as the real API sends it: the connection stays open
    for the client's next request (a client that pools connections reuses it)."""
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream")
    handler.send_header("cache-control", "no-cache")
    handler.send_header("transfer-encoding", "chunked")
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    for index, chunk in enumerate(events):
        data = chunk.encode()
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.flush()
        if index == 0 and stall_s and stopping.wait(stall_s):
            handler.close_connection = True
            return
    handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve scripted Messages API replies.")
    parser.add_argument("--script", type=Path, required=True, help="JSON list of replies")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--repeat", action="store_true", help="cycle through the script")
    args = parser.parse_args(argv)
    script = load_script(args.script)
    server = ScriptedAnthropicServer(
        script.replies, repeat=args.repeat or script.repeat, host=args.host, port=args.port
    )
    print(f"scripted Anthropic API at {server.base_url} (ANTHROPIC_BASE_URL)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
