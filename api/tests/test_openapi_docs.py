"""The OpenAPI schema and the Swagger UI page, served from our own origin under the strict CSP."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/me",
    "/api/v1/organisations",
    "/api/v1/organisations/{organisation_id}",
    "/api/v1/organisations/{organisation_id}/members",
}


def test_openapi_json_lists_the_paths():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "API Passnum"
    assert set(schema["paths"]) >= PATHS  # the ledger adds its own paths (tested in ledger)
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    me = schema["paths"]["/api/v1/me"]["get"]
    assert me["security"][0] == {"ApiTokenAuth": []}
    assert set(me["responses"]) == {"200", "401"}
    members = schema["paths"]["/api/v1/organisations/{organisation_id}/members"]["get"]
    assert {"200", "401", "404", "422"} <= set(members["responses"])
    # Descriptions are in French.
    email = schema["components"]["schemas"]["MeOut"]["properties"]["email"]
    assert email["description"] == "Adresse e-mail, qui sert d'identifiant de connexion."


def test_docs_page_uses_only_same_origin_assets():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert urls, "the page loads its assets"
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
    assert "/static/ninja/swagger-ui-bundle.js" in urls
    assert "/static/ninja/swagger-ui.css" in urls
    assert "/static/api/docs.css" in urls  # contrast fixes
    assert "/static/api/docs.js" in urls  # accessible names of icon-only buttons
    # No inline script or style: only JSON data and external scripts.
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        assert 'type="application/json"' in attrs or (not body.strip() and "src=" in attrs)
    assert "<style" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handler"
    # Swagger UI's online validator badge is off: nothing is fetched from elsewhere.
    settings_json = re.search(r'id="swagger-settings">(.*?)</script>', html, flags=re.S)[1]
    swagger_settings = json.loads(settings_json)
    assert swagger_settings["validatorUrl"] is None
    assert swagger_settings["url"] == "/api/v1/openapi.json"


def test_docs_page_keeps_the_strict_csp():
    csp = Client().get("/api/v1/docs")["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp


def test_docs_static_files_are_collected():
    """Swagger UI's files come with ninja, ours with the api app: collectstatic gathers them."""
    for asset in (
        "ninja/swagger-ui-bundle.js",
        "ninja/swagger-ui-init.js",
        "ninja/swagger-ui.css",
        "api/docs.css",
        "api/docs.js",
    ):
        assert finders.find(asset), asset
