"""Places and catalogue pages in real Chromium (strict CSP, axe-core)."""

import pytest
from playwright.sync_api import expect

from core.tests.browser import log_in
from geo.models import Commune
from operators.models import OperatorProfile, Place, Service
from organisations.models import Organisation, Role
from passnum.testing import PASSWORD, make_member, make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_declares_a_place_and_a_service(page, axe_check, browser_errors):
    Commune.objects.create(insee_code="93001", name="Aubervilliers", department="93")
    operator = make_org("Assoc Clic", kind=Organisation.Kind.OPERATOR)
    OperatorProfile.objects.create(organisation=operator)
    admin = make_member(operator, role=Role.ADMIN)
    log_in(page, admin.user.email, PASSWORD)

    page.goto(f"/operateurs/{operator.pk}/lieux/")
    expect(page.get_by_text("Aucun lieu déclaré pour l'instant.")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Nouveau lieu").click()
    page.get_by_label("Nom du lieu").fill("Espace numérique des Tilleuls")
    page.locator("#id_address").fill("1 rue de la Paix")
    page.get_by_label("Code postal").fill("93300")
    page.get_by_label("Code INSEE de la commune").fill("93001")
    page.get_by_label("Horaires d'ouverture (format OpenStreetMap)").fill("Lu 9h-12h")
    page.get_by_role("textbox", name="Téléphone").fill("01 23 45 67 89")
    page.get_by_label("Aide aux démarches administratives").check()
    page.get_by_label("Conseillers numériques").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("Rien n'a été enregistré")
    expect(page.get_by_text("Horaires illisibles : « Lu »", exact=False)).to_be_visible()
    axe_check(page)
    assert not Place.objects.exists()

    page.get_by_label("Horaires d'ouverture (format OpenStreetMap)").fill(
        "Mo-Fr 09:00-12:00,14:00-18:00; PH off"
    )
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Le lieu « Espace numérique des Tilleuls » est créé")).to_be_visible()
    expect(page.get_by_role("cell", name="Mo-Fr 09:00-12:00,14:00-18:00; PH off")).to_be_visible()
    axe_check(page)
    place = Place.objects.get()
    assert place.phone == "+33123456789"
    assert place.national_programmes == ["conseillers-numeriques"]

    page.get_by_role("link", name="Catalogue de services").click()
    expect(page.get_by_text("Le catalogue est vide.", exact=False)).to_be_visible()
    page.get_by_role("link", name="Nouveau service").click()
    axe_check(page)
    page.get_by_label("Intitulé").fill("Atelier smartphone")
    page.get_by_label("Thème (schéma national)").select_option("maitrise-des-outils-numeriques")
    page.get_by_label("Collectif (atelier)").check()
    page.get_by_label("Prix en pass").fill("2")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("cell", name="Atelier smartphone", exact=True)).to_be_visible()
    axe_check(page)
    service = Service.objects.get()
    assert service.is_collective and service.price_in_passes == 2
    assert browser_errors == []
