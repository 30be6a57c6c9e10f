"""The prescriber's stock page and the hand-out form in a real browser, under axe-core."""

import pytest
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot
from passnum.testing import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def prescriber_stock(transactional_db):
    from django.core.cache import cache

    from .test_custody_helpers import chain, down_to_prescriber

    cache.clear()  # login throttling
    c = chain(booklets=3)
    booklets = down_to_prescriber(c, c.booklets()[:2])
    # One more booklet on its way, waiting for the receipt.
    from ledger import custody

    t = custody.transfer_booklets(
        c.booklets()[2:], c.municipality, by=c.funder_user, from_holder=c.funder
    )
    custody.acknowledge_transfer(t, by=c.municipality_user)
    custody.transfer_booklets(
        c.booklets()[2:], c.prescriber, by=c.municipality_user, from_holder=c.municipality
    )
    return c, booklets


def test_prescriber_stock_and_hand_out(page, axe_check, browser_errors, prescriber_stock):
    from ledger.models import Pass, PassStatus

    c, booklets = prescriber_stock
    log_in(page, c.prescriber_user.email, PASSWORD)
    page.goto(f"/organisations/{c.prescriber.pk}/")
    page.get_by_role("link", name="Stock de carnets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stock de carnets")
    expect(page.get_by_role("cell", name=booklets[0].serial)).to_be_visible()
    expect(page.get_by_role("cell", name="en stock depuis 0 jour").first).to_be_visible()
    axe_check(page)
    screenshot(page, "stock-prescripteur")

    # Acknowledge the pending booklet.
    page.get_by_role("button", name="Accuser réception").click()
    expect(page.get_by_text("Réception de 1 carnet(s)")).to_be_visible()

    page.get_by_role("link", name="Remettre des pass à un bénéficiaire").click()
    axe_check(page)
    page.get_by_label("Ou : numéro du carnet").fill(booklets[0].serial)
    page.get_by_label("Nombre de pass à remettre").fill("3")
    page.get_by_role("button", name="Remettre les pass").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pass remis")
    reference = page.locator("#beneficiary-reference").inner_text()
    assert reference.startswith("B-")
    axe_check(page)
    screenshot(page, "remise-pass")
    assert (
        Pass.objects.filter(status=PassStatus.DISTRIBUTED, beneficiary__reference=reference).count()
        == 3
    )

    # An error is shown in French and changes nothing.
    page.get_by_role("link", name="Nouvelle remise").click()
    page.get_by_label("Ou : numéro du carnet").fill(booklets[0].serial)
    page.get_by_label("Nombre de pass à remettre").fill("9")
    page.get_by_role("button", name="Remettre les pass").click()
    expect(page.get_by_text("n'a plus que 7 pass en stock")).to_be_visible()
    axe_check(page)
    assert Pass.objects.filter(status=PassStatus.DISTRIBUTED).count() == 3
    assert browser_errors == []
