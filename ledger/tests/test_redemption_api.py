"""API: GET /api/v1/passes/{serial}?code=… and POST /api/v1/redemptions."""

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api import services as api_services
from ledger.models import Pass, PassStatus, Redemption
from ledger.tests import factories
from ledger.tests.test_redemption import code_of, setup_world
from organisations.models import Role
from passnum.testing import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _client(user) -> Client:
    _, clear = api_services.create_token(user, "Scanner", actor=user)
    return Client(headers={"Authorization": f"Bearer {clear}"})


@pytest.fixture
def world():
    return setup_world()


def _body(org, place, service, passes, codes=None):
    return {
        "operator_id": org.pk,
        "place_id": place.pk,
        "service_id": service.pk,
        "passes": [
            {"serial": p.serial, "code": (codes or {}).get(p.pk, code_of(p))} for p in passes
        ],
    }


def _post(client, body, key="cle-1"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/v1/redemptions", json.dumps(body), content_type="application/json", headers=headers
    )


def test_check_pass(world):
    order, passes, org, place, service, user = world
    client = _client(user)
    response = client.get(f"/api/v1/passes/{passes[0].serial}", {"code": code_of(passes[0])})
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True and data["reason"] == "valid"
    assert data["value_cents"] == 1000
    assert data["redeemable_until"] == order.redeemable_until.isoformat()
    assert "holder" not in data and "beneficiary" not in data
    bad = client.get(f"/api/v1/passes/{passes[0].serial}", {"code": "ABCDEFGHJK"}).json()
    assert (bad["ok"], bad["reason"], bad["message"].startswith("Code incorrect")) == (
        False,
        "wrong_code",
        True,
    )


def test_check_pass_needs_authentication(world):
    passes = world[1]
    response = Client().get(f"/api/v1/passes/{passes[0].serial}", {"code": "x"})
    assert response.status_code == 401


def test_check_pass_throttled(world, settings):
    settings.PASS_GUESSES_PER_USER = 3
    passes, user = world[1], world[5]
    client = _client(user)
    for _ in range(3):
        client.get(f"/api/v1/passes/{passes[0].serial}", {"code": "ZZZZZZZZZZ"})
    response = client.get(f"/api/v1/passes/{passes[0].serial}", {"code": code_of(passes[0])})
    assert response.status_code == 429
    assert "Trop de codes incorrects" in response.json()["detail"]


def test_redeem_201_and_replay(world):
    _, passes, org, place, service, user = world
    client = _client(user)
    response = _post(client, _body(org, place, service, [passes[0]]))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["amount_cents"] == 1000 and data["pass_count"] == 1
    assert data["passes"] == [{"serial": passes[0].serial, "from_stock": False}]
    assert Pass.objects.get(pk=passes[0].pk).status == PassStatus.REDEEMED
    again = _post(client, _body(org, place, service, [passes[0]]))
    assert again.status_code == 201 and again.json() == data
    assert Redemption.objects.count() == 1


def test_redeem_409_when_already_used(world):
    _, passes, org, place, service, user = world
    client = _client(user)
    _post(client, _body(org, place, service, [passes[0]]), key="a")
    response = _post(client, _body(org, place, service, [passes[0]]), key="b")
    assert response.status_code == 409
    data = response.json()
    assert data["passes"][0]["serial"] == passes[0].serial
    assert data["passes"][0]["reason"] == "already_redeemed"
    assert "déjà été utilisé" in data["passes"][0]["message"]


def test_redeem_422_with_a_reason_per_pass():
    world = setup_world(price=2)
    _, passes, org, place, service, user = world
    client = _client(user)
    body = _body(org, place, service, passes[0:2], codes={passes[1].pk: "ABCDEFGHJK"})
    response = _post(client, body)
    assert response.status_code == 422
    data = response.json()
    assert [(p["serial"], p["reason"]) for p in data["passes"]] == [
        (passes[0].serial, "valid"),
        (passes[1].serial, "wrong_code"),
    ]
    assert "rien n'a été encaissé" in data["detail"]
    response = _post(client, _body(org, place, service, passes[0:1]))
    assert response.status_code == 422 and response.json()["reason"] == "wrong_pass_count"
    assert not Redemption.objects.exists()


def test_redeem_needs_an_idempotency_key(world):
    _, passes, org, place, service, user = world
    response = _post(_client(user), _body(org, place, service, [passes[0]]), key=None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Redemption.objects.exists()


def test_redeem_permissions(world):
    _, passes, org, place, service, user = world
    other_org, other_place, other_service = factories.operator("Autre opérateur")
    intruder = make_member(other_org, Role.ADMIN).user
    # Another organisation's operator_id: 404.
    response = _post(_client(intruder), _body(org, place, service, [passes[0]]))
    assert response.status_code == 404
    # Its own operator_id with the first operator's place: refused, nothing redeemed.
    response = _post(_client(intruder), _body(other_org, place, other_service, [passes[0]]))
    assert response.status_code == 422 and response.json()["reason"] == "place_not_yours"
    # Read-only member: 403.
    readonly = make_member(org, Role.READONLY).user
    response = _post(_client(readonly), _body(org, place, service, [passes[0]]))
    assert response.status_code == 403
    assert not Redemption.objects.exists()


def test_redeem_throttled_429(world, settings):
    settings.PASS_GUESSES_PER_USER = 1
    _, passes, org, place, service, user = world
    client = _client(user)
    bad = _post(client, _body(org, place, service, [passes[0]], codes={passes[0].pk: "Z" * 10}))
    assert bad.status_code == 422
    response = _post(client, _body(org, place, service, [passes[0]]), key="cle-2")
    assert response.status_code == 429


def test_redeem_statements(world):
    """The scanners' hot path: token, context (membership, operator, place, service, replay),
    passes, then the write. On PostgreSQL the write is one statement for the redemption, its
    passes and its lines, and one for the signed events."""
    _, passes, org, place, service, user = world
    client = _client(user)
    _post(client, _body(org, place, service, [passes[0]]), key="echauffement")
    body = _body(org, place, service, [passes[1]])
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, body, key="cle-2")
    assert response.status_code == 201
    # Django cannot always render a server-bound statement with its parameters (None).
    statements = [
        (q["sql"] or "?").split(None, 1)[0].upper()
        for q in queries.captured_queries
        if not (q["sql"] or "").upper().startswith(("SAVEPOINT", "RELEASE"))
    ]
    if connection.vendor == "postgresql":
        assert len(statements) == 5  # 3 SELECT, 1 WITH (CTE), 1 INSERT (events)
    else:
        assert statements == ["SELECT", "SELECT", "SELECT", "INSERT", "UPDATE", "INSERT", "INSERT"]
    # Same answer as ninja's schema would give.
    data = response.json()
    assert set(data) == {
        "id",
        "operator_id",
        "place_id",
        "service_id",
        "pass_count",
        "amount_cents",
        "created_at",
        "passes",
    }
    assert data["passes"] == [{"serial": passes[1].serial, "from_stock": False}]
    assert response["Content-Type"].startswith("application/json")
