"""In Chromium: the funder's dashboard map draws one circle per located territory (the one below
the PIC target dashed) and one marker per located place, a popup opens with the territory's
figures, axe-core finds no serious violation, no console error and no tile request (no
MAP_TILE_URL); the municipality's map shows its slice only."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def scenario(transactional_db):
    from django.core.cache import cache

    from geo.models import Commune
    from operators.models import Place
    from steering import services

    from .scenario import at, build

    cache.clear()
    s = build()
    for code, lat, lng in [("93001", "48.914", "2.382"), ("93066", "48.936", "2.357")]:
        Commune.objects.filter(pk=code).update(latitude=Decimal(lat), longitude=Decimal(lng))
    for name, lat, lng in [
        ("Lieu Association Clic Solidaire", "48.905", "2.370"),
        ("Boutique numérique", "48.920", "2.395"),
    ]:
        Place.objects.filter(name=name).update(latitude=Decimal(lat), longitude=Decimal(lng))
    with time_machine.travel(at(2021, 6, 30), tick=False):
        services.refresh_programme(s.programme)
    return s


def test_dashboard_maps(page, axe_check, browser_errors, scenario, live_server):
    from passnum.testing import PASSWORD

    s = scenario
    page.set_default_timeout(30_000)
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    log_in(page, s.funder_admin.user.email, PASSWORD)
    page.goto(reverse("steering:programme", args=[s.programme.pk]))
    container = page.locator("#steering-map")
    expect(container).to_have_attribute("data-circles", "2")
    expect(container).to_have_attribute("data-markers", "2")
    expect(page.locator("#steering-map path.map-territory")).to_have_count(2)
    expect(page.locator("#steering-map path.map-territory-alert")).to_have_count(1)
    expect(page.locator("#steering-map path.map-place")).to_have_count(2)
    # Saint-Denis (not below the PIC target): its popup gives the funnel's figures.
    page.locator("#steering-map path.map-territory:not(.map-territory-alert)").click()
    popup = page.locator("#steering-map .leaflet-popup-content")
    expect(popup).to_contain_text("Saint-Denis")
    expect(popup).to_contain_text(re.compile(r"Pass remis :\s*2"))
    expect(popup).to_contain_text(re.compile(r"Taux d'utilisation :\s*50\s%"))
    expect(popup).to_contain_text(re.compile(r"Part PIC :\s*100\s% \(objectif 50 %\)"))
    expect(page.get_by_role("table", name="Lieux")).to_be_visible()
    axe_check(page)
    screenshot(page, "steering-map-programme")
    assert browser_errors == []
    assert hosts == {urlsplit(live_server.url).netloc}  # no tile, no CDN

    page.context.clear_cookies()
    log_in(page, s.town_b_member.user.email, PASSWORD)
    page.goto(reverse("steering:municipality", args=[s.town_b.pk]))
    container = page.locator("#steering-map")
    expect(container).to_have_attribute("data-circles", "1")
    expect(container).to_have_attribute("data-markers", "1")
    page.locator("#steering-map path.map-place").click()
    popup = page.locator("#steering-map .leaflet-popup-content")
    expect(popup).to_contain_text("Lieu Association Clic Solidaire")
    expect(popup).to_contain_text(re.compile(r"Pass utilisés :\s*1"))
    axe_check(page)
    assert browser_errors == []
