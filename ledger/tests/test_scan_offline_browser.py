"""Scanning without network, on a phone (390×844, mobile context) in real Chromium.

An operator member goes offline, types a distributed pass: the attempt is queued on the device with
its idempotency key, shown in « En attente d'envoi (hors ligne) »; back online it is sent through
the API with the same key and redeemed exactly once. A pass redeemed elsewhere in the meantime
ends with the French conflict message on its queue entry. axe-core finds no serious or critical
violation in each state, and the strict CSP reports nothing."""

import contextlib
import json
import re

import pytest
from django.core.cache import cache
from django.utils import formats, timezone
from playwright.sync_api import expect

from core.tests import browser as browser_helpers
from core.tests.browser import log_in
from ledger import redemption as r
from ledger.models import PassStatus, Redemption
from ledger.tests import factories
from ledger.tests.test_redemption import code_of, item, setup_world
from passnum.testing import PASSWORD

pytestmark = pytest.mark.browser

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# What Chromium logs, as console errors, for answers these tests expect: the API's refusal (409)
# when the queued pass was used elsewhere, 401 once the session is gone, and the requests cut on
# purpose. Nothing else may appear.
EXPECTED_CONSOLE = re.compile(
    r"status of (409 \(Conflict\)|401 \(Unauthorized\))|net::ERR_INTERNET_DISCONNECTED"
)


@pytest.fixture
def world(transactional_db):
    cache.clear()
    yield setup_world()
    cache.clear()


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
        lambda m: (
            errors.append(f"console: {m.text}")
            if m.type == "error" and not EXPECTED_CONSOLE.search(m.text)
            else None
        ),
    )
    page.errors = errors
    yield page
    with contextlib.suppress(Exception):
        context.close()


def _queue(page, user) -> list[dict]:
    raw = page.evaluate(f"() => window.localStorage.getItem('passnum:scan-queue:{user.pk}')")
    return json.loads(raw or "[]")


def _scan_offline(page, place, service, target) -> str:
    """Open the scan screen, go offline, type the pass and submit: returns the attempt's key."""
    page.goto("/pass/encaisser/")
    page.get_by_label("Lieu").select_option(str(place.pk))
    page.get_by_label("Service").select_option(str(service.pk))
    page.context.set_offline(True)
    banner = page.locator("#offline-banner")
    banner.wait_for(state="visible")
    assert "Vous êtes hors ligne" in banner.inner_text()
    page.get_by_label("Numéro du pass (10 chiffres)").first.fill(target.serial)
    page.get_by_label("Code (10 caractères)").first.fill(code_of(target).lower())
    key = page.locator("input[name='idempotency_key']").input_value()
    assert UUID.match(key), key
    page.get_by_role("button", name="Vérifier les pass").click()
    entry = page.locator(f"#offline-queue-list li[data-key='{key}']")
    entry.wait_for(state="visible")
    return key


def test_scan_queued_offline_is_sent_back_online_exactly_once(phone, axe_check, world):
    _, passes, org, place, service, user = world
    target = passes[0]
    page = phone
    log_in(page, user.email, PASSWORD)

    key = _scan_offline(page, place, service, target)
    queue = page.get_by_role("region", name="En attente d'envoi (hors ligne)")
    assert queue.is_visible()
    entry = page.locator(f"#offline-queue-list li[data-key='{key}']")
    assert "En attente d'envoi" in entry.inner_text()
    assert f"Pass {target.serial}" in entry.inner_text()
    expect(page.locator("#offline-status")).to_contain_text("mis en attente sur cet appareil")
    # The rows are emptied for the next person, with a new key.
    assert page.get_by_label("Numéro du pass (10 chiffres)").first.input_value() == ""
    assert page.locator("input[name='idempotency_key']").input_value() != key
    stored = _queue(page, user)
    assert [e["key"] for e in stored] == [key]
    assert stored[0]["state"] == "pending"
    assert stored[0]["passes"][0]["serial"] == target.serial
    axe_check(page)
    # Nothing reached the server.
    target.refresh_from_db()
    assert target.status == PassStatus.DISTRIBUTED
    assert not Redemption.objects.exists()
    pending_copy = stored[0]

    page.context.set_offline(False)  # the `online` event sends the queue
    page.locator(f"#offline-queue-list li[data-key='{key}'][data-state='sent']").wait_for()
    text = entry.inner_text()
    assert "Envoyé : encaissé" in text
    assert "10,00\u00a0€" in text
    assert page.locator("#offline-banner").is_hidden()
    expect(page.locator("#offline-status")).to_contain_text("1 encaissement envoyé")
    axe_check(page)
    target.refresh_from_db()
    assert target.status == PassStatus.REDEEMED
    redemption = Redemption.objects.get(idempotency_key=key)
    assert Redemption.objects.count() == 1
    assert redemption.operator == org and redemption.place == place
    assert redemption.created_by == user
    # Once sent, the code is no longer kept on the device.
    assert "code" not in _queue(page, user)[0]["passes"][0]

    # A lost answer: the same attempt sent again (same key) gives back the same receipt.
    page.evaluate(
        "([storage, entry]) => window.localStorage.setItem(storage, JSON.stringify([entry]))",
        [f"passnum:scan-queue:{user.pk}", pending_copy],
    )
    page.reload()
    page.locator(f"#offline-queue-list li[data-key='{key}'][data-state='sent']").wait_for()
    assert Redemption.objects.count() == 1
    assert _queue(page, user)[0]["redemptionId"] == redemption.pk

    # The receipt, with the running total of the day.
    entry.get_by_role("link", name=f"Reçu n° {redemption.pk}").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Encaissement enregistré"
    body = page.locator("main").inner_text()
    assert target.serial in body and "Total du jour pour ce lieu" in body
    axe_check(page)
    assert not page.errors, page.errors


def test_pass_used_elsewhere_while_offline_shows_the_conflict(phone, axe_check, world):
    _, passes, org, place, service, user = world
    target = passes[1]
    page = phone
    log_in(page, user.email, PASSWORD)
    key = _scan_offline(page, place, service, target)
    axe_check(page)

    # Meanwhile, another operator redeems the same pass.
    other, other_place, other_service = factories.operator("Espace numérique du Canal")
    r.redeem(
        operator=other,
        place=other_place,
        service=other_service,
        items=[item(target)],
        idempotency_key="ailleurs-1",
        by=None,
    )
    target.refresh_from_db()
    when = formats.date_format(timezone.localtime(target.redeemed_at), "d/m/Y")

    page.context.set_offline(False)
    entry = page.locator(f"#offline-queue-list li[data-key='{key}'][data-state='refused']")
    entry.wait_for()
    text = entry.inner_text()
    assert "Refusé : rien n'a été encaissé" in text
    assert (
        f"Pass {target.serial} : Ce pass a déjà été utilisé le {when} chez "
        "Espace numérique du Canal." in text
    )
    expect(page.locator("#offline-status")).to_contain_text("1 refusé")
    axe_check(page)
    assert not Redemption.objects.filter(operator=org).exists()
    assert Redemption.objects.count() == 1

    # The refused entry can be removed from the list.
    page.get_by_role(
        "button", name=f"Retirer de la liste l'encaissement des pass {target.serial}"
    ).click()
    page.locator(f"#offline-queue-list li[data-key='{key}']").wait_for(state="detached")
    assert _queue(page, user) == []
    assert not page.errors, page.errors


def test_failed_request_counts_as_offline_and_resend_now_sends_all(phone, axe_check, world):
    _, passes, org, place, service, user = world
    page = phone
    log_in(page, user.email, PASSWORD)
    # The device will say it is online, but no request reaches the server.
    cut = ["**/api/v1/redemptions", "**/pass/encaisser/reseau/"]
    for pattern in cut:
        page.route(pattern, lambda route: route.abort("internetdisconnected"))
    first_key = _scan_offline(page, place, service, passes[2])
    page.context.set_offline(False)  # navigator.onLine is true again: the sending fails
    first = page.locator(f"#offline-queue-list li[data-key='{first_key}']")
    expect(first).to_contain_text("Pas de réseau : nouvel essai au retour du réseau.")
    assert first.get_attribute("data-state") == "pending"
    assert page.locator("#offline-banner").is_visible()

    # Known unreachable: the next attempt is queued too, the form is not posted.
    page.get_by_label("Numéro du pass (10 chiffres)").first.fill(passes[3].serial)
    page.get_by_label("Code (10 caractères)").first.fill(code_of(passes[3]))
    second_key = page.locator("input[name='idempotency_key']").input_value()
    assert second_key != first_key
    page.get_by_role("button", name="Vérifier les pass").click()
    second = page.locator(f"#offline-queue-list li[data-key='{second_key}']")
    second.wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "Encaisser des pass"
    assert [e["state"] for e in _queue(page, user)] == ["pending", "pending"]
    axe_check(page)
    assert not Redemption.objects.exists()

    for pattern in cut:
        page.unroute(pattern)
    page.get_by_role("button", name="Renvoyer maintenant").click()
    page.locator(f"#offline-queue-list li[data-key='{second_key}'][data-state='sent']").wait_for()
    assert first.get_attribute("data-state") == "sent"
    expect(page.locator("#offline-status")).to_contain_text("2 encaissements envoyés")
    assert page.locator("#offline-banner").is_hidden()
    assert page.get_by_role("button", name="Renvoyer maintenant").is_hidden()
    axe_check(page)
    assert Redemption.objects.count() == 2
    assert Redemption.objects.filter(idempotency_key__in=[first_key, second_key]).count() == 2
    for p in passes[2:4]:
        p.refresh_from_db()
        assert p.status == PassStatus.REDEEMED
    assert not page.errors, page.errors


def test_confirm_step_offline_queues_with_the_confirm_key(phone, axe_check, world):
    _, passes, org, place, service, user = world
    target = passes[4]
    page = phone
    log_in(page, user.email, PASSWORD)
    page.goto("/pass/encaisser/")
    page.get_by_label("Lieu").select_option(str(place.pk))
    page.get_by_label("Service").select_option(str(service.pk))
    page.get_by_label("Numéro du pass (10 chiffres)").first.fill(target.serial)
    page.get_by_label("Code (10 caractères)").first.fill(code_of(target))
    page.get_by_role("button", name="Vérifier les pass").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Confirmer l'encaissement"
    key = page.locator("#confirm-form input[name='idempotency_key']").input_value()
    assert UUID.match(key), key  # the key made in the browser when the row was filled

    page.context.set_offline(True)
    page.locator("#offline-banner").wait_for(state="visible")
    confirm = page.get_by_role("button", name="Confirmer l'encaissement")
    confirm.click()
    entry = page.locator(f"#offline-queue-list li[data-key='{key}'][data-state='pending']")
    entry.wait_for()
    assert "Atelier démarches en ligne" in entry.inner_text()
    assert confirm.is_disabled()
    axe_check(page)
    assert not Redemption.objects.exists()

    page.context.set_offline(False)
    page.locator(f"#offline-queue-list li[data-key='{key}'][data-state='sent']").wait_for()
    axe_check(page)
    assert Redemption.objects.filter(idempotency_key=key).count() == 1
    target.refresh_from_db()
    assert target.status == PassStatus.REDEEMED
    assert not page.errors, page.errors


def test_bad_input_offline_gets_a_french_error_and_queues_nothing(phone, axe_check, world):
    _, passes, org, place, service, user = world
    page = phone
    log_in(page, user.email, PASSWORD)
    key = _scan_offline(page, place, service, passes[0])
    serial = page.get_by_label("Numéro du pass (10 chiffres)").first
    code = page.get_by_label("Code (10 caractères)").first
    submit = page.get_by_role("button", name="Vérifier les pass")
    error = page.locator("#offline-form-error")

    serial.fill("12345")
    code.fill(code_of(passes[1]))
    submit.click()
    expect(error).to_have_text("Pass 12345 : le numéro doit compter 10 chiffres.")
    axe_check(page)

    serial.fill(passes[1].serial)
    code.fill("ABC")
    submit.click()
    expect(error).to_have_text(f"Pass {passes[1].serial} : le code doit compter 10 caractères.")

    serial.fill(passes[0].serial)  # already waiting on this device
    code.fill(code_of(passes[0]))
    submit.click()
    expect(error).to_have_text(
        f"Le pass {passes[0].serial} est déjà en attente d'envoi sur cet appareil."
    )
    assert [e["key"] for e in _queue(page, user)] == [key]
    assert not Redemption.objects.exists()
    assert not page.errors, page.errors


def test_session_lost_while_offline_keeps_the_entry_until_logged_in_again(phone, axe_check, world):
    _, passes, org, place, service, user = world
    target = passes[2]
    page = phone
    log_in(page, user.email, PASSWORD)
    key = _scan_offline(page, place, service, target)
    page.context.clear_cookies()  # the session is gone (expired, or logged out elsewhere)
    page.context.set_offline(False)
    entry = page.locator(f"#offline-queue-list li[data-key='{key}']")
    expect(entry).to_contain_text("Votre session a expiré")
    assert entry.get_attribute("data-state") == "pending"
    axe_check(page)
    assert not Redemption.objects.exists()

    log_in(page, user.email, PASSWORD)
    page.goto("/pass/encaisser/")  # the queue is sent when the page loads
    page.locator(f"#offline-queue-list li[data-key='{key}'][data-state='sent']").wait_for()
    assert Redemption.objects.filter(idempotency_key=key).count() == 1
    target.refresh_from_db()
    assert target.status == PassStatus.REDEEMED
    assert not page.errors, page.errors


def test_scan_page_opens_without_network_from_the_service_worker(phone, axe_check, world):
    _, passes, org, place, service, user = world
    target = passes[3]
    page = phone
    log_in(page, user.email, PASSWORD)
    page.goto("/pass/encaisser/")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the service worker, which keeps a copy
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    # Something changes on the server after the copy was kept…
    other = r.redeem(
        operator=org,
        place=place,
        service=service,
        items=[item(passes[0])],
        idempotency_key="au-comptoir-1",
        by=user,
    ).redemption

    page.context.set_offline(True)
    page.reload()
    assert page.get_by_role("heading", level=1).inner_text() == "Encaisser des pass"
    # … so the page shown offline is the copy from the device, not the server's.
    assert page.get_by_role("link", name=f"Reçu n° {other.pk}").count() == 0
    page.locator("#offline-banner").wait_for(state="visible")
    page.get_by_label("Numéro du pass (10 chiffres)").first.fill(target.serial)
    page.get_by_label("Code (10 caractères)").first.fill(code_of(target))
    key = page.locator("input[name='idempotency_key']").input_value()
    page.get_by_role("button", name="Vérifier les pass").click()
    page.locator(f"#offline-queue-list li[data-key='{key}'][data-state='pending']").wait_for()
    axe_check(page)

    page.context.set_offline(False)
    page.locator(f"#offline-queue-list li[data-key='{key}'][data-state='sent']").wait_for()
    assert Redemption.objects.filter(idempotency_key=key).count() == 1
    target.refresh_from_db()
    assert target.status == PassStatus.REDEEMED
    page.reload()  # online: the server's page again
    assert page.get_by_role("link", name=f"Reçu n° {other.pk}").count() == 1
    assert not page.errors, page.errors


def test_copy_of_the_page_is_forgotten_once_logged_out(phone, world):
    user = world[-1]
    page = phone
    log_in(page, user.email, PASSWORD)
    page.goto("/pass/encaisser/")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    cached = (
        "() => caches.open('passnum-scan-v1').then((c) => c.keys())"
        ".then((keys) => keys.map((k) => new URL(k.url).pathname))"
    )
    assert "/pass/encaisser/" in page.evaluate(cached)

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    page.goto("/pass/encaisser/")  # redirected to the login page
    assert "/compte/connexion/" in page.url
    assert "/pass/encaisser/" not in page.evaluate(cached)
    assert not page.errors, page.errors
