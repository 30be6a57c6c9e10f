"""« Rapport d'évaluation du territoire » (PDF): the hand-computed figures of the scenario
(scenario.py) and the territory's follow-up appear in the text of the downloaded PDF, empty
states in French, no query on the ledger, and who may download it."""

import io
from datetime import date
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from core.pdf import html_paragraphs
from followup import services as followup
from followup.tests import helpers
from organisations.models import Membership, Organisation, Role
from passnum.testing import PASSWORD, make_member, make_org
from programmes.models import Territory
from steering import services
from steering.report import report_data, territory_report

from .scenario import at, build

pytestmark = pytest.mark.django_db

MINUTES = (
    "<h3>Relevé de décisions</h3><ul><li>Carnets confiés au CCAS &amp; au centre social</li>"
    "<li>Relance des structures</li></ul><p>Seuil &lt; 10 pass <b>validé</b>.</p>"
)


def _follow_up(s) -> None:
    """A referent, a training with attendance, a committee with minutes, a submitted retour
    d'expérience and a sharing meeting, for Aubervilliers, through the follow-up services."""
    town_admin = make_member(s.town_a, Role.ADMIN)
    town_admin.user.first_name, town_admin.user.last_name = "Awa", "Référente"
    town_admin.user.save()
    followup.set_referents(
        s.territory_a, [town_admin.user], by=town_admin.user, organisation=s.town_a
    )
    hub_admin = make_member(s.hub, Role.ADMIN).user
    w = SimpleNamespace(
        programme=s.programme,
        territory_a=s.territory_a,
        hub=s.hub,
        hub_member=hub_admin,
        funder=s.funder,
        funder_admin=s.funder_admin.user,
    )
    # CCAS registered and present, one person registered and absent: 1 present out of 2.
    followup.set_training_attendance(
        helpers.training(w),
        registered=[s.ccas],
        attended=[s.ccas],
        registered_names=["M. Absent"],
        by=hub_admin,
        organisation=s.hub,
    )
    followup.set_committee_attendance(
        helpers.committee(w, text=MINUTES),
        present=[s.town_a, s.ccas],
        names=["Adjointe au numérique"],
        by=hub_admin,
        organisation=s.hub,
    )
    feedback = followup.save_feedback(
        s.territory_a,
        {
            "booklets_distributed": 1,
            "passes_distributed": 9,
            "people_reached": 6,
            "pic_people": 3,
            "qpv_people": 2,
            "publics_comment": "Surtout des demandeurs d'emploi.",
            "prescribers_mobilised": 1,
            "operators_mobilised": 2,
            "actors_comment": "Le CCAS a porté les prescriptions.",
            "what_worked": "Les permanences communes.",
            "difficulties": "Peu de créneaux le samedi.",
            "suggestions": "Une formation de rappel.",
            "would_continue": True,
        },
        by=town_admin.user,
        organisation=s.town_a,
    )
    with time_machine.travel(at(2022, 1, 20, 9), tick=False):
        followup.submit_feedback(feedback, by=town_admin.user, organisation=s.town_a)
    meeting = helpers.meeting(w, invited=[s.territory_a])
    followup.set_meeting_presence(
        meeting, present=[s.territory_a], by=s.funder_admin.user, organisation=s.funder
    )


@pytest.fixture
def s():
    scenario = build()
    _follow_up(scenario)
    with time_machine.travel(at(2021, 6, 30), tick=False):
        services.refresh_programme(scenario.programme)
    return scenario


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\xa0", " ").split())


def _get(client, membership, territory):
    client.logout()
    if membership is not None:
        client.login(email=membership.user.email, password=PASSWORD)
    return client.get(reverse("steering:territory_report", args=[territory.pk]))


def test_report_of_aubervilliers_has_its_figures_and_follow_up(client, s):
    response = _get(client, s.town_a_member, s.territory_a)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="rapport-evaluation-aubervilliers-{s.programme.pk}.pdf"'
    )
    text = _text(response.content)
    expected = [
        "Rapport d'évaluation du territoire",
        "Aubervilliers — Pass numérique Grand Paris 2021",
        "Chiffres au 30/06/2021 10:00 (heure de Paris)",
        # Hand-computed figures (scenario.py): allocated 10, handed out 8, used 4.
        "Pass alloués au territoire (net) 10",
        "Pass remis aux bénéficiaires 8",
        "Pass utilisés 4",
        "Taux d'utilisation (utilisés / remis) 50 %",
        "37,5 % — sous l'objectif de 50 %",
        "Alerte : la part PIC (37,5 %) est sous l'objectif de 50 %",
        "habitants de QPV 62,5 %",
        "opérateur associatif privé 75 %",
        "Délai médian entre remise et utilisation 3,5 jours",
        "03/2021 10 8 4",  # the month: allocated (net), handed out, used
        "CCAS d'Aubervilliers",
        s.order.reference,
        # Follow-up.
        "Awa Référente",
        "Prescrire le pass numérique",
        "1 / 2 50 %",
        "Comité du 07/12/2021 10:00 — Mairie d'Aubervilliers",
        "Ordre du jour : Bilan des premiers mois ; volumes distribués.",
        "Adjointe au numérique",
        "Ville d'Aubervilliers",
        "Relevé de décisions",
        "- Carnets confiés au CCAS & au centre social",
        "Seuil < 10 pass validé.",
        "Transmis le 20/01/2022 09:00",
        "Pass remis aux bénéficiaires 9 8",  # declared vs measured
        "Publics PIC 3 personnes (50 % des personnes accompagnées)",
        "3 pass remis (37,5 % des pass remis)",
        "2 personnes (33,3 % des personnes accompagnées) 5 pass remis (62,5 %",
        "Peu de créneaux le samedi.",
        "Souhaite poursuivre le dispositif oui",
        "15/03/2022 09:30 Atteindre les publics PIC À distance présent",
        "Page 1 sur",
        "généré le",
    ]
    for item in expected:
        assert item in text, item
    # Not another territory's name or holder; no missing glyph (a narrow no-break space).
    for absent in ("Saint-Denis", "Centre social Floréal", "\u25a0"):
        assert absent not in text, absent
    for empty in ("Aucun comité", "non encore transmis", "Aucun référent", "Aucune formation"):
        assert empty not in text


def test_territory_without_follow_up_shows_empty_states(client, s):
    text = _text(_get(client, s.town_b_member, s.territory_b).content)
    assert "Aubervilliers" not in text
    for item in (
        "Saint-Denis",
        "Pass remis aux bénéficiaires 2",
        "100 % — objectif de 50 % atteint",
        "Délai médian entre remise et utilisation 13 jours",
        "Aucun référent désigné.",
        "Aucune formation enregistrée pour ce territoire.",
        "Aucun comité de suivi enregistré.",
        "Retour d'expérience non encore transmis.",
        "Aucune réunion de partage d'expérience.",
    ):
        assert item in text, item


def test_minutes_only_in_pdf(client, s, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hub_admin = make_member(s.hub, Role.ADMIN).user
    w = SimpleNamespace(territory_a=s.territory_b, hub=s.hub, hub_member=hub_admin)
    helpers.committee(w, upload=helpers.pdf())
    text = _text(_get(client, s.town_b_member, s.territory_b).content)
    assert "Comité du 07/12/2021 10:00" in text
    assert "Compte rendu en PDF joint sur la plateforme." in text
    assert "Compte rendu non encore enregistré." not in text
    assert "Aucun comité de suivi enregistré." not in text


def test_figures_never_computed(client):
    s = build()
    text = _text(_get(client, s.funder_admin, s.territory_a).content)
    assert "Chiffres non encore calculés" in text
    assert "Aucun mouvement de pass enregistré pour ce territoire." in text
    assert "Aucune commande en cours pour ce territoire." in text


def test_the_report_never_reads_the_ledger(client, s):
    client.login(email=s.hub_member.user.email, password=PASSWORD)
    url = reverse("steering:territory_report", args=[s.territory_a.pk])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert any("steering_figure" in q for q in sql)
    assert not [q for q in sql if "ledger_pass" in q]  # nor ledger_passevent


def test_who_may_download_the_report(client, s):
    ok = {
        "funder admin": s.funder_admin,
        "funder read-only": make_member(s.funder, Role.READONLY),
        "own municipality": s.town_a_member,
        "own municipality read-only": make_member(s.town_a, Role.READONLY),
        "hub (read-only)": s.hub_member,
    }
    for who, membership in ok.items():
        assert _get(client, membership, s.territory_a).status_code == 200, who

    other = build_other_hub_programme()
    refused = {
        "other municipality": s.town_b_member,
        "hub of another programme": other,
        "prescriber": Membership.objects.filter(organisation=s.ccas).first(),
        "operator": Membership.objects.filter(
            organisation__kind=Organisation.Kind.OPERATOR
        ).first(),
    }
    for who, membership in refused.items():
        assert _get(client, membership, s.territory_a).status_code == 404, who

    assert _get(client, s.town_b_member, s.territory_b).status_code == 200
    client.login(email=s.funder_admin.user.email, password=PASSWORD)
    missing = reverse("steering:territory_report", args=[Territory.objects.count() + 999])
    assert client.get(missing).status_code == 404

    anonymous = _get(client, None, s.territory_a)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))


def build_other_hub_programme() -> Membership:
    from ledger.tests import factories

    other_hub = make_org("Hub Sud", kind=Organisation.Kind.HUB)
    factories.programme(name="Autre programme", hub=other_hub)
    return make_member(other_hub, Role.ADMIN)


def test_dashboards_link_to_the_reports(client, s):
    url_a = reverse("steering:territory_report", args=[s.territory_a.pk])
    url_b = reverse("steering:territory_report", args=[s.territory_b.pk])
    client.login(email=s.funder_admin.user.email, password=PASSWORD)
    html = client.get(reverse("steering:programme", args=[s.programme.pk])).content.decode()
    assert url_a in html and url_b in html
    assert "Rapport d'évaluation — Aubervilliers (PDF)" in html
    client.logout()
    client.login(email=s.town_a_member.user.email, password=PASSWORD)
    html = client.get(reverse("steering:municipality", args=[s.town_a.pk])).content.decode()
    assert url_a in html and url_b not in html
    client.logout()
    client.login(email=s.hub_member.user.email, password=PASSWORD)
    html = client.get(reverse("steering:hub", args=[s.hub.pk])).content.decode()
    assert url_a in html and url_b in html


def test_report_data_and_html_paragraphs(s):
    data = report_data(s.territory_a)
    assert data.line.pic_share == 37.5 and data.followup["feedback"]["pic_people"] == 3
    assert data.dashboard.months[0][0] == date(2021, 3, 1)
    assert territory_report(s.territory_a).startswith(b"%PDF")
    assert html_paragraphs(MINUTES) == [
        "Relevé de décisions",
        "- Carnets confiés au CCAS & au centre social",
        "- Relance des structures",
        "Seuil < 10 pass validé.",
    ]
    assert html_paragraphs("<table><tr><th>A</th><td>1</td></tr></table>") == ["A | 1"]
    assert html_paragraphs("") == []
