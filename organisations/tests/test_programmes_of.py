from datetime import date

import pytest
from django.urls import reverse

from geo.models import Commune
from organisations.models import Organisation
from organisations.queries import programmes_of
from passnum.testing import make_member, make_org
from programmes.models import Programme, Territory

pytestmark = pytest.mark.django_db


def test_each_actor_of_the_chain_sees_its_programme(client):
    funder = make_org("Métropole", kind=Organisation.Kind.FUNDER)
    issuer = make_org("Émetteur", kind=Organisation.Kind.ISSUER)
    town = make_org("Ville", kind=Organisation.Kind.MUNICIPALITY, parent=funder)
    prescriber = make_org("CCAS", kind=Organisation.Kind.PRESCRIBER, parent=town)
    stranger = make_org("Autre CCAS", kind=Organisation.Kind.PRESCRIBER)
    programme = Programme.objects.create(
        funder=funder,
        issuer=issuer,
        name="Pass 2021",
        starts_on=date(2021, 1, 1),
        ends_on=date(2022, 12, 31),
    )
    commune = Commune.objects.create(insee_code="93001", name="Aubervilliers", department="93")
    Territory.objects.create(
        programme=programme, municipality=town, commune=commune, joined_on=date(2021, 3, 1)
    )
    for org in (funder, issuer, town, prescriber):
        found = list(programmes_of(org))
        assert found == [programme], org
        assert found[0].territory_count == 1
    assert list(programmes_of(stranger)) == []

    member = make_member(prescriber)
    client.force_login(member.user)
    body = client.get(reverse("organisations:detail", args=[prescriber.pk])).content.decode()
    assert "Pass 2021" in body and "1 territoire" in body
