"""The follow-up demo on top of the Grand Paris demo: idempotent, and as the brief describes."""

import pytest

from core.demo import PILOT_TERRITORIES, load_demo
from followup import demo, queries
from followup.models import (
    ExperienceFeedback,
    FeedbackStatus,
    FollowupCommittee,
    SharingMeeting,
    TrainingAttendance,
    TrainingSession,
)
from geo.models import Commune, Intercommunality
from journal.models import JournalEntry
from programmes.models import Programme, Territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def communes():
    mgp = Intercommunality.objects.create(
        code="200054781", name="Métropole du Grand Paris", kind="METRO"
    )
    paris = Commune.objects.create(insee_code="75056", name="Paris", department="75", epci=mgp)
    for code, name, _ in PILOT_TERRITORIES:
        kind = (
            {"kind": "ARRONDISSEMENT", "parent": paris} if code.startswith("751") else {"epci": mgp}
        )
        Commune.objects.create(
            insee_code=code,
            name=name.split(" ", 2)[-1] if not code.startswith("751") else name,
            department=code[:2],
            postal_codes=[code[:2] + "000"],
            **kind,
        )


def counts():
    return (
        TrainingSession.objects.count(),
        TrainingAttendance.objects.count(),
        FollowupCommittee.objects.count(),
        ExperienceFeedback.objects.count(),
        SharingMeeting.objects.count(),
        JournalEntry.objects.exclude(action="DEMO_LOADED").count(),
    )


def test_demo_follow_up(communes):
    load_demo()
    programme = Programme.objects.get(name="Pass numérique Grand Paris 2021")
    result = demo.load(programme)
    assert "Suivi des territoires : 16 territoires avec référent" in result["lines"][0]
    first = counts()
    assert 3 <= first[0] <= 4 and first[1] > 0 and first[4] == 1

    aubervilliers = Territory.objects.get(programme=programme, commune_id="93001")
    assert [u.email for u in aubervilliers.referents.all()] == [
        "referente.aubervilliers@passnum.example"
    ]
    assert all(t.referents.exists() for t in Territory.objects.filter(programme=programme))
    audiences = set(TrainingSession.objects.values_list("audience", flat=True))
    assert audiences == {"PRESCRIBERS", "OPERATORS"}
    assert FollowupCommittee.objects.filter(territory=aubervilliers).count() == 2
    assert all(c.minutes_html for c in FollowupCommittee.objects.all())
    statuses = dict(ExperienceFeedback.objects.values_list("territory__commune_id", "status"))
    assert statuses == {"93001": FeedbackStatus.SUBMITTED, "93066": FeedbackStatus.DRAFT}

    data = queries.territory_followup(aubervilliers)
    assert data["feedback"]["would_continue"] is True
    assert len(data["committees"]) == 2 and data["committees"][0]["attended"] > 0
    assert data["trainings"] and data["sharing_meetings"]

    # Idempotent: a second run adds nothing.
    demo.load(programme)
    assert counts() == first


def test_demo_follow_up_tells_the_ledger_story(communes):
    """On the ledger demo's timeline: trainings before the first hand-outs, a launch committee in
    the first month and a mid-term one four months later, all in the past; Aubervilliers'
    declared figures close to what the platform measures."""
    from django.utils import timezone

    from core.demo_ledger import load_ledger_demo
    from ledger.models import Order

    load_demo()
    programme = Programme.objects.get(name="Pass numérique Grand Paris 2021")
    load_ledger_demo(programme, booklets=200)
    demo.load(programme)
    now = timezone.now()
    order = Order.objects.get(programme=programme)
    day0 = timezone.localdate(order.created_at)

    def day(moment):
        return (timezone.localdate(moment) - day0).days

    trainings = list(TrainingSession.objects.order_by("starts_at"))
    assert all(0 < day(t.starts_at) < 100 and t.starts_at < now for t in trainings)
    assert all(t.created_at <= t.starts_at for t in trainings)
    first_hand_out = (
        demo.Pass.objects.filter(order=order, distributed_at__isnull=False)
        .order_by("distributed_at")
        .first()
    )
    prescribers = [t for t in trainings if t.audience == "PRESCRIBERS"]
    assert all(t.starts_at < first_hand_out.distributed_at for t in prescribers)
    aubervilliers = Territory.objects.get(programme=programme, commune_id="93001")
    launch, mid_term = FollowupCommittee.objects.filter(territory=aubervilliers).order_by("held_at")
    assert 14 <= day(launch.held_at) <= 31 and (mid_term.held_at - launch.held_at).days >= 100
    assert mid_term.held_at < now
    meeting = SharingMeeting.objects.get()
    assert launch.held_at < meeting.held_at < mid_term.held_at
    assert queries.territory_followup(aubervilliers)["sharing_meetings"][0]["present"] is True

    feedback = ExperienceFeedback.objects.get(territory=aubervilliers)
    assert feedback.submitted_at < now and day(feedback.submitted_at) > 200
    platform = demo.measured(aubervilliers, now)
    assert platform["passes"] > 0 and platform["people"] > 0
    gap = platform["passes"] - feedback.passes_distributed
    assert 0 <= gap <= max(20, platform["passes"] // 10)
    assert abs(feedback.people_reached - platform["people"]) <= 3
    assert abs(feedback.pic_people - platform["pic"]) <= 3
    assert abs(feedback.qpv_people - platform["qpv"]) <= 3
    assert feedback.pic_people <= feedback.people_reached
