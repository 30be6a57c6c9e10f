"""JSON error responses of the API, always ``{"detail": "…"}`` with a French message.

ninja's default handlers answer in English ("Not Found", "Unauthorized"…): these replace them.
"""

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .auth import MISSING_MESSAGE, ApiAuthenticationError

NOT_FOUND_MESSAGE = "Ressource introuvable."
UNKNOWN_PATH_MESSAGE = (
    "Adresse inconnue dans l'API. La liste des adresses est sur /api/v1/docs "
    "et /api/v1/openapi.json."
)
METHOD_NOT_ALLOWED_MESSAGE = "Méthode HTTP non autorisée sur cette adresse."
FORBIDDEN_MESSAGE = "Vous n'avez pas le droit d'accéder à cette ressource."
DJANGO_404_RE = re.compile(r"No .+ matches the given query\.")
VALIDATION_MESSAGE = "La requête est invalide : vérifiez les paramètres envoyés."

# French messages for ninja's own HttpErrors, whose messages are in English.
STATUS_MESSAGES = {
    400: "Requête mal formée.",
    401: MISSING_MESSAGE,
    403: FORBIDDEN_MESSAGE,
    404: NOT_FOUND_MESSAGE,
    405: METHOD_NOT_ALLOWED_MESSAGE,
    429: "Trop de requêtes : réessayez plus tard.",
}
DEFAULT_HTTP_ERROR_MESSAGE = "Erreur lors du traitement de la requête."
CSRF_MESSAGE = "Vérification CSRF échouée : rechargez la page de documentation et réessayez."

# pydantic error types → French messages (``ctx`` values are substituted).
VALIDATION_MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "int_parsing": "Un nombre entier est attendu.",
    "int_type": "Un nombre entier est attendu.",
    "int_from_float": "Un nombre entier est attendu.",
    "float_parsing": "Un nombre est attendu.",
    "bool_parsing": "Une valeur booléenne (true ou false) est attendue.",
    "string_type": "Un texte est attendu.",
    "string_too_short": "Le texte doit compter au moins {min_length} caractère(s).",
    "string_too_long": "Le texte ne doit pas dépasser {max_length} caractères.",
    "greater_than": "La valeur doit être strictement supérieure à {gt}.",
    "greater_than_equal": "La valeur doit être supérieure ou égale à {ge}.",
    "less_than": "La valeur doit être strictement inférieure à {lt}.",
    "less_than_equal": "La valeur doit être inférieure ou égale à {le}.",
    "enum": "Valeur non autorisée : choisissez parmi {expected}.",
    "literal_error": "Valeur non autorisée : choisissez parmi {expected}.",
    "json_invalid": "Le corps de la requête n'est pas un JSON valide.",
    "date_parsing": "Une date au format AAAA-MM-JJ est attendue.",
    "datetime_parsing": "Une date et heure au format ISO 8601 est attendue.",
}
DEFAULT_VALIDATION_MESSAGE = "Valeur invalide."


def _french_validation_message(error: dict[str, Any]) -> str:
    template = VALIDATION_MESSAGES.get(error.get("type", ""), DEFAULT_VALIDATION_MESSAGE)
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return DEFAULT_VALIDATION_MESSAGE


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, detail: str, **extra) -> HttpResponse:
        return api.create_response(request, {"detail": detail, **extra}, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        # Our own errors carry a French message; ninja's bare AuthenticationError (no method
        # accepted the request) means that no credentials were sent.
        detail = exc.message if isinstance(exc, ApiAuthenticationError) else MISSING_MESSAGE
        response = respond(request, 401, detail)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 403 and "CSRF" in exc.message:
            detail = CSRF_MESSAGE
        else:
            detail = STATUS_MESSAGES.get(exc.status_code, DEFAULT_HTTP_ERROR_MESSAGE)
        return respond(request, exc.status_code, detail)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # Permission helpers raise Http404 with a French message; get_object_or_404's is English.
        message = str(exc)
        if not message or DJANGO_404_RE.fullmatch(message):
            message = NOT_FOUND_MESSAGE
        return respond(request, 404, message)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, str(exc) or FORBIDDEN_MESSAGE)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "loc": list(error.get("loc", ())),
                "type": error.get("type", ""),
                "message": _french_validation_message(error),
            }
            for error in exc.errors
        ]
        return respond(request, 422, VALIDATION_MESSAGE, errors=errors)
