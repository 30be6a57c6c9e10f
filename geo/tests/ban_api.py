"""Answers of the national address API (BAN, ``/search/?type=municipality&citycode=…``), in its
documented GeoJSON format, and a tiny local HTTP server that replays them, so the real client
(urllib, parsing) runs in tests.

These answers were written by hand after the API's documented format (FeatureCollection,
``geometry.coordinates = [lon, lat]``, ``properties.type`` and ``citycode``), with approximate
centroids: the machine where they were written has no internet access. Nothing was fetched.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import SplitResult, parse_qs

from core.tests.recorded_http import serve

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


def _answer(url: SplitResult) -> tuple[int, bytes]:
    citycode = parse_qs(url.query).get("citycode", [""])[0]
    answer = RECORDED.get(citycode, "empty.json") if url.path == "/search/" else 404
    if isinstance(answer, int):
        return answer, json.dumps({"code": answer, "message": "Erreur"}).encode()
    return 200, recorded(answer)


@contextmanager
def address_api() -> Iterator[ThreadingHTTPServer]:
    """Serve the recorded answers on 127.0.0.1; ``server.url`` is the base URL."""
    with serve(_answer) as server:
        yield server
