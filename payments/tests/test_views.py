"""Counter-payment screens: permissions on every view (404 non-member, 403 non-finance, another
operator 404), two-factor authentication, four eyes through the UI, exports and statements parsed
back, bad input refused in French with nothing changed."""

import html
import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from core.exports import read_xlsx
from journal.models import JournalEntry
from ledger.models import EventKind, PassEvent
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org
from payments import services
from payments.models import LineStatus, PayerBankAccount, PaymentRun, RunStatus
from payments.tests.helpers import finance_user, paris, world
from programmes.models import Programme

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def verify(client, user) -> None:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    response = client.post(reverse("accounts:otp_verify"), {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302


def login(client, user, *, verified: bool = True) -> None:
    client.force_login(user)
    if verified:
        verify(client, user)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    body = content.decode("utf-8").lstrip("\ufeff").strip()
    return [row.split(";") for row in body.split("\r\n")]


@pytest.fixture
def w():
    w = world()
    w.redeem(0, w.passes[0:3], paris(2026, 1, 10))
    w.redeem(1, w.passes[3:5], paris(2026, 1, 20))
    return w


def _exported(w):
    run = services.prepare_run(
        payer=w.payer, programme=w.programme, period_end=date(2026, 1, 31), actor=w.finance[0]
    )
    services.validate_run(run, actor=w.finance[1])
    services.export_run(run, actor=w.finance[1])
    run.refresh_from_db()
    return run


def _urls(w, run):
    org = w.payer.pk
    line = run.lines.order_by("pk").first()
    gets = [
        reverse("payments:runs", args=[org]),
        reverse("payments:runs_export", args=[org, "csv"]),
        reverse("payments:run_detail", args=[org, run.pk]),
        reverse("payments:lines_export", args=[org, run.pk, "xlsx"]),
        reverse("payments:blocked_export", args=[org, run.pk, "csv"]),
        reverse("payments:reconciliation_export", args=[org, run.pk, "csv"]),
        reverse("payments:line_statement", args=[org, run.pk, line.pk, "pdf"]),
    ]
    writes = [
        ("get", reverse("payments:prepare", args=[org])),
        ("get", reverse("payments:debtor_account", args=[org])),
        ("post", reverse("payments:run_validate", args=[org, run.pk])),
        ("post", reverse("payments:run_cancel", args=[org, run.pk])),
        ("post", reverse("payments:run_export", args=[org, run.pk])),
        ("post", reverse("payments:run_paid", args=[org, run.pk])),
        ("get", reverse("payments:line_reject", args=[org, run.pk, line.pk])),
    ]
    return gets, writes


def test_every_finance_view_is_404_for_non_members_and_403_for_non_finance(client, w):
    run = _exported(w)
    gets, writes = _urls(w, run)
    outsider = make_member(make_org(kind=Organisation.Kind.ISSUER)).user
    colleague = make_member(w.payer, Role.ADMIN).user  # member, admin even, but not finance
    operator_admin = w.operators[0][3]
    for user, expected in ((outsider, 404), (colleague, 403), (operator_admin, 404)):
        client.force_login(user)
        for url in gets:
            assert client.get(url).status_code == expected, (user, url)
        for method, url in writes:
            assert getattr(client, method)(url).status_code == expected, (user, url)
    # A READONLY finance member sees but cannot act.
    reader = finance_user(w.payer, role=Role.READONLY)
    login(client, reader)
    assert client.get(gets[0]).status_code == 200
    for method, url in writes:
        assert getattr(client, method)(url).status_code == 403, url
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED


def test_finance_actions_need_a_verified_second_factor(client, w):
    run = _exported(w)
    _, writes = _urls(w, run)
    client.force_login(w.finance[0])  # finance, but not verified in this session
    for method, url in writes:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:otp_verify")), url
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED
    # A finance user without a device is sent to the set-up page by the verify page.
    newcomer = finance_user(w.payer, verified_device=False)
    client.force_login(newcomer)
    response = client.post(reverse("payments:run_export", args=[w.payer.pk, run.pk]))
    follow = client.get(response.url)
    assert follow.status_code == 302 and follow.url.startswith(reverse("accounts:otp_setup"))


def test_full_flow_through_the_screens_with_four_eyes(
    client, w, django_capture_on_commit_callbacks
):
    org = w.payer.pk
    login(client, w.finance[0])
    assert "Contre-paiements" in text(client.get(reverse("organisations:detail", args=[org])))
    response = client.post(
        reverse("payments:prepare", args=[org]),
        {"programme": w.programme.pk, "period_end": "2026-01-31"},
    )
    run = PaymentRun.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/campagnes/{run.pk}/")
    page = text(client.get(response.url))
    assert "Rapprochement sans écart" in page and "Quatre yeux" in page
    # The preparer cannot validate (four eyes).
    client.post(reverse("payments:run_validate", args=[org, run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT
    # The second finance user validates and exports.
    client.logout()
    login(client, w.finance[1])
    client.post(reverse("payments:run_validate", args=[org, run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.VALIDATED and run.validated_by == w.finance[1]
    # The export form offers the next TARGET2 business day; the file carries the date chosen.
    default = services.default_execution_date()
    assert f'value="{default.isoformat()}"' in text(client.get(_detail(w, run)))
    response = client.post(
        reverse("payments:run_export", args=[org, run.pk]),
        {"execution_date": default.isoformat()},
    )
    assert response.status_code == 200
    assert f"<ReqdExctnDt>{default.isoformat()}</ReqdExctnDt>".encode() in response.content
    assert response["Content-Type"] == "application/xml"
    assert b"pain.001.001.03" in response.content
    assert JournalEntry.objects.filter(action=JournalEntry.Action.PAYMENT_RUN_EXPORTED).exists()
    again = client.post(reverse("payments:run_export", args=[org, run.pk]))
    assert again.content == response.content
    # Bad input on mark paid: a future date is refused in French, nothing changes.
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = client.post(reverse("payments:run_paid", args=[org, run.pk]), {"paid_on": tomorrow})
    assert "futur" in text(client.get(response.url))
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED
    # Reject one line (bad input first: empty reason).
    line = run.lines.order_by("pk").last()
    url = reverse("payments:line_reject", args=[org, run.pk, line.pk])
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 400 and "motif" in text(response)
    response = client.post(url, {"reason": "Compte clos (AC04)"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == LineStatus.REJECTED
    # Today is before the requested execution date: refused, nothing changes.
    today = services.paris_today()
    response = client.post(
        reverse("payments:run_paid", args=[org, run.pk]), {"paid_on": today.isoformat()}
    )
    assert f"Le virement a été demandé pour le {default:%d/%m/%Y}" in text(client.get(response.url))
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED and run.paid_on is None
    # On the execution date (a new session by then), the payment is confirmed.
    with (
        time_machine.travel(paris(default.year, default.month, default.day, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        login(client, w.finance[1])
        client.post(
            reverse("payments:run_paid", args=[org, run.pk]), {"paid_on": default.isoformat()}
        )
    run.refresh_from_db()
    assert run.status == RunStatus.PAID
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Votre contre-paiement a été versé"


def _detail(w, run) -> str:
    return reverse("payments:run_detail", args=[w.payer.pk, run.pk])


def _validated(w):
    run = services.prepare_run(
        payer=w.payer, programme=w.programme, period_end=date(2026, 1, 31), actor=w.finance[0]
    )
    services.validate_run(run, actor=w.finance[1])
    return run


def test_sepa_export_asks_for_a_target2_execution_date(
    client, w, django_capture_on_commit_callbacks
):
    # Thursday 24/12/2026: Christmas, then a weekend; the next TARGET2 day is Monday 28/12.
    with time_machine.travel(paris(2026, 12, 24, 10), tick=False):
        run = _validated(w)
        login(client, w.finance[1])
        url = reverse("payments:run_export", args=[w.payer.pk, run.pk])
        page = text(client.get(_detail(w, run)))
        assert "Date d'exécution demandée" in page and 'value="2026-12-28"' in page
        for value, message in (
            ("2026-12-25", "Le 25/12/2026 est un jour de fermeture de TARGET2 (Noël)."),
            ("2026-12-26", "Le 26/12/2026 est un jour de fermeture de TARGET2 (samedi)."),
            ("2026-12-23", "La date d'exécution demandée (23/12/2026) est passée."),
            ("2027-03-01", "plus de 60 jours"),
            ("2027-01-01", "Le 01/01/2027 est un jour de fermeture de TARGET2 (jour de l'An)."),
            ("31/02/2026", "Saisissez une date d'exécution valide."),
            ("", "Indiquez la date d'exécution demandée."),
        ):
            response = client.post(url, {"execution_date": value})
            assert response.status_code == 302 and response.url == _detail(w, run)
            page = text(client.get(response.url))
            assert message in page and "Rien n'a été exporté." in page, value
            run.refresh_from_db()
            assert run.status == RunStatus.VALIDATED and run.export_content is None
            assert run.execution_date is None
            assert not JournalEntry.objects.filter(
                action=JournalEntry.Action.PAYMENT_RUN_EXPORTED
            ).exists()
        # Another payer's finance user, verified: 404, nothing exported.
        outsider, other = finance_user(make_org(kind=Organisation.Kind.ISSUER)), Client()
        login(other, outsider)
        assert other.post(url, {"execution_date": "2026-12-28"}).status_code == 404
        assert other.get(_detail(w, run)).status_code == 404
        response = client.post(url, {"execution_date": "2026-12-29"})
        assert response.status_code == 200
        assert b"<ReqdExctnDt>2026-12-29</ReqdExctnDt>" in response.content
        run.refresh_from_db()
        assert run.status == RunStatus.EXPORTED and run.execution_date == date(2026, 12, 29)
        entry = JournalEntry.objects.get(action=JournalEntry.Action.PAYMENT_RUN_EXPORTED)
        assert entry.details["execution_date"] == "2026-12-29"
        page = text(client.get(_detail(w, run)))
        assert "Date d'exécution demandée" in page and "29/12/2026" in page
        assert 'name="execution_date"' not in page
        # Downloaded again, without a date or with another one: the very same bytes.
        assert client.post(url).content == response.content
        assert client.post(url, {"execution_date": "2026-12-30"}).content == response.content
        run.refresh_from_db()
        assert run.execution_date == date(2026, 12, 29)
    with (
        time_machine.travel(paris(2027, 1, 4, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.mark_paid(run, paid_on=date(2027, 1, 4), actor=w.finance[0])
    assert "Date d'exécution demandée à la banque : 29/12/2026" in mail.outbox[0].body
    line = run.lines.order_by("pk").first()
    pdf = client.get(reverse("payments:line_statement", args=[w.payer.pk, run.pk, line.pk, "pdf"]))
    content = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Date d'exécution demandée à la banque : 29/12/2026" in content
    rows = csv_rows(client.get(reverse("payments:runs_export", args=[w.payer.pk, "csv"])).content)
    assert rows[0][-1] == "Date d'exécution demandée" and rows[1][-1] == "29/12/2026"


def test_liquidation_list_export_has_no_date_field(client):
    w = world(mode=Programme.PaymentMode.PUBLIC_ACCOUNTING)
    w.redeem(0, w.passes[0:2], paris(2026, 1, 10))
    run = _validated(w)
    login(client, w.finance[1])
    page = text(client.get(_detail(w, run)))
    assert "Exporter la liste de liquidation" in page and 'name="execution_date"' not in page
    response = client.post(reverse("payments:run_export", args=[w.payer.pk, run.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED and run.execution_date is None


def test_prepare_form_refuses_bad_input_in_french(client, w):
    org = w.payer.pk
    login(client, w.finance[0])
    url = reverse("payments:prepare", args=[org])
    for data, message in (
        ({"programme": w.programme.pk, "period_end": "31/02/2026"}, "date valide"),
        ({"programme": w.programme.pk, "period_end": "2999-01-31"}, "futur"),
        ({"programme": 999999, "period_end": "2026-01-31"}, "programme que vous payez"),
        ({"programme": w.programme.pk, "period_end": "2020-01-31"}, "Aucun pass"),
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        assert message in text(response)
    assert PaymentRun.objects.count() == 0


def test_debtor_account_form(client, w):
    org = w.payer.pk
    login(client, w.finance[0])
    url = reverse("payments:debtor_account", args=[org])
    response = client.post(url, {"holder": "Émetteur", "iban": "FR00 1234", "bic": "XX"})
    assert response.status_code == 400 and "IBAN" in text(response)
    assert PayerBankAccount.objects.count() == 1
    response = client.post(
        url,
        {"holder": "Émetteur SAS", "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP"},
    )
    assert response.status_code == 302
    assert services.current_payer_account(w.payer).iban == "FR7630006000011234567890189"


def test_exports_and_statements_parse_back(client, w):
    run = _exported(w)
    org = w.payer.pk
    login(client, w.finance[0])
    rows = csv_rows(client.get(reverse("payments:runs_export", args=[org, "csv"])).content)
    assert rows[0][0] == "Référence" and rows[1][0] == run.reference and rows[1][8] == "48,00"
    xlsx = read_xlsx(
        client.get(reverse("payments:lines_export", args=[org, run.pk, "xlsx"])).content
    )
    assert xlsx[0][0] == "Opérateur" and sorted(r[0] for r in xlsx[1:]) == [
        "Opérateur A",
        "Opérateur B",
    ]
    rows = csv_rows(
        client.get(reverse("payments:reconciliation_export", args=[org, run.pk, "csv"])).content
    )
    assert all(r[3] == "oui" for r in rows[1:])
    line = run.lines.get(operator=w.operators[0][0])
    pdf = client.get(reverse("payments:line_statement", args=[org, run.pk, line.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    content = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for p in w.passes[0:3]:
        assert p.serial in content
    assert "Opérateur A" in content and "28,80" in content and "30,00" in content
    rows = csv_rows(
        client.get(reverse("payments:line_statement", args=[org, run.pk, line.pk, "csv"])).content
    )
    assert rows[0] == ["N° de pass", "Utilisé le", "Lieu", "Service", "Montant (€)"]
    assert sorted(r[0] for r in rows[1:]) == sorted(p.serial for p in w.passes[0:3])
    assert rows[1][1] == "10/01/2026 12:00" and rows[1][3] == "Atelier démarches en ligne"
    assert rows[1][4] == "10,00"
    assert JournalEntry.objects.filter(action=JournalEntry.Action.STATEMENT_DOWNLOADED).count() == 2
    assert client.get(reverse("payments:runs_export", args=[org, "pdf"])).status_code == 404


def test_operator_sees_only_its_own_statements(client, w):
    run = _exported(w)
    a_org, _, _, a_admin = w.operators[0]
    b_org, _, _, b_admin = w.operators[1]
    line_a = run.lines.get(operator=a_org)
    line_b = run.lines.get(operator=b_org)
    client.force_login(a_admin)
    page = client.get(reverse("payments:operator_statements", args=[a_org.pk]))
    assert page.status_code == 200
    body = text(page)
    assert run.reference in body and "28,80" in body and "19,20" not in body
    assert "Relevés et paiements" in text(
        client.get(reverse("organisations:detail", args=[a_org.pk]))
    )
    own = client.get(reverse("payments:operator_statement", args=[a_org.pk, line_a.pk, "csv"]))
    assert own.status_code == 200 and len(csv_rows(own.content)) == 4
    # Operator B's statement through A's space: not found. B's space: not a member → 404.
    assert (
        client.get(
            reverse("payments:operator_statement", args=[a_org.pk, line_b.pk, "pdf"])
        ).status_code
        == 404
    )
    assert client.get(reverse("payments:operator_statements", args=[b_org.pk])).status_code == 404
    assert (
        client.get(
            reverse("payments:operator_statement", args=[b_org.pk, line_b.pk, "pdf"])
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("payments:operator_statements_export", args=[b_org.pk, "csv"])
        ).status_code
        == 404
    )
    xlsx = read_xlsx(
        client.get(reverse("payments:operator_statements_export", args=[a_org.pk, "xlsx"])).content
    )
    assert [r[0] for r in xlsx[1:]] == [run.reference]
    # The finance users of the payer do not get the operator pages (not members).
    client.force_login(w.finance[0])
    assert client.get(reverse("payments:operator_statements", args=[a_org.pk])).status_code == 404
    # A non-operator organisation has no such page.
    assert client.get(reverse("payments:operator_statements", args=[w.payer.pk])).status_code == 403


def test_draft_is_invisible_to_operators(client, w):
    services.prepare_run(
        payer=w.payer, programme=w.programme, period_end=date(2026, 1, 31), actor=w.finance[0]
    )
    client.force_login(w.operators[0][3])
    body = text(client.get(reverse("payments:operator_statements", args=[w.operators[0][0].pk])))
    assert "Aucun paiement" in body and "30,00" in body  # pending: 3 passes


def test_mark_paid_waits_for_the_requested_execution_date(client, w):
    # Friday 27/11/2026, the file asks for Monday 30/11/2026.
    with time_machine.travel(paris(2026, 11, 27, 10), tick=False):
        run = _validated(w)
        services.export_run(run, actor=w.finance[1], execution_date=date(2026, 11, 30))
        login(client, w.finance[1])
        page = text(client.get(_detail(w, run)))
        assert "Le virement a été demandé à la banque pour le 30/11/2026" in page
        assert "au plus tôt le 30/11/2026" in page
        assert 'value="2026-11-30"' in page and 'min="2026-11-30"' in page
        url = reverse("payments:run_paid", args=[w.payer.pk, run.pk])
        # Another payer's finance user, verified: 404, nothing changed.
        outsider, other = finance_user(make_org(kind=Organisation.Kind.ISSUER)), Client()
        login(other, outsider)
        assert other.post(url, {"paid_on": "2026-11-30"}).status_code == 404
        for value in ("2026-11-27", "2026-11-30"):  # too early; then in the future
            response = client.post(url, {"paid_on": value})
            assert response.status_code == 302 and response.url == _detail(w, run)
            page = text(client.get(response.url))
            if value == "2026-11-27":
                assert (
                    "Le virement a été demandé pour le 30/11/2026 : il ne peut pas avoir été payé "
                    "le 27/11/2026. Rien n'a été modifié." in page
                )
            else:
                assert "La date du versement ne peut pas être dans le futur." in page
            run.refresh_from_db()
            assert run.status == RunStatus.EXPORTED and run.paid_on is None
            assert set(run.lines.values_list("status", flat=True)) == {LineStatus.PENDING}
            assert not JournalEntry.objects.filter(
                action=JournalEntry.Action.PAYMENT_RUN_PAID
            ).exists()
            assert not PassEvent.objects.filter(kind=EventKind.REIMBURSED).exists()
    # Monday 30/11/2026: the button works, the waiting notice is gone.
    with time_machine.travel(paris(2026, 11, 30, 10), tick=False):
        login(client, w.finance[1])
        assert "pourra être marquée payée" not in text(client.get(_detail(w, run)))
        response = client.post(url, {"paid_on": "2026-11-30"})
        assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.PAID and run.paid_on == date(2026, 11, 30)
    assert JournalEntry.objects.filter(action=JournalEntry.Action.PAYMENT_RUN_PAID).count() == 1
