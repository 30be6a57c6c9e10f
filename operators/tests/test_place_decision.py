import pytest
from django.urls import reverse

from journal.models import JournalEntry
from ledger.tests import factories
from operators.models import OperatorProfile, Qualification
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    operator, place, _service = factories.operator(qualified=False)
    issuer = make_member(make_org("Émetteur", kind=Organisation.Kind.ISSUER), Role.ADMIN)
    profile = OperatorProfile.objects.get(organisation=operator)
    url = reverse("operators:place_decision", args=[issuer.organisation_id, profile.pk, place.pk])
    return issuer, profile, place, url


def test_reviewer_qualifies_a_place(client, setup):
    issuer, profile, place, url = setup
    client.force_login(issuer.user)
    page = client.get(reverse("operators:application", args=[issuer.organisation_id, profile.pk]))
    assert place.name in page.content.decode()
    response = client.post(url, {"action": "qualify"})
    assert response.status_code == 302
    place.refresh_from_db()
    assert place.qualification == Qualification.QUALIFIED
    assert JournalEntry.objects.filter(action="ORGANISATION_UPDATED").exists()


def test_refusal_needs_a_reason_and_changes_nothing_without_it(client, setup):
    issuer, _profile, place, url = setup
    client.force_login(issuer.user)
    response = client.post(url, {"action": "refuse", "reason": ""}, follow=True)
    assert "motif" in response.content.decode()
    place.refresh_from_db()
    assert place.qualification == Qualification.IN_REVIEW


def test_operator_itself_nor_other_organisations_can_decide(client, setup):
    _issuer, profile, place, url = setup
    operator_admin = make_member(place.operator, Role.ADMIN)
    client.force_login(operator_admin.user)
    assert client.post(url, {"action": "qualify"}).status_code == 404
    place.refresh_from_db()
    assert place.qualification == Qualification.IN_REVIEW
