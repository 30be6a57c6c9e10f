import pytest
from django.test import Client

from api import services as api_services
from journal.models import JournalEntry
from ledger import codes
from ledger.models import Pass
from ledger.tests import factories
from organisations.models import Role
from passnum.testing import make_member, make_org

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    token = api_services.create_token(user, "imprimeur")
    token = token[1] if isinstance(token, tuple) else token
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_issuer_admin_gets_the_csv_and_it_is_journaled():
    order = factories.order(booklets=2)
    admin = make_member(order.issuer, Role.ADMIN)
    response = _client(admin.user).get(f"/api/v1/orders/{order.pk}/variable-data")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("serial;code;qr_payload")
    assert len(lines) == 21
    first = Pass.objects.filter(order=order).order_by("number").first()
    serial, code = lines[1].split(";")[:2]
    assert serial == first.serial
    assert code == codes.pass_code(order.key_id, first.serial)
    entry = JournalEntry.objects.get(action="PRINT_DOWNLOADED")
    assert entry.details["channel"] == "api"


def test_member_is_refused_and_outsider_does_not_see_the_order():
    order = factories.order(booklets=1)
    member = make_member(order.funder, Role.MEMBER)
    outsider = make_member(make_org(), Role.ADMIN)
    assert _client(member.user).get(f"/api/v1/orders/{order.pk}/variable-data").status_code == 403
    response = _client(outsider.user).get(f"/api/v1/orders/{order.pk}/variable-data")
    assert response.status_code == 404
    assert not JournalEntry.objects.filter(action="PRINT_DOWNLOADED").exists()


def test_not_issued_order_is_a_conflict():
    order = factories.order(booklets=1, status="CONFIRMED")
    admin = make_member(order.funder, Role.ADMIN)
    response = _client(admin.user).get(f"/api/v1/orders/{order.pk}/variable-data")
    assert response.status_code == 409
    assert "pas encore émis" in response.json()["detail"]
