"""Funders, hubs and municipalities read aggregates only, never an individual record."""

import pytest
from django.urls import reverse

from beneficiaries import services
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org

from .helpers import ANSWERS, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    funder = make_org("Métropole", kind=Organisation.Kind.FUNDER)
    town = make_org("Ville", kind=Organisation.Kind.MUNICIPALITY, parent=funder)
    ccas = make_org("CCAS", kind=Organisation.Kind.PRESCRIBER, parent=town)
    people = [
        services.create_beneficiary(
            prescriber=ccas,
            by=None,
            answers=ANSWERS,
            record_data=record(diploma_level=diploma, job_seeker=True, social_status="sans_emploi"),
        )
        for diploma in ("sans_diplome", "bac", "bac_2")
    ]
    return funder, town, ccas, people


def test_funder_sees_aggregates_and_no_reference(client, territory):
    funder, _town, ccas, people = territory
    member = make_member(funder, Role.READONLY)
    client.force_login(member.user)
    response = client.get(reverse("beneficiaries:summary", args=[funder.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert ccas.name in body
    assert response.context["total"]["people"] == 3
    for person in people:
        assert person.reference not in body
    # The funder gets no access to the individual pages.
    url = reverse("beneficiaries:person", args=[ccas.pk, people[0].pk])
    assert client.get(url).status_code == 404


def test_a_prescriber_or_another_funder_cannot_read_it(client, territory):
    funder, _town, ccas, _people = territory
    prescriber = make_member(ccas, Role.ADMIN)
    client.force_login(prescriber.user)
    assert client.get(reverse("beneficiaries:summary", args=[ccas.pk])).status_code == 404
    assert client.get(reverse("beneficiaries:summary", args=[funder.pk])).status_code == 404
    other = make_member(make_org("Autre", kind=Organisation.Kind.FUNDER), Role.ADMIN)
    client.force_login(other.user)
    assert client.get(reverse("beneficiaries:summary", args=[funder.pk])).status_code == 404
    body = client.get(reverse("beneficiaries:summary", args=[other.organisation_id]))
    assert body.context["total"]["people"] == 0
