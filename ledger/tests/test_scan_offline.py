"""The server side of offline scanning: the scan page carries what static/js/scan-offline.js needs
(and still works as a plain form), the network probe answers only logged-in users, and a queued
attempt sent later by the browser (session + CSRF token of the page, same idempotency key) is
redeemed exactly once. A member of another operator gets 404."""

import json
import re
import uuid

import pytest
from django.core.cache import cache
from django.test import Client

from ledger.models import PassStatus, Redemption
from ledger.tests import factories
from ledger.tests.test_redemption import code_of, setup_world
from organisations.models import Role
from passnum.testing import make_member, make_user

pytestmark = pytest.mark.django_db

SCAN_URL = "/pass/encaisser/"
PING_URL = "/pass/encaisser/reseau/"
API_URL = "/api/v1/redemptions"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world():
    return setup_world()


def _browser(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _payload(org, place, service, passes) -> str:
    return json.dumps(
        {
            "operator_id": org.pk,
            "place_id": place.pk,
            "service_id": service.pk,
            "passes": [{"serial": p.serial, "code": code_of(p)} for p in passes],
        }
    )


def test_scan_page_carries_the_offline_settings(world):
    _, _, org, place, service, user = world
    response = _browser(user).get(SCAN_URL, {"organisation": org.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-operator="{org.pk}"' in html
    assert f'data-user="{user.pk}"' in html
    assert f'data-api-url="{API_URL}"' in html
    assert f'data-ping-url="{PING_URL}"' in html
    assert 'data-receipt-url="/pass/encaissements/0/"' in html
    assert "js/scan-offline.js" in html
    assert 'data-sw-url="/pass/encaisser/sw.js"' in html
    # Without JavaScript the queue stays hidden and the plain form is there.
    assert re.search(r'<section id="offline-queue" [^>]*hidden>', html)
    assert "En attente d'envoi (hors ligne)" in html
    assert 'value="check">Vérifier les pass</button>' in html
    assert "<script>" not in html and "style=" not in html  # strict CSP


def test_ping_needs_a_login_and_is_never_cached(world):
    user = world[-1]
    anonymous = Client().get(PING_URL)
    assert anonymous.status_code == 302 and "/compte/connexion/" in anonymous["Location"]
    response = _browser(user).get(PING_URL)
    assert response.status_code == 204
    assert response["Cache-Control"] == "no-store"
    assert _browser(user).post(PING_URL).status_code in (403, 405)


def test_queued_attempt_sent_later_is_redeemed_once(world):
    _, passes, org, place, service, user = world
    client = _browser(user)
    token = _csrf_token(client.get(SCAN_URL, {"organisation": org.pk}).content.decode())
    key = str(uuid.uuid4())
    body = _payload(org, place, service, [passes[0]])
    headers = {"Idempotency-Key": key, "X-CSRFToken": token}

    # Without the page's CSRF token, a session-authenticated POST is refused and changes nothing.
    refused = client.post(
        API_URL, body, content_type="application/json", headers={"Idempotency-Key": key}
    )
    assert refused.status_code == 403
    assert not Redemption.objects.exists()

    first = client.post(API_URL, body, content_type="application/json", headers=headers)
    assert first.status_code == 201, first.content
    again = client.post(API_URL, body, content_type="application/json", headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Redemption.objects.filter(idempotency_key=key).count() == 1
    passes[0].refresh_from_db()
    assert passes[0].status == PassStatus.REDEEMED


def test_queued_attempt_for_a_pass_used_elsewhere_gets_the_french_conflict(world):
    _, passes, org, place, service, user = world
    other, other_place, other_service = factories.operator("Espace numérique du Canal")
    outsider = make_member(other, Role.MEMBER).user
    other_client = _browser(outsider)
    token = _csrf_token(other_client.get(SCAN_URL, {"organisation": other.pk}).content.decode())
    done = other_client.post(
        API_URL,
        _payload(other, other_place, other_service, [passes[0]]),
        content_type="application/json",
        headers={"Idempotency-Key": "ailleurs-1", "X-CSRFToken": token},
    )
    assert done.status_code == 201

    client = _browser(user)
    token = _csrf_token(client.get(SCAN_URL, {"organisation": org.pk}).content.decode())
    response = client.post(
        API_URL,
        _payload(org, place, service, [passes[0]]),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4()), "X-CSRFToken": token},
    )
    assert response.status_code == 409
    verdict = response.json()["passes"][0]
    assert verdict["serial"] == passes[0].serial
    assert verdict["reason"] == "already_redeemed"
    assert verdict["message"].startswith("Ce pass a déjà été utilisé le ")
    assert verdict["message"].endswith(" chez Espace numérique du Canal.")
    assert not Redemption.objects.filter(operator=org).exists()


def test_member_of_another_operator_gets_404(world):
    _, passes, org, place, service, _ = world
    other, *_ = factories.operator("Espace numérique du Canal")
    outsider = make_member(other, Role.MEMBER).user
    client = _browser(outsider)
    assert client.get(SCAN_URL, {"organisation": org.pk}).status_code == 404
    token = _csrf_token(client.get(SCAN_URL, {"organisation": other.pk}).content.decode())
    response = client.post(
        API_URL,
        _payload(org, place, service, [passes[0]]),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4()), "X-CSRFToken": token},
    )
    assert response.status_code == 404
    assert not Redemption.objects.exists()
    passes[0].refresh_from_db()
    assert passes[0].status == PassStatus.DISTRIBUTED


def test_no_operator_membership_cannot_open_the_scan_screen(world):
    response = _browser(make_user()).get(SCAN_URL)
    assert response.status_code == 403


def test_service_worker_is_served_under_the_scan_screen(db):
    response = Client().get("/pass/encaisser/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert b"passnum-scan-v1" in response.content
