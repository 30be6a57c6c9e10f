"""The progress bar in a real browser (Debian's headless Chromium, strict CSP, axe-core)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot
from jobs.models import Job
from passnum.testing import PASSWORD

# The shared browser fixtures (root conftest.py: page, axe_check, browser_errors) are used below.

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bar_follows_a_job_to_its_end_then_stops_polling(
    page, axe_check, browser_errors, member_a, make_job
):
    job = make_job(
        status=Job.Status.RUNNING,
        organisation=member_a.organisation,
        label="Impression de la commande 12",
        progress_current=10,
        progress_total=100,
        message="Impression des carnets…",
    )
    log_in(page, member_a.user.email, PASSWORD)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/progression/" in r.url else None)
    page.goto(f"/taches/{job.pk}/")
    expect(page.get_by_role("link", name="Rafraîchir")).to_be_visible()

    bar = page.locator(f"#job-{job.pk}-barre")
    expect(bar).to_contain_text(re.compile(r"10\s/\s100\s\(10\s%\)"))
    expect(page.get_by_role("progressbar", name="Impression de la commande 12")).to_have_attribute(
        "value", "10"
    )
    axe_check(page)
    screenshot(page, "job-running")

    Job.objects.filter(pk=job.pk).update(progress_current=50)
    expect(bar).to_contain_text(re.compile(r"50\s/\s100\s\(50\s%\)"))
    assert polls, "the bar never polled"

    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        progress_current=100,
        finished_at=now,
        updated_at=now,
        message="100 carnets imprimés.",
        result={"summary": "100 carnets imprimés.", "booklets": 100},
    )
    expect(bar).to_contain_text("Terminée")
    # Screen readers hear the end (live region kept in the page, filled out of band)...
    expect(page.locator(f"#job-{job.pk}-annonce")).to_have_text(
        "Impression de la commande 12 : terminée. 100 carnets imprimés."
    )
    # ...and the page's details refresh themselves on the jobFinished event.
    expect(page.locator("#job-details")).to_contain_text("Données détaillées du résultat")
    expect(bar).not_to_have_attribute("hx-trigger", re.compile(".*"))
    expect(page.get_by_role("link", name="Rafraîchir")).to_have_count(0)

    count = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == count, "the bar kept polling after the end"
    axe_check(page)
    screenshot(page, "job-finished")
    # The site has no favicon yet (not this app's business); anything else is a real error.
    # A poll still in flight when its element is swapped out is aborted by the browser
    # (net::ERR_ABORTED): that is htmx working as intended, not an error of the page.
    errors = [
        error
        for error in browser_errors
        if "/favicon.ico" not in error and "ERR_ABORTED" not in error
    ]
    assert not errors, "\n".join(errors)


def test_staff_refresh_the_communes_from_the_browser(
    page, axe_check, browser_errors, staff, monkeypatch, settings
):
    fixtures = settings.BASE_DIR / "geo/tests/fixtures/decoupage"
    monkeypatch.setattr("jobs.views.default_communes_source_dir", lambda: fixtures)
    log_in(page, staff.email, PASSWORD)
    page.goto("/taches/referentiel/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Mise à jour du référentiel des communes"
    )
    axe_check(page)
    page.get_by_role("button", name="Mettre à jour le référentiel").click()
    # Tasks run immediately in tests: the detail page shows the finished job.
    expect(page).to_have_url(re.compile(r"/taches/[0-9a-f-]{36}/$"))
    expect(page.locator(".job-progress-bar")).to_contain_text("Terminée")
    expect(page.locator(".job-progress-bar")).to_contain_text("Référentiel des communes importé")
    axe_check(page)
    page.goto("/taches/referentiel/")
    expect(page.get_by_role("table")).to_contain_text("Mise à jour du référentiel des communes")
    errors = [error for error in browser_errors if "/favicon.ico" not in error]
    assert not errors, "\n".join(errors)


def test_the_organisation_s_job_list_is_accessible(page, axe_check, member_a, make_job):
    make_job(organisation=member_a.organisation, label="Impression de la commande 12")
    log_in(page, member_a.user.email, PASSWORD)
    page.goto(f"/taches/organisation/{member_a.organisation_id}/")
    expect(page.get_by_role("link", name="Impression de la commande 12")).to_be_visible()
    axe_check(page)
