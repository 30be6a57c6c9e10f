"""In Chromium: the issuer's finance member issues an invoice (second factor asked first), the
funder reads its « Facturation » page, the statement of account and the co-financing report;
axe-core finds no serious or critical violation on any page."""

import pytest
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def billing_world(transactional_db):
    from django.core.cache import cache
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ledger.tests import factories
    from organisations.models import Role
    from passnum.testing import PASSWORD, make_member

    from .helpers import finance_member

    cache.clear()
    order = factories.order(booklets=3)
    finance = finance_member(order.issuer).user
    device = TOTPDevice.objects.create(user=finance, name="test", confirmed=True)
    funder_user = make_member(order.funder, Role.MEMBER).user
    return order, finance, device, funder_user, PASSWORD


def test_invoice_issued_then_read_by_the_funder(page, axe_check, browser_errors, billing_world):
    from django_otp.oath import totp

    from invoicing.models import Invoice

    order, finance, device, funder_user, password = billing_world
    log_in(page, finance.email, password)
    page.goto(f"/organisations/{order.issuer_id}/")
    page.get_by_role("link", name="Facturation", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Facturation")
    expect(page.get_by_text("À émettre")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name=order.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.reference)
    axe_check(page)
    page.get_by_role("button", name="Émettre la facture").click()
    # The second factor first, then back to the order.
    expect(page.get_by_text("demande une authentification à deux facteurs")).to_be_visible()
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.reference)
    page.get_by_role("button", name="Émettre la facture").click()
    invoice = Invoice.objects.get()
    expect(page.get_by_text(f"Facture {invoice.number} émise")).to_be_visible()
    expect(page.locator("#facture")).to_contain_text("312,00")
    axe_check(page)
    screenshot(page, "invoicing-order-issuer")

    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, funder_user.email, password)
    page.goto(f"/facturation/{order.funder_id}/")
    expect(page.locator("#facturation")).to_contain_text(invoice.number)
    axe_check(page)
    screenshot(page, "invoicing-billing-funder")
    page.get_by_role("link", name=f"Rapport de cofinancement — {order.programme.name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cofinancement de l'État")
    expect(page.get_by_text("Aucun pass utilisé depuis le début du programme")).to_be_visible()
    page.get_by_label("Pass utilisés à partir du").fill("2030-05-01")
    page.get_by_label("jusqu'au (inclus)").fill("2030-04-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("alert")).to_contain_text("La période n'est pas valide")
    expect(page.get_by_text("La fin de la période précède son début.")).to_be_visible()
    axe_check(page)
    screenshot(page, "invoicing-cofinancing")
