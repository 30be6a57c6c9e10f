"""The print pages: permissions, the PDF job and its download, the CSV download, the journal."""

import io
from pathlib import Path

import pypdf
import pytest
from django.urls import reverse

from jobs.models import Job
from journal.models import JournalEntry
from ledger import codes, print_tasks
from ledger.models import Pass
from ledger.tests import factories
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org

pytestmark = pytest.mark.django_db

DOWNLOADS = JournalEntry.Action.PRINT_DOWNLOADED


@pytest.fixture
def order(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.STATIC_ROOT = tmp_path / "static"
    return factories.order(booklets=3)


def _client(client, membership):
    client.force_login(membership.user)
    return client


def _urls(order):
    return {
        "page": reverse("ledger:print", args=[order.pk]),
        "pdf": reverse("ledger:print_download", args=[order.pk]),
        "csv": reverse("ledger:variable_data", args=[order.pk]),
    }


def _build_pdf(client, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ledger:print_start", args=[order.pk]))
    assert response.status_code == 302
    return Job.objects.get(kind=print_tasks.JOB_KIND)


def test_funder_admin_builds_and_downloads_the_pdf(
    client, order, settings, django_capture_on_commit_callbacks
):
    admin = make_member(order.funder, Role.ADMIN)
    client = _client(client, admin)
    urls = _urls(order)
    page = client.get(urls["page"])
    assert page.status_code == 200
    assert "Aucun PDF n'a encore été produit" in page.content.decode()

    job = _build_pdf(client, order, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.organisation == order.funder
    assert job.result["pages"] == 9 and job.result["booklets"] == 3
    path = Path(settings.MEDIA_ROOT) / job.result["path"]
    assert path.is_file() and path.stat().st_size == job.result["size"]
    assert job.result["path"].startswith("print/")
    assert not path.resolve().is_relative_to(Path(settings.STATIC_ROOT).resolve())

    page = client.get(urls["page"]).content.decode()
    assert "Télécharger le PDF" in page and "Refaire le PDF" in page
    assert 'id="job-' in page  # the progress component of the job

    response = client.get(urls["pdf"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 9
    entry = JournalEntry.objects.get(action=DOWNLOADS)
    assert entry.details["file"] == "pdf"
    assert (entry.actor, entry.organisation, entry.object_id) == (
        admin.user,
        order.funder,
        str(order.pk),
    )


def test_issuer_admin_downloads_the_csv_with_bom(client, order):
    admin = make_member(order.issuer, Role.ADMIN)
    response = _client(client, admin).get(_urls(order)["csv"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffserial;code;qr_payload;booklet_serial;value_eur;valid_until")
    lines = text.splitlines()
    assert len(lines) == 31
    first = Pass.objects.filter(order=order).order_by("number").first()
    assert lines[1].split(";")[:2] == [first.serial, codes.pass_code(order.key_id, first.serial)]
    entry = JournalEntry.objects.get(action=DOWNLOADS)
    assert entry.details["file"] == "csv" and entry.organisation == order.issuer


def test_each_download_is_journaled(client, order, django_capture_on_commit_callbacks):
    client = _client(client, make_member(order.issuer, Role.ADMIN))
    _build_pdf(client, order, django_capture_on_commit_callbacks)
    urls = _urls(order)
    for url in (urls["pdf"], urls["csv"], urls["pdf"], urls["csv"], urls["csv"]):
        assert client.get(url).status_code == 200
    assert JournalEntry.objects.filter(action=DOWNLOADS).count() == 5
    assert JournalEntry.objects.filter(action=DOWNLOADS, details__file="pdf").count() == 2
    # the page itself is not a download
    client.get(urls["page"])
    assert JournalEntry.objects.filter(action=DOWNLOADS).count() == 5


def test_funder_member_gets_403(client, order):
    client = _client(client, make_member(order.funder, Role.MEMBER))
    for url in _urls(order).values():
        assert client.get(url).status_code == 403
    assert client.post(reverse("ledger:print_start", args=[order.pk])).status_code == 403
    assert not Job.objects.exists()
    assert not JournalEntry.objects.filter(action=DOWNLOADS).exists()


@pytest.mark.parametrize("who", ["prescriber_admin", "other_funder_admin"])
def test_other_organisations_get_404(client, order, who):
    if who == "prescriber_admin":
        organisation = make_org("CCAS d'Aubervilliers", kind=Organisation.Kind.PRESCRIBER)
    else:
        organisation = make_org("Département voisin", kind=Organisation.Kind.FUNDER)
    client = _client(client, make_member(organisation, Role.ADMIN))
    for url in _urls(order).values():
        assert client.get(url).status_code == 404
    assert client.post(reverse("ledger:print_start", args=[order.pk])).status_code == 404
    assert not Job.objects.exists()
    assert not JournalEntry.objects.filter(action=DOWNLOADS).exists()


def test_unknown_order_404_and_anonymous_to_login(client, order):
    admin = make_member(order.funder, Role.ADMIN)
    assert client.get(_urls(order)["page"]).status_code == 302
    client = _client(client, admin)
    assert client.get(reverse("ledger:print", args=[order.pk + 1000])).status_code == 404


def test_not_issued_order_cannot_be_printed(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    order = factories.order(status="CONFIRMED")
    client = _client(client, make_member(order.funder, Role.ADMIN))
    urls = _urls(order)
    assert "pas encore émis" in client.get(urls["page"]).content.decode()
    for response in (
        client.post(reverse("ledger:print_start", args=[order.pk]), follow=True),
        client.get(urls["csv"], follow=True),
    ):
        assert "pas encore émis" in response.content.decode()
    assert "aucun fichier" in client.get(urls["pdf"], follow=True).content.decode().lower()
    assert not Job.objects.exists()
    assert not JournalEntry.objects.filter(action=DOWNLOADS).exists()


def test_pdf_download_before_any_build_explains(client, order):
    client = _client(client, make_member(order.funder, Role.ADMIN))
    response = client.get(_urls(order)["pdf"], follow=True)
    assert "lancez d&#x27;abord l&#x27;impression" in response.content.decode()
    assert not JournalEntry.objects.filter(action=DOWNLOADS).exists()


def test_second_start_while_active_is_refused(client, order):
    admin = make_member(order.funder, Role.ADMIN)
    client = _client(client, admin)
    # Without running the on-commit callbacks, the first job stays pending.
    client.post(reverse("ledger:print_start", args=[order.pk]))
    response = client.post(reverse("ledger:print_start", args=[order.pk]), follow=True)
    assert "déjà en cours" in response.content.decode()
    assert Job.objects.count() == 1
    page = client.get(_urls(order)["page"]).content.decode()
    assert "Produire le PDF" not in page  # no second button while the job is active


def test_issuer_sees_the_funders_job_without_its_progress_bar(
    client, order, django_capture_on_commit_callbacks
):
    _build_pdf(
        _client(client, make_member(order.funder, Role.ADMIN)),
        order,
        django_capture_on_commit_callbacks,
    )
    client.logout()
    page = _client(client, make_member(order.issuer, Role.ADMIN)).get(_urls(order)["page"])
    text = page.content.decode()
    assert "lancée par Métropole du Grand Paris" in text
    assert "Télécharger le PDF" in text
