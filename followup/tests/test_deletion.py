"""Deleting a training, a committee or a sharing meeting: who may (the editors; an administrator
once someone was recorded present), what goes (attendance, invitations, the minutes PDF, after
the commit only), the journal entry that keeps its description, and the pages (confirmation on
GET, deletion on POST, every role). Also the journal of feedback drafts and minutes downloads."""

from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.urls import reverse

from followup import queries, services
from followup.models import (
    CommitteeAttendance,
    FollowupCommittee,
    SharingMeeting,
    SharingMeetingTerritory,
    TrainingAttendance,
    TrainingSession,
)
from followup.services import FollowupError
from journal.models import JournalEntry
from organisations.models import Role
from passnum.testing import make_member

from .helpers import committee, meeting, pdf, stored_files, training

pytestmark = pytest.mark.django_db
Action = JournalEntry.Action


def _attend(w, session, *, present: bool):
    services.set_training_attendance(
        session,
        registered=[w.prescriber_a],
        attended=[w.prescriber_a] if present else [],
        by=w.hub_member,
        organisation=w.hub,
    )


def _committee_presence(w, obj):
    services.set_committee_attendance(
        obj, present=[w.mun_a], names=["Mme l'adjointe"], by=w.hub_member, organisation=w.hub
    )


def _snapshot() -> tuple:
    return (
        TrainingSession.objects.count(),
        TrainingAttendance.objects.count(),
        FollowupCommittee.objects.count(),
        CommitteeAttendance.objects.count(),
        SharingMeeting.objects.count(),
        SharingMeetingTerritory.objects.count(),
        JournalEntry.objects.count(),
    )


# --- Services -------------------------------------------------------------------------------


def test_a_training_without_presence_is_deleted_by_a_hub_member_and_journaled(world):
    w = world
    session = training(w, territories=[w.territory_a, w.territory_b])
    _attend(w, session, present=False)  # registered, nobody came: a cancelled session
    assert queries.territory_followup(w.territory_a)["trainings"]

    done = services.delete_training(session, by=w.hub_member, organisation=w.hub)

    assert not TrainingSession.objects.exists() and not TrainingAttendance.objects.exists()
    assert not TrainingSession.territories.through.objects.exists()
    entry = JournalEntry.objects.get(action=Action.TRAINING_DELETED)
    assert entry.details == done
    assert entry.organisation == w.hub and entry.actor == w.hub_member
    assert entry.object_id == str(session.pk)
    assert entry.details["description"] == (
        "Session « Prescrire le pass numérique » du 18/11/2021 14:00"
    )
    assert entry.details["territories"] == ["Aubervilliers", "Saint-Denis"]
    assert entry.details["rows"] == 1 and entry.details["present"] == 0
    assert queries.territory_followup(w.territory_a)["trainings"] == []


def test_a_training_with_someone_present_needs_a_hub_administrator(world):
    w = world
    session = training(w)
    _attend(w, session, present=True)
    before = _snapshot()
    with pytest.raises(FollowupError, match="seul un administrateur du hub"):
        services.delete_training(session, by=w.hub_member, organisation=w.hub)
    assert _snapshot() == before

    hub_admin = make_member(w.hub, Role.ADMIN).user
    assert services.deletion_refusal(session, by=hub_admin, organisation=w.hub) == ""
    done = services.delete_training(session, by=hub_admin, organisation=w.hub)
    assert done["present"] == 1
    assert not TrainingSession.objects.exists() and not TrainingAttendance.objects.exists()


def test_only_the_programme_hub_deletes_and_a_second_deletion_is_refused(world):
    w = world
    session = training(w)
    other_admin = make_member(w.other_hub, Role.ADMIN).user
    with pytest.raises(PermissionDenied):
        services.delete_training(session, by=other_admin, organisation=w.other_hub)
    with pytest.raises(PermissionDenied):
        services.delete_training(session, by=w.funder_admin, organisation=w.funder)
    assert TrainingSession.objects.filter(pk=session.pk).exists()
    services.delete_training(session, by=w.hub_member, organisation=w.hub)
    with pytest.raises(FollowupError, match="déjà été supprimée"):
        services.delete_training(session, by=w.hub_member, organisation=w.hub)
    assert JournalEntry.objects.filter(action=Action.TRAINING_DELETED).count() == 1


def test_a_committee_with_a_pdf_loses_its_file_only_after_the_commit(
    world, media, django_capture_on_commit_callbacks
):
    w = world
    obj = committee(w, upload=pdf("cr-comite.pdf"), text="<p>Relevé de décisions</p>")
    [stored] = stored_files(media)

    # A deletion rolled back keeps the row and the file.
    with pytest.raises(RuntimeError), transaction.atomic():
        services.delete_committee(obj, by=w.hub_member, organisation=w.hub)
        raise RuntimeError("rollback")
    assert FollowupCommittee.objects.filter(pk=obj.pk).exists() and stored.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        done = services.delete_committee(obj, by=w.hub_member, organisation=w.hub)
    assert not FollowupCommittee.objects.exists()
    assert stored.exists()  # not before the commit
    for callback in callbacks:
        callback()
    assert stored_files(media) == []
    assert done["description"] == "Comité de suivi de Aubervilliers du 07/12/2021 10:00"
    assert done["minutes_pdf"] == "cr-comite.pdf" and done["minutes_text"] is True
    entry = JournalEntry.objects.get(action=Action.COMMITTEE_DELETED)
    assert entry.details["territory"] == w.territory_a.pk
    assert queries.territory_followup(w.territory_a)["committees"] == []


def test_a_committee_with_presences_needs_a_hub_administrator(world):
    w = world
    obj = committee(w)
    _committee_presence(w, obj)
    before = _snapshot()
    with pytest.raises(FollowupError, match="présences sont enregistrées pour ce comité"):
        services.delete_committee(obj, by=w.hub_member, organisation=w.hub)
    assert _snapshot() == before
    with pytest.raises(PermissionDenied):
        services.delete_committee(obj, by=w.funder_admin, organisation=w.funder)
    hub_admin = make_member(w.hub, Role.ADMIN).user
    services.delete_committee(obj, by=hub_admin, organisation=w.hub)
    assert not CommitteeAttendance.objects.exists()


def test_a_meeting_is_deleted_with_its_invitations_and_its_pdf_after_commit(
    world, media, django_capture_on_commit_callbacks
):
    w = world
    m = meeting(w)
    services.save_meeting(
        m,
        programme=w.programme,
        data={"is_remote": True},
        invited=[w.territory_a, w.territory_b],
        minutes=services.MinutesInput(upload=pdf()),
        by=w.funder_admin,
        organisation=w.funder,
    )
    services.set_meeting_presence(
        m, present=[w.territory_a], by=w.funder_admin, organisation=w.funder
    )
    assert queries.territory_followup(w.territory_a)["sharing_meetings"]
    [stored] = stored_files(media)

    # A member of the funder may not delete a meeting with a territory present; an admin may.
    funder_member = make_member(w.funder, Role.MEMBER).user
    with pytest.raises(FollowupError, match="seul un administrateur du commanditaire"):
        services.delete_meeting(m, by=funder_member, organisation=w.funder)
    with pytest.raises(PermissionDenied):
        services.delete_meeting(m, by=w.other_funder_admin, organisation=w.other_funder)
    with django_capture_on_commit_callbacks(execute=True):
        done = services.delete_meeting(m, by=w.funder_admin, organisation=w.funder)
    assert not SharingMeeting.objects.exists() and not SharingMeetingTerritory.objects.exists()
    assert stored_files(media) == []
    assert done["description"] == "Réunion « Atteindre les publics PIC » du 15/03/2022 09:30"
    assert done["invited"] == ["Aubervilliers", "Saint-Denis"] and done["present"] == 1
    assert JournalEntry.objects.get(action=Action.SHARING_MEETING_DELETED).details == done
    assert queries.territory_followup(w.territory_a)["sharing_meetings"] == []


def test_saving_a_feedback_draft_is_journaled(world):
    w = world
    feedback = services.save_feedback(
        w.territory_a, {"passes_distributed": 540}, by=w.mun_a_member, organisation=w.mun_a
    )
    services.save_feedback(
        w.territory_a,
        {"passes_distributed": 540, "people_reached": 180},
        by=w.mun_a_member,
        organisation=w.mun_a,
    )
    first, second = JournalEntry.objects.filter(action=Action.FEEDBACK_DRAFT_SAVED).order_by("pk")
    assert first.object_id == str(feedback.pk) and first.organisation == w.mun_a
    assert first.details["event"] == "created"
    assert first.details["changed"] == ["passes_distributed"]
    assert second.details["event"] == "updated"
    assert second.details["changed"] == ["people_reached"]


# --- Pages ----------------------------------------------------------------------------------


def test_training_deletion_page_confirms_then_deletes(client, world):
    w = world
    session = training(w)
    client.force_login(w.hub_member)
    url = reverse("followup:training_delete", args=[w.hub.pk, session.pk])
    page = client.get(url)
    content = page.content.decode()
    assert page.status_code == 200
    assert "Supprimer la session du 18/11/2021 ?" in content
    assert "0 ligne d&#x27;inscription ou de présence, dont 0 présent" in content
    assert "button-danger" in content and "csrfmiddlewaretoken" in content
    assert TrainingSession.objects.exists()  # a GET deletes nothing

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("followup:trainings", args=[w.hub.pk])
    assert not TrainingSession.objects.exists()
    assert client.post(url).status_code == 404
    assert JournalEntry.objects.filter(action=Action.TRAINING_DELETED).count() == 1


def test_a_refused_deletion_says_why_and_changes_nothing(client, world):
    w = world
    session = training(w)
    _attend(w, session, present=True)
    client.force_login(w.hub_member)
    url = reverse("followup:training_delete", args=[w.hub.pk, session.pk])
    content = client.get(url).content.decode()
    assert "seul un administrateur du hub peut la supprimer" in content
    assert "Rien n'a été supprimé" not in unescape(content)  # nothing was tried yet
    assert "button-danger" not in content
    before = _snapshot()
    response = client.post(url)
    assert response.status_code == 400
    assert "seul un administrateur du hub peut la supprimer" in response.content.decode()
    assert "Rien n'a été supprimé" in unescape(response.content.decode())
    assert _snapshot() == before


def test_committee_deletion_page_lists_the_minutes_then_deletes(client, world, media):
    w = world
    obj = committee(w, upload=pdf("cr-comite.pdf"))
    client.force_login(w.hub_member)
    url = reverse("followup:committee_delete", args=[w.hub.pk, w.territory_a.pk, obj.pk])
    content = client.get(url).content.decode()
    assert "Supprimer le comité de suivi du 07/12/2021 ?" in content
    assert "le compte rendu en PDF « cr-comite.pdf »" in content
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("followup:committees", args=[w.hub.pk, w.territory_a.pk])
    assert not FollowupCommittee.objects.exists()
    assert client.post(url).status_code == 404


def test_meeting_deletion_page_confirms_then_deletes(client, world):
    w = world
    m = meeting(w)
    client.force_login(w.funder_admin)
    url = reverse("followup:meeting_delete", args=[w.funder.pk, m.pk])
    content = client.get(url).content.decode()
    assert "Supprimer la réunion du 15/03/2022 ?" in content
    assert "2 territoires invités, dont 0 présent" in content
    assert client.post(url).status_code == 302
    assert not SharingMeeting.objects.exists()
    assert client.post(url).status_code == 404


@pytest.mark.parametrize(
    "name,user_attr,organisation_attr,status",
    [
        ("training", "hub_readonly", "hub", 403),
        ("training", "funder_admin", "funder", 403),
        ("training", "mun_a_admin", "mun_a", 403),
        ("training", "other_hub_member", "other_hub", 404),
        ("training", "prescriber_a_member", "prescriber_a", 404),
        ("training", "mun_b_admin", "mun_a", 404),  # not a member of the organisation in the URL
        ("committee", "hub_readonly", "hub", 403),
        ("committee", "funder_admin", "funder", 403),
        ("committee", "mun_a_admin", "mun_a", 403),
        ("committee", "mun_b_admin", "mun_b", 404),
        ("committee", "other_hub_member", "other_hub", 404),
        ("meeting", "funder_readonly", "funder", 403),
        ("meeting", "hub_member", "hub", 403),
        ("meeting", "mun_a_admin", "mun_a", 403),
        ("meeting", "other_funder_admin", "other_funder", 404),
        ("meeting", "prescriber_a_member", "prescriber_a", 404),
    ],
)
def test_deletions_refused_by_role_change_nothing(
    client, world, name, user_attr, organisation_attr, status
):
    w = world
    objects = {"training": training(w), "committee": committee(w), "meeting": meeting(w)}
    obj = objects[name]
    organisation = getattr(w, organisation_attr)
    if name == "committee":
        url = reverse("followup:committee_delete", args=[organisation.pk, w.territory_a.pk, obj.pk])
    else:
        url = reverse(f"followup:{name}_delete", args=[organisation.pk, obj.pk])
    client.force_login(getattr(w, user_attr))
    before = _snapshot()
    assert client.post(url).status_code == status
    assert _snapshot() == before


def test_deletion_needs_the_csrf_token(world):
    w = world
    session = training(w)
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.hub_member)
    response = client.post(reverse("followup:training_delete", args=[w.hub.pk, session.pk]))
    assert response.status_code == 403
    assert TrainingSession.objects.exists()


def test_downloading_minutes_is_journaled(client, world, media):
    w = world
    obj = committee(w, upload=pdf("cr-comite.pdf"))
    client.force_login(w.mun_a_readonly)
    url = reverse("followup:committee_minutes", args=[w.mun_a.pk, w.territory_a.pk, obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = JournalEntry.objects.get(action=Action.MINUTES_DOWNLOADED)
    assert entry.actor == w.mun_a_readonly and entry.organisation == w.mun_a
    assert entry.object_type == "followup.FollowupCommittee" and entry.object_id == str(obj.pk)
    assert entry.details["file"] == "cr-comite.pdf"

    # No PDF: a 404, nothing journaled.
    m = meeting(w)
    client.force_login(w.funder_admin)
    minutes_url = reverse("followup:meeting_minutes", args=[w.funder.pk, m.pk])
    assert client.get(minutes_url).status_code == 404
    assert JournalEntry.objects.filter(action=Action.MINUTES_DOWNLOADED).count() == 1


def test_saving_a_draft_through_the_page_is_journaled(client, world):
    w = world
    client.force_login(w.mun_a_member)
    url = reverse("followup:feedback", args=[w.mun_a.pk, w.territory_a.pk])
    response = client.post(url, {"passes_distributed": "540", "action": "draft"})
    assert response.status_code == 302
    entry = JournalEntry.objects.get(action=Action.FEEDBACK_DRAFT_SAVED)
    assert entry.actor == w.mun_a_member and "passes_distributed" in entry.details["changed"]


def test_editing_or_marking_presence_on_a_deleted_item_is_refused_in_french(world):
    """Someone deletes while someone else still has the edit or attendance page open: the late
    save gets « déjà supprimé », not a server error, and nothing comes back."""
    w = world
    session, obj, gathering = training(w), committee(w), meeting(w)
    stale = {"session": session, "committee": obj, "meeting": gathering}
    services.delete_training(session, by=w.hub_member, organisation=w.hub)
    services.delete_committee(obj, by=w.hub_member, organisation=w.hub)
    services.delete_meeting(gathering, by=w.funder_admin, organisation=w.funder)
    before = _snapshot()
    with pytest.raises(FollowupError, match="déjà été supprimée"):
        services.save_training(
            stale["session"],
            programme=w.programme,
            territories=[w.territory_a],
            data={"title": "Titre changé", "is_remote": False, "place": "Mairie"},
            by=w.hub_member,
            organisation=w.hub,
        )
    with pytest.raises(FollowupError, match="déjà été supprimée"):
        _attend(w, stale["session"], present=True)
    with pytest.raises(FollowupError, match="déjà été supprimé"):
        _committee_presence(w, stale["committee"])
    with pytest.raises(FollowupError, match="déjà été supprimée"):
        services.set_meeting_presence(
            stale["meeting"], present=[w.territory_a], by=w.funder_admin, organisation=w.funder
        )
    assert _snapshot() == before
