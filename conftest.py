"""Project-wide pytest fixtures.

Browser tests (marked ``browser``) drive Debian's headless Chromium through Playwright against
pytest-django's ``live_server`` and check accessibility with axe-core:

    @pytest.mark.browser
    def test_something(page, axe_check):
        page.goto("/accessibilite/")  # relative to live_server.url
        axe_check(page)  # fails on any "serious" or "critical" axe violation

A test that uses ``browser``, ``page``, ``axe_check`` or ``browser_errors`` is marked ``browser``
automatically, so ``-m "not browser"`` always leaves them out.
"""

import contextlib
import os
from urllib.parse import urlsplit

import pytest

from core.tests import browser as browser_helpers

BROWSER_FIXTURES = {"browser", "page", "axe_check", "browser_errors"}


def pytest_configure(config):
    # Declared in pyproject.toml too; repeated here so that this conftest stands on its own.
    config.addinivalue_line("markers", "browser: tests that drive real headless Chromium")


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so the page fixture knows whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, launched once per session (fails, never skips, if missing)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
    # database access from it (SynchronousOnlyOperation).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            missing = None
            try:
                chromium = browser_helpers.launch_chromium(playwright)
            except browser_helpers.ChromiumMissing as exc:
                missing = str(exc)
            if missing:
                pytest.fail(missing, pytrace=False)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(request, browser, live_server):
    """A page in a fresh browser context (fr-FR, Europe/Paris, 1280×800) on the live server.

    The context's base URL is ``live_server.url``, so ``page.goto("/compte/")`` works. The site's
    CSP stays enforced. On failure, a screenshot is saved in test-artifacts/failures/.
    """
    from playwright.sync_api import expect

    expect.set_options(timeout=browser_helpers.DEFAULT_TIMEOUT_MS)
    context = browser.new_context(base_url=live_server.url, **browser_helpers.CONTEXT_OPTIONS)
    context.set_default_timeout(browser_helpers.DEFAULT_TIMEOUT_MS)
    new_page = context.new_page()
    yield new_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        failures = browser_helpers.ARTIFACTS_DIR / "failures"
        failures.mkdir(parents=True, exist_ok=True)
        name = browser_helpers.safe_filename(request.node.nodeid)
        with contextlib.suppress(Exception):  # a screenshot must never hide the real failure
            new_page.screenshot(path=str(failures / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def browser_errors(page, live_server):
    """What went wrong in the page since the test began, as readable strings: JavaScript
    errors, console errors (Chromium logs every CSP refusal there), sub-resources (CSS, scripts,
    images, XHR) that failed or answered an HTTP error, and requests leaving the live server
    (nothing may load from a CDN).

    Documents may answer 4xx on purpose, so they are not reported; nor is /favicon.ico, which the
    browser asks for on its own.
    """
    errors: list[str] = []

    def on_console(message):
        # "Failed to load resource" is reported by on_response, which knows the URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"console.error: {message.text}")

    def on_response(response):
        if (
            response.status >= 400
            and response.request.resource_type != "document"
            and urlsplit(response.url).path != "/favicon.ico"
        ):
            errors.append(
                f"HTTP {response.status}: {response.request.resource_type} {response.url}"
            )

    def on_request(request):
        if not request.url.startswith((live_server.url, "data:", "blob:", "about:")):
            errors.append(f"off-site request: {request.url}")

    def on_request_failed(request):
        # A navigation cancels the sub-resources still loading (net::ERR_ABORTED): harmless.
        if "ERR_ABORTED" in (request.failure or ""):
            return
        if urlsplit(request.url).path not in {"/favicon.ico", "/static/img/favicon.svg"}:
            errors.append(f"request failed: {request.url} ({request.failure})")

    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", on_console)
    page.on("response", on_response)
    page.on("request", on_request)
    page.on("requestfailed", on_request_failed)
    return errors


@pytest.fixture
def axe_check():
    """``axe_check(page, *, impacts=("serious", "critical"), disable_rules=())``.

    Runs axe-core on the page as it is now and fails with a readable list (rule id, impact,
    target selectors, help) of the violations of those impacts. Returns all violations found.
    """
    return browser_helpers.assert_accessible
