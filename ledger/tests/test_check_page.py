"""The public check page /p/<serial>.<code> and the form on /p/ (no login)."""

import pytest
from django.core.cache import cache

from ledger import codes
from ledger.tests import factories
from ledger.tests.test_redemption import code_of, setup_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_qr_payload_opens_the_check_page(client):
    _, passes, org, place, *_ = setup_world()
    p = passes[0]
    url = codes.qr_payload(p.serial, code_of(p)).split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ce pass est valable." in html
    assert "10,00\u00a0€" in html
    assert p.order.redeemable_until.strftime("%d/%m/%Y") in html
    assert place.name in html and place.address in html  # where to use it
    assert response["Cache-Control"] == "no-store"
    # Never the holder nor the beneficiary.
    assert p.order.funder.name in html  # the funder, yes
    assert "détenteur" not in html.lower() and "bénéficiaire :" not in html.lower()


def test_no_place_yet_shows_an_empty_state(client):
    order = factories.order(booklets=1)
    p = order.passes.first()
    response = client.get(f"/p/{p.serial}.{code_of(p)}")
    assert "Aucun lieu qualifié" in response.content.decode()


def test_wrong_code_page(client):
    _, passes, *_ = setup_world()
    response = client.get(f"/p/{passes[0].serial}.ABCDEFGHJK")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Code incorrect" in html and "Ce pass est valable" not in html


def test_form_on_p(client):
    _, passes, *_ = setup_world()
    assert client.get("/p/").status_code == 200
    response = client.post("/p/", {"serial": passes[0].serial, "code": code_of(passes[0])})
    assert response.status_code == 200
    assert "Ce pass est valable." in response.content.decode()
    response = client.post("/p/", {"serial": "123", "code": "x"})
    assert "mal formé" in response.content.decode()


def test_public_page_is_rate_limited_per_ip(client, settings):
    settings.PASS_PUBLIC_CHECKS_PER_IP = 3
    _, passes, *_ = setup_world()
    url = f"/p/{passes[0].serial}.{code_of(passes[0])}"
    for _ in range(3):
        assert client.get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 429
    assert "Trop de vérifications" in response.content.decode()
    # Another address is still served.
    assert client.get(url, REMOTE_ADDR="192.0.2.44").status_code == 200


def test_wrong_codes_throttle_the_public_page(client, settings):
    settings.PASS_GUESSES_PER_IP = 2
    _, passes, *_ = setup_world()
    for _ in range(2):
        client.get(f"/p/{passes[0].serial}.ZZZZZZZZZZ")
    assert client.get(f"/p/{passes[0].serial}.{code_of(passes[0])}").status_code == 429
