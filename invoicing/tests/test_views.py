"""The « Facturation » pages: who sees what (404 for another organisation, 403 for a wrong kind
or without the finance role, second factor before issuing), the screens, and the exports parsed
back (CSV for French Excel, XLSX, PDF)."""

import io
from dataclasses import dataclass
from datetime import date
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import User
from core.exports import read_xlsx
from invoicing import services
from invoicing.models import CreditNote, Invoice
from journal.models import JournalEntry
from ledger.models import Order
from ledger.tests import factories
from organisations.models import Organisation, Role
from passnum.testing import PASSWORD, make_member, make_org
from programmes.models import Programme

from .helpers import AFTER_END, ended_order, finance_member, verified_client

pytestmark = pytest.mark.django_db


@dataclass
class World:
    programme: Programme
    order: Order
    funder: Organisation
    issuer: Organisation
    funder_member: User
    issuer_finance: User
    issuer_admin: User  # no finance role
    outsider: User  # admin of another funder
    outsider_org: Organisation
    prescriber_user: User
    prescriber: Organisation


def make_world() -> World:
    order = factories.order(booklets=3)
    programme = order.programme
    other = factories.programme(name="Autre programme")
    prescriber = make_org("CCAS", kind=Organisation.Kind.PRESCRIBER)
    return World(
        programme,
        order,
        programme.funder,
        programme.issuer,
        make_member(programme.funder, Role.MEMBER).user,
        finance_member(programme.issuer).user,
        make_member(programme.issuer, Role.ADMIN).user,
        make_member(other.funder, Role.ADMIN).user,
        other.funder,
        make_member(prescriber, Role.ADMIN).user,
        prescriber,
    )


@pytest.fixture
def world():
    return make_world()


def login(client, user):
    client.login(email=user.email, password=PASSWORD)
    return client


def text(response) -> str:
    return unescape(response.content.decode())


def get_urls(w: World, org_id: int) -> list[str]:
    o, p = w.order.pk, w.programme.pk
    return [
        reverse("invoicing:billing", args=[org_id]),
        reverse("invoicing:billing_export", args=[org_id, "csv"]),
        reverse("invoicing:billing_export", args=[org_id, "xlsx"]),
        reverse("invoicing:order", args=[org_id, o]),
        reverse("invoicing:statement_export", args=[org_id, o, "csv"]),
        reverse("invoicing:statement_export", args=[org_id, o, "xlsx"]),
        reverse("invoicing:invoice_pdf", args=[org_id, o]),
        reverse("invoicing:credit_note_pdf", args=[org_id, o]),
        reverse("invoicing:contradictory_pdf", args=[org_id, o]),
        reverse("invoicing:cofinancing", args=[org_id, p]),
        reverse("invoicing:cofinancing_export", args=[org_id, p, "csv"]),
        reverse("invoicing:cofinancing_export", args=[org_id, p, "xlsx"]),
        reverse("invoicing:cofinancing_export", args=[org_id, p, "pdf"]),
    ]


def post_urls(w: World, org_id: int) -> list[str]:
    return [
        reverse("invoicing:invoice_issue", args=[org_id, w.order.pk]),
        reverse("invoicing:credit_note_issue", args=[org_id, w.order.pk]),
    ]


def test_anonymous_users_are_sent_to_log_in(client, world):
    for url in get_urls(world, world.funder.pk) + post_urls(world, world.issuer.pk):
        response = client.post(url) if url in post_urls(world, world.issuer.pk) else client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response.url, url


def test_another_funder_gets_404_everywhere(client, world):
    login(client, world.outsider)
    for org_id in (world.funder.pk, world.issuer.pk):
        for url in get_urls(world, org_id):
            assert client.get(url).status_code == 404, url
        for url in post_urls(world, org_id):
            assert client.post(url).status_code == 404, url
    # Through its own organisation, the other funder's order and programme are not found.
    for url in get_urls(world, world.outsider_org.pk)[3:]:
        assert client.get(url).status_code == 404, url
    for url in post_urls(world, world.outsider_org.pk):
        assert client.post(url).status_code == 404, url
    assert not Invoice.objects.exists()


def test_another_kind_of_organisation_gets_403(client, world):
    login(client, world.prescriber_user)
    for url in get_urls(world, world.prescriber.pk):
        assert client.get(url).status_code == 403, url
    for url in post_urls(world, world.prescriber.pk):
        assert client.post(url).status_code == 403, url


def test_issuing_needs_the_finance_role(client, world):
    login(client, world.issuer_admin)
    for url in post_urls(world, world.issuer.pk):
        assert client.post(url).status_code == 403, url
    page = client.get(reverse("invoicing:order", args=[world.issuer.pk, world.order.pk]))
    assert "un membre ayant le rôle finance l'émet" in text(page)
    assert "Émettre la facture" not in text(page)
    # The funder's members never issue, even with a finance role.
    funder_finance = finance_member(world.funder).user
    verified_client(client, funder_finance)
    for url in post_urls(world, world.funder.pk):
        assert client.post(url).status_code == 403, url
    # A read-only member of the issuer with the finance flag does not either.
    readonly = finance_member(world.issuer, Role.READONLY).user
    login(client, readonly)
    assert client.post(post_urls(world, world.issuer.pk)[0]).status_code == 403
    assert not Invoice.objects.exists()


def test_issuing_without_a_verified_second_factor_is_redirected(client, world):
    login(client, world.issuer_finance)
    for url in post_urls(world, world.issuer.pk):
        response = client.post(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:otp_verify"))
        assert "next=" in response.url
    assert not Invoice.objects.exists()


def test_finance_member_issues_the_invoice_and_both_parties_see_it(client, world):
    verified_client(client, world.issuer_finance)
    order_page = reverse("invoicing:order", args=[world.issuer.pk, world.order.pk])
    assert "Émettre la facture" in text(client.get(order_page))
    response = client.post(
        reverse("invoicing:invoice_issue", args=[world.issuer.pk, world.order.pk])
    )
    assert response.status_code == 302 and response.url == order_page
    invoice = Invoice.objects.get()
    page = text(client.get(order_page))
    assert f"Facture {invoice.number} émise" in page
    assert "312,00\u00a0€" in page  # 300,00 € + 4 % = 312,00 €
    # A second post: a clear message, nothing new.
    client.post(reverse("invoicing:invoice_issue", args=[world.issuer.pk, world.order.pk]))
    assert "est déjà émise" in text(client.get(order_page))
    assert Invoice.objects.count() == 1
    # The funder's member sees the invoice and downloads the PDF.
    login(client, world.funder_member)
    billing = text(client.get(reverse("invoicing:billing", args=[world.funder.pk])))
    assert invoice.number in billing and world.order.reference in billing
    pdf = client.get(reverse("invoicing:invoice_pdf", args=[world.funder.pk, world.order.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    content = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (
        f"Facture n° {invoice.number}",
        world.funder.name,
        world.issuer.name,
        world.order.reference,
        "MANDAT-2021-0042",
        "300,00",
        "12,00",
        "312,00",
        "Total HT",
    ):
        assert expected in content, expected
    assert JournalEntry.objects.filter(
        action=JournalEntry.Action.EXPORT_DOWNLOADED, details__export="facture"
    ).exists()


def test_billing_page_empty_state_and_pagination(client, world):
    login(client, world.outsider)
    page = client.get(reverse("invoicing:billing", args=[world.outsider_org.pk]))
    assert "Aucune commande confirmée pour l'instant" in text(page)
    for _ in range(26):
        Order.objects.filter(pk=factories.order(world.programme, booklets=1, status="CONFIRMED").pk)
    login(client, world.funder_member)
    first = text(client.get(reverse("invoicing:billing", args=[world.funder.pk])))
    assert "27 commandes de" in first and "Page 1 sur 2" in first
    second = text(client.get(reverse("invoicing:billing", args=[world.funder.pk]), {"page": 2}))
    assert "Page 2 sur 2" in second


def test_billing_exports_parse_back(client, world):
    services.issue_invoice(world.order, by=world.issuer_finance)
    login(client, world.funder_member)
    csv = client.get(reverse("invoicing:billing_export", args=[world.funder.pk, "csv"]))
    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:3] == ["Commande", "Programme", "Commanditaire"]
    row = lines[1].split(";")
    assert row[0] == world.order.reference and row[6] == "300,00" and row[8] == "312,00"
    xlsx = client.get(reverse("invoicing:billing_export", args=[world.funder.pk, "xlsx"]))
    rows = read_xlsx(xlsx.content)
    assert rows[1][0] == world.order.reference and float(rows[1][8]) == 312.0
    assert (
        client.get(reverse("invoicing:billing_export", args=[world.funder.pk, "ods"])).status_code
        == 404
    )


def test_statement_page_and_exports(client, world):
    login(client, world.funder_member)
    page = text(client.get(reverse("invoicing:order", args=[world.funder.pk, world.order.pk])))
    assert "Relevé de compte de la commande" in page
    assert "L'émetteur n'a pas encore émis la facture" in page
    csv = client.get(
        reverse("invoicing:statement_export", args=[world.funder.pk, world.order.pk, "csv"])
    )
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Ligne;Nombre de pass;Montant (€)"
    assert "Pass commandés;30;300,00" in lines
    assert "Pass activés;30;300,00" in lines
    assert "Encore valables (en stock ou remis, non utilisés);30;300,00" in lines
    xlsx = client.get(
        reverse("invoicing:statement_export", args=[world.funder.pk, world.order.pk, "xlsx"])
    )
    rows = read_xlsx(xlsx.content)
    assert rows[1][:2] == ["Pass commandés", 30]
    assert (
        JournalEntry.objects.filter(
            action=JournalEntry.Action.EXPORT_DOWNLOADED, details__export="relevé de compte"
        ).count()
        == 2
    )


def test_credit_note_through_the_pages(client):
    ended = ended_order(booklets=2, used=3, cancelled=2)
    order, issuer = ended.order, ended.order.issuer
    finance = finance_member(issuer).user
    services.issue_invoice(order, by=finance)
    issue = reverse("invoicing:credit_note_issue", args=[issuer.pk, order.pk])
    order_page = reverse("invoicing:order", args=[issuer.pk, order.pk])
    with time_machine.travel(date(2030, 7, 15), tick=False):  # sessions last 10 hours
        verified_client(client, finance)
        assert (
            client.get(
                reverse("invoicing:contradictory_pdf", args=[issuer.pk, order.pk])
            ).status_code
            == 404
        )
        client.post(issue)
        assert "l'avoir ne peut être établi qu'à partir du 01/08/2030" in text(
            client.get(order_page)
        )
    assert not CreditNote.objects.exists()
    with time_machine.travel(AFTER_END, tick=False):
        client.logout()
        verified_client(client, finance)
        page = text(client.get(order_page))
        assert "L'avoir portera sur 17 pass, soit 170,00\u00a0€." in page
        # The état contradictoire before the credit note: today's figures.
        before = client.get(reverse("invoicing:contradictory_pdf", args=[issuer.pk, order.pk]))
        assert (
            "avant l'émission de l'avoir"
            in PdfReader(io.BytesIO(before.content)).pages[0].extract_text()
        )
        client.post(issue)
        note = CreditNote.objects.get()
        assert note.amount_cents == 17_000
        pdf = client.get(reverse("invoicing:credit_note_pdf", args=[issuer.pk, order.pk]))
        etat = client.get(reverse("invoicing:contradictory_pdf", args=[issuer.pk, order.pk]))
    content = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert f"Avoir n° {note.number}" in content and "170,00" in content
    content = PdfReader(io.BytesIO(etat.content)).pages[0].extract_text()
    for expected in (
        "État contradictoire de fin de validité",
        f"avoir n° {note.number}",
        "Pour l'émetteur",
        "Pour le commanditaire",
        "Signature",
        "3 utilisés + 17 non utilisés = 20 pass pour 20 commandés",
    ):
        assert expected in content, expected


def test_workspace_links(client, world):
    login(client, world.funder_member)
    page = text(client.get(reverse("organisations:detail", args=[world.funder.pk])))
    assert reverse("invoicing:billing", args=[world.funder.pk]) in page
    assert "Facturation et cofinancement" in page
    login(client, world.prescriber_user)
    page = text(client.get(reverse("organisations:detail", args=[world.prescriber.pk])))
    assert "Facturation" not in page


def test_the_ledger_order_page_links_to_its_account(client, world):
    """Each party reaches the order's invoice and statement from the ledger's order page, in its
    own workspace; a draft has no money yet, hence no link."""
    for user, org in ((world.funder_member, world.funder), (world.issuer_admin, world.issuer)):
        login(client, user)
        page = text(client.get(reverse("ledger:order_detail", args=[world.order.pk])))
        assert reverse("invoicing:order", args=[org.pk, world.order.pk]) in page
        assert "Facture, avoir et relevé de compte de la commande" in page
    draft = factories.order(world.programme, status="DRAFT")
    login(client, world.funder_member)
    page = text(client.get(reverse("ledger:order_detail", args=[draft.pk])))
    assert "relevé de compte de la commande" not in page
