"""Real Chromium: the follow-up page with the letter download, the public listing form and the
facilitators' page (axe-core: no serious or critical violation)."""

import io

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from core.tests.browser import log_in, screenshot
from organisations.models import Role
from passnum.testing import PASSWORD, make_member, make_user

from .helpers import hand_out, places_nearby, prescriber_with_stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_letter_download_and_facilitators_page(page, axe_check, browser_errors):
    c = prescriber_with_stock()
    places = places_nearby()
    beneficiary = hand_out(c, count=5)
    admin = make_user()
    make_member(c.prescriber, Role.ADMIN, user=admin)

    log_in(page, admin.email, PASSWORD)
    page.goto(f"/orientation/{c.prescriber.pk}/suivi/")
    assert page.get_by_role("heading", name="Suivi des personnes", level=1).is_visible()
    assert page.get_by_role("cell", name=beneficiary.reference, exact=True).is_visible()
    screenshot(page, "orientation-follow-up")
    axe_check(page)
    link = page.get_by_role("link", name=f"Télécharger la lettre de {beneficiary.reference}")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"lettre-orientation-{beneficiary.reference}.pdf"
    with open(download.path(), "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert len(reader.pages) == 1
    for place in places:
        assert place.name in text
    assert "Vous avez 5 pass" in text

    # The places search and the import page (its format documented).
    page.get_by_role("link", name="Chercher un lieu").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=places[0].name).is_visible()
    axe_check(page)
    page.goto(f"/orientation/{c.prescriber.pk}/import/")
    assert page.get_by_role("table", name="Colonnes attendues").is_visible()
    axe_check(page)

    # The structure opts in to the public page.
    page.goto(f"/orientation/{c.prescriber.pk}/fiche-publique/")
    axe_check(page)
    page.get_by_label("Figurer sur la page publique").check()
    page.get_by_label("Adresse d'accueil").fill("6 rue Charron")
    page.get_by_label("Téléphone d'accueil").fill("01 48 39 50 00")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    assert page.get_by_text("Elle figure sur la page publique.").is_visible()

    # Anyone (logged out) finds it by commune.
    page.context.clear_cookies()
    page.goto("/orientation/ou-obtenir-des-pass/")
    axe_check(page)
    page.get_by_label("Commune (nom, code postal ou code INSEE)").fill("Aubervilliers")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state()
    assert page.get_by_role("cell", name="CCAS d'Aubervilliers").is_visible()
    assert page.get_by_role("cell", name="01 48 39 50 00").is_visible()
    screenshot(page, "orientation-facilitators")
    axe_check(page)
    assert browser_errors == []
