"""Every page and download of the follow-up, for every kind of user: the funder and the hub of
the programme, the municipality (and another one: 404), read-only members (403 on writes), the
hub and funder of another programme (404), prescribers, anonymous visitors."""

import pytest
from django.urls import reverse

from followup import services

from .helpers import committee, meeting, pdf, training

pytestmark = pytest.mark.django_db

# user attribute of the world → the organisation attribute it acts for
ACTORS = {
    "funder_admin": "funder",
    "funder_readonly": "funder",
    "hub_member": "hub",
    "hub_readonly": "hub",
    "mun_a_admin": "mun_a",
    "mun_a_member": "mun_a",
    "mun_a_readonly": "mun_a",
    "mun_b_admin": "mun_b",
    "other_hub_member": "other_hub",
    "other_funder_admin": "other_funder",
    "prescriber_a_member": "prescriber_a",
    "prescriber_b_member": "prescriber_b",
}

READ_TERRITORY = {
    "funder_admin": 200,
    "funder_readonly": 200,
    "hub_member": 200,
    "hub_readonly": 200,
    "mun_a_admin": 200,
    "mun_a_readonly": 200,
    "mun_b_admin": 404,
    "other_hub_member": 404,
    "other_funder_admin": 404,
    "prescriber_a_member": 404,
}
HUB_WRITE_TERRITORY = {
    "hub_member": 200,
    "hub_readonly": 403,
    "funder_admin": 403,
    "mun_a_admin": 403,
    "mun_a_readonly": 403,
    "mun_b_admin": 404,
    "other_hub_member": 404,
    "other_funder_admin": 404,
    "prescriber_a_member": 404,
}
HUB_WRITE_TRAINING = {
    "hub_member": 200,
    "hub_readonly": 403,
    "funder_admin": 403,
    "mun_a_admin": 403,
    "mun_b_admin": 403,
    "other_hub_member": 404,
    "prescriber_a_member": 404,
}
FUNDER_WRITE_MEETING = {
    "funder_admin": 200,
    "funder_readonly": 403,
    "hub_member": 403,
    "mun_a_admin": 403,
    "mun_a_readonly": 403,
    "mun_b_admin": 403,
    "other_funder_admin": 404,
    "other_hub_member": 403,
    "prescriber_a_member": 404,
}
READ_MEETING = {
    "funder_admin": 200,
    "funder_readonly": 200,
    "hub_member": 200,
    "mun_a_admin": 200,
    "mun_a_readonly": 200,
    "mun_b_admin": 404,
    "other_hub_member": 404,
    "other_funder_admin": 404,
    "prescriber_a_member": 404,
}
LISTS = {
    "funder_admin": 200,
    "hub_member": 200,
    "mun_a_readonly": 200,
    "mun_b_admin": 200,
    "other_hub_member": 200,
    "prescriber_a_member": 404,
}

# name → (url name, url args after the organisation, expected statuses)
CASES = {
    "territories": (
        "followup:territories",
        [],
        {**LISTS, "mun_a_readonly": 302, "mun_b_admin": 302},
    ),
    "territories_export": ("followup:territories_export", ["csv"], LISTS),
    "feedbacks_export": ("followup:feedbacks_export", ["xlsx"], LISTS),
    "territory": ("followup:territory", ["A"], READ_TERRITORY),
    "referents": (
        "followup:referents",
        ["A"],
        {
            "mun_a_admin": 200,
            "mun_a_member": 403,
            "mun_a_readonly": 403,
            "funder_admin": 403,
            "hub_member": 403,
            "mun_b_admin": 404,
            "other_hub_member": 404,
            "prescriber_a_member": 404,
        },
    ),
    "feedback": ("followup:feedback", ["A"], READ_TERRITORY),
    "committees": ("followup:committees", ["A"], READ_TERRITORY),
    "committees_export": ("followup:committees_export", ["A", "xlsx"], READ_TERRITORY),
    "committee": ("followup:committee", ["A", "C"], READ_TERRITORY),
    "committee_minutes": ("followup:committee_minutes", ["A", "C"], READ_TERRITORY),
    "committee_new": ("followup:committee_new", ["A"], HUB_WRITE_TERRITORY),
    "committee_edit": ("followup:committee_edit", ["A", "C"], HUB_WRITE_TERRITORY),
    "committee_attendance": ("followup:committee_attendance", ["A", "C"], HUB_WRITE_TERRITORY),
    "trainings": (
        "followup:trainings",
        [],
        {**LISTS, "prescriber_a_member": 200, "prescriber_b_member": 200},
    ),
    "trainings_export": (
        "followup:trainings_export",
        ["csv"],
        {**LISTS, "prescriber_a_member": 200},
    ),
    "training": (
        "followup:training",
        ["T"],
        {
            **READ_TERRITORY,
            "prescriber_a_member": 200,  # invited: Aubervilliers, prescribers
            "prescriber_b_member": 404,
        },
    ),
    "training_new": (
        "followup:training_new",
        [],
        {**HUB_WRITE_TRAINING, "other_hub_member": 200},
    ),
    "training_edit": ("followup:training_edit", ["T"], HUB_WRITE_TRAINING),
    "training_attendance": ("followup:training_attendance", ["T"], HUB_WRITE_TRAINING),
    "training_attendance_export": (
        "followup:training_attendance_export",
        ["T", "csv"],
        {
            "hub_member": 200,
            "hub_readonly": 200,
            "funder_admin": 200,
            "mun_a_admin": 403,
            "mun_b_admin": 403,
            "other_hub_member": 404,
            "prescriber_a_member": 404,
        },
    ),
    "meetings": ("followup:meetings", [], LISTS),
    "meetings_export": ("followup:meetings_export", ["xlsx"], LISTS),
    "meeting": ("followup:meeting", ["M"], READ_MEETING),
    "meeting_minutes": ("followup:meeting_minutes", ["M"], READ_MEETING),
    "meeting_new": (
        "followup:meeting_new",
        [],
        {**FUNDER_WRITE_MEETING, "other_funder_admin": 200},
    ),
    "meeting_edit": ("followup:meeting_edit", ["M"], FUNDER_WRITE_MEETING),
    "meeting_presence": ("followup:meeting_presence", ["M"], FUNDER_WRITE_MEETING),
    # Deletion: the confirmation page, for the same people as the edit pages.
    "committee_delete": ("followup:committee_delete", ["A", "C"], HUB_WRITE_TERRITORY),
    "training_delete": ("followup:training_delete", ["T"], HUB_WRITE_TRAINING),
    "meeting_delete": ("followup:meeting_delete", ["M"], FUNDER_WRITE_MEETING),
}


@pytest.fixture
def objects(world, media):
    w = world
    session = training(w)  # Aubervilliers only, for prescribers
    obj = committee(w, upload=pdf())
    m = meeting(w, invited=[w.territory_a])
    services.save_meeting(
        m,
        programme=w.programme,
        data={"is_remote": True},
        invited=[w.territory_a],
        minutes=services.MinutesInput(upload=pdf()),
        by=w.funder_admin,
        organisation=w.funder,
    )
    return {"A": w.territory_a.pk, "C": obj.pk, "T": session.pk, "M": m.pk}


def _url(w, objects, name: str, user_attr: str) -> str:
    url_name, args, _ = CASES[name]
    organisation = getattr(w, ACTORS[user_attr])
    return reverse(url_name, args=[organisation.pk, *[objects.get(a, a) for a in args]])


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_view_for_every_user(client, world, objects, name):
    w = world
    _, _, expected = CASES[name]
    for user_attr, status in expected.items():
        client.force_login(getattr(w, user_attr))
        url = _url(w, objects, name, user_attr)
        response = client.get(url)
        assert response.status_code == status, (name, user_attr, url, response.status_code)
    client.logout()
    url = _url(w, objects, name, "funder_admin")
    response = client.get(url)
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_acting_for_an_organisation_one_is_not_a_member_of_is_a_404(client, world, objects):
    w = world
    client.force_login(w.mun_b_admin)
    for url in (
        reverse("followup:territory", args=[w.mun_a.pk, w.territory_a.pk]),
        reverse("followup:territories", args=[w.hub.pk]),
        reverse("followup:trainings", args=[w.funder.pk]),
    ):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "name,args,user_attr,status",
    [
        ("followup:referents", ["A"], "mun_a_readonly", 403),
        ("followup:referents", ["A"], "mun_b_admin", 404),
        ("followup:feedback", ["A"], "mun_a_readonly", 403),
        ("followup:feedback", ["A"], "hub_member", 403),
        ("followup:feedback", ["A"], "mun_b_admin", 404),
        ("followup:committee_new", ["A"], "hub_readonly", 403),
        ("followup:committee_new", ["A"], "other_hub_member", 404),
        ("followup:committee_attendance", ["A", "C"], "mun_b_admin", 404),
        ("followup:training_new", [], "hub_readonly", 403),
        ("followup:training_attendance", ["T"], "hub_readonly", 403),
        ("followup:training_attendance", ["T"], "other_hub_member", 404),
        ("followup:meeting_new", [], "funder_readonly", 403),
        ("followup:meeting_presence", ["M"], "funder_readonly", 403),
        ("followup:meeting_presence", ["M"], "other_funder_admin", 404),
    ],
)
def test_writes_are_refused_and_change_nothing(
    client, world, objects, name, args, user_attr, status
):
    from followup.models import ExperienceFeedback, FollowupCommittee, TrainingSession
    from journal.models import JournalEntry

    w = world
    before = (
        ExperienceFeedback.objects.count(),
        FollowupCommittee.objects.count(),
        TrainingSession.objects.count(),
        JournalEntry.objects.count(),
    )
    client.force_login(getattr(w, user_attr))
    organisation = getattr(w, ACTORS[user_attr])
    url = reverse(name, args=[organisation.pk, *[objects.get(a, a) for a in args]])
    response = client.post(url, {"passes_distributed": "5", "action": "submit"})
    assert response.status_code == status
    after = (
        ExperienceFeedback.objects.count(),
        FollowupCommittee.objects.count(),
        TrainingSession.objects.count(),
        JournalEntry.objects.count(),
    )
    assert after == before
