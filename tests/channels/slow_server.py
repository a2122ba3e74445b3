"""A real HTTP server that takes its time: it reads each request, counts it, and holds
the answer until the test lets it go — long after the client's read timeout, whatever
the machine's load, because the release is an event and not a sleep."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["SlowServer", "slow_server"]


class SlowServer:
    def __init__(self, hold: int) -> None:
        self.hold = hold
        """How many of the first requests wait for :attr:`release`; later ones answer at once."""
        self.bodies: list[bytes] = []
        self.release = threading.Event()
        self.url = ""
        self._lock = threading.Lock()

    def received(self, body: bytes) -> int:
        with self._lock:
            self.bodies.append(body)
            return len(self.bodies)

    def texts(self) -> list[str]:
        return [json.loads(body)["text"] for body in self.bodies]


def _handler(server: SlowServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            number = server.received(body)
            if number <= server.hold:
                server.release.wait(timeout=60)  # a hang guard only
            answer = b'{"ok": true, "result": {}}'
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the client gave up long ago: that is the point

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def slow_server(hold: int = 1) -> Iterator[SlowServer]:
    """A :class:`SlowServer` on a free local port, holding the first ``hold`` answers."""
    state = SlowServer(hold)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
