"""API authentication: personal tokens sent as ``Authorization: Bearer pn_…``.

The Django session is accepted too (for the browser docs), with ninja's CSRF check; a request
that carries a bearer token is judged on that token alone and never falls back to the session.
"""

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from . import queries, services
from .models import is_well_formed


class ApiAuthenticationError(AuthenticationError):
    """A 401 whose message (in French) is returned to the client as is."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=401, message=message)


MISSING_MESSAGE = (
    "Authentification requise : envoyez votre jeton d'API dans l'en-tête "
    "« Authorization: Bearer <jeton> »."
)
MALFORMED_MESSAGE = "Jeton d'API mal formé : l'en-tête attendu est « Authorization: Bearer pn_… »."
UNKNOWN_MESSAGE = "Jeton d'API invalide."
REVOKED_MESSAGE = "Ce jeton d'API a été révoqué."
INACTIVE_USER_MESSAGE = "Le compte associé à ce jeton d'API est désactivé."


class ApiTokenAuth(HttpBearer):
    """Bearer authentication with a personal API token (see api.models)."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get(self.header)
        if header is None:
            return None  # no token: let the next method (session) try
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme:
            raise ApiAuthenticationError(MALFORMED_MESSAGE)
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str):
        if not is_well_formed(token):
            raise ApiAuthenticationError(MALFORMED_MESSAGE)
        api_token = queries.find_token(token)
        if api_token is None:
            raise ApiAuthenticationError(UNKNOWN_MESSAGE)
        if api_token.revoked_at is not None:
            raise ApiAuthenticationError(REVOKED_MESSAGE)
        if not api_token.user.is_active:
            raise ApiAuthenticationError(INACTIVE_USER_MESSAGE)
        services.mark_used(api_token)
        # Endpoints read request.user, whichever way the caller authenticated.
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class BrowserSessionAuth(SessionAuth):
    """The logged-in browser session (Django's login), for trying the API from its docs.

    Only a request that has a logged-in, active session user goes on to ninja's CSRF check
    (unsafe methods need the CSRF token, which the docs page sends); any other request is
    simply not authenticated by this method, so an API client without a token gets a 401.
    """

    def __call__(self, request: HttpRequest):
        if not self._session_user(request):
            return None
        return super().__call__(request)  # CSRF check, then authenticate()

    def authenticate(self, request: HttpRequest, key: str | None):
        return self._session_user(request)

    @staticmethod
    def _session_user(request: HttpRequest):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


token_auth = ApiTokenAuth()
session_auth = BrowserSessionAuth(csrf=True)
