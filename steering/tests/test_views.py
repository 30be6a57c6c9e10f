"""Each role sees only its own slice; exports parse back; bad export names are 404."""

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from core.exports import read_xlsx
from organisations.models import Organisation, Role
from passnum.testing import PASSWORD, make_member, make_org
from steering import services

from .scenario import at, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def s():
    scenario = build()
    with time_machine.travel(at(2021, 6, 30), tick=False):
        services.refresh_programme(scenario.programme)
    return scenario


def _client(client, membership):
    client.login(email=membership.user.email, password=PASSWORD)
    return client


def _csv(response) -> list[list[str]]:
    content = response.content
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_funder_sees_the_programme_dashboard(client, s):
    c = _client(client, s.funder_admin)
    response = c.get(reverse("steering:programme", args=[s.programme.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tableau de bord du programme" in html
    assert "Alerte : part PIC sous l'objectif" in html
    assert "Aubervilliers" in html and "Saint-Denis" in html
    assert 'role="img"' in html and '<title id="chart-funnel-title">' in html
    assert "Réallouer" in html and reverse("ledger:reallocate", args=[s.funder.pk]) in html
    assert "à venir" not in html  # the payments app counts reimbursed passes
    home = c.get(reverse("steering:home", args=[s.funder.pk]))
    assert s.programme.name in home.content.decode()


def test_exports_parse_back(client, s):
    c = _client(client, s.funder_admin)
    url = reverse("steering:programme_export", args=[s.programme.pk, "entonnoir", "csv"])
    rows = _csv(c.get(url))
    assert rows[0][0] == "Territoire" and rows[0][5] == "Taux d'utilisation (%)"
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Aubervilliers"][1:4] == ["10", "8", "4"]
    assert by_name["Aubervilliers"][6] == "37,5"
    assert by_name["Aubervilliers"][10] == "3,5"
    assert by_name["Total"][4] == "0"
    url = reverse("steering:programme_export", args=[s.programme.pk, "entonnoir", "xlsx"])
    sheet = read_xlsx(c.get(url).content)
    assert sheet[0][0] == "Territoire"
    xlsx = {row[0]: row for row in sheet[1:]}
    assert xlsx["Saint-Denis"][2] == 2 and xlsx["Saint-Denis"][10] == 13
    assert xlsx["Total"][6] == 50.0
    anct = _csv(c.get(reverse("steering:programme_export", args=[s.programme.pk, "anct", "csv"])))
    assert anct[1][:8] == ["Aubervilliers", "93001", s.programme.name, "10", "4", "8", "3", "37,5"]
    assert anct[2][9:] == ["0", "0,0"]
    for table in ("mois", "stock", "validite", "anct"):
        for fmt in ("csv", "xlsx"):
            r = c.get(reverse("steering:programme_export", args=[s.programme.pk, table, fmt]))
            assert r.status_code == 200
    stock = _csv(c.get(reverse("steering:programme_export", args=[s.programme.pk, "stock", "csv"])))
    assert any(row[0] == "Centre social Floréal" and row[3] == "8" for row in stock[1:])
    bad = [
        reverse("steering:programme_export", args=[s.programme.pk, "entonnoir", "pdf"]),
        reverse("steering:programme_export", args=[s.programme.pk, "inconnu", "csv"]),
    ]
    for url in bad:
        assert c.get(url).status_code == 404


def test_municipality_sees_only_its_territory(client, s):
    c = _client(client, s.town_a_member)
    response = c.get(reverse("steering:municipality", args=[s.town_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Aubervilliers" in html and "Saint-Denis" not in html
    assert "Centre social Floréal" not in html and "Métropole du Grand Paris" not in html
    rows = _csv(
        c.get(reverse("steering:municipality_export", args=[s.town_a.pk, "entonnoir", "csv"]))
    )
    assert [row[0] for row in rows[1:]] == ["Aubervilliers", "Total"]
    assert rows[2][2] == "8"  # the total is its own, not the programme's
    # Orders are the funder's: a territory's « Commandés » is « sans objet », never 0.
    assert "Commandés : sans objet" in html
    months = _csv(c.get(reverse("steering:municipality_export", args=[s.town_a.pk, "mois", "csv"])))
    assert months[0][1] == "Commandés" and {row[1] for row in months[1:]} == {"sans objet"}
    # Another municipality's figures: 404 everywhere.
    assert c.get(reverse("steering:municipality", args=[s.town_b.pk])).status_code == 404
    for table in ("entonnoir", "stock"):
        url = reverse("steering:municipality_export", args=[s.town_b.pk, table, "csv"])
        assert c.get(url).status_code == 404
    assert c.get(reverse("steering:programme", args=[s.programme.pk])).status_code == 404
    url = reverse("steering:programme_export", args=[s.programme.pk, "entonnoir", "csv"])
    assert c.get(url).status_code == 404
    assert c.get(reverse("steering:hub", args=[s.hub.pk])).status_code == 404
    # Its own id under the wrong dashboard kind: 404 too.
    assert c.get(reverse("steering:hub", args=[s.town_a.pk])).status_code == 404
    assert c.get(reverse("steering:home", args=[s.town_a.pk])).status_code == 302


def test_hub_sees_its_programmes_territories(client, s):
    c = _client(client, s.hub_member)
    response = c.get(reverse("steering:hub", args=[s.hub.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Aubervilliers" in html and "Saint-Denis" in html
    assert "Réallouer" not in html
    url = reverse("steering:hub_export", args=[s.hub.pk, "entonnoir", "xlsx"])
    assert read_xlsx(c.get(url).content)[0][0] == "Territoire"
    assert c.get(reverse("steering:programme", args=[s.programme.pk])).status_code == 404
    assert c.get(reverse("steering:municipality", args=[s.town_a.pk])).status_code == 404


def test_outsiders_get_404_on_every_page(client, s):
    other_funder = make_org("Département", kind=Organisation.Kind.FUNDER)
    outsider = make_member(other_funder, Role.ADMIN)
    c = _client(client, outsider)
    urls = [
        reverse("steering:home", args=[s.funder.pk]),
        reverse("steering:programme", args=[s.programme.pk]),
        reverse("steering:programme_export", args=[s.programme.pk, "entonnoir", "csv"]),
        reverse("steering:municipality", args=[s.town_a.pk]),
        reverse("steering:municipality_export", args=[s.town_a.pk, "entonnoir", "csv"]),
        reverse("steering:hub", args=[s.hub.pk]),
        reverse("steering:hub_export", args=[s.hub.pk, "entonnoir", "csv"]),
    ]
    for url in urls:
        assert c.get(url).status_code == 404, url
    refresh = reverse("steering:programme_refresh", args=[s.programme.pk])
    assert c.post(refresh).status_code == 404
    # Its own funder has no programme: an empty list, not someone else's.
    home = c.get(reverse("steering:home", args=[other_funder.pk])).content.decode()
    assert s.programme.name not in home
    # Anonymous visitors are sent to the login page.
    client.logout()
    assert client.get(urls[1]).status_code == 302


def test_refresh_button_starts_the_job_and_readonly_is_refused(
    client, s, django_capture_on_commit_callbacks
):
    from jobs.models import Job

    readonly = make_member(s.funder, Role.READONLY)
    c = _client(client, readonly)
    url = reverse("steering:programme_refresh", args=[s.programme.pk])
    assert c.get(reverse("steering:programme", args=[s.programme.pk])).status_code == 200
    assert c.post(url).status_code == 403
    assert not Job.objects.filter(kind=services.REFRESH_JOB_KIND).exists()
    c.logout()
    c = _client(client, s.funder_admin)
    assert c.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(url)
    job = Job.objects.get(kind=services.REFRESH_JOB_KIND)
    assert response.status_code == 302 and str(job.pk) in response["Location"]
    job.refresh_from_db()
    assert job.status == "SUCCEEDED", job.error


def test_public_statistics_page_without_login(client, s):
    response = client.get(reverse("steering:public"))
    assert response.status_code == 200
    html = response.content.decode()
    assert s.programme.name in html and "moins de 11" in html
    assert "CCAS" not in html and "B-" not in html
    rows = _csv(client.get(reverse("steering:public_export", args=[s.programme.pk, "csv"])))
    by_name = {row[0]: row for row in rows[1:]}
    # 8 passes handed out in Aubervilliers: masked, and no share over so few passes.
    assert by_name["Aubervilliers"][1] == "moins de 11" and by_name["Aubervilliers"][4] == ""
    assert by_name["Total"][1] == "moins de 11"
    assert client.get(reverse("steering:public_export", args=[999999, "csv"])).status_code == 404
    assert (
        client.get(reverse("steering:public_export", args=[s.programme.pk, "pdf"])).status_code
        == 404
    )


def test_reimbursed_is_shown_as_coming_without_the_payments_app(client, s, monkeypatch):
    from steering import queries

    monkeypatch.setattr(queries, "payments_available", lambda: False)
    c = _client(client, s.funder_admin)
    html = c.get(reverse("steering:programme", args=[s.programme.pk])).content.decode()
    assert "à venir (contre-paiements)" in html
    rows = _csv(c.get(reverse("steering:programme_export", args=[s.programme.pk, "mois", "csv"])))
    assert {row[5] for row in rows[1:]} == {"à venir"}


def test_prescriber_and_operator_see_their_own_slice(client, s):
    from organisations.models import Membership

    ccas_member = Membership.objects.filter(organisation=s.ccas).first()
    c = _client(client, ccas_member)
    assert c.get(reverse("steering:home", args=[s.ccas.pk])).status_code == 302
    response = c.get(reverse("steering:slice", args=[s.ccas.pk]))
    assert response.status_code == 200
    rows = _csv(c.get(reverse("steering:slice_export", args=[s.ccas.pk, "remises", "csv"])))
    assert rows[1] == [s.programme.name, "2", "8", "4", "50,0", "37,5", "62,5", "3,5"]
    assert c.get(reverse("steering:slice", args=[s.centre.pk])).status_code == 404
    url = reverse("steering:slice_export", args=[s.centre.pk, "remises", "csv"])
    assert c.get(url).status_code == 404
    url = reverse("steering:slice_export", args=[s.ccas.pk, "encaissements", "csv"])
    assert c.get(url).status_code == 404
    assert c.get(reverse("steering:municipality", args=[s.town_a.pk])).status_code == 404
    c.logout()

    assoc = Organisation.objects.get(name="Association Clic Solidaire")
    member = Membership.objects.filter(organisation=assoc).first()
    c = _client(client, member)
    sheet = read_xlsx(
        c.get(reverse("steering:slice_export", args=[assoc.pk, "encaissements", "xlsx"])).content
    )
    assert sheet[1:] == [
        ["03/2021", "Lieu Association Clic Solidaire", 3, 0],
        ["04/2021", "Lieu Association Clic Solidaire", 1, 0],
    ]
    assert c.get(reverse("steering:slice", args=[s.ccas.pk])).status_code == 404
    assert c.get(reverse("steering:programme", args=[s.programme.pk])).status_code == 404
