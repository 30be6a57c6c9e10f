"""Real Chromium: the public directory with its map (no tiles) and the operator dashboard."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from core.tests.browser import log_in, screenshot
from ledger.models import Pass
from ledger.redemption import redeem
from ledger.tests import factories
from ledger.tests.test_redemption import distribute, item
from operators.models import Place
from organisations.models import Role
from passnum.testing import PASSWORD, make_member, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_directory_map_and_operator_dashboard(page, axe_check, browser_errors, settings):
    settings.MAP_TILE_URL = ""
    org, place, service = factories.operator("Clic Solidaire")
    Place.objects.filter(pk=place.pk).update(
        latitude=Decimal("48.914"),
        longitude=Decimal("2.382"),
        opening_hours="Mo-Fr 09:30-12:30,14:00-18:00",
        publics=["seniors"],
    )
    other, other_place, _ = factories.operator(
        "Numérique Pour Tous", place_commune=factories.commune("93066", "Saint-Denis")
    )
    Place.objects.filter(pk=other_place.pk).update(
        latitude=Decimal("48.936"), longitude=Decimal("2.357")
    )
    user = make_user(first_name="Camille", last_name="Martin")
    make_member(org, Role.ADMIN, user=user)
    order = factories.order(booklets=1)
    passes = distribute(Pass.objects.filter(order=order).select_related("order")[:2])
    redeem(
        operator=org,
        place=place,
        service=service,
        items=[item(passes[0])],
        idempotency_key="browser-1",
        by=user,
    )

    page.goto("/lieux/")
    page.wait_for_selector("#places-map.directory-map-ready")
    assert page.get_attribute("#places-map", "data-markers") == "2"
    assert page.locator("#places-map path.leaflet-interactive").count() == 2
    assert page.locator("#places-map .leaflet-tile").count() == 0
    assert page.get_by_role("link", name="Lieu Clic Solidaire").is_visible()
    screenshot(page, "directory-index")
    axe_check(page)

    page.get_by_label("Commune (nom, code postal ou code INSEE)").fill("Saint-Denis")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_selector("#places-map.directory-map-ready")
    assert page.get_attribute("#places-map", "data-markers") == "1"
    assert page.get_by_role("link", name="Lieu Numérique Pour Tous").is_visible()
    assert page.get_by_role("link", name="Lieu Clic Solidaire").count() == 0

    page.get_by_label("Commune (nom, code postal ou code INSEE)").fill("")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Lieu Clic Solidaire").click()
    page.wait_for_selector("#places-map.directory-map-ready")
    assert page.get_by_role("heading", name="Lieu Clic Solidaire", level=1).is_visible()
    assert "Du lundi au vendredi : 09:30 – 12:30, 14:00 – 18:00" in page.content()
    page.locator("#places-map path.leaflet-interactive").first.click()
    assert page.locator(".leaflet-popup-content a", has_text="Lieu Clic Solidaire").is_visible()
    screenshot(page, "directory-place")
    axe_check(page)

    log_in(page, user.email, PASSWORD)
    page.goto(f"/organisations/{org.pk}/")
    page.get_by_role("link", name="Tableau de bord opérateur").click()
    assert page.get_by_role("heading", name="Tableau de bord opérateur", level=1).is_visible()
    assert page.locator("#amount-pending").inner_text() == "10,00\u00a0€"
    assert page.locator("#amount-paid").inner_text() == "0,00\u00a0€"
    assert page.get_by_role("cell", name="Camille Martin").is_visible()
    screenshot(page, "operator-dashboard")
    axe_check(page)

    assert browser_errors == []
