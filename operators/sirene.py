"""A small client for the public company-search API (recherche-entreprises.api.gouv.fr).

``lookup(siret)`` asks ``GET {RECHERCHE_ENTREPRISES_URL}/search?q=<siret>`` and returns the
establishment that carries exactly this SIRET (never a fuzzy match). The transport is a plain
``fetch(url, timeout) -> bytes`` callable, urllib by default: tests pass recorded responses
through the same parsing code.
"""

import json
import urllib.error
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from core import http
from organisations.validators import normalise_siret

TIMEOUT_SECONDS = 5
MAX_RESPONSE_BYTES = 1_000_000

Fetch = Callable[[str, float], bytes]

# Codes of the « catégorie juridique » (INSEE) that matter for us.
ASSOCIATION_CODES = {"9210", "9220", "9221", "9222", "9223", "9224", "9230", "9240", "9260"}


class CompanySearchError(Exception):
    """The look-up failed; the message is in French, for the user."""


@dataclass(frozen=True)
class Representative:
    name: str
    role: str


@dataclass(frozen=True)
class CompanyInfo:
    siret: str
    siren: str
    name: str
    address: str
    postal_code: str
    city: str
    insee_code: str
    legal_form_code: str
    is_active: bool
    representatives: list[Representative] = field(default_factory=list)

    @property
    def legal_category(self) -> str:
        """Our Organisation.LegalCategory value."""
        code = self.legal_form_code
        if code in ASSOCIATION_CODES or code.startswith("92"):
            return "ASSOCIATION"
        if code[:1] in {"3", "4", "7"}:
            return "PUBLIC"
        if code[:1] in {"1", "5", "6"}:
            return "COMPANY"
        return "OTHER"


def urllib_fetch(url: str, timeout: float) -> bytes:
    try:
        return http.get(url, timeout, MAX_RESPONSE_BYTES)
    except ValueError:
        raise CompanySearchError(
            "Adresse du service de recherche d'entreprises invalide."
        ) from None


def search_url(siret: str, base_url: str | None = None) -> str:
    base = (base_url or settings.RECHERCHE_ENTREPRISES_URL).rstrip("/")
    return f"{base}/search?{urllib.parse.urlencode({'q': siret})}"


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _representatives(result: dict[str, Any]) -> list[Representative]:
    people = []
    for person in result.get("dirigeants") or []:
        if not isinstance(person, dict):
            continue
        if person.get("type_dirigeant") == "personne morale":
            name = _text(person.get("denomination"))
        else:
            name = " ".join(
                part
                for part in (_text(person.get("prenoms")).title(), _text(person.get("nom")).upper())
                if part
            )
        if name:
            people.append(Representative(name=name, role=_text(person.get("qualite"))))
    return people


def parse(payload: bytes, siret: str) -> CompanyInfo | None:
    """The establishment with exactly this SIRET in a /search answer, or None."""
    if len(payload) > MAX_RESPONSE_BYTES:
        raise CompanySearchError(
            "La réponse du service de recherche d'entreprises est trop longue."
        )
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CompanySearchError(
            "Le service de recherche d'entreprises a renvoyé une réponse illisible."
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise CompanySearchError(
            "Le service de recherche d'entreprises a renvoyé une réponse inattendue."
        )
    for result in data["results"]:
        if not isinstance(result, dict):
            continue
        candidates = [result.get("siege"), *(result.get("matching_etablissements") or [])]
        for establishment in candidates:
            if isinstance(establishment, dict) and _text(establishment.get("siret")) == siret:
                return CompanyInfo(
                    siret=siret,
                    siren=_text(result.get("siren")),
                    name=_text(result.get("nom_complet") or result.get("nom_raison_sociale")),
                    address=_text(establishment.get("adresse")),
                    postal_code=_text(establishment.get("code_postal")),
                    city=_text(establishment.get("libelle_commune")),
                    insee_code=_text(establishment.get("commune")),
                    legal_form_code=_text(result.get("nature_juridique")),
                    is_active=establishment.get("etat_administratif", "A") == "A",
                    representatives=_representatives(result),
                )
    return None


def lookup(
    siret: str,
    *,
    fetch: Fetch | None = None,
    base_url: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> CompanyInfo | None:
    """Look the SIRET up; None when the register does not know it. Raises CompanySearchError."""
    compact = normalise_siret(siret)
    url = search_url(compact, base_url)
    try:
        payload = (fetch or urllib_fetch)(url, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 429:
            message = (
                "Le service de recherche d'entreprises est saturé : réessayez dans un instant."
            )
        else:
            message = (
                f"Le service de recherche d'entreprises a répondu par une erreur ({exc.code})."
            )
        raise CompanySearchError(message) from exc
    except TimeoutError as exc:
        raise CompanySearchError(
            "Le service de recherche d'entreprises n'a pas répondu à temps : réessayez plus tard "
            "ou saisissez les informations vous-même."
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        if isinstance(getattr(exc, "reason", None), TimeoutError):
            raise CompanySearchError(
                "Le service de recherche d'entreprises n'a pas répondu à temps : réessayez plus "
                "tard ou saisissez les informations vous-même."
            ) from exc
        raise CompanySearchError(
            "Le service de recherche d'entreprises est injoignable : saisissez les informations "
            "vous-même."
        ) from exc
    return parse(payload, compact)
