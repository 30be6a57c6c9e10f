"""The prescriber's whole journey in Chromium (issue acceptance): log in, run the diagnostic for
a new person, hand out 5 passes, download the orientation letter whose text names the suggested
places; axe-core finds no serious or critical violation on each page."""

import io
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect
from pypdf import PdfReader

from core.tests.browser import log_in
from ledger.models import Pass, PassStatus
from organisations.models import Role
from passnum.testing import PASSWORD, make_member, make_user

from .helpers import places_nearby, prescriber_with_stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_diagnostic_hand_out_and_letter(page, axe_check, browser_errors):
    cache.clear()
    c = prescriber_with_stock()
    places = places_nearby()
    user = make_user()
    make_member(c.prescriber, Role.ADMIN, user=user)
    booklet = c.booklets()[0]

    log_in(page, user.email, PASSWORD)
    page.goto(f"/organisations/{c.prescriber.pk}/")
    page.get_by_role("link", name="Personnes accompagnées").click()
    page.get_by_role("link", name="Nouvelle personne : fiche et diagnostic").click()
    axe_check(page)
    page.get_by_label("Tranche d'âge").select_option(label="18 à 24 ans")
    page.get_by_label("Situation").select_option(label="Sans emploi")
    page.get_by_label("Niveau de diplôme").select_option(label="Sans diplôme")
    page.get_by_label("Commune de résidence (code INSEE)").fill(places[0].commune_id)
    page.get_by_label("Habite un quartier prioritaire (QPV)").select_option(label="Non")
    for key, answer in [
        ("1.", "Seulement un téléphone"),
        ("2.", "Seulement sur le téléphone"),
        ("3.", "Oui, seul(e)"),
        ("4.", "Oui, avec de l'aide"),
        ("5.", "Non, jamais"),
        ("6.", "Oui, seul(e)"),
        ("7.", "Non, jamais"),
        ("8.", "Non, jamais"),
    ]:
        group = page.get_by_role("group", name=re.compile(rf"^{re.escape(key)} "))
        group.get_by_label(answer, exact=True).check()
    page.get_by_label("Chercher un emploi ou une formation").check()
    page.get_by_label("Trois à cinq").check()
    page.get_by_role("button", name="Enregistrer la fiche et le diagnostic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Personne B-"))
    reference = page.get_by_role("heading", level=1).inner_text().removeprefix("Personne ")
    axe_check(page)

    # Hand out 5 passes of the booklet, the person already chosen.
    page.get_by_role("link", name=f"Remettre des pass à {reference}").click()
    expect(page.get_by_label("Référence du bénéficiaire (facultative)")).to_have_value(reference)
    axe_check(page)
    page.get_by_label("Ou : numéro du carnet").fill(booklet.serial)
    page.get_by_label("Nombre de pass à remettre").fill("5")
    page.get_by_role("button", name="Remettre les pass").click()
    page.wait_for_load_state()
    axe_check(page)
    handed = Pass.objects.filter(beneficiary__reference=reference, status=PassStatus.DISTRIBUTED)
    assert handed.count() == 5

    # The orientation letter names the suggested places.
    page.goto(f"/orientation/{c.prescriber.pk}/suivi/")
    axe_check(page)
    with page.expect_download() as info:
        page.get_by_role("link", name=f"Télécharger la lettre de {reference}").click()
    with open(info.value.path(), "rb") as handle:
        text = " ".join(PdfReader(io.BytesIO(handle.read())).pages[0].extract_text().split())
    assert "Vous avez 5 pass" in text
    assert any(place.name in text for place in places)
    errors = [e for e in browser_errors if "ERR_ABORTED" not in e]
    assert not errors, "\n".join(errors)
