"""In Chromium: the funder's, the municipality's and the hub's dashboards and the public
statistics page render, with their SVG charts, and axe-core finds no serious or critical
violation; the funder follows « Réallouer » to the custody reallocation screen; the
municipality downloads its territory's evaluation report (PDF)."""

import pytest
import time_machine
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def scenario(transactional_db):
    from django.core.cache import cache

    from steering import services

    from .scenario import at, build

    cache.clear()
    s = build()
    with time_machine.travel(at(2021, 6, 30), tick=False):
        services.refresh_programme(s.programme)
    return s


def test_dashboards_render_accessibly(page, axe_check, browser_errors, scenario):
    from passnum.testing import PASSWORD

    s = scenario
    # The dashboards are long pages: allow a loaded machine more than the default wait.
    page.set_default_timeout(30_000)
    log_in(page, s.funder_admin.user.email, PASSWORD)
    page.goto(f"/organisations/{s.funder.pk}/")
    page.get_by_role("link", name="Tableaux de bord des programmes").click()
    page.get_by_role("link", name=s.programme.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord du programme")
    expect(page.get_by_role("heading", name="Alerte : part PIC sous l'objectif")).to_be_visible()
    expect(page.get_by_role("img", name="Entonnoir des pass")).to_be_visible()
    expect(page.get_by_role("img", name="Part des pass remis à des publics PIC, par territoire"))
    expect(page.get_by_role("table", name="Entonnoir par territoire")).to_be_visible()
    axe_check(page)
    screenshot(page, "steering-programme")
    page.get_by_role("link", name="Réallouer le stock de CCAS d'Aubervilliers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Réallouer")
    assert browser_errors == []

    page.context.clear_cookies()
    log_in(page, s.town_a_member.user.email, PASSWORD)
    page.goto(f"/organisations/{s.town_a.pk}/")
    page.get_by_role("link", name="Tableau de bord du territoire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord du territoire")
    expect(page.get_by_text("Saint-Denis")).to_have_count(0)
    axe_check(page)
    screenshot(page, "steering-municipality")
    with page.expect_download() as download:
        page.get_by_role("link", name="Rapport d'évaluation — Aubervilliers (PDF)").click()
    assert download.value.suggested_filename == (
        f"rapport-evaluation-aubervilliers-{s.programme.pk}.pdf"
    )
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.context.clear_cookies()
    log_in(page, s.hub_member.user.email, PASSWORD)
    page.goto(f"/organisations/{s.hub.pk}/")
    page.get_by_role("link", name="Tableau de bord des territoires").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord des territoires")
    axe_check(page)
    screenshot(page, "steering-hub")

    from organisations.models import Membership

    page.context.clear_cookies()
    log_in(page, Membership.objects.filter(organisation=s.ccas).first().user.email, PASSWORD)
    page.goto(f"/organisations/{s.ccas.pk}/")
    page.get_by_role("link", name="Mes chiffres de distribution").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes chiffres de distribution")
    axe_check(page)
    screenshot(page, "steering-prescriber")

    page.context.clear_cookies()
    page.goto("/pilotage/statistiques/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Statistiques publiques du pass numérique"
    )
    expect(page.get_by_role("table", name=s.programme.name)).to_be_visible()
    axe_check(page)
    screenshot(page, "steering-public")
    assert browser_errors == []
