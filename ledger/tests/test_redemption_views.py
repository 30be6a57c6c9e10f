"""The scan screen (/pass/encaisser/) and receipts: flow, permissions, double submit."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from ledger.models import Pass, PassStatus, Redemption
from ledger.tests import factories
from ledger.tests.test_redemption import code_of, setup_world
from organisations.models import Role
from passnum.testing import make_member, make_org

pytestmark = pytest.mark.django_db

URL = "/pass/encaisser/"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world():
    return setup_world()


def _post(client, org, place, service, passes, *, action="check", key="key-1", codes=None):
    data = {
        "organisation": org.pk,
        "place": place.pk,
        "service": service.pk,
        "idempotency_key": key,
        "action": action,
    }
    for i, p in enumerate(passes, start=1):
        data[f"serial_{i}"] = p.serial
        data[f"code_{i}"] = (codes or {}).get(p.pk, code_of(p))
    return client.post(URL, data)


def test_url_name():
    assert reverse("ledger:redeem") == URL


def test_scan_screen_lists_own_places_and_services(client, world):
    _, _, org, place, service, user = world
    other_org, other_place, _ = factories.operator("Autre opérateur")
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert place.name in html and service.title in html
    assert other_place.name not in html
    assert 'name="idempotency_key"' in html
    assert "Aucun encaissement aujourd'hui." in html
    assert '<script src="/static/js/scan.js"' in html


def test_check_then_confirm_then_receipt(client, world):
    _, passes, org, place, service, user = world
    client.force_login(user)
    response = _post(client, org, place, service, [passes[0]])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirmer l'encaissement" in html and "Pass valide." in html
    assert Pass.objects.get(pk=passes[0].pk).status == PassStatus.DISTRIBUTED
    response = _post(client, org, place, service, [passes[0]], action="confirm")
    redemption = Redemption.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:redemption_receipt", args=[redemption.pk])
    receipt = client.get(response["Location"])
    html = receipt.content.decode()
    assert "Encaissement enregistré" in html and passes[0].serial in html
    assert "1 encaissement, 1 pass, 10,00\u00a0€" in html
    # A double submit (same key) leads to the same receipt and redeems nothing more.
    again = _post(client, org, place, service, [passes[0]], action="confirm")
    assert again["Location"] == response["Location"]
    assert Redemption.objects.count() == 1
    # The scan screen now lists the day's redemption.
    assert f"Reçu n° {redemption.pk}" in client.get(URL).content.decode()


def test_refusals_shown_per_pass_in_french(client):
    world = setup_world(price=2)
    _, passes, org, place, service, user = world
    client.force_login(user)
    response = _post(client, org, place, service, passes[0:2], codes={passes[1].pk: "ABCDEFGHJK"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Code incorrect" in html and 'aria-invalid="true"' in html
    response = _post(client, org, place, service, passes[0:1])
    assert response.status_code == 422
    assert "vaut 2 pass" in response.content.decode()
    # Confirming a refused list redeems nothing.
    response = _post(
        client,
        org,
        place,
        service,
        passes[0:2],
        action="confirm",
        codes={passes[1].pk: "ABCDEFGHJK"},
    )
    assert response.status_code == 422
    assert not Redemption.objects.exists()


def test_already_redeemed_is_a_conflict(client, world):
    _, passes, org, place, service, user = world
    client.force_login(user)
    _post(client, org, place, service, [passes[0]], action="confirm", key="a")
    response = _post(client, org, place, service, [passes[0]], action="confirm", key="b")
    assert response.status_code == 409
    assert "déjà été utilisé" in response.content.decode()


def test_readonly_member_gets_403(client, world):
    org = world[2]
    readonly = make_member(org, Role.READONLY)
    client.force_login(readonly.user)
    assert client.get(URL, {"organisation": org.pk}).status_code == 403


def test_non_operator_organisation_gets_403(client):
    member = make_member(make_org("CCAS"), Role.ADMIN)
    client.force_login(member.user)
    assert client.get(URL).status_code == 403


def test_member_of_another_organisation_gets_404(client, world):
    _, passes, org, place, service, user = world
    other_org, other_place, other_service = factories.operator("Autre opérateur")
    intruder = make_member(other_org, Role.ADMIN)
    client.force_login(intruder.user)
    # The other operator's screen, by id: 404.
    assert client.get(URL, {"organisation": org.pk}).status_code == 404
    # Its own screen with the first operator's place or service: 404, nothing redeemed.
    response = _post(client, other_org, place, other_service, [passes[0]], action="confirm")
    assert response.status_code == 404
    response = _post(client, other_org, other_place, service, [passes[0]], action="confirm")
    assert response.status_code == 404
    assert not Redemption.objects.exists()
    # And the first operator's receipt: 404.
    client.force_login(user)
    _post(client, org, place, service, [passes[0]], action="confirm")
    redemption = Redemption.objects.get()
    client.force_login(intruder.user)
    url = reverse("ledger:redemption_receipt", args=[redemption.pk])
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]


def test_wrong_codes_throttled_with_429(client, world, settings):
    settings.PASS_GUESSES_PER_USER = 2
    _, passes, org, place, service, user = world
    client.force_login(user)
    for _ in range(2):
        bad = _post(client, org, place, service, [passes[0]], codes={passes[0].pk: "ZZZZZZZZZZ"})
        assert bad.status_code == 422
    response = _post(client, org, place, service, [passes[0]])
    assert response.status_code == 429
    assert "Trop de codes incorrects" in response.content.decode()
