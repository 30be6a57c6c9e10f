"""The interactive API documentation (Swagger UI), served from ninja's own static files.

ninja 1.7's Swagger page has no inline script or style: its settings travel in a
``<script type="application/json">`` block (data, never executed) and are read by
``ninja/swagger-ui-init.js``. The site's strict Content-Security-Policy therefore applies to
it unchanged, with no per-view relaxation (checked in real Chromium by
api/tests/test_docs_browser.py). Our template (templates/api/docs.html) adds the French
language and title, and two same-origin files for accessibility (axe-core, RGAA):
api/static/api/docs.css (contrast) and api/static/api/docs.js (names of icon-only buttons).
"""

from ninja.openapi.docs import Swagger

SWAGGER_SETTINGS = {
    "layout": "BaseLayout",
    # Deep links put a link inside each operation's toggle button (axe: nested-interactive).
    "deepLinking": False,
    # Swagger UI would otherwise load a badge from validator.swagger.io: nothing leaves the site.
    "validatorUrl": None,
    # The highlighter's colours (inline, e.g. numbers in #d36363 on #333) fail the contrast
    # rules; plain text reads well.
    "syntaxHighlight": False,
    # Never keep a token in the browser's storage.
    "persistAuthorization": False,
}


class Docs(Swagger):
    template = "api/docs.html"

    def __init__(self) -> None:
        super().__init__(settings=SWAGGER_SETTINGS)
