"""The scan screen on a phone (390×844, mobile context) in real Chromium: an operator member
logs in, types a distributed pass's serial and code, confirms and sees the receipt; axe-core
finds no serious or critical violation on the scan screen nor on the receipt, and the strict CSP
reports nothing."""

import contextlib

import pytest
from django.core.cache import cache

from core.tests import browser as browser_helpers
from core.tests.browser import log_in
from ledger.models import PassStatus
from ledger.tests.test_redemption import code_of, setup_world
from passnum.testing import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    cache.clear()
    return setup_world()


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(browser_helpers.DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.errors = errors
    yield page
    with contextlib.suppress(Exception):
        context.close()


def test_operator_redeems_a_pass_on_a_phone(phone, axe_check, world):
    _, passes, org, place, service, user = world
    target = passes[0]
    page = phone
    log_in(page, user.email, PASSWORD)
    page.goto("/pass/encaisser/")
    assert page.get_by_role("heading", level=1).inner_text() == "Encaisser des pass"
    axe_check(page)

    page.get_by_label("Lieu").select_option(str(place.pk))
    page.get_by_label("Service").select_option(str(service.pk))
    page.get_by_label("Numéro du pass (10 chiffres)").first.fill(target.serial)
    page.get_by_label("Code (10 caractères)").first.fill(code_of(target).lower())
    page.get_by_role("button", name="Vérifier les pass").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Confirmer l'encaissement"
    axe_check(page)
    page.get_by_role("button", name="Confirmer l'encaissement").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text() == "Encaissement enregistré"
    body = page.locator("main").inner_text()
    assert target.serial in body
    assert "1 pass encaissé pour 10,00" in body
    assert "Total du jour pour ce lieu" in body
    axe_check(page)
    assert not page.errors, page.errors
    target.refresh_from_db()
    assert target.status == PassStatus.REDEEMED


def test_public_check_page_on_a_phone(phone, axe_check, world):
    passes = world[1]
    page = phone
    page.goto(f"/p/{passes[0].serial}.{code_of(passes[0])}")
    assert "Ce pass est valable." in page.locator("main").inner_text()
    axe_check(page)
    page.goto("/p/")
    page.get_by_label("Numéro du pass").fill(passes[1].serial)
    page.get_by_label("Code", exact=True).fill("ABCDEFGHJK")
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_load_state()
    assert "Code incorrect" in page.locator("main").inner_text()
    axe_check(page)
    assert not page.errors, page.errors
