"""The Passnum REST API, mounted at /api/v1/ (see passnum/urls.py)."""

from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from ledger.api_custody import router as ledger_custody_router
from ledger.api_orders import router as ledger_orders_router
from ledger.api_redemption import router as ledger_redemption_router

from .auth import session_auth, token_auth
from .docs import Docs
from .endpoints import router
from .errors import METHOD_NOT_ALLOWED_MESSAGE, UNKNOWN_PATH_MESSAGE, install_error_handlers

DESCRIPTION = """API de la plateforme Passnum, pour les intégrations et les scanners.

**Authentification** : créez un jeton personnel dans « Mon compte » › « Jetons d'API » (ou avec
`manage.py api_token EMAIL`), puis envoyez-le dans l'en-tête
`Authorization: Bearer pn_…`. Le jeton agit avec vos droits : vous ne voyez que les
organisations dont vous êtes membre actif. Depuis cette page, une session ouverte dans le
navigateur suffit aussi.

**Erreurs** : réponses JSON de la forme `{"detail": "…"}`, en français. Une ressource à
laquelle vous n'avez pas accès répond 404, comme si elle n'existait pas.

**Listes** : paginées avec `limit` et `offset` ; la réponse donne `items` et `count`.
"""


class Utf8JSONRenderer(JSONRenderer):
    """Plain UTF-8 JSON (« é », not « \\u00e9 »): the messages are in French."""

    json_dumps_params = {"ensure_ascii": False}


class PassnumAPI(NinjaAPI):
    """NinjaAPI whose unknown paths and wrong methods also answer in JSON, in French."""

    def _get_urls(self):
        urls = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                continue  # ninja's root view raises an HTML 404 in English
            if isinstance(pattern, URLPattern):
                pattern.callback = self._json_method_not_allowed(pattern.callback)
            urls.append(pattern)
        unknown = csrf_exempt(self._unknown_path)
        # "api-root" is reversed by ninja to build the paths of the OpenAPI schema.
        urls += [path("", unknown, name="api-root"), re_path(r"^.+$", unknown)]
        return urls

    def _unknown_path(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self.create_response(request, {"detail": UNKNOWN_PATH_MESSAGE}, status=404)

    def _json_method_not_allowed(self, view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponseNotAllowed):
                allowed = response["Allow"]
                response = self.create_response(
                    request, {"detail": METHOD_NOT_ALLOWED_MESSAGE}, status=405
                )
                response["Allow"] = allowed
            return response

        return wrapper


api = PassnumAPI(
    title="API Passnum",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[token_auth, session_auth],
    docs=Docs(),
    renderer=Utf8JSONRenderer(),
)
install_error_handlers(api)
api.add_router("", router)
api.add_router("", ledger_orders_router, tags=["Commandes"])
api.add_router("", ledger_custody_router, tags=["Stock et transferts"])
api.add_router("", ledger_redemption_router, tags=["Vérification et encaissement"])
