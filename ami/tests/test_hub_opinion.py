"""The hub's opinion: favourable, reserved or unfavourable with a text; given and modified by
the call's hub on submitted applications; journaled."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ami import services
from ami.models import Application, ApplicationStatus, HubOpinion
from journal.models import JournalEntry

from .helpers import snapshot

pytestmark = pytest.mark.django_db


def test_the_hub_gives_then_modifies_its_opinion(world, client):
    application = world.submitted()
    client.force_login(world.hub_user)
    url = reverse("ami:hub_opinion", args=[world.hub.pk, application.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"verdict": "FAVOURABLE", "text": "Réseau solide."})
    assert response.status_code == 302
    opinion = HubOpinion.objects.get()
    assert (opinion.verdict, opinion.text, opinion.author) == (
        "FAVOURABLE",
        "Réseau solide.",
        world.hub_user,
    )
    client.post(url, {"verdict": "RESERVED", "text": "Réseau à consolider."})
    opinion.refresh_from_db()
    assert opinion.verdict == "RESERVED" and HubOpinion.objects.count() == 1
    entries = JournalEntry.objects.filter(action=JournalEntry.Action.HUB_OPINION_GIVEN)
    assert [e.details["modified"] for e in entries.order_by("pk")] == [False, True]
    page = client.get(reverse("ami:call", args=[world.hub.pk, world.call.pk])).content.decode()
    assert "Réservé" in page


def test_bad_opinions_change_nothing(world, client):
    application = world.submitted()
    client.force_login(world.hub_user)
    url = reverse("ami:hub_opinion", args=[world.hub.pk, application.pk])
    before = snapshot()
    for data in [
        {"verdict": "", "text": "x"},
        {"verdict": "FAVOURABLE", "text": ""},
        {"verdict": "GREAT", "text": "x"},
    ]:
        response = client.post(url, data)
        assert response.status_code == 200
    assert snapshot() == before


def test_no_opinion_on_a_draft_or_once_decided(world):
    draft = world.application(world.montreuil)
    with pytest.raises(services.AmiRefused, match="pas encore déposée"):
        services.give_hub_opinion(
            draft, world.hub, verdict="FAVOURABLE", text="x", by=world.hub_user
        )
    decided = world.submitted()
    Application.objects.filter(pk=decided.pk).update(
        status=ApplicationStatus.SELECTED, decided_at=timezone.now()
    )
    with pytest.raises(services.AmiRefused, match="La décision est prise"):
        services.give_hub_opinion(
            decided, world.hub, verdict="FAVOURABLE", text="x", by=world.hub_user
        )
    assert HubOpinion.objects.count() == 0
