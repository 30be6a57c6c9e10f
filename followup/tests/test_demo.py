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
from geo.models import Commune
from journal.models import JournalEntry
from programmes.models import Programme, Territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def communes():
    paris = Commune.objects.create(insee_code="75056", name="Paris", department="75")
    for code, name, _ in PILOT_TERRITORIES:
        kind = {"kind": "ARRONDISSEMENT", "parent": paris} if code.startswith("751") else {}
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
