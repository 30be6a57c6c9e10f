"""Services: the rules, the constraints, the journal, and uploads that leave nothing behind."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from followup import services
from followup.models import (
    MINUTES_MAX_BYTES,
    CommitteeAttendance,
    ExperienceFeedback,
    FeedbackStatus,
    FollowupCommittee,
    SharingMeeting,
    TrainingAttendance,
    TrainingSession,
)
from followup.services import FollowupError, MinutesInput
from journal.models import JournalEntry
from organisations.models import Membership, Role
from passnum.testing import make_member

from .helpers import committee, meeting, paris, pdf, stored_files, training

pytestmark = pytest.mark.django_db
Action = JournalEntry.Action

COMPLETE_FEEDBACK = {
    "booklets_distributed": 60,
    "passes_distributed": 540,
    "people_reached": 180,
    "pic_people": 95,
    "qpv_people": 70,
    "prescribers_mobilised": 6,
    "operators_mobilised": 4,
    "what_worked": "Le CCAS et la mission locale ont prescrit très vite.",
    "difficulties": "Peu d'opérateurs ouverts le samedi.",
    "suggestions": "Une formation de rappel au bout de six mois.",
    "would_continue": True,
}


# --- Référents ------------------------------------------------------------------------------


def test_referents_are_active_members_and_journalled(world):
    w = world
    services.set_referents(w.territory_a, [w.mun_a_member], by=w.mun_a_admin, organisation=w.mun_a)
    assert list(w.territory_a.referents.all()) == [w.mun_a_member]
    entry = JournalEntry.objects.get(action=Action.REFERENT_CHANGED)
    assert entry.organisation == w.mun_a
    assert entry.details == {"before": [], "after": [w.mun_a_member.email]}

    # Someone of another municipality, or a deactivated member, cannot be référent.
    with pytest.raises(FollowupError, match="membre actif de la collectivité"):
        services.set_referents(
            w.territory_a, [w.mun_b_admin], by=w.mun_a_admin, organisation=w.mun_a
        )
    Membership.objects.filter(user=w.mun_a_readonly).update(
        is_active=False, deactivated_at=paris(2021, 1, 1)
    )
    with pytest.raises(FollowupError):
        services.set_referents(
            w.territory_a, [w.mun_a_readonly], by=w.mun_a_admin, organisation=w.mun_a
        )
    assert list(w.territory_a.referents.all()) == [w.mun_a_member]


def test_referents_only_by_the_municipality_admins(world):
    w = world
    with pytest.raises(PermissionDenied):
        services.set_referents(
            w.territory_a, [w.mun_a_member], by=w.mun_a_member, organisation=w.mun_a
        )
    with pytest.raises(PermissionDenied):
        services.set_referents(
            w.territory_a, [w.mun_a_member], by=w.mun_b_admin, organisation=w.mun_b
        )
    assert not w.territory_a.referents.exists()


# --- Trainings ------------------------------------------------------------------------------


def test_training_and_attendance(world):
    w = world
    session = training(w, territories=[w.territory_a, w.territory_b])
    assert session.territories.count() == 2
    rows = services.set_training_attendance(
        session,
        registered=[w.prescriber_a, w.attached, w.prescriber_b],
        attended=[w.prescriber_a, w.operator_a],  # the operator came without registering
        registered_names=["Mme Diallo", "  mme diallo "],
        attended_names=["Mme Diallo", "M. Martin"],
        by=w.hub_member,
        organisation=w.hub,
    )
    assert len(rows) == 6
    by_label = {r.label: (r.registered, r.attended) for r in TrainingAttendance.objects.all()}
    assert by_label == {
        "CCAS d'Aubervilliers": (True, True),
        "Centre social Les Passerelles": (True, False),
        "CCAS de Saint-Denis": (True, False),
        "Clic Solidaire Aubervilliers": (False, True),
        "Mme Diallo": (True, True),
        "M. Martin": (False, True),
    }
    entries = JournalEntry.objects.filter(action=Action.TRAINING_RECORDED).order_by("pk")
    assert [e.details["event"] for e in entries] == ["created", "attendance"]
    assert entries[1].details["attended"] == 4

    # Replaced as a whole the next time.
    services.set_training_attendance(
        session, registered=[w.prescriber_a], attended=[], by=w.hub_member, organisation=w.hub
    )
    assert TrainingAttendance.objects.count() == 1


def test_training_attendance_refuses_organisations_outside_the_territories(world):
    w = world
    session = training(w, territories=[w.territory_a])
    with pytest.raises(FollowupError, match="territoires concernés"):
        services.set_training_attendance(
            session,
            registered=[w.prescriber_a, w.prescriber_b],  # Saint-Denis is not concerned
            attended=[],
            by=w.hub_member,
            organisation=w.hub,
        )
    assert not TrainingAttendance.objects.exists()


def test_training_rules(world):
    w = world
    with pytest.raises(PermissionDenied):
        services.save_training(
            None,
            programme=w.programme,
            territories=[w.territory_a],
            data={"audience": "OPERATORS", "title": "x", "starts_at": paris(2021, 11, 1, 9)},
            by=w.other_hub_member,
            organisation=w.other_hub,
        )
    with pytest.raises(FollowupError, match="appartenir au programme"):
        training(w, territories=[w.territory_c])
    with pytest.raises(FollowupError, match="lieu"):
        services.save_training(
            None,
            programme=w.programme,
            territories=[w.territory_a],
            data={
                "audience": "OPERATORS",
                "title": "Référencer ses offres",
                "starts_at": paris(2021, 11, 1, 9),
                "duration_minutes": 60,
                "is_remote": False,
                "place": " ",
                "trainer": "Hugo",
            },
            by=w.hub_member,
            organisation=w.hub,
        )
    assert not TrainingSession.objects.exists()


def test_training_constraints_in_the_database(world):
    w = world
    session = training(w)
    for changes in (
        {"audience": "EVERYONE"},
        {"duration_minutes": 5},
        {"is_remote": False, "place": ""},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            TrainingSession.objects.filter(pk=session.pk).update(**changes)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingAttendance.objects.create(session=session)  # neither organisation nor name
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingAttendance.objects.create(
            session=session, person_name="X", registered=False, attended=False
        )
    TrainingAttendance.objects.create(session=session, organisation=w.prescriber_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingAttendance.objects.create(session=session, organisation=w.prescriber_a)
    TrainingAttendance.objects.create(session=session, person_name="Mme Diallo")
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingAttendance.objects.create(session=session, person_name="Mme Diallo")


# --- Committees -----------------------------------------------------------------------------


def test_committee_with_sanitised_minutes_and_pdf(world, media, django_capture_on_commit_callbacks):
    w = world
    obj = committee(
        w,
        text='<p onclick="x()">Relevé de décisions</p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">lien</a><ul><li>Relancer le CCAS</li></ul>',
        upload=pdf(),
    )
    assert "script" not in obj.minutes_html and "onclick" not in obj.minutes_html
    assert "javascript" not in obj.minutes_html
    assert "<li>Relancer le CCAS</li>" in obj.minutes_html
    assert obj.minutes_file.name.endswith(".pdf") and "compte-rendu" not in obj.minutes_file.name
    assert obj.minutes_file_size == len(pdf().read())
    assert len(stored_files(media)) == 1
    entry = JournalEntry.objects.get(action=Action.FOLLOWUP_MEETING_RECORDED)
    assert entry.details["minutes_pdf"] is True

    # Plain text keeps its paragraphs, escaped.
    with django_capture_on_commit_callbacks(execute=True):
        obj = services.save_committee(
            obj,
            territory=w.territory_a,
            data={"agenda": "Bilan", "held_at": obj.held_at, "is_remote": True, "place": ""},
            minutes=MinutesInput(
                text="Premier point <b\nDeuxième ligne\n\nSecond paragraphe", remove_pdf=True
            ),
            by=w.hub_member,
            organisation=w.hub,
        )
    assert "&lt;b" in obj.minutes_html
    assert obj.minutes_html.startswith("<p>Premier point")
    assert obj.minutes_html.count("<p>") == 2
    assert not obj.minutes_file
    assert stored_files(media) == []  # the removed PDF is deleted on commit


@pytest.mark.django_db(transaction=True)
def test_bad_uploads_are_refused_and_nothing_is_stored(world, media):
    w = world
    cases = [
        (pdf("faux.pdf", b"MZ\x90\x00 not a pdf at all"), "doit être un fichier PDF"),
        (pdf("vide.pdf", b""), "vide"),
        (pdf("gros.pdf", b"%PDF-" + b"0" * MINUTES_MAX_BYTES), "5 Mo au plus"),
    ]
    for upload, message in cases:
        with pytest.raises(FollowupError, match=message):
            committee(w, upload=upload)
    assert not FollowupCommittee.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_after_the_upload_removes_the_stored_pdf(world, media, monkeypatch):
    w = world

    def broken(*args, **kwargs):
        raise RuntimeError("journal indisponible")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        committee(w, upload=pdf())
    assert not FollowupCommittee.objects.exists()
    assert stored_files(media) == []


def test_committee_constraints_and_rules(world, media):
    w = world
    with pytest.raises(PermissionDenied):
        services.save_committee(
            None,
            territory=w.territory_a,
            data={"held_at": paris(2021, 12, 1, 10), "is_remote": True, "agenda": "x"},
            by=w.other_hub_member,
            organisation=w.other_hub,
        )
    with pytest.raises(FollowupError, match="ordre du jour"):
        services.save_committee(
            None,
            territory=w.territory_a,
            data={"held_at": paris(2021, 12, 1, 10), "is_remote": True, "agenda": " "},
            by=w.hub_member,
            organisation=w.hub,
        )
    obj = committee(w)
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowupCommittee.objects.filter(pk=obj.pk).update(minutes_file="x.pdf")  # no size
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowupCommittee.objects.filter(pk=obj.pk).update(
            minutes_file="x.pdf", minutes_file_size=MINUTES_MAX_BYTES + 1
        )


def test_committee_attendance(world):
    w = world
    obj = committee(w)
    services.set_committee_attendance(
        obj,
        present=[w.mun_a, w.hub, w.prescriber_a],
        names=["Mme la maire adjointe", ""],
        by=w.hub_member,
        organisation=w.hub,
    )
    assert CommitteeAttendance.objects.filter(committee=obj, attended=True).count() == 4
    with pytest.raises(FollowupError):
        services.set_committee_attendance(
            obj, present=[w.prescriber_b], by=w.hub_member, organisation=w.hub
        )
    assert CommitteeAttendance.objects.filter(committee=obj).count() == 4


# --- Retour d'expérience --------------------------------------------------------------------


def test_feedback_draft_then_submitted_then_frozen(world):
    w = world
    draft = services.save_feedback(
        w.territory_a, {"passes_distributed": 100}, by=w.mun_a_member, organisation=w.mun_a
    )
    assert draft.status == FeedbackStatus.DRAFT and draft.programme == w.programme
    with pytest.raises(FollowupError, match="le nombre de personnes accompagnées"):
        services.submit_feedback(draft, by=w.mun_a_member, organisation=w.mun_a)
    services.save_feedback(
        w.territory_a, COMPLETE_FEEDBACK, by=w.mun_a_member, organisation=w.mun_a
    )
    assert ExperienceFeedback.objects.count() == 1  # the same draft, updated
    submitted = services.submit_feedback(draft, by=w.mun_a_member, organisation=w.mun_a)
    assert submitted.status == FeedbackStatus.SUBMITTED
    assert submitted.submitted_by == w.mun_a_member and submitted.submitted_at
    entry = JournalEntry.objects.get(action=Action.FEEDBACK_SUBMITTED)
    assert entry.organisation == w.mun_a and entry.details["would_continue"] is True

    # Immutable once submitted: neither a new save nor a second submission.
    with pytest.raises(FollowupError, match="ne peut plus être modifié"):
        services.save_feedback(
            w.territory_a, {"difficulties": "autre"}, by=w.mun_a_admin, organisation=w.mun_a
        )
    with pytest.raises(FollowupError, match="ne peut plus être modifié"):
        services.submit_feedback(draft, by=w.mun_a_admin, organisation=w.mun_a)
    submitted.refresh_from_db()
    assert submitted.difficulties == COMPLETE_FEEDBACK["difficulties"]
    # Even past the service, the model refuses to save or delete it.
    submitted.difficulties = "réécrit"
    with pytest.raises(ExperienceFeedback.Frozen):
        submitted.save()
    with pytest.raises(ExperienceFeedback.Frozen):
        submitted.delete()
    assert JournalEntry.objects.filter(action=Action.FEEDBACK_SUBMITTED).count() == 1


def test_feedback_rules_and_constraints(world):
    w = world
    with pytest.raises(PermissionDenied):
        services.save_feedback(w.territory_a, {}, by=w.mun_b_admin, organisation=w.mun_b)
    with pytest.raises(PermissionDenied):
        services.save_feedback(w.territory_a, {}, by=w.hub_member, organisation=w.hub)
    with pytest.raises(FollowupError, match="publics PIC"):
        services.save_feedback(
            w.territory_a,
            {"people_reached": 10, "pic_people": 11},
            by=w.mun_a_member,
            organisation=w.mun_a,
        )
    assert not ExperienceFeedback.objects.exists()
    draft = services.save_feedback(
        w.territory_a, {"people_reached": 10}, by=w.mun_a_member, organisation=w.mun_a
    )
    # One per territory and programme.
    with pytest.raises(IntegrityError), transaction.atomic():
        ExperienceFeedback.objects.create(
            programme=w.programme, territory=w.territory_a, created_by=w.mun_a_member
        )
    # A submitted feedback is dated, signed and says whether the commune continues.
    with pytest.raises(IntegrityError), transaction.atomic():
        ExperienceFeedback.objects.filter(pk=draft.pk).update(status="SUBMITTED")
    with pytest.raises(IntegrityError), transaction.atomic():
        ExperienceFeedback.objects.filter(pk=draft.pk).update(qpv_people=11)


# --- Sharing meetings -----------------------------------------------------------------------


def test_meeting_invitations_and_presence(world, media):
    w = world
    obj = meeting(w)
    assert obj.invitees.count() == 2
    services.set_meeting_presence(
        obj, present=[w.territory_a], by=w.funder_admin, organisation=w.funder
    )
    # Editing keeps the presence of territories still invited.
    services.save_meeting(
        obj,
        programme=w.programme,
        data={"topic": "Atteindre les publics PIC et QPV", "is_remote": True},
        invited=[w.territory_a],
        minutes=MinutesInput(text="Compte rendu", upload=pdf()),
        by=w.funder_admin,
        organisation=w.funder,
    )
    obj.refresh_from_db()
    assert [(i.territory, i.present) for i in obj.invitees.all()] == [(w.territory_a, True)]
    assert obj.minutes_file and obj.minutes_html == "<p>Compte rendu</p>"
    with pytest.raises(FollowupError, match="invités"):
        services.set_meeting_presence(
            obj, present=[w.territory_b], by=w.funder_admin, organisation=w.funder
        )
    with pytest.raises(FollowupError, match="appartenir au programme"):
        meeting(w, invited=[w.territory_c])
    with pytest.raises(PermissionDenied):
        services.save_meeting(
            None,
            programme=w.programme,
            data={"topic": "x", "is_remote": True, "held_at": paris(2022, 1, 1, 10)},
            invited=[w.territory_a],
            by=w.hub_member,
            organisation=w.hub,
        )
    assert SharingMeeting.objects.count() == 1
    assert JournalEntry.objects.filter(action=Action.SHARING_MEETING_RECORDED).count() == 3


def test_readonly_members_are_not_writers(world):
    w = world
    # The services trust the views for roles, except for référents (admins only): a read-only
    # member of the municipality is refused there too.
    make_member(w.mun_a, Role.READONLY)
    with pytest.raises(PermissionDenied):
        services.set_referents(w.territory_a, [], by=w.mun_a_readonly, organisation=w.mun_a)
