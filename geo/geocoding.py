"""A small client for the national address API (BAN, api-adresse.data.gouv.fr): the centre of a
commune.

``locate(insee_code, name)`` asks ``GET {ADRESSE_API_URL}/search/?q=<name>&type=municipality&
citycode=<insee>&limit=1`` and returns the position of the feature of type « municipality » that
carries exactly this INSEE code (never a fuzzy match: a homonym elsewhere is refused). The answer
is a GeoJSON FeatureCollection whose coordinates are ``[longitude, latitude]``. The transport is a
plain ``fetch(url, timeout) -> bytes`` callable, urllib by default: tests pass recorded responses
through the same parsing code (as ``operators.sirene`` does).
"""

import json
import urllib.error
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from core import http

TIMEOUT_SECONDS = 5
MAX_RESPONSE_BYTES = 1_000_000
SERVICE = "Le service national d'adresses (BAN)"

Fetch = Callable[[str, float], bytes]


class GeocodingError(Exception):
    """The look-up failed; the message is in French, for the person running it."""


@dataclass(frozen=True)
class Centre:
    insee_code: str
    name: str
    latitude: Decimal
    longitude: Decimal


def urllib_fetch(url: str, timeout: float) -> bytes:
    try:
        return http.get(url, timeout, MAX_RESPONSE_BYTES)
    except ValueError:
        raise GeocodingError("Adresse du service national d'adresses invalide.") from None


def search_url(insee_code: str, name: str, base_url: str | None = None) -> str:
    base = (base_url or settings.ADRESSE_API_URL).rstrip("/")
    query = urllib.parse.urlencode(
        {"q": name, "type": "municipality", "citycode": insee_code, "limit": 1}
    )
    return f"{base}/search/?{query}"


def _coordinate(value: Any, low: int, high: int) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = Decimal(str(value)).quantize(Decimal("0.000001"))
    return number if low <= number <= high else None


def parse(payload: bytes, insee_code: str) -> Centre | None:
    """The municipality with exactly this INSEE code in a /search/ answer, or None."""
    if len(payload) > MAX_RESPONSE_BYTES:
        raise GeocodingError("La réponse du service national d'adresses (BAN) est trop longue.")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GeocodingError(f"{SERVICE} a renvoyé une réponse illisible.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise GeocodingError(f"{SERVICE} a renvoyé une réponse inattendue.")
    for feature in data["features"]:
        if not isinstance(feature, dict):
            continue
        properties = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        if not isinstance(properties, dict) or not isinstance(geometry, dict):
            continue
        if properties.get("type") != "municipality" or properties.get("citycode") != insee_code:
            continue
        coordinates = geometry.get("coordinates")
        if not isinstance(coordinates, list) or len(coordinates) != 2:
            continue
        longitude = _coordinate(coordinates[0], -180, 180)
        latitude = _coordinate(coordinates[1], -90, 90)
        if latitude is None or longitude is None:
            continue
        return Centre(
            insee_code=insee_code,
            name=str(properties.get("name") or properties.get("city") or ""),
            latitude=latitude,
            longitude=longitude,
        )
    return None


def locate(
    insee_code: str,
    name: str,
    *,
    fetch: Fetch | None = None,
    base_url: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Centre:
    """The centre of the commune. Raises GeocodingError (in French), also when the service
    knows no municipality with exactly this INSEE code."""
    url = search_url(insee_code, name, base_url)
    try:
        payload = (fetch or urllib_fetch)(url, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 429:
            message = f"{SERVICE} est saturé : réessayez dans un instant."
        else:
            message = f"{SERVICE} a répondu par une erreur ({exc.code})."
        raise GeocodingError(message) from exc
    except TimeoutError as exc:
        raise GeocodingError(f"{SERVICE} n'a pas répondu à temps : réessayez plus tard.") from exc
    except (urllib.error.URLError, OSError) as exc:
        if isinstance(getattr(exc, "reason", None), TimeoutError):
            raise GeocodingError(
                f"{SERVICE} n'a pas répondu à temps : réessayez plus tard."
            ) from exc
        raise GeocodingError(f"{SERVICE} est injoignable.") from exc
    centre = parse(payload, insee_code)
    if centre is None:
        raise GeocodingError(
            f"{SERVICE} ne connaît pas de commune portant le code INSEE {insee_code} ({name})."
        )
    return centre
