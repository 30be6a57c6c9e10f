"""Recorded answers of public APIs, replayed in tests so the real clients (urllib, parsing) run:
``replay(body)`` is a transport callable that records its calls; ``serve(answer)`` is a tiny
local HTTP server on 127.0.0.1 where ``answer(url)`` gives (status, body) for each GET."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import SplitResult, urlsplit

Answer = Callable[[SplitResult], tuple[int, bytes]]


def replay(body: bytes) -> Callable[[str, float], bytes]:
    """A ``fetch(url, timeout)`` that answers ``body``; ``fetch.calls`` lists its calls."""
    calls: list[tuple[str, float]] = []

    def fetch(url: str, timeout: float) -> bytes:
        calls.append((url, timeout))
        return body

    fetch.calls = calls
    return fetch


@contextmanager
def serve(answer: Answer) -> Iterator[ThreadingHTTPServer]:
    """Serve ``answer`` on 127.0.0.1; ``server.url`` is the base URL, ``server.requests`` the
    paths asked."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 — http.server's naming
            self.server.requests.append(self.path)
            status, body = answer(urlsplit(self.path))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
