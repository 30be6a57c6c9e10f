"""The API docs and the token pages in real Chromium, with the shared browser fixtures (root
conftest.py: ``page``, ``axe_check``, ``browser_errors``).

The site's strict Content-Security-Policy stays enforced: the tests fail on any CSP refusal,
JavaScript error, failed sub-resource or request leaving the live server, and on any "serious"
or "critical" axe-core violation.
"""

import re

import pytest

from core.tests.browser import log_in

from .conftest import PASSWORD, bearer

pytestmark = pytest.mark.browser


def unexpected(browser_errors: list[str]) -> list[str]:
    """The errors, less the anonymous call's 401 (on purpose) and the sub-resources that a
    navigation aborts while they load (net::ERR_ABORTED, harmless)."""
    return [
        error
        for error in browser_errors
        if not error.startswith("HTTP 401: fetch ") and "ERR_ABORTED" not in error
    ]


def test_docs_work_under_the_strict_csp_with_the_browser_session(
    page, axe_check, browser_errors, user
):
    page.goto("/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 4  # the shell's four, plus the ledger's
    assert page.locator("h1").first.inner_text().startswith("API Passnum")
    axe_check(page)

    # Anonymous « Try it out »: a JSON 401 in French.
    page.locator("#operations-Compte-me .opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    body = page.locator(".live-responses-table .response-col_description pre").first
    body.wait_for()
    assert "Authentification requise" in body.inner_text()

    # Logged in, the same call answers with my account (session authentication).
    log_in(page, user.email, PASSWORD)
    page.goto("/api/v1/docs")
    page.locator("#operations-Compte-me .opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert user.email in page.locator(".live-responses-table pre").first.inner_text()
    axe_check(page)  # an executed operation, with its response

    assert unexpected(browser_errors) == []


def test_token_page_in_the_browser(page, axe_check, browser_errors, user):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, user.email, PASSWORD)

    page.goto("/compte/jetons/")
    assert "aucun jeton" in page.locator("main").inner_text()
    axe_check(page)
    page.get_by_label("Nom du jeton").fill("Scanner de l'accueil")
    page.get_by_role("button", name="Créer le jeton").click()

    clear = page.locator("#new-token-value").inner_text().strip()
    assert re.fullmatch(r"pn_[a-z2-7]{8}_[a-z2-7]{52}", clear)
    copy = page.locator("button[data-copy-target=new-token-value]")
    copy.click()
    assert copy.inner_text() == "Copié"
    assert page.evaluate("() => navigator.clipboard.readText()") == clear
    axe_check(page)
    assert bearer(clear).get("/api/v1/me").status_code == 200

    page.get_by_role("link", name="Révoquer le jeton « Scanner de l'accueil »").click()
    axe_check(page)
    page.get_by_role("button", name="Révoquer définitivement").click()
    assert "a été révoqué" in page.locator(".messages").inner_text()
    assert bearer(clear).get("/api/v1/me").status_code == 401

    assert unexpected(browser_errors) == []
