"""Operator onboarding, then qualification by the issuer, in real Chromium (strict CSP kept),
with axe-core (no serious or critical violation) on each page."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from core.tests.browser import log_in
from operators.models import BankAccount, OperatorDocument, OperatorProfile, Qualification
from organisations.models import Organisation
from passnum.testing import PASSWORD, make_member, make_org, make_user

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def people(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    issuer = make_org("Émetteur APTIC", kind=Organisation.Kind.ISSUER)
    return {"applicant": make_user(), "reviewer": make_member(issuer).user, "issuer": issuer}


def log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()


def test_onboarding_then_qualification(page, axe_check, browser_errors, people):
    # 1. Onboarding: a logged-in user signs an operator up and completes the dossier.
    log_in(page, people["applicant"].email, PASSWORD)
    page.goto("/operateurs/inscription/")
    axe_check(page)
    page.get_by_label("SIRET").fill("775 672 272 00017")
    page.get_by_label("Nom de la structure").fill("Association Clic Solidaire")
    page.get_by_label("Catégorie juridique").select_option("ASSOCIATION")
    page.get_by_label("Code postal").fill("93300")
    page.get_by_label("Représentant légal (prénom et nom)").fill("Claire Martin")
    page.get_by_label("Qualité du représentant légal").fill("Présidente")
    page.get_by_role("button", name="Inscrire la structure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dossier d'opérateur de Association Clic Solidaire"
    )
    axe_check(page)
    operator = Organisation.objects.get(siret="77567227200017")

    page.get_by_role("link", name="Coordonnées bancaires").click()
    axe_check(page)
    page.get_by_label("Titulaire du compte").fill("Association Clic Solidaire")
    page.get_by_label("IBAN").fill("FR06 3000 6000 0112 3456 7890 188")  # wrong RIB key first
    page.get_by_label("BIC").fill("AGRIFRPP")
    page.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    expect(page.get_by_text("La clé RIB de cet IBAN est fausse")).to_be_visible()
    axe_check(page)  # the page with its errors
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    expect(page.get_by_text("Coordonnées bancaires enregistrées.")).to_be_visible()

    page.get_by_role("link", name="Questionnaire").click()
    axe_check(page)
    for fieldset in page.locator("fieldset").all():
        fieldset.get_by_label("Oui").check()
    page.get_by_label("Combien de médiateurs").fill("3")
    page.get_by_label("Décrivez votre activité").fill("Ateliers pour les seniors, 400 par an.")
    page.get_by_role("button", name="Enregistrer mes réponses").click()
    expect(page.get_by_text("Vos réponses au questionnaire sont enregistrées.")).to_be_visible()

    for kind, name in (("RIB", "rib.pdf"), ("STATUTES", "statuts.pdf")):
        page.get_by_label("Type de pièce").select_option(kind)
        page.get_by_label("Fichier").set_input_files(
            {"name": name, "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_role("button", name="Déposer la pièce").click()
        expect(page.get_by_text("La pièce est déposée.")).to_be_visible()
    expect(page.get_by_text("Le dossier est complet.")).to_be_visible()
    axe_check(page)
    assert BankAccount.objects.filter(operator=operator).count() == 1
    assert OperatorDocument.objects.filter(operator=operator).count() == 2
    log_out(page)

    # 2. Qualification by the issuer.
    log_in(page, people["reviewer"].email, PASSWORD)
    page.goto(f"/operateurs/{people['issuer'].pk}/candidatures/")
    axe_check(page)
    page.get_by_label("État").select_option("SUBMITTED")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="Association Clic Solidaire").click()
    expect(page.get_by_text("FR76 3000 6000 0112 3456 7890 189")).to_be_visible()
    axe_check(page)
    page.get_by_label("Décision").select_option("start_review")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("La décision est enregistrée.")).to_be_visible()
    page.get_by_label("Décision").select_option("qualify")
    page.get_by_label("N° de référencement (émetteur)").fill("APTIC-2021-0042")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator(".badge-success")).to_have_text("Qualifié")
    expect(page.get_by_text("APTIC-2021-0042", exact=True)).to_be_visible()
    axe_check(page)
    profile = OperatorProfile.objects.get(organisation=operator)
    assert profile.qualification == Qualification.QUALIFIED
    assert profile.reference_number == "APTIC-2021-0042"

    log_out(page)

    # 3. A change of bank details after qualification: two-factor authentication (set-up with a
    # QR code), then the operator goes back to review.
    log_in(page, people["applicant"].email, PASSWORD)
    page.goto(f"/operateurs/{operator.pk}/dossier/banque/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Activer l'authentification à deux facteurs"
    )
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    axe_check(page)
    device = TOTPDevice.objects.get(user=people["applicant"])
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordonnées bancaires")
    axe_check(page)
    page.get_by_label("Titulaire du compte").fill("Association Clic Solidaire")
    page.get_by_label("IBAN").fill("FR14 2004 1010 0505 0001 3M02 606")
    page.get_by_label("BIC").fill("PSSTFRPP")
    page.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    expect(page.get_by_text(re.compile("repasse en examen"))).to_be_visible()
    profile.refresh_from_db()
    assert profile.qualification == Qualification.IN_REVIEW
    assert BankAccount.objects.filter(operator=operator).count() == 2

    assert [e for e in browser_errors if "ERR_ABORTED" not in e] == []
