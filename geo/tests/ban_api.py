"""Answers of the national address API (BAN, ``/search/?type=municipality&citycode=…``), in its
documented GeoJSON format, and a tiny local HTTP server that replays them, so the real client
(urllib, parsing) runs in tests.

These answers were written by hand after the API's documented format (FeatureCollection,
``geometry.coordinates = [lon, lat]``, ``properties.type`` and ``citycode``), with approximate
centroids: the machine where they were written has no internet access. Nothing was fetched.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ban"

# INSEE code asked (citycode) → recorded answer (file name) or HTTP status.
RECORDED: dict[str, str | int] = {
    "93001": "municipality_aubervilliers.json",
    "75113": "municipality_paris_13.json",
    "93066": "homonym_other_citycode.json",
    "93029": "street_not_municipality.json",
    "94028": 503,
    "94080": 429,
}


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 — http.server's naming
        url = urlsplit(self.path)
        citycode = parse_qs(url.query).get("citycode", [""])[0]
        answer = RECORDED.get(citycode, "empty.json") if url.path == "/search/" else 404
        self.server.requests.append(self.path)
        if isinstance(answer, int):
            body = json.dumps({"code": answer, "message": "Erreur"}).encode()
            self.send_response(answer)
        else:
            body = recorded(answer)
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output clean
        pass


@contextmanager
def address_api() -> Iterator[ThreadingHTTPServer]:
    """Serve the recorded answers on 127.0.0.1; ``server.url`` is the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.requests = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
