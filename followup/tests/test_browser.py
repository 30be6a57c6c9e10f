"""In Chromium: the hub records a training and its attendance; the municipality fills in its
retour d'expérience, saves a draft, then submits it. axe-core finds no serious or critical
violation on each page."""

import re

import pytest
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot
from passnum.testing import PASSWORD

pytestmark = pytest.mark.browser


def test_hub_records_a_training_with_attendance(page, axe_check, browser_errors, live_world):
    from followup.models import TrainingAttendance, TrainingSession

    w = live_world
    log_in(page, w.hub_member.email, PASSWORD)
    page.goto(f"/organisations/{w.hub.pk}/")
    page.get_by_role("link", name="Suivi des territoires").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivi des territoires")
    expect(page.get_by_role("link", name="Aubervilliers")).to_be_visible()
    axe_check(page)
    screenshot(page, "followup-territories")

    page.goto(f"/organisations/{w.hub.pk}/")
    page.get_by_role("link", name="Formations", exact=True).click()
    expect(page.get_by_text("Aucune session de formation pour l'instant.")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Nouvelle session de formation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle session de formation")
    axe_check(page)

    # A missing place is refused in French, and nothing is saved.
    page.get_by_label("Prescripteurs").check()
    page.get_by_label("Intitulé").fill("Prescrire le pass numérique")
    page.get_by_label("Date et heure (heure de Paris)").fill("2021-11-18T14:00")
    page.get_by_label("Durée (minutes)").fill("180")
    page.get_by_label("Formateur ou formatrice").fill("Hugo Francilin")
    page.get_by_role("checkbox", name=re.compile("^Aubervilliers")).check()
    page.get_by_role("checkbox", name=re.compile("^Saint-Denis")).check()
    page.get_by_role("button", name="Enregistrer la session").click()
    expect(page.get_by_role("alert")).to_contain_text("Rien n'a été enregistré")
    expect(page.get_by_text("Indiquez le lieu de la session")).to_be_visible()
    assert TrainingSession.objects.count() == 0
    axe_check(page)

    page.get_by_label("Lieu").fill("Maison des associations, Aubervilliers")
    page.get_by_role("button", name="Enregistrer la session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prescrire le pass numérique")
    expect(page.get_by_text("18/11/2021 14:00 (heure de Paris)")).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="Inscriptions et présences").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inscriptions et présences")
    axe_check(page)
    page.get_by_label("Inscrite : CCAS d'Aubervilliers").check()
    page.get_by_label("Présente : CCAS d'Aubervilliers").check()
    page.get_by_label("Inscrite : CCAS de Saint-Denis").check()
    page.get_by_label("Présente : Clic Solidaire Aubervilliers").check()
    page.get_by_label("Personnes présentes sans compte (une par ligne)").fill("Mme Awa Diallo")
    screenshot(page, "followup-training-attendance")
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.get_by_role("status")).to_contain_text("Les inscriptions et présences sont")
    # 3 present (CCAS, the operator, Mme Diallo) out of 4 expected: 75 %.
    expect(page.locator(".followup-rate")).to_contain_text("taux de présence : 75 %")
    expect(page.get_by_role("row", name=re.compile("Mme Awa Diallo"))).to_be_visible()
    axe_check(page)
    screenshot(page, "followup-training")
    assert TrainingAttendance.objects.filter(attended=True).count() == 3
    assert browser_errors == []


def test_municipality_fills_in_and_submits_its_feedback(
    page, axe_check, browser_errors, live_world
):
    from followup.models import ExperienceFeedback, FeedbackStatus

    w = live_world
    log_in(page, w.mun_a_member.email, PASSWORD)
    page.goto(f"/organisations/{w.mun_a.pk}/")
    page.get_by_role("link", name="Suivi de notre territoire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivi du territoire : Aubervilliers")
    expect(page.get_by_text("Aucun référent n'est désigné.")).to_be_visible()
    axe_check(page)
    screenshot(page, "followup-territory")

    page.get_by_role("link", name="Remplir le retour d'expérience").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retour d'expérience : Aubervilliers")
    axe_check(page)
    page.get_by_label("Carnets confiés aux prescripteurs").fill("60")
    page.get_by_label("Pass remis aux publics").fill("540")
    page.get_by_label("Ce qui a fonctionné").fill("Les permanences au centre social.")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("status")).to_contain_text("Le brouillon du retour d'expérience")
    assert ExperienceFeedback.objects.get().status == FeedbackStatus.DRAFT

    # Submitting an incomplete form says what is missing; the draft stays.
    page.get_by_role("button", name="Transmettre le retour d'expérience").click()
    expect(page.get_by_role("alert")).to_contain_text("indiquez le nombre de personnes")
    axe_check(page)

    page.get_by_label("Personnes accompagnées").fill("180")
    page.get_by_label("Dont publics PIC").fill("95")
    page.get_by_label("Dont habitants des quartiers prioritaires (QPV)").fill("70")
    page.get_by_label("Structures prescriptrices mobilisées").fill("6")
    page.get_by_label("Opérateurs mobilisés").fill("4")
    page.get_by_label("Les difficultés rencontrées").fill("Peu de créneaux le samedi.")
    page.get_by_label("Vos suggestions").fill("Une formation de rappel à six mois.")
    page.get_by_role("radio", name="Oui").check()
    screenshot(page, "followup-feedback-form")
    page.get_by_role("button", name="Transmettre le retour d'expérience").click()
    expect(page.get_by_role("status")).to_contain_text("transmis au commanditaire")
    expect(page.get_by_text("Il ne peut plus être modifié.")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer le brouillon")).to_have_count(0)
    axe_check(page)
    screenshot(page, "followup-feedback-submitted")
    feedback = ExperienceFeedback.objects.get()
    assert feedback.status == FeedbackStatus.SUBMITTED and feedback.people_reached == 180
    assert browser_errors == []


def test_hub_records_a_committee_and_the_funder_a_sharing_meeting(
    page, axe_check, browser_errors, live_world, media
):
    from followup.models import CommitteeAttendance, FollowupCommittee, SharingMeeting

    from .helpers import PDF

    w = live_world
    log_in(page, w.hub_member.email, PASSWORD)
    page.goto(f"/suivi/{w.hub.pk}/territoires/{w.territory_a.pk}/")
    page.get_by_role("link", name="Nouveau comité de suivi").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nouveau comité de suivi")
    axe_check(page)
    page.get_by_label("Date et heure (heure de Paris)").fill("2021-12-07T10:00")
    page.get_by_label("Lieu").fill("Mairie d'Aubervilliers")
    page.get_by_label("Ordre du jour").fill("Lancement du déploiement")
    page.get_by_label(re.compile(r"^Compte rendu\s*:?$")).fill(
        "<h3>Relevé de décisions</h3><ul><li>Relancer le CCAS</li></ul><script>x()</script>"
    )
    page.get_by_label("Compte rendu en PDF (facultatif)").set_input_files(
        files=[{"name": "cr.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Enregistrer le comité").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Comité de suivi du 07/12/2021")
    expect(page.get_by_role("heading", name="Relevé de décisions")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Télécharger le compte rendu"))).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Enregistrer les présences").click()
    axe_check(page)
    page.get_by_role("checkbox", name=re.compile("^Ville d.Aubervilliers")).check()
    page.get_by_role("checkbox", name=re.compile("^CCAS d.Aubervilliers")).check()
    page.get_by_label("Autres personnes présentes (une par ligne)").fill("Mme l'adjointe")
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.get_by_text("Mme l'adjointe")).to_be_visible()
    screenshot(page, "followup-committee")
    committee = FollowupCommittee.objects.get()
    assert "script" not in committee.minutes_html and committee.minutes_file
    assert CommitteeAttendance.objects.count() == 3

    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, w.funder_admin.email, PASSWORD)
    page.goto(f"/suivi/{w.funder.pk}/rencontres/")
    expect(page.get_by_text("Aucune réunion de partage d'expérience")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Nouvelle réunion").click()
    axe_check(page)
    page.get_by_label("Thème").fill("Atteindre les publics PIC")
    page.get_by_label("Date et heure (heure de Paris)").fill("2022-02-10T14:00")
    page.get_by_label("À distance").check()
    page.get_by_role("checkbox", name=re.compile("^Aubervilliers")).check()
    page.get_by_role("checkbox", name=re.compile("^Saint-Denis")).check()
    page.get_by_role("button", name="Enregistrer la réunion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Atteindre les publics PIC")
    page.get_by_role("link", name="Enregistrer les présences").click()
    page.get_by_role("checkbox", name=re.compile("^Aubervilliers")).check()
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.get_by_text("1 présent sur 2 invités")).to_be_visible()
    axe_check(page)
    screenshot(page, "followup-meeting")
    assert SharingMeeting.objects.get().invitees.filter(present=True).count() == 1

    # The funder deletes the meeting, after a confirmation page that says what will be lost.
    page.get_by_role("link", name="Supprimer la réunion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Supprimer la réunion du 10/02/2022 ?"
    )
    expect(page.get_by_text("2 territoires invités, dont 1 présent")).to_be_visible()
    axe_check(page)
    screenshot(page, "followup-meeting-delete")
    page.get_by_role("button", name="Supprimer la réunion").click()
    expect(page.get_by_role("status")).to_contain_text("supprimée")
    expect(page.get_by_text("Aucune réunion de partage d'expérience")).to_be_visible()
    assert not SharingMeeting.objects.exists()

    page.goto(f"/suivi/{w.funder.pk}/")
    axe_check(page)
    screenshot(page, "followup-territories-funder")
    assert browser_errors == []
