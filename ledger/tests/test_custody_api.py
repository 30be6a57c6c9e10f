"""API: GET /api/v1/stock and POST /api/v1/transfers."""

import json

import pytest
from django.test import Client

from ledger import custody
from ledger.models import Booklet, PassEvent, Transfer
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user

from .test_custody_helpers import chain

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, payload):
    return client.post("/api/v1/transfers", json.dumps(payload), content_type="application/json")


def test_stock_endpoint():
    c = chain(booklets=3)
    response = client_for(c.funder_user).get(f"/api/v1/stock?organisation_id={c.funder.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["orders"] == [
        {
            "reference": c.order.reference,
            "booklets": 3,
            "passes_in_stock": 30,
            "face_value_cents": 30_000,
            "valid_until": "2099-12-31",
        }
    ]
    assert [b["serial"] for b in data["booklets"]] == [b.serial for b in c.booklets()]
    assert data["booklets"][0]["days_in_stock"] == 0
    assert data["booklets"][0]["dormant"] is False
    assert data["booklet_count"] == 3
    page = client_for(c.funder_user).get(
        f"/api/v1/stock?organisation_id={c.funder.pk}&limit=1&offset=1"
    )
    assert [b["serial"] for b in page.json()["booklets"]] == [c.booklets()[1].serial]


def test_stock_of_another_organisation_is_404():
    c = chain(booklets=1)
    stranger = make_member(make_org("Autre")).user
    response = client_for(stranger).get(f"/api/v1/stock?organisation_id={c.funder.pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "Organisation introuvable."
    assert Client().get(f"/api/v1/stock?organisation_id={c.funder.pk}").status_code == 401


def test_create_transfer_with_a_range():
    c = chain(booklets=3)
    b = c.booklets()
    response = post(
        client_for(c.funder_user),
        {
            "from_organisation_id": c.funder.pk,
            "to_organisation_id": c.municipality.pk,
            "booklets": f"{b[0].serial}-{b[1].serial}",
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["booklets"] == [b[0].serial, b[1].serial]
    assert data["kind"] == "ALLOCATION"
    assert Booklet.objects.filter(holder=c.municipality).count() == 2
    # The same booklets again: 409 with a reason.
    again = post(
        client_for(c.funder_user),
        {
            "from_organisation_id": c.municipality.pk,
            "to_organisation_id": c.prescriber.pk,
            "booklets": b[0].serial,
            "acting_organisation_id": None,
        },
    )
    assert again.status_code == 404  # the funder's user is not a member of the municipality
    town = client_for(c.municipality_user)
    pending = post(
        town,
        {
            "from_organisation_id": c.municipality.pk,
            "to_organisation_id": c.prescriber.pk,
            "booklets": b[0].serial,
            "to_person_id": c.named.pk,
        },
    )
    assert pending.status_code == 409
    assert pending.json()["reason"] == "pending_transfer"
    assert "attente de réception" in pending.json()["detail"]


@pytest.mark.parametrize(
    ("booklets", "reason", "status"),
    [
        ("C123", "bad_serial", 400),
        ("{b0}--{b1}", "malformed_range", 400),
        ("{b1}-{b0}", "malformed_range", 400),
        ("{other}", "not_held", 409),
    ],
)
def test_refused_transfers_change_nothing(booklets, reason, status):
    c = chain(booklets=2)
    b = c.booklets()
    other = chain(booklets=1).booklets()[0]
    events, transfers = PassEvent.objects.count(), Transfer.objects.count()
    response = post(
        client_for(c.funder_user),
        {
            "from_organisation_id": c.funder.pk,
            "to_organisation_id": c.municipality.pk,
            "booklets": booklets.format(b0=b[0].serial, b1=b[1].serial, other=other.serial),
        },
    )
    assert response.status_code == status
    assert response.json()["reason"] == reason
    assert (PassEvent.objects.count(), Transfer.objects.count()) == (events, transfers)


def test_wrong_level_and_permissions():
    c = chain(booklets=1)
    b = c.booklets()
    payload = {
        "from_organisation_id": c.funder.pk,
        "to_organisation_id": c.prescriber.pk,
        "booklets": b[0].serial,
    }
    response = post(client_for(c.funder_user), payload)
    assert response.status_code == 400
    assert response.json()["reason"] == "wrong_level"
    payload["to_organisation_id"] = c.municipality.pk
    stranger = make_member(make_org("Autre", kind=Organisation.Kind.FUNDER)).user
    assert post(client_for(stranger), payload).status_code == 404
    reader = make_user()
    make_member(c.funder, Role.READONLY, user=reader)
    assert post(client_for(reader), payload).status_code == 403
    assert Transfer.objects.count() == 0


def test_reallocation_by_the_funder():
    c = chain(booklets=1)
    b = c.booklets()
    t = custody.transfer_booklets(b, c.municipality, by=c.funder_user, from_holder=c.funder)
    custody.acknowledge_transfer(t, by=c.municipality_user)
    response = post(
        client_for(c.funder_user),
        {
            "kind": "REALLOCATION",
            "acting_organisation_id": c.funder.pk,
            "from_organisation_id": c.municipality.pk,
            "to_organisation_id": c.prescriber.pk,
            "booklets": b[0].serial,
        },
    )
    assert response.status_code == 201, response.content
    assert Booklet.objects.get(pk=b[0].pk).holder == c.prescriber
