"""Acceptance test of issue 7: a simulated year, time frozen at each step, two programmes at once.

- « Grand Paris » (the issuer pays the operators, SEPA): 10 carnets × 10 passes × 12,50 €,
  upstream fee 2,75 %, downstream fee 3,5 % (both rounding for real).
- « Est ensemble » (public accounting: the funder pays through its accountant, liquidation
  list): 5 carnets × 10 passes × 10,00 €, upstream fee 4 %, downstream fee 4 %.

Each order is created, confirmed, invoiced, issued and activated in January 2030; booklets go
down funder → municipality → prescriber; every month passes are handed out and redeemed at three
operators; on the 2nd of the next month one finance user prepares the run, another validates it
(four eyes), it is exported and paid. In May the bank rejects operator B's line (account
closed): its passes come back in June's run. Four passes are cancelled (lost) in June. The
validity ends on 31/12/2030 (tolerance to 31/01/2031): the expiry job runs on 01/02/2031 and the
credit note is issued on 07/02/2031.

At every month and at the end: statements, SEPA totals (CtrlSum and the sum of InstdAmt),
liquidation lists, invoices, credit note and ledger agree to the cent.
"""

import calendar
import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db.models import Sum
from pypdf import PdfReader

from beneficiaries.models import Beneficiary, DiplomaLevel, QpvAnswer
from invoicing import pdf, queries, services
from invoicing.models import CreditNote, Invoice
from ledger import custody
from ledger import services as ledger_services
from ledger.models import Booklet, Order, Pass, PassStatus
from ledger.tests import factories
from ledger.verification import verify_ledger
from operators.models import BankAccount
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org
from payments import services as payments
from payments.models import LineStatus, PayerBankAccount, PaymentLine, PaymentRun, RunStatus
from payments.services import LIQUIDATION_HEADER, payer_for
from payments.tests.helpers import DEBTOR_IBAN, IBANS, SIRETS
from programmes.models import Programme, Territory

from .helpers import finance_member, redeem_each

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
SEPA_NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
VALID_UNTIL = date(2030, 12, 31)
# Passes used each month, January to December.
USED_SEP = [2, 3, 4, 5, 6, 7, 5, 4, 6, 7, 8, 3]  # 60 of 100
USED_PUB = [1, 2, 2, 3, 3, 3, 2, 2, 3, 3, 3, 1]  # 28 of 50
CANCELLED_SEP = 4


def at(y: int, m: int, d: int, h: int = 12):
    return time_machine.travel(datetime(y, m, d, h, tzinfo=PARIS), tick=False)


def last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class Side:
    """One programme: its order, its chain of custody, its payer and finance users."""

    programme: Programme
    order: Order | None = None
    town: Organisation | None = None
    prescriber: Organisation | None = None
    town_user: object = None
    prescriber_user: object = None
    funder_user: object = None
    payer: Organisation | None = None
    preparer: object = None
    validator: object = None
    issuer_finance: object = None
    next_pass: int = 0
    used: int = 0
    runs: list[PaymentRun] = field(default_factory=list)
    exports: list[tuple[str, bytes]] = field(default_factory=list)

    def passes(self) -> list[Pass]:
        return list(Pass.objects.filter(order=self.order).order_by("number"))


def make_side(name: str, mode: str, *, upstream: int, downstream: int, commune_code: str) -> Side:
    programme = factories.programme(
        name=name,
        payment_mode=mode,
        upstream_fee_basis_points=upstream,
        downstream_fee_basis_points=downstream,
    )
    side = Side(programme)
    side.funder_user = make_member(programme.funder, Role.ADMIN).user
    side.town = make_org(
        f"Ville ({name})", kind=Organisation.Kind.MUNICIPALITY, parent=programme.funder
    )
    Territory.objects.create(
        programme=programme,
        municipality=side.town,
        commune=factories.commune(commune_code, f"Commune {commune_code}"),
        joined_on=date(2030, 1, 1),
    )
    side.prescriber = make_org(
        f"CCAS ({name})", kind=Organisation.Kind.PRESCRIBER, parent=side.town
    )
    side.town_user = make_member(side.town, Role.MEMBER).user
    side.prescriber_user = make_member(side.prescriber, Role.MEMBER).user
    side.payer = payer_for(programme)
    side.preparer = finance_member(side.payer).user
    side.validator = finance_member(side.payer).user
    side.issuer_finance = finance_member(programme.issuer).user
    if mode == Programme.PaymentMode.ISSUER:
        PayerBankAccount.objects.create(
            organisation=side.payer,
            name="Émetteur SAS",
            iban=DEBTOR_IBAN,
            bic="PSSTFRPPPAR",
            created_by=side.preparer,
        )
    return side


def operators_with_accounts() -> list[tuple]:
    result = []
    for i, name in enumerate(["Opérateur A", "Opérateur B", "Opérateur C"]):
        org, place, service = factories.operator(name, place_commune=factories.commune())
        Organisation.objects.filter(pk=org.pk).update(siret=SIRETS[i])
        org.refresh_from_db()
        user = make_member(org, Role.ADMIN).user
        BankAccount.objects.create(
            operator=org, holder=f"{name} (compte)", iban=IBANS[i], bic="BNPAFRPP", created_by=user
        )
        result.append((org, place, service, user))
    return result


def sepa_totals(content: bytes) -> tuple[Decimal, Decimal, int]:
    """(CtrlSum of the group header, sum of every InstdAmt, NbOfTxs) of a pain.001 file."""
    root = ET.fromstring(content)
    header = root.find(".//p:GrpHdr", SEPA_NS)
    ctrl_sum = Decimal(header.find("p:CtrlSum", SEPA_NS).text)
    count = int(header.find("p:NbOfTxs", SEPA_NS).text)
    amounts = [Decimal(e.text) for e in root.findall(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", SEPA_NS)]
    assert len(amounts) == count
    return ctrl_sum, sum(amounts, Decimal("0")), count


def liquidation_total(content: bytes) -> tuple[Decimal, int]:
    """(sum of « Montant à mandater », number of lines) of a liquidation list."""
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == LIQUIDATION_HEADER
    column = LIQUIDATION_HEADER.index("Montant à mandater (€)")
    siret = LIQUIDATION_HEADER.index("SIRET")
    assert all(row[siret] for row in rows[1:])
    return sum((Decimal(row[column].replace(",", ".")) for row in rows[1:]), Decimal("0")), len(
        rows
    ) - 1


def euros(cents: int) -> Decimal:
    return Decimal(cents) / 100


def paid_lines(side: Side):
    return PaymentLine.objects.filter(
        run__programme=side.programme, run__status=RunStatus.PAID, status=LineStatus.PAID
    )


def check_money(side: Side) -> None:
    """Statement ↔ payment runs ↔ exported files, to the cent, at any moment."""
    order = side.order
    statement = queries.statement_of(order)
    assert statement.balanced
    assert statement.figures["used"] == side.used
    lines = paid_lines(side)
    totals = lines.aggregate(passes=Sum("pass_count"), gross=Sum("gross_cents"))
    paid_passes, paid_gross = totals["passes"] or 0, totals["gross"] or 0
    # The statement's « reimbursed » is what the paid lines carried, pass by pass.
    assert statement.figures["reimbursed"] == paid_passes
    assert statement.reimbursed_cents == paid_gross == paid_passes * order.face_value_cents
    assert Pass.objects.filter(order=order, status=PassStatus.REIMBURSED).count() == paid_passes
    # Every file's total is its lines' net; a paid line's net is gross − fee.
    for (_, content), run in zip(side.exports, side.runs, strict=True):
        exported = run.lines.exclude(status=LineStatus.PENDING).aggregate(n=Sum("net_cents"))["n"]
        if run.payment_mode == Programme.PaymentMode.ISSUER:
            ctrl_sum, instd_sum, count = sepa_totals(content)
            assert ctrl_sum == instd_sum == euros(run.exported_cents) == euros(exported)
        else:
            total, count = liquidation_total(content)
            assert total == euros(run.exported_cents) == euros(exported)
        assert count == run.exported_count == run.lines.count()
    net = lines.aggregate(n=Sum("net_cents"), f=Sum("fee_cents"))
    assert (net["n"] or 0) + (net["f"] or 0) == paid_gross


def month_of_activity(side: Side, month: int, used: int, operators, beneficiary_fields) -> None:
    """Hand out ``used`` passes on the 5th, redeem them on the 10th, round-robin across the
    operators."""
    passes = side.passes()[side.next_pass : side.next_pass + used]
    side.next_pass += used
    with at(2030, month, 5):
        person = Beneficiary.objects.create(prescriber=side.prescriber, **beneficiary_fields)
        custody.hand_out(
            passes, prescriber=side.prescriber, by=side.prescriber_user, beneficiary=person
        )
    with at(2030, month, 10):
        cache.clear()
        for i, p in enumerate(passes):
            org, place, service, user = operators[(i + month) % len(operators)]
            redeem_each(side.order, [p], org, place, service, user)
    side.used += used


def run_month(side: Side, period_end: date, *, reject_operator=None) -> PaymentRun:
    """Prepared by one finance user, validated by another, exported, then paid: on the export day
    in public accounting, on the requested execution date for a SEPA file."""
    run = payments.prepare_run(
        payer=side.payer, programme=side.programme, period_end=period_end, actor=side.preparer
    )
    with pytest.raises(payments.PaymentError, match="Quatre yeux"):
        payments.validate_run(run, actor=side.preparer)
    payments.validate_run(run, actor=side.validator)
    filename, content = payments.export_run(run, actor=side.preparer)
    side.exports.append((filename, content))
    if reject_operator is not None:
        line = PaymentLine.objects.get(run=run, operator=reject_operator)
        payments.reject_line(line, reason="Compte clos", actor=side.validator)
    run.refresh_from_db()
    if run.execution_date is None:  # public accounting: paid on the export day
        payments.mark_paid(run, paid_on=datetime.now(PARIS).date(), actor=side.validator)
    else:  # a bank executes on the requested date, never before: travel there to mark it paid
        day = run.execution_date
        with at(day.year, day.month, day.day, 9):
            payments.mark_paid(run, paid_on=day, actor=side.validator)
    run.refresh_from_db()
    side.runs.append(run)
    return run


def test_a_year_of_programme_agrees_to_the_cent():
    operators = operators_with_accounts()
    operator_b = operators[1][0]
    sep = make_side(
        "Grand Paris",
        Programme.PaymentMode.ISSUER,
        upstream=275,
        downstream=350,
        commune_code="93001",
    )
    pub = make_side(
        "Est ensemble",
        Programme.PaymentMode.PUBLIC_ACCOUNTING,
        upstream=400,
        downstream=400,
        commune_code="93066",
    )

    # January: orders, confirmation, invoice, issuance, activation, custody down the chain.
    for side, booklets, face in ((sep, 10, 1250), (pub, 5, 1000)):
        with at(2030, 1, 5):
            side.order = ledger_services.create_order(
                side.programme,
                by=side.funder_user,
                booklet_count=booklets,
                face_value_cents=face,
                valid_until=VALID_UNTIL,
            )
            ledger_services.confirm_order(side.order, by=side.funder_user)
        with at(2030, 1, 8):
            ledger_services.issue_order(side.order.pk, by=side.funder_user)
            side.order.refresh_from_db()
        with at(2030, 1, 10):
            services.issue_invoice(side.order, by=side.issuer_finance)
        with at(2030, 1, 15):
            side.order = ledger_services.activate_order(
                side.order, f"MANDAT-{side.programme.pk}-2030-01", by=side.funder_user
            )
        with at(2030, 1, 16):
            booklets_all = list(Booklet.objects.filter(order=side.order))
            t = custody.transfer_booklets(
                booklets_all, side.town, by=side.funder_user, from_holder=side.programme.funder
            )
            custody.acknowledge_transfer(t, by=side.town_user)
            t = custody.transfer_booklets(
                booklets_all, side.prescriber, by=side.town_user, from_holder=side.town
            )
            custody.acknowledge_transfer(t, by=side.prescriber_user)

    # The invoices, hand-computed.
    invoice_sep = Invoice.objects.get(order=sep.order)
    # 100 × 12,50 € = 1 250,00 €; 2,75 % = 34,375 € → 34,38 € (half up); total 1 284,38 €.
    assert (invoice_sep.face_value_total_cents, invoice_sep.fee_cents) == (125_000, 3_438)
    assert invoice_sep.total_cents == 128_438
    assert invoice_sep.payment_reference == ""  # invoiced before the mandate
    invoice_pub = Invoice.objects.get(order=pub.order)
    # Public accounting: only the fee, 4 % of 500,00 € = 20,00 €.
    assert (invoice_pub.face_value_total_cents, invoice_pub.total_cents) == (0, 2_000)

    pic = {"job_seeker": True, "diploma_level": DiplomaLevel.CAP_BEP, "lives_in_qpv": QpvAnswer.YES}
    for month in range(1, 13):
        profile = pic if month % 2 else {}
        month_of_activity(sep, month, USED_SEP[month - 1], operators, profile)
        month_of_activity(pub, month, USED_PUB[month - 1], operators, profile)
        if month == 6:
            lost = sep.passes()[sep.next_pass : sep.next_pass + CANCELLED_SEP]
            sep.next_pass += CANCELLED_SEP
            with at(2030, 6, 20):
                custody.cancel_passes(
                    lost, by=sep.prescriber_user, organisation=sep.prescriber, reason="Perdus"
                )
        if month == 6:  # operator B has a new account before June's run
            with at(2030, 6, 25):
                BankAccount.objects.create(
                    operator=operator_b,
                    holder="Opérateur B (nouveau compte)",
                    iban=IBANS[3],
                    bic="BNPAFRPP",
                    created_by=operators[1][3],
                )
        year, next_month = (2030, month + 1) if month < 12 else (2031, 1)
        with at(year, next_month, 2):
            run = run_month(
                sep,
                last_day(2030, month),
                reject_operator=operator_b if month == 5 else None,
            )
            run_month(pub, last_day(2030, month))
            if month == 5:
                assert run.lines.get(operator=operator_b).status == LineStatus.REJECTED
            if month == 6:
                # May's rejected passes of B come back in June's run, with June's own.
                b_june = run.lines.get(operator=operator_b)
                b_may = sep.runs[4].lines.get(operator=operator_b)
                assert b_june.pass_count > b_may.pass_count
                assert b_june.bank_account.iban == IBANS[3]
            check_money(sep)
            check_money(pub)

    # Twelve paid runs per programme; every used pass paid once.
    for side in (sep, pub):
        assert len(side.runs) == 12
        assert all(r.status == RunStatus.PAID for r in side.runs)
        assert queries.statement_of(side.order).figures["reimbursed"] == side.used
    assert sep.used == sum(USED_SEP) == 60 and pub.used == sum(USED_PUB) == 28
    # The May line of B is in the SEPA file of May but was not paid: the files' total is the
    # paid net plus that rejected line.
    rejected = PaymentLine.objects.get(status=LineStatus.REJECTED)
    files_total = sum(sepa_totals(content)[0] for _, content in sep.exports)
    paid_net = paid_lines(sep).aggregate(n=Sum("net_cents"))["n"]
    assert files_total == euros(paid_net + rejected.net_cents)
    liquidation = sum(liquidation_total(content)[0] for _, content in pub.exports)
    assert liquidation == euros(paid_lines(pub).aggregate(n=Sum("net_cents"))["n"])

    # The end: no credit note during the tolerance, then the expiry job, then the credit note.
    with (
        at(2031, 1, 31),
        pytest.raises(services.InvoicingError, match="à partir du 01/02/2031"),
    ):
        services.issue_credit_note(sep.order, by=sep.issuer_finance)
    with at(2031, 2, 1, 3):
        custody.expire_passes()
    with at(2031, 2, 7):
        note = services.issue_credit_note(sep.order, by=sep.issuer_finance)
        with pytest.raises(services.InvoicingError, match="rien à créditer"):
            services.issue_credit_note(pub.order, by=pub.issuer_finance)
        etat = pdf.render_contradictory_statement(queries.statement_of(sep.order))

    expired_sep = 100 - 60 - CANCELLED_SEP
    assert (note.used_count, note.expired_count, note.cancelled_count) == (60, expired_sep, 4)
    assert note.reimbursed_count == 60 and note.reimbursed_cents == 60 * 1250
    assert note.amount_cents == 40 * 1250 == 50_000
    assert note.number.startswith("AV-2031-") and invoice_sep.number.startswith("FA-2030-")
    assert CreditNote.objects.count() == 1
    # Face value ordered = used + unused, to the cent.
    assert invoice_sep.face_value_total_cents == 60 * 1250 + note.amount_cents
    statement = queries.statement_of(sep.order)
    assert statement.balanced and statement.figures["valid"] == 0
    assert (statement.figures["expired"], statement.figures["cancelled"]) == (expired_sep, 4)
    # What the funder owes in the end: the passes used, paid to operators, plus the fee.
    assert (
        statement.balance_cents
        == 60 * 1250 + 3_438
        == paid_lines(sep).aggregate(g=Sum("gross_cents"))["g"] + invoice_sep.fee_cents
    )
    text = PdfReader(io.BytesIO(etat)).pages[0].extract_text()
    assert "60 utilisés + 40 non utilisés = 100 pass pour 100 commandés" in text
    assert note.number in text
    pub_statement = queries.statement_of(pub.order)
    assert pub_statement.balanced
    assert pub_statement.figures["expired"] == 50 - 28
    assert pub_statement.reimbursed_cents == 28 * 1000

    # The ledger tells the same story.
    report = verify_ledger([sep.order, pub.order])
    assert report.ok, [str(m) for m in report.mismatches]
    for side, cancelled in ((sep, 4), (pub, 0)):
        statuses = {
            status: Pass.objects.filter(order=side.order, status=status).count()
            for status in PassStatus.values
        }
        assert statuses[PassStatus.REIMBURSED] == side.used
        assert statuses[PassStatus.CANCELLED] == cancelled
        assert sum(statuses.values()) == side.order.pass_count

    # The co-financing report: odd months' beneficiaries are PIC, even months' have no record.
    report = queries.cofinancing_report(sep.programme)
    assert report.total.used == 60 and report.total.value_cents == 75_000
    assert report.total.pic == sum(USED_SEP[0::2]) == 31
    assert report.total.unknown == 29 and report.total.qpv == 31
    assert report.total.eligible_cents == 37_500
    assert [row.label for row in report.rows] == ["Aubervilliers"]
