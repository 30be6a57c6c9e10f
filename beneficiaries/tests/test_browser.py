"""In Chromium: a prescriber logs in, runs the diagnostic for a new person (record + ten
questions), reads the result; axe-core finds no serious or critical violation on each page."""

import re

import pytest
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def prescriber(transactional_db):
    from django.core.cache import cache

    from ledger.tests import factories
    from organisations.models import Organisation, Role
    from passnum.testing import PASSWORD, make_member, make_org

    from .helpers import qpv

    cache.clear()
    organisation = make_org("Centre social Les Tilleuls", kind=Organisation.Kind.PRESCRIBER)
    member = make_member(organisation, Role.MEMBER)
    town = factories.commune()
    qpv(town)
    return member.user, PASSWORD, organisation


def test_prescriber_runs_the_diagnostic(page, axe_check, browser_errors, prescriber):
    from beneficiaries.models import Beneficiary

    user, password, organisation = prescriber
    log_in(page, user.email, password)

    page.goto(f"/organisations/{organisation.pk}/")
    page.get_by_role("link", name="Personnes accompagnées").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personnes accompagnées")
    expect(page.get_by_text("Aucune personne pour l'instant")).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="Nouvelle personne : fiche et diagnostic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Nouvelle personne : fiche et diagnostic"
    )
    axe_check(page)
    screenshot(page, "beneficiaries-new")

    page.get_by_label("Tranche d'âge").select_option(label="18 à 24 ans")
    page.get_by_label("Situation").select_option(label="Sans emploi")
    page.get_by_label("Niveau de diplôme").select_option(label="Sans diplôme")
    page.get_by_label("Demandeur ou demandeuse d'emploi").check()
    page.get_by_label("Demandeur d'emploi depuis (mois, MM/AAAA)").fill("03/2026")
    page.get_by_label("Commune de résidence (code INSEE)").fill("93001")
    page.get_by_label("Habite un quartier prioritaire (QPV)").select_option(label="Oui")
    page.get_by_label("Code du quartier prioritaire (facultatif)").fill("QN09301M")
    # Contact details without consent are refused, in French, and nothing is saved.
    page.get_by_label("Téléphone (seulement avec son accord)").fill("06 12 34 56 78")
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
    expect(page.get_by_role("alert")).to_contain_text("La fiche n'est pas enregistrée")
    expect(page.get_by_text("qu'avec l'accord de la personne")).to_be_visible()
    assert Beneficiary.objects.count() == 0
    axe_check(page)

    page.get_by_label("La personne accepte d'être recontactée pour le suivi").check()
    page.get_by_role("button", name="Enregistrer la fiche et le diagnostic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Personne B-"))
    person = Beneficiary.objects.get()
    assert person.pic_eligible and person.qpv_id == "QN09301M"
    # 1 + 1 + 2 + 1 + 0 + 2 + 0 + 0 = 7 points: intermediate.
    expect(page.locator("#autonomy")).to_have_text("Intermédiaire (7 sur 16)")
    expect(page.get_by_text("Insertion professionnelle via le numérique")).to_be_visible()
    expect(page.locator("#pic")).to_have_text("oui")
    axe_check(page)
    screenshot(page, "beneficiaries-person")

    page.get_by_role("link", name="Modifier la fiche").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Modifier la fiche {person.reference}"
    )
    axe_check(page)
    page.get_by_label("Niveau de diplôme").select_option(label="Baccalauréat ou équivalent")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.locator("#pic")).to_have_text("non")

    page.get_by_role("link", name="Retour aux personnes accompagnées").click()
    expect(page.get_by_role("link", name=person.reference)).to_be_visible()
    axe_check(page)
    # A navigation may abort a sub-resource still loading (net::ERR_ABORTED): harmless.
    errors = [e for e in browser_errors if "ERR_ABORTED" not in e]
    assert not errors, "\n".join(errors)
