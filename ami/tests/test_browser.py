"""In Chromium: a commune's referent opens the call from her workspace, creates the draft, fills
the sections, uploads the three PDFs and submits; axe-core finds no serious or critical
violation on each page, and the acknowledgement e-mail leaves with its receipt."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def open_call(transactional_db):
    from django.core.cache import cache
    from django.utils import timezone

    from .helpers import build_world

    cache.clear()
    now = timezone.now()
    # The clock runs: the deadline is 3 days, 4 hours and a half from now.
    return build_world(
        opens_at=now - timedelta(days=1), deadline=now + timedelta(days=3, hours=4, minutes=30)
    )


def test_a_commune_drafts_uploads_and_submits(page, axe_check, browser_errors, open_call):
    from django.core import mail

    from ami.models import Application, ApplicationStatus
    from passnum.testing import PASSWORD

    from .helpers import pdf_bytes

    world = open_call
    org = world.pantin.organisation
    log_in(page, world.pantin.user.email, PASSWORD)

    page.goto(f"/organisations/{org.pk}/")
    page.get_by_role("link", name="Candidater à un AMI").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Candidater à un AMI")
    axe_check(page)
    page.get_by_role("link", name=world.call.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(world.call.title)
    axe_check(page)
    page.get_by_role("button", name="Créer la candidature de Pantin").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Candidature de Pantin")
    expect(page.get_by_text("Il reste 3 jours et 4 heures pour déposer")).to_be_visible()
    axe_check(page)
    screenshot(page, "ami-draft")

    page.get_by_role("link", name="Remplir le dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier de candidature de Pantin")
    axe_check(page)
    for label, value in [
        ("Problématiques d'inclusion numérique de la commune", "Démarches abandonnées."),
        ("Diagnostic de la structuration des réseaux d'acteurs locaux", "Deux associations."),
        ("Adéquation des pass numériques à ces problématiques", "Parcours financés."),
        ("Moyens pour qu'au moins la moitié des pass atteigne les publics PIC", "Mission locale."),
        ("Référent : nom", "Nadia Référente"),
        ("Prescripteurs envisagés", "CCAS, mission locale."),
        ("Opérateurs envisagés", "Association Clic Solidaire."),
        ("Nombre de carnets souhaités", "300"),
    ]:
        page.get_by_label(label).fill(value)
    page.get_by_label("Conseiller numérique France Services demandé").select_option(label="Oui")
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page.get_by_text("Dossier enregistré.")).to_be_visible()

    # A text file renamed .pdf is refused with a clear message.
    page.get_by_label("Fichier PDF : Dossier de candidature").set_input_files(
        {"name": "dossier.pdf", "mimeType": "application/pdf", "buffer": b"pas un PDF"}
    )
    page.get_by_role("button", name="Déposer : Dossier de candidature").click()
    expect(page.get_by_text("Ce fichier n'est pas un PDF")).to_be_visible()
    for label in [
        "Dossier de candidature",
        "Courrier signé du Maire",
        "Délibération ou projet de délibération",
    ]:
        page.get_by_label(f"Fichier PDF : {label}").set_input_files(
            {"name": f"{label}.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(label)}
        )
        page.get_by_role("button", name=f"Déposer : {label}").click()
        expect(page.get_by_text(f"{label} : pièce déposée.")).to_be_visible()
    expect(page.get_by_text("Avant de déposer, il manque")).to_have_count(0)
    axe_check(page)
    screenshot(page, "ami-ready-to-submit")

    page.get_by_role("button", name="Déposer la candidature").click()
    expect(page.get_by_text("Un accusé de réception a été envoyé par e-mail.")).to_be_visible()
    expect(page.get_by_role("link", name="télécharger l'accusé de réception (PDF)")).to_be_visible()
    expect(page.get_by_role("button", name="Déposer la candidature")).to_have_count(0)
    axe_check(page)
    screenshot(page, "ami-submitted")

    application = Application.objects.get()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.documents.count() == 3
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments
    assert browser_errors == []


def test_the_funder_s_call_pages_and_the_hub_s_opinion(page, axe_check, browser_errors, open_call):
    """The funder's call list, form and call page; the hub's application page and opinion form:
    no serious or critical axe violation."""
    from ami.models import HubOpinion
    from passnum.testing import PASSWORD

    world = open_call
    application = world.submitted(world.montreuil)

    log_in(page, world.funder_admin.email, PASSWORD)
    page.goto(f"/organisations/{world.funder.pk}/")
    page.get_by_role("link", name="Appels à manifestation d'intérêt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appels à manifestation d'intérêt")
    axe_check(page)
    page.get_by_role("link", name="Nouvel appel").click()
    expect(page.get_by_label("Critères d'évaluation")).to_contain_text("La qualité du diagnostic")
    axe_check(page)
    page.goto(f"/ami/{world.funder.pk}/appels/{world.call.pk}/")
    expect(page.get_by_role("cell", name="3 / 3")).to_be_visible()
    axe_check(page)
    screenshot(page, "ami-funder-call")

    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, world.hub_user.email, PASSWORD)
    page.goto(f"/ami/{world.hub.pk}/appels/{world.call.pk}/")
    page.get_by_role("link", name="Montreuil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Candidature de Montreuil")
    axe_check(page)
    page.get_by_role("link", name="Rendre un avis").click()
    axe_check(page)
    page.get_by_label("Réservé").check()
    page.get_by_label("Motivation").fill("Réseau d'opérateurs encore mince.")
    page.get_by_role("button", name="Enregistrer l'avis").click()
    expect(page.get_by_text("Avis enregistré.")).to_be_visible()
    expect(page.get_by_text("Réseau d'opérateurs encore mince.")).to_be_visible()
    axe_check(page)
    screenshot(page, "ami-hub-opinion")
    assert HubOpinion.objects.get(application=application).verdict == "RESERVED"
    assert browser_errors == []
