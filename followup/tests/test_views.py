"""The pages at work: forms that save through the services, bad input refused with a French
message and nothing saved, downloads, exports parsed back, and ``territory_followup``."""

import csv
import html
import io

import pytest
from django.urls import reverse

from core.exports import read_xlsx
from followup import queries, services
from followup.models import (
    ExperienceFeedback,
    FeedbackStatus,
    FollowupCommittee,
    SharingMeeting,
    TrainingAttendance,
    TrainingSession,
)
from journal.models import JournalEntry

from .helpers import PDF, committee, meeting, paris, pdf, stored_files, training

pytestmark = pytest.mark.django_db


def parse_csv(response) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


# --- Trainings ------------------------------------------------------------------------------


def test_hub_records_a_training_and_its_attendance(client, world):
    w = world
    client.force_login(w.hub_member)
    url = reverse("followup:training_new", args=[w.hub.pk])
    page = client.get(url)
    assert "Nouvelle session de formation" in page.content.decode()
    response = client.post(
        url,
        {
            "programme": w.programme.pk,
            "audience": "PRESCRIBERS",
            "title": "Prescrire le pass numérique",
            "starts_at": "2021-11-18T14:00",
            "duration_minutes": "180",
            "place": "Maison des associations",
            "trainer": "Hugo Francilin",
            "territories": [w.territory_a.pk, w.territory_b.pk],
        },
    )
    session = TrainingSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("followup:training", args=[w.hub.pk, session.pk])
    assert session.starts_at == paris(2021, 11, 18, 14, 0)  # typed in Paris time

    url = reverse("followup:training_attendance", args=[w.hub.pk, session.pk])
    page = html.unescape(client.get(url).content.decode())
    for name in ("CCAS d'Aubervilliers", "Centre social Les Passerelles", "CCAS de Saint-Denis"):
        assert name in page
    response = client.post(
        url,
        {
            "registered": [w.prescriber_a.pk, w.attached.pk, w.prescriber_b.pk],
            "attended": [w.prescriber_a.pk, w.prescriber_b.pk],
            "registered_names": "Mme Diallo",
            "attended_names": "Mme Diallo\nM. Martin",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("followup:training", args=[w.hub.pk, session.pk])).content.decode()
    # 4 present out of 5 expected (4 registered + 1 walk-in): 80 %.
    assert "taux de présence : <strong>80 %</strong>" in page

    # The export of the sessions, parsed back.
    rows = parse_csv(client.get(reverse("followup:trainings_export", args=[w.hub.pk, "csv"])))
    assert rows[0][:4] == ["Programme", "Intitulé", "Public", "Date"]
    assert rows[1][1:4] == ["Prescrire le pass numérique", "Prescripteurs", "18/11/2021 14:00"]
    assert rows[1][7] == "Aubervilliers, Saint-Denis"
    assert rows[1][8:] == ["4", "4", "5", "80"]
    xlsx = read_xlsx(
        client.get(reverse("followup:trainings_export", args=[w.hub.pk, "xlsx"])).content
    )
    assert xlsx[1][8:] == [4, 4, 5, 80]
    attendance = read_xlsx(
        client.get(
            reverse("followup:training_attendance_export", args=[w.hub.pk, session.pk, "xlsx"])
        ).content
    )
    assert len(attendance) == 1 + 5
    assert {r[2] or r[5] for r in attendance[1:]} == {
        "CCAS d'Aubervilliers",
        "Centre social Les Passerelles",
        "CCAS de Saint-Denis",
        "Mme Diallo",
        "M. Martin",
    }
    assert JournalEntry.objects.filter(action="EXPORT_DOWNLOADED").count() == 3


def test_training_form_refuses_bad_input(client, world):
    w = world
    client.force_login(w.hub_member)
    response = client.post(
        reverse("followup:training_new", args=[w.hub.pk]),
        {
            "programme": w.programme.pk,
            "audience": "PRESCRIBERS",
            "title": "x",
            "starts_at": "31/02/2021 25:00",
            "duration_minutes": "5",
            "trainer": "Hugo",
            "territories": [w.territory_c.pk],
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Rien n&#x27;a été enregistré" in page
    assert "Saisissez une date et une heure valides" in page
    assert "au moins 15 minutes" in page
    assert "Indiquez le lieu de la session" in page
    assert "Choisissez les territoires dans la liste." in page
    assert not TrainingSession.objects.exists()


def test_attendance_refuses_an_organisation_outside_the_list(client, world):
    w = world
    session = training(w)  # Aubervilliers only
    client.force_login(w.hub_member)
    response = client.post(
        reverse("followup:training_attendance", args=[w.hub.pk, session.pk]),
        {"registered": [w.prescriber_b.pk]},
    )
    assert response.status_code == 400
    assert "Choisissez les structures dans la liste" in response.content.decode()
    assert not TrainingAttendance.objects.exists()


def test_each_sees_its_own_slice_of_the_attendance(client, world):
    w = world
    session = training(w, territories=[w.territory_a, w.territory_b])
    services.set_training_attendance(
        session,
        registered=[w.prescriber_a, w.prescriber_b],
        attended=[w.prescriber_a],
        registered_names=["Mme Diallo"],
        by=w.hub_member,
        organisation=w.hub,
    )
    url = reverse("followup:training", args=[w.mun_a.pk, session.pk])
    client.force_login(w.mun_a_admin)
    page = client.get(url).content.decode()
    assert "CCAS d&#x27;Aubervilliers" in page
    assert "Saint-Denis</th>" not in page and "Mme Diallo" not in page
    client.force_login(w.prescriber_b_member)
    page = client.get(reverse("followup:training", args=[w.prescriber_b.pk, session.pk]))
    page = page.content.decode()
    assert "CCAS de Saint-Denis" in page and "Aubervilliers</th>" not in page


def test_trainings_list_is_paginated_and_filtered(client, world):
    w = world
    for i in range(27):
        training(w, title=f"Session {i:02d}")
    training(w, territories=[w.territory_b], audience="OPERATORS", title="Pour Saint-Denis")
    client.force_login(w.hub_member)
    url = reverse("followup:trainings", args=[w.hub.pk])
    page = client.get(url).content.decode()
    assert "Page 1 sur 2" in page
    page = client.get(url, {"territoire": w.territory_b.pk, "public": "OPERATORS"})
    assert "Pour Saint-Denis" in page.content.decode()
    assert "Session 01" not in page.content.decode()
    assert client.get(url, {"page": 2}).status_code == 200


# --- Référents ------------------------------------------------------------------------------


def test_municipality_admin_chooses_the_referents(client, world):
    w = world
    client.force_login(w.mun_a_admin)
    url = reverse("followup:referents", args=[w.mun_a.pk, w.territory_a.pk])
    page = client.get(url).content.decode()
    assert w.mun_a_member.email in page and w.mun_b_admin.email not in page
    response = client.post(url, {"referents": [w.mun_b_admin.pk]})
    assert response.status_code == 400
    assert not w.territory_a.referents.exists()
    response = client.post(url, {"referents": [w.mun_a_member.pk]})
    assert response.status_code == 302
    assert list(w.territory_a.referents.all()) == [w.mun_a_member]
    page = client.get(reverse("followup:territory", args=[w.mun_a.pk, w.territory_a.pk]))
    assert w.mun_a_member.email in page.content.decode()
    assert JournalEntry.objects.filter(action="REFERENT_CHANGED").count() == 1


# --- Retour d'expérience --------------------------------------------------------------------

FEEDBACK_POST = {
    "booklets_distributed": "60",
    "passes_distributed": "540",
    "people_reached": "180",
    "pic_people": "95",
    "qpv_people": "70",
    "prescribers_mobilised": "6",
    "operators_mobilised": "4",
    "what_worked": "Le CCAS a prescrit vite.",
    "difficulties": "Peu d'opérateurs le samedi.",
    "suggestions": "",
    "would_continue": "true",
}


def test_municipality_saves_a_draft_then_submits(client, world):
    w = world
    client.force_login(w.mun_a_member)
    url = reverse("followup:feedback", args=[w.mun_a.pk, w.territory_a.pk])
    assert "Enregistrer le brouillon" in client.get(url).content.decode()

    # Submitting an incomplete form saves the draft and says what is missing.
    response = client.post(url, {"passes_distributed": "540", "action": "submit"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "indiquez le nombre de personnes accompagnées" in page
    assert "Le brouillon, lui, est enregistré." in page
    assert ExperienceFeedback.objects.get().status == FeedbackStatus.DRAFT

    # Bad numbers: nothing changes.
    response = client.post(url, {**FEEDBACK_POST, "pic_people": "999", "action": "draft"})
    assert response.status_code == 400
    assert "dépasse celui des personnes accompagnées" in response.content.decode()
    assert ExperienceFeedback.objects.get().people_reached is None

    response = client.post(url, {**FEEDBACK_POST, "action": "submit"})
    assert response.status_code == 302
    feedback = ExperienceFeedback.objects.get()
    assert feedback.status == FeedbackStatus.SUBMITTED and feedback.would_continue is True
    page = client.get(url).content.decode()
    assert "Transmis" in page and "Enregistrer le brouillon" not in page

    # Frozen: a later post is refused and changes nothing.
    response = client.post(url, {**FEEDBACK_POST, "what_worked": "autre", "action": "draft"})
    assert response.status_code == 400
    assert "ne peut plus être modifié" in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.what_worked == "Le CCAS a prescrit vite."

    # The funder sees it, and exports it.
    client.force_login(w.funder_admin)
    page = client.get(reverse("followup:feedback", args=[w.funder.pk, w.territory_a.pk]))
    assert "Peu d&#x27;opérateurs le samedi." in page.content.decode()
    rows = read_xlsx(
        client.get(reverse("followup:feedbacks_export", args=[w.funder.pk, "xlsx"])).content
    )
    assert rows[1][1:4] == ["Aubervilliers", "93001", "Transmis"]
    assert rows[1][6:11] == [60, 540, 180, 95, 70]
    assert rows[1][-1] == "oui"


def test_a_draft_is_not_shown_to_the_funder(client, world):
    w = world
    services.save_feedback(
        w.territory_a,
        {"difficulties": "brouillon secret"},
        by=w.mun_a_member,
        organisation=w.mun_a,
    )
    client.force_login(w.funder_admin)
    page = client.get(reverse("followup:feedback", args=[w.funder.pk, w.territory_a.pk]))
    assert "brouillon secret" not in page.content.decode()
    assert queries.territory_followup(w.territory_a)["feedback"] is None


# --- Committees -----------------------------------------------------------------------------


def test_hub_records_a_committee_with_a_pdf(client, world, media):
    w = world
    client.force_login(w.hub_member)
    url = reverse("followup:committee_new", args=[w.hub.pk, w.territory_a.pk])
    form = {
        "held_at": "2021-12-07T10:00",
        "place": "Mairie d'Aubervilliers",
        "agenda": "Bilan",
        "minutes_text": "<p>Relevé</p><img src=x onerror=alert(1)>",
    }
    # A non-PDF is refused with a French message, and nothing is stored.
    fake = pdf("cr.pdf", b"<html>not a pdf</html>")
    response = client.post(url, {**form, "minutes_pdf": fake})
    assert response.status_code == 400
    assert "doit être un fichier PDF" in response.content.decode()
    assert not FollowupCommittee.objects.exists() and stored_files(media) == []

    response = client.post(url, {**form, "minutes_pdf": pdf()})
    assert response.status_code == 302
    obj = FollowupCommittee.objects.get()
    assert obj.minutes_html == "<p>Relevé</p>"
    response = client.post(
        reverse("followup:committee_attendance", args=[w.hub.pk, w.territory_a.pk, obj.pk]),
        {"present": [w.mun_a.pk, w.prescriber_a.pk], "names": "Mme l'adjointe"},
    )
    assert response.status_code == 302

    # The municipality reads it and downloads the PDF, as an attachment.
    client.force_login(w.mun_a_readonly)
    page = client.get(
        reverse("followup:committee", args=[w.mun_a.pk, w.territory_a.pk, obj.pk])
    ).content.decode()
    assert "Mme l&#x27;adjointe" in page and "<p>Relevé</p>" in page and "onerror" not in page
    response = client.get(
        reverse("followup:committee_minutes", args=[w.mun_a.pk, w.territory_a.pk, obj.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF
    rows = parse_csv(
        client.get(
            reverse("followup:committees_export", args=[w.mun_a.pk, w.territory_a.pk, "csv"])
        )
    )
    assert rows[1][:3] == ["Aubervilliers", "07/12/2021 10:00", "Mairie d'Aubervilliers"]
    assert rows[1][4] == "3" and rows[1][6] == "oui"


def test_no_pdf_download_when_there_is_none(client, world):
    w = world
    obj = committee(w)
    client.force_login(w.hub_member)
    url = reverse("followup:committee_minutes", args=[w.hub.pk, w.territory_a.pk, obj.pk])
    assert client.get(url).status_code == 404


# --- Sharing meetings -----------------------------------------------------------------------


def test_funder_records_a_sharing_meeting(client, world, media):
    w = world
    client.force_login(w.funder_admin)
    response = client.post(
        reverse("followup:meeting_new", args=[w.funder.pk]),
        {
            "programme": w.programme.pk,
            "topic": "Atteindre les publics PIC",
            "held_at": "2022-02-10T14:00",
            "is_remote": "on",
            "invited": [w.territory_a.pk, w.territory_b.pk],
            "minutes_text": "Douze territoires présents.",
        },
    )
    assert response.status_code == 302
    obj = SharingMeeting.objects.get()
    response = client.post(
        reverse("followup:meeting_presence", args=[w.funder.pk, obj.pk]),
        {"present": [w.territory_a.pk]},
    )
    assert response.status_code == 302
    rows = parse_csv(client.get(reverse("followup:meetings_export", args=[w.funder.pk, "csv"])))
    assert rows[1][1:8] == [
        "Atteindre les publics PIC",
        "10/02/2022 14:00",
        "À distance",
        "2",
        "1",
        "Aubervilliers",
        "oui",
    ]
    # A municipality sees the meeting it is invited to, and only its own line.
    client.force_login(w.mun_b_admin)
    page = client.get(reverse("followup:meeting", args=[w.mun_b.pk, obj.pk])).content.decode()
    assert "Saint-Denis" in page and "Aubervilliers —" not in page


# --- Territories list and export; territory_followup ----------------------------------------


def test_territories_list_and_export(client, world):
    w = world
    services.set_referents(w.territory_a, [w.mun_a_admin], by=w.mun_a_admin, organisation=w.mun_a)
    training(w, territories=[w.territory_a, w.territory_b])
    committee(w)
    meeting(w, invited=[w.territory_a])
    client.force_login(w.hub_member)
    page = client.get(reverse("followup:territories", args=[w.hub.pk])).content.decode()
    assert "Aubervilliers" in page and "Saint-Denis" in page and "Évry" not in page
    page = client.get(reverse("followup:territories", args=[w.hub.pk]), {"q": "denis"})
    assert "Aubervilliers</a>" not in page.content.decode()
    rows = read_xlsx(
        client.get(reverse("followup:territories_export", args=[w.hub.pk, "xlsx"])).content
    )
    assert rows[0][1] == "Commune"
    by_commune = {r[1]: r for r in rows[1:]}
    assert set(by_commune) == {"Aubervilliers", "Saint-Denis"}
    a = by_commune["Aubervilliers"]
    assert a[4] == w.mun_a_admin.email and a[5] == 700
    assert a[7:] == [1, 1, 1, "Non commencé"]
    assert by_commune["Saint-Denis"][7:] == [1, 0, 0, "Non commencé"]
    rows = parse_csv(client.get(reverse("followup:territories_export", args=[w.hub.pk, "csv"])))
    assert len(rows) == 3
    assert (
        client.get(reverse("followup:territories_export", args=[w.hub.pk, "pdf"])).status_code
        == 404
    )


def test_municipality_lands_on_its_territory_and_sees_no_other(client, world):
    w = world
    client.force_login(w.mun_b_admin)
    response = client.get(reverse("followup:territories", args=[w.mun_b.pk]))
    assert response["Location"] == reverse(
        "followup:territory", args=[w.mun_b.pk, w.territory_b.pk]
    )
    rows = read_xlsx(
        client.get(reverse("followup:territories_export", args=[w.mun_b.pk, "xlsx"])).content
    )
    assert [r[1] for r in rows[1:]] == ["Saint-Denis"]


def test_territory_followup_gathers_everything(world, media):
    w = world
    w.mun_a_admin.first_name, w.mun_a_admin.last_name, w.mun_a_admin.phone = (
        "Rachida",
        "Référente",
        "01 48 39 52 00",
    )
    w.mun_a_admin.save()
    services.set_referents(w.territory_a, [w.mun_a_admin], by=w.mun_a_admin, organisation=w.mun_a)
    session = training(w, territories=[w.territory_a, w.territory_b])
    services.set_training_attendance(
        session,
        registered=[w.prescriber_a, w.prescriber_b],
        attended=[w.prescriber_a, w.prescriber_b, w.operator_a],
        by=w.hub_member,
        organisation=w.hub,
    )
    obj = committee(w, text="Relevé", upload=pdf())
    services.set_committee_attendance(
        obj, present=[w.hub, w.mun_a], names=["Mme l'adjointe"], by=w.hub_member, organisation=w.hub
    )
    m = meeting(w)
    services.set_meeting_presence(
        m, present=[w.territory_a], by=w.funder_admin, organisation=w.funder
    )
    draft = services.save_feedback(
        w.territory_a,
        {
            "passes_distributed": 540,
            "people_reached": 180,
            "pic_people": 95,
            "prescribers_mobilised": 6,
            "operators_mobilised": 4,
            "what_worked": "Le CCAS.",
            "difficulties": "Le samedi.",
            "would_continue": False,
        },
        by=w.mun_a_member,
        organisation=w.mun_a,
    )
    services.submit_feedback(draft, by=w.mun_a_member, organisation=w.mun_a)

    data = queries.territory_followup(w.territory_a)
    assert data["territory"] == {
        "id": w.territory_a.pk,
        "commune": "Aubervilliers",
        "insee_code": "93001",
        "municipality": "Ville d'Aubervilliers",
        "programme": "Pass numérique Grand Paris 2021",
        "booklets_allocated": 700,
        "joined_on": w.territory_a.joined_on,
        "is_pilot": True,
    }
    assert data["referents"] == [
        {"name": "Rachida Référente", "email": w.mun_a_admin.email, "phone": "01 48 39 52 00"}
    ]
    [t] = data["trainings"]
    assert (t["title"], t["audience"], t["audience_label"]) == (
        "Prescrire le pass numérique",
        "PRESCRIBERS",
        "Prescripteurs",
    )
    assert t["starts_at"] == paris(2021, 11, 18, 14, 0) and t["duration_minutes"] == 180
    assert (t["registered"], t["attended"], t["attendees"], t["attendance_rate"]) == (2, 3, 3, 100)
    # Of those, Aubervilliers' own: the CCAS (registered, present) and the operator (present).
    assert (t["local_registered"], t["local_attended"]) == (1, 2)
    [c] = data["committees"]
    assert c["held_at"] == paris(2021, 12, 7, 10, 0)
    assert c["has_minutes"] and c["has_minutes_pdf"] and c["minutes_html"] == "<p>Relevé</p>"
    assert c["attended"] == 3
    assert c["attendees"] == ["Hub Francil'IN", "Ville d'Aubervilliers", "Mme l'adjointe"]
    fb = data["feedback"]
    assert fb["status"] == "SUBMITTED" and fb["would_continue"] is False
    assert (fb["passes_distributed"], fb["people_reached"], fb["pic_people"]) == (540, 180, 95)
    assert fb["qpv_people"] is None and fb["submitted_at"] is not None
    assert data["sharing_meetings"] == [
        {
            "id": m.pk,
            "topic": "Atteindre les publics PIC",
            "held_at": paris(2022, 3, 15, 9, 30),
            "where": "À distance",
            "present": True,
        }
    ]
    # Saint-Denis: the same training, no committee, no feedback, invited but absent.
    other = queries.territory_followup(w.territory_b)
    assert other["referents"] == [] and other["committees"] == [] and other["feedback"] is None
    assert other["trainings"][0]["local_attended"] == 1
    assert other["sharing_meetings"][0]["present"] is False
