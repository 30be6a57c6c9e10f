import json
import sys
import types

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from jobs.models import Job
from jobs.tasks import IMPORT_COMMUNES_KIND
from organisations.models import Membership
from passnum.testing import make_user

NBSP = "\xa0"


def detail_url(job) -> str:
    return reverse("jobs:detail", args=[job.pk])


def progress_url(job) -> str:
    return reverse("jobs:progress", args=[job.pk])


# --- Who may see a job ------------------------------------------------------------------------


def test_a_member_follows_the_jobs_of_their_organisation(client, member_a, make_job):
    job = make_job(organisation=member_a.organisation, created_by=member_a.user)
    client.force_login(member_a.user)
    response = client.get(detail_url(job))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Comptage de démonstration" in body
    assert "Ville d&#x27;Aubervilliers" in body
    assert client.get(progress_url(job)).status_code == 200


def test_a_member_of_another_organisation_gets_404(client, member_a, org_b, make_job):
    job = make_job(organisation=org_b)
    client.force_login(member_a.user)
    assert client.get(detail_url(job)).status_code == 404
    assert client.get(progress_url(job)).status_code == 404
    assert client.get(progress_url(job), headers={"HX-Request": "true"}).status_code == 404


def test_a_deactivated_member_gets_404(client, member_a, make_job):
    job = make_job(organisation=member_a.organisation)
    Membership.objects.filter(pk=member_a.pk).update(is_active=False, deactivated_at=job.created_at)
    client.force_login(member_a.user)
    assert client.get(detail_url(job)).status_code == 404


def test_staff_do_not_see_organisation_jobs_they_are_not_members_of(client, staff, org_b, make_job):
    job = make_job(organisation=org_b)
    client.force_login(staff)
    assert client.get(detail_url(job)).status_code == 404


def test_platform_jobs_are_for_staff_only(client, staff, member_a, make_job):
    job = make_job(organisation=None, kind=IMPORT_COMMUNES_KIND)
    client.force_login(member_a.user)
    assert client.get(detail_url(job)).status_code == 404
    assert client.get(progress_url(job)).status_code == 404
    client.force_login(staff)
    assert client.get(detail_url(job)).status_code == 200
    assert client.get(progress_url(job)).status_code == 200


def test_an_unknown_job_is_404(client, member_a):
    client.force_login(member_a.user)
    url = reverse("jobs:detail", args=["00000000-0000-4000-8000-000000000000"])
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, make_job, org_a):
    job = make_job(organisation=org_a)
    login = reverse("accounts:login")
    for url in (
        detail_url(job),
        progress_url(job),
        reverse("jobs:organisation_jobs", args=[org_a.pk]),
        reverse("jobs:communes_refresh"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{login}?next="), url


def test_a_polling_bar_whose_session_expired_redirects_the_whole_page(client, make_job, org_a):
    job = make_job(organisation=org_a)
    page = detail_url(job)
    response = client.get(
        progress_url(job),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert page in response["HX-Redirect"]


# --- The progress bar ---------------------------------------------------------------------------


def test_a_running_bar_polls_itself_and_says_where_it_is(client, member_a, make_job):
    job = make_job(
        status=Job.Status.RUNNING,
        organisation=member_a.organisation,
        progress_current=12_400,
        progress_total=155_000,
        message="Écriture des carnets",
    )
    client.force_login(member_a.user)
    body = client.get(progress_url(job)).content.decode()
    assert f'hx-get="{progress_url(job)}?etat=RUNNING"' in body
    assert 'hx-trigger="every 1s"' in body
    assert 'hx-swap="outerHTML"' in body
    assert 'max="155000" value="12400"' in body
    assert f"12{NBSP}400 / 155{NBSP}000 (8{NBSP}%)" in body.replace("&nbsp;", NBSP)
    assert 'role="status"' in body and 'aria-live="polite"' in body
    assert "Écriture des carnets" in body
    assert "En cours" in body


def test_a_pending_job_without_total_shows_an_indeterminate_bar(client, member_a, make_job):
    job = make_job(organisation=member_a.organisation)
    client.force_login(member_a.user)
    body = client.get(progress_url(job)).content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert "<progress" in body and "max=" not in body
    assert "En attente" in body


@pytest.mark.parametrize("status", [Job.Status.SUCCEEDED, Job.Status.FAILED])
def test_a_finished_bar_stops_polling(client, member_a, make_job, status):
    job = make_job(
        status=status,
        organisation=member_a.organisation,
        progress_current=155_000 if status == "SUCCEEDED" else 10,
        progress_total=155_000,
    )
    client.force_login(member_a.user)
    for headers in ({}, {"HX-Request": "true"}):
        body = client.get(progress_url(job), headers=headers).content.decode()
        assert "hx-trigger" not in body
        assert "hx-get" not in body
    if status == Job.Status.FAILED:
        assert "Le fichier est introuvable." in body
        assert "Échec" in body
    else:
        assert "Terminée" in body


def test_the_poll_that_sees_the_end_announces_it_and_fires_job_finished(client, member_a, make_job):
    job = make_job(
        status=Job.Status.SUCCEEDED,
        organisation=member_a.organisation,
        message="155 000 passes émis.",
    )
    client.force_login(member_a.user)
    response = client.get(f"{progress_url(job)}?etat=RUNNING", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'role="status"' not in body  # the live region stays in the page; only the bar swaps
    assert f'hx-swap-oob="innerHTML:#job-{job.pk}-annonce"' in body
    assert "terminée. 155 000 passes émis." in body
    assert json.loads(response["HX-Trigger"]) == {
        "jobFinished": {"id": str(job.pk), "status": "SUCCEEDED"}
    }
    # A poll that sees no change announces nothing.
    response = client.get(f"{progress_url(job)}?etat=SUCCEEDED", headers={"HX-Request": "true"})
    assert "hx-swap-oob" not in response.content.decode()
    assert "HX-Trigger" not in response


def test_other_apps_include_the_bar(member_a, make_job):
    job = make_job(status=Job.Status.RUNNING, organisation=member_a.organisation)
    request = RequestFactory().get("/commandes/12/")
    html = render_to_string("jobs/_progress.html", {"job": job}, request=request)
    assert f'id="job-{job.pk}-annonce"' in html
    assert 'hx-trigger="every 1s"' in html
    assert 'href="/commandes/12/">Rafraîchir</a>' in html


def test_the_detail_page_works_without_javascript(client, member_a, make_job):
    job = make_job(status=Job.Status.RUNNING, organisation=member_a.organisation)
    client.force_login(member_a.user)
    body = client.get(detail_url(job)).content.decode()
    assert f'href="{detail_url(job)}">Rafraîchir</a>' in body
    assert 'hx-trigger="jobFinished from:body"' in body
    assert "<script>" not in body and "style=" not in body  # strict CSP


def test_the_detail_page_shows_the_result(client, member_a, make_job):
    job = make_job(
        status=Job.Status.SUCCEEDED,
        organisation=member_a.organisation,
        created_by=member_a.user,
        result={"summary": "Tout est fait.", "booklets": 1550},
    )
    client.force_login(member_a.user)
    body = client.get(detail_url(job)).content.decode()
    assert "Tout est fait." in body
    assert "&quot;booklets&quot;: 1550" in body
    assert "Rafraîchir" not in body
    assert "jobFinished" not in body
    assert member_a.user.email in body


# --- The organisation's list ----------------------------------------------------------------


def test_members_list_their_organisation_s_recent_jobs(client, member_a, org_b, make_job):
    mine = make_job(organisation=member_a.organisation, label="Impression de la commande 12")
    make_job(organisation=org_b, label="Paiement de Bobigny")
    make_job(organisation=None, label="Import de la plateforme")
    client.force_login(member_a.user)
    response = client.get(reverse("jobs:organisation_jobs", args=[member_a.organisation_id]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Impression de la commande 12" in body and detail_url(mine) in body
    assert "Paiement de Bobigny" not in body
    assert "Import de la plateforme" not in body
    other = client.get(reverse("jobs:organisation_jobs", args=[org_b.pk]))
    assert other.status_code == 404


# --- Staff page: refresh the communes reference data -------------------------------------------


@pytest.fixture
def fake_geo(monkeypatch):
    """A stand-in for geo.services.import_communes (same signature), whatever geo ships."""
    calls = []

    class ReferenceDataError(Exception):
        pass

    def import_communes(source_dir, progress=None):
        calls.append(source_dir)
        if not source_dir.name:
            raise ReferenceDataError("Dossier source introuvable.")
        for done in range(0, 35_001, 2000):
            if progress is not None:
                progress(min(done, 35_000), 35_000)
        return {"communes": 35_000}

    module = types.SimpleNamespace(
        import_communes=import_communes, ReferenceDataError=ReferenceDataError
    )
    monkeypatch.setitem(sys.modules, "geo.services", module)
    return calls


def test_the_reference_data_page_refuses_non_staff(client, member_a):
    client.force_login(member_a.user)
    url = reverse("jobs:communes_refresh")
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not Job.objects.exists()


def test_staff_start_the_communes_refresh_and_follow_it(
    client, staff, fake_geo, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    url = reverse("jobs:communes_refresh")
    page = client.get(url)
    assert page.status_code == 200
    assert "Mettre à jour le référentiel" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(job)
    assert job.kind == IMPORT_COMMUNES_KIND
    assert job.organisation is None and job.created_by == staff
    assert job.status == Job.Status.SUCCEEDED
    assert (job.progress_current, job.progress_total) == (35_000, 35_000)
    assert job.result["communes"] == 35_000
    assert "35" in job.result["summary"]
    assert str(fake_geo[0]).endswith("node_modules/@etalab/decoupage-administratif/data")
    body = client.get(response["Location"]).content.decode()
    assert "Mise à jour du référentiel des communes" in body
    assert "Terminée" in body


def test_a_second_refresh_while_one_is_active_leads_to_the_first(
    client, staff, fake_geo, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    url = reverse("jobs:communes_refresh")
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url)  # stays pending: nothing runs it
    first = Job.objects.get()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url)
    assert response["Location"] == detail_url(first)
    assert Job.objects.count() == 1
    body = client.get(url).content.decode()
    assert "déjà en cours" in body
    assert 'type="submit" class="button"' not in body


def test_only_staff_with_an_active_account_see_platform_jobs(client, make_job):
    job = make_job(organisation=None)
    former = make_user(is_staff=True, is_active=False)
    client.force_login(former)
    assert client.get(detail_url(job)).status_code in (302, 404)
