"""Counter-payment services: prepare (grouping, fees, blocked operators, idempotency, carry-over),
four eyes, reconciliation, SEPA and liquidation exports, payment, rejects, the pass-once rule."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from core.exports import CSV_CONTENT_TYPE  # noqa: F401 - the liquidation list is this CSV
from journal.models import JournalEntry
from ledger.models import EventKind, Pass, PassEvent, PassStatus, RedemptionLine
from operators.models import BankAccount, OperatorProfile, Qualification
from payments import queries, services
from payments.models import (
    LineStatus,
    PayerBankAccount,
    PaymentItem,
    PaymentLine,
    PaymentRun,
    RunStatus,
)
from payments.services import PaymentError, fee_for
from payments.tests.helpers import BAD_IBAN, paris, world
from programmes.models import Programme

pytestmark = pytest.mark.django_db

NOW = paris(2026, 3, 5)
TODAY = date(2026, 3, 5)  # a Thursday: a SEPA file may ask for execution today


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _basic():
    """Operator A: 3 passes in January, 1 in February; operator B: 2 in January."""
    w = world()
    p = w.passes
    w.redeem(0, p[0:2], paris(2026, 1, 10))
    w.redeem(0, p[2:3], paris(2026, 1, 31, 23))  # 31/01 23:00 Paris = still January
    w.redeem(0, p[3:4], paris(2026, 2, 1, 0))  # 01/02 00:00 Paris = February
    w.redeem(1, p[4:6], paris(2026, 1, 20))
    return w


def prepare(w, period_end=date(2026, 1, 31), who=0):
    return services.prepare_run(
        payer=w.payer, programme=w.programme, period_end=period_end, actor=w.finance[who]
    )


def test_fee_rounds_half_up_per_line():
    assert fee_for(1000, 400) == 40
    assert fee_for(1012, 400) == 40  # 40.48 → 40
    assert fee_for(1013, 400) == 41  # 40.52 → 41
    assert fee_for(1250, 400) == 50
    assert fee_for(1, 5000) == 1  # 0.5 → 1 (half up)
    assert fee_for(3000, 0) == 0


def test_prepare_groups_by_operator_with_fees_and_period_cutoff():
    w = _basic()
    run = prepare(w)
    assert run.status == RunStatus.DRAFT
    assert run.period_start == w.programme.starts_on
    lines = {line.operator_id: line for line in run.lines.all()}
    a, b = w.operators[0][0], w.operators[1][0]
    assert lines[a.pk].pass_count == 3 and lines[a.pk].gross_cents == 3000
    assert lines[a.pk].fee_cents == 120 and lines[a.pk].net_cents == 2880
    assert lines[b.pk].pass_count == 2 and lines[b.pk].net_cents == 2000 - 80
    assert lines[a.pk].bank_account == BankAccount.objects.get(operator=a)
    assert (run.pass_count, run.gross_cents, run.fee_cents, run.net_cents) == (5, 5000, 200, 4800)
    assert PaymentItem.objects.filter(line__run=run).count() == 5
    # The February pass is not in the January run.
    assert not PaymentItem.objects.filter(pass_obj=w.passes[3]).exists()
    assert queries.reconciliation(run).gaps == []


def test_prepare_again_rebuilds_the_same_draft_and_never_duplicates():
    w = _basic()
    first = prepare(w)
    items = sorted(PaymentItem.objects.values_list("pass_obj_id", flat=True))
    again = prepare(w, who=1)
    assert again.pk == first.pk
    assert PaymentRun.objects.count() == 1
    assert sorted(PaymentItem.objects.values_list("pass_obj_id", flat=True)) == items
    assert (again.pass_count, again.net_cents) == (first.pass_count, first.net_cents)
    # Another period while the draft is open: refused clearly.
    with pytest.raises(PaymentError, match="brouillon"):
        prepare(w, period_end=date(2026, 2, 28))
    assert PaymentRun.objects.count() == 1


def test_prepare_refuses_nothing_to_pay_future_and_wrong_payer():
    w = world()
    with pytest.raises(PaymentError, match="Aucun pass"):
        prepare(w)
    with pytest.raises(PaymentError, match="futur"):
        prepare(w, period_end=date(2026, 3, 6))
    with pytest.raises(PaymentError, match="ne paie pas"):
        services.prepare_run(
            payer=w.programme.funder,
            programme=w.programme,
            period_end=date(2026, 1, 31),
            actor=w.finance[0],
        )
    assert PaymentRun.objects.count() == 0


def test_operator_without_valid_bank_account_is_blocked_and_paid_later():
    w = _basic()
    b = w.operators[1][0]
    BankAccount.objects.filter(operator=b).delete()
    run = prepare(w)
    assert [x["operator_id"] for x in run.blocked] == [b.pk]
    assert run.blocked[0]["passes"] == 2 and run.blocked[0]["cents"] == 2000
    assert "bancaires" in run.blocked[0]["reason"]
    assert not run.lines.filter(operator=b).exists()
    assert queries.reconciliation(run).gaps == []
    # A wrong IBAN (right shape, bad check digits) blocks too.
    services.cancel_run(run, actor=w.finance[0])
    BankAccount.objects.create(
        operator=b, holder="B", iban=BAD_IBAN, bic="BNPAFRPP", created_by=w.finance[0]
    )
    run = prepare(w)
    assert run.blocked[0]["reason"] == "Coordonnées bancaires inutilisables (IBAN invalide)"
    # Bank details under review block as well.
    services.cancel_run(run, actor=w.finance[0])
    BankAccount.objects.create(
        operator=b,
        holder="B",
        iban="FR7630006000011234567890189",
        bic="BNPAFRPP",
        created_by=w.finance[0],
    )
    OperatorProfile.objects.filter(organisation=b).update(qualification=Qualification.IN_REVIEW)
    run = prepare(w)
    assert "vérification" in run.blocked[0]["reason"]
    services.cancel_run(run, actor=w.finance[0])
    OperatorProfile.objects.filter(organisation=b).update(qualification=Qualification.QUALIFIED)
    run = prepare(w)
    assert run.blocked == [] and run.lines.filter(operator=b, pass_count=2).exists()


def test_four_eyes_in_service_and_constraint():
    w = _basic()
    run = prepare(w, who=0)
    with pytest.raises(PaymentError, match="Quatre yeux"):
        services.validate_run(run, actor=w.finance[0])
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRun.objects.filter(pk=run.pk).update(
            status=RunStatus.VALIDATED, validated_by=w.finance[0], validated_at=run.prepared_at
        )
    services.validate_run(run, actor=w.finance[1])
    run.refresh_from_db()
    assert run.status == RunStatus.VALIDATED and run.validated_by == w.finance[1]


def test_a_gap_blocks_validation():
    w = _basic()
    run = prepare(w)
    # A pass of the period redeemed after preparation (simulated late write): a gap.
    w.redeem(1, w.passes[6:7], paris(2026, 1, 25))
    report = queries.reconciliation(run)
    assert report.gaps and "registre" in report.gaps[0]
    with pytest.raises(PaymentError, match="écarts"):
        services.validate_run(run, actor=w.finance[1])
    # Preparing again takes it in; the gap is gone.
    run = prepare(w)
    assert queries.reconciliation(run).gaps == []
    services.validate_run(run, actor=w.finance[1])


def _through_export(w, run=None, execution_date=None):
    """Validated and exported; the SEPA file asks for ``execution_date`` (default: the next
    TARGET2 business day)."""
    run = run or prepare(w)
    services.validate_run(run, actor=w.finance[1])
    filename, content = services.export_run(run, actor=w.finance[1], execution_date=execution_date)
    run.refresh_from_db()
    return run, filename, content


def test_sepa_export_validates_against_xsd_and_is_stable():
    import xmlschema
    from sepaxml import validation

    w = _basic()
    run, filename, content = _through_export(w)
    assert filename.endswith("pain.001.001.03.xml")
    schema = xmlschema.XMLSchema(
        validation.os.path.join(
            validation.os.path.dirname(validation.__file__), "schemas", "pain.001.001.03.xsd"
        )
    )
    schema.validate(content.decode())
    doc = schema.to_dict(content.decode())
    header = doc["CstmrCdtTrfInitn"]["GrpHdr"]
    assert header["NbOfTxs"] == "2"
    assert Decimal(str(header["CtrlSum"])) == Decimal("48.00")
    txs = doc["CstmrCdtTrfInitn"]["PmtInf"][0]["CdtTrfTxInf"]
    amounts = sorted(Decimal(str(t["Amt"]["InstdAmt"]["$"])) for t in txs)
    assert amounts == [Decimal("19.20"), Decimal("28.80")]
    assert run.status == RunStatus.EXPORTED and run.exported_cents == 4800
    # No date chosen: the next TARGET2 business day after Thursday 05/03/2026.
    assert doc["CstmrCdtTrfInitn"]["PmtInf"][0]["ReqdExctnDt"] == "2026-03-06"
    assert run.execution_date == date(2026, 3, 6)
    # Downloading again gives the very same bytes.
    assert services.export_run(run, actor=w.finance[0]) == (filename, content)
    assert queries.reconciliation(run).gaps == []


def _xsd():
    import xmlschema
    from sepaxml import validation

    return xmlschema.XMLSchema(
        validation.os.path.join(
            validation.os.path.dirname(validation.__file__), "schemas", "pain.001.001.03.xsd"
        )
    )


def test_sepa_export_carries_the_chosen_execution_date_stored_on_the_run():
    w = _basic()
    run = prepare(w)
    services.validate_run(run, actor=w.finance[1])
    # Tuesday after Easter Monday 2026: a TARGET2 business day.
    chosen = date(2026, 4, 7)
    filename, content = services.export_run(run, actor=w.finance[1], execution_date=chosen)
    schema = _xsd()
    schema.validate(content.decode())
    doc = schema.to_dict(content.decode())
    assert [p["ReqdExctnDt"] for p in doc["CstmrCdtTrfInitn"]["PmtInf"]] == ["2026-04-07"]
    run.refresh_from_db()
    assert run.execution_date == chosen and run.status == RunStatus.EXPORTED
    entry = JournalEntry.objects.get(action=JournalEntry.Action.PAYMENT_RUN_EXPORTED)
    assert entry.details["execution_date"] == "2026-04-07"
    # Days later, downloading again gives the same bytes: the date is stored, not recomputed.
    with time_machine.travel(paris(2026, 3, 20), tick=False):
        again = services.export_run(run, actor=w.finance[0], execution_date=date(2026, 3, 23))
    assert again == (filename, content)
    run.refresh_from_db()
    assert run.execution_date == chosen
    entries = JournalEntry.objects.filter(action=JournalEntry.Action.PAYMENT_RUN_EXPORTED)
    assert [e.details["execution_date"] for e in entries.order_by("pk")] == ["2026-04-07"] * 2


def test_today_is_accepted_when_target2_is_open():
    w = _basic()
    run = prepare(w)
    services.validate_run(run, actor=w.finance[1])
    _, content = services.export_run(run, actor=w.finance[1], execution_date=date(2026, 3, 5))
    run.refresh_from_db()
    assert run.execution_date == date(2026, 3, 5)
    assert b"<ReqdExctnDt>2026-03-05</ReqdExctnDt>" in content


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        (date(2026, 3, 4), "La date d'exécution demandée (04/03/2026) est passée."),
        (date(2026, 3, 7), "Le 07/03/2026 est un jour de fermeture de TARGET2 (samedi)."),
        (date(2026, 3, 8), "Le 08/03/2026 est un jour de fermeture de TARGET2 (dimanche)."),
        (date(2026, 4, 3), "Le 03/04/2026 est un jour de fermeture de TARGET2 (Vendredi saint)."),
        (date(2026, 4, 6), "Le 06/04/2026 est un jour de fermeture de TARGET2 (lundi de Pâques)."),
        (date(2026, 5, 1), "Le 01/05/2026 est un jour de fermeture de TARGET2 (fête du Travail)."),
        (date(2026, 5, 5), "est à plus de 60 jours"),
    ],
)
def test_a_refused_execution_date_exports_nothing(chosen, message):
    w = _basic()
    run = prepare(w)
    services.validate_run(run, actor=w.finance[1])
    with pytest.raises(PaymentError) as refused:
        services.export_run(run, actor=w.finance[1], execution_date=chosen)
    assert message in str(refused.value) and "Rien n'a été exporté." in str(refused.value)
    run.refresh_from_db()
    assert run.status == RunStatus.VALIDATED
    assert run.export_content is None and run.export_filename == "" and run.exported_at is None
    assert run.execution_date is None
    assert not JournalEntry.objects.filter(action=JournalEntry.Action.PAYMENT_RUN_EXPORTED).exists()


def test_execution_date_only_on_an_exported_sepa_run_by_constraint():
    w = _basic()
    run = prepare(w)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRun.objects.filter(pk=run.pk).update(execution_date=date(2026, 3, 6))


def test_wrong_iban_or_non_positive_amount_never_reaches_a_file():
    w = _basic()
    run = prepare(w)
    services.validate_run(run, actor=w.finance[1])
    # The account of a line is swapped for a malformed one after validation: refused.
    line = run.lines.first()
    bad = BankAccount.objects.create(
        operator=line.operator,
        holder="X",
        iban=BAD_IBAN,
        bic="BNPAFRPP",
        created_by=w.finance[0],
    )
    PaymentLine.objects.filter(pk=line.pk).update(bank_account=bad)
    with pytest.raises(PaymentError, match="IBAN invalide"):
        services.export_run(run, actor=w.finance[1])
    run.refresh_from_db()
    assert run.status == RunStatus.VALIDATED and run.export_content is None
    # The file builder itself refuses zero, negative amounts and bad IBANs.
    debtor = PayerBankAccount.objects.get(organisation=w.payer)
    for amount, iban in (
        (0, "FR1420041010050500013M02606"),
        (-100, "FR1420041010050500013M02606"),
        (100, BAD_IBAN),
    ):
        with pytest.raises(PaymentError):
            services.sepa_xml(
                debtor=debtor,
                transfers=[services.Transfer("Op", iban, "BNPAFRPP", amount, "E2E-1", "x")],
                execution_date=date(2026, 3, 5),
            )
    # The database refuses a negative line anyway.
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLine.objects.filter(pk=line.pk).update(net_cents=-1, fee_cents=line.gross_cents + 1)


def test_export_needs_a_debtor_account_in_issuer_mode():
    w = _basic()
    PayerBankAccount.objects.all().delete()
    run = prepare(w)
    services.validate_run(run, actor=w.finance[1])
    with pytest.raises(PaymentError, match="compte à débiter"):
        services.export_run(run, actor=w.finance[1])


def test_public_accounting_gives_a_liquidation_list():
    from core.exports import csv_bytes  # noqa: F401

    w = world(mode=Programme.PaymentMode.PUBLIC_ACCOUNTING)
    assert w.payer == w.programme.funder
    w.redeem(0, w.passes[0:3], paris(2026, 1, 10))
    w.redeem(1, w.passes[3:4], paris(2026, 1, 11))
    run = prepare(w)
    services.validate_run(run, actor=w.finance[1])
    # The liquidation list has no date column: a date given is not used, none is stored.
    filename, content = services.export_run(
        run, actor=w.finance[1], execution_date=date(2026, 3, 9)
    )
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED and run.execution_date is None
    assert filename.endswith("liste-de-liquidation.csv")
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = [r.split(";") for r in text.lstrip("\ufeff").strip().split("\r\n")]
    assert rows[0][:4] == ["Référence campagne", "Référence ligne", "Bénéficiaire", "SIRET"]
    body = {r[2]: r for r in rows[1:]}
    assert body["Opérateur A"][3] == "73282932000074"
    assert body["Opérateur A"][5] == "FR1420041010050500013M02606"
    assert body["Opérateur A"][10] == "28,80"
    assert body["Opérateur B"][10] == "9,60"
    assert len(rows[0]) == len(services.LIQUIDATION_HEADER) == 12
    assert services.export_run(run, actor=w.finance[0]) == (filename, content)


def test_public_accounting_blocks_operator_without_siret():
    w = world(mode=Programme.PaymentMode.PUBLIC_ACCOUNTING)
    w.operators[1][0].siret = None
    w.operators[1][0].save()
    w.redeem(1, w.passes[0:1], paris(2026, 1, 10))
    w.redeem(0, w.passes[1:2], paris(2026, 1, 10))
    run = prepare(w)
    assert run.blocked[0]["reason"].startswith("SIRET manquant")


def test_mark_paid_reimburses_passes_and_emails_operators(django_capture_on_commit_callbacks):
    w = _basic()
    run, _, _ = _through_export(w, execution_date=TODAY)
    with pytest.raises(PaymentError, match="futur"):
        services.mark_paid(run, paid_on=date(2026, 3, 6), actor=w.finance[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_paid(run, paid_on=date(2026, 3, 5), actor=w.finance[0])
    run.refresh_from_db()
    assert run.status == RunStatus.PAID and run.paid_on == date(2026, 3, 5)
    assert set(run.lines.values_list("status", flat=True)) == {LineStatus.PAID}
    paid = Pass.objects.filter(payment_items__line__run=run)
    assert set(paid.values_list("status", flat=True)) == {PassStatus.REIMBURSED}
    assert PassEvent.objects.filter(kind=EventKind.REIMBURSED).count() >= 1
    assert sorted(m.subject for m in mail.outbox) == ["Votre contre-paiement a été versé"] * 2
    assert any("28,80" in m.body for m in mail.outbox)
    by_order = queries.reimbursed_by_order()
    assert by_order == {w.order.pk: {"passes": 5, "cents": 5000}}
    assert queries.reimbursed_by_order([w.order.pk + 999]) == {}
    a = w.operators[0][0]
    assert queries.paid_items_for_operator(a).count() == 3
    # The next month: only the February pass; the period follows on.
    nxt = prepare(w, period_end=date(2026, 2, 28))
    assert nxt.period_start == date(2026, 2, 1)
    assert nxt.pass_count == 1
    services.cancel_run(nxt, actor=w.finance[0])
    with pytest.raises(PaymentError, match="déjà couverte"):
        prepare(w, period_end=date(2026, 1, 15))
    # The same period again: nothing new to pay, refused clearly.
    with pytest.raises(PaymentError, match="Aucun pass"):
        prepare(w, period_end=date(2026, 1, 31))


def test_complementary_run_for_the_same_period_pays_a_rejected_line_at_once():
    w = _basic()
    run, _, _ = _through_export(w, execution_date=TODAY)
    b = w.operators[1][0]
    services.reject_line(run.lines.get(operator=b), reason="IBAN inconnu", actor=w.finance[0])
    services.mark_paid(run, paid_on=date(2026, 3, 5), actor=w.finance[0])
    extra = prepare(w, period_end=date(2026, 1, 31))
    assert extra.pk != run.pk and extra.period_start == run.period_start
    assert [(line.operator_id, line.pass_count) for line in extra.lines.all()] == [(b.pk, 2)]


def test_rejected_line_carries_over_to_the_next_run():
    w = _basic()
    run, _, _ = _through_export(w, execution_date=TODAY)
    a, b = w.operators[0][0], w.operators[1][0]
    line_b = run.lines.get(operator=b)
    with pytest.raises(PaymentError, match="motif"):
        services.reject_line(line_b, reason="  ", actor=w.finance[0])
    services.reject_line(line_b, reason="Compte clos", actor=w.finance[0])
    line_b.refresh_from_db()
    assert line_b.status == LineStatus.REJECTED and line_b.rejection_reason == "Compte clos"
    services.mark_paid(run, paid_on=date(2026, 3, 5), actor=w.finance[1])
    assert set(
        Pass.objects.filter(payment_items__line=line_b).values_list("status", flat=True)
    ) == {PassStatus.REDEEMED}
    assert queries.reimbursed_by_order()[w.order.pk] == {"passes": 3, "cents": 3000}
    nxt = prepare(w, period_end=date(2026, 2, 28))
    lines = {line.operator_id: line for line in nxt.lines.all()}
    assert lines[b.pk].pass_count == 2  # carried over from January
    assert lines[a.pk].pass_count == 1  # February
    assert queries.reconciliation(nxt).gaps == []
    services.validate_run(nxt, actor=w.finance[1])
    services.export_run(nxt, actor=w.finance[1], execution_date=TODAY)
    services.mark_paid(nxt, paid_on=date(2026, 3, 5), actor=w.finance[1])
    assert queries.reimbursed_by_order()[w.order.pk] == {"passes": 6, "cents": 6000}


def test_a_pass_is_paid_at_most_once_by_constraint():
    w = _basic()
    run = prepare(w)
    item = PaymentItem.objects.filter(line__run=run).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentItem.objects.create(
            line=item.line,
            redemption_line=item.redemption_line,
            pass_obj=item.pass_obj,
            amount_cents=item.amount_cents,
        )
    # A rejected item frees the pass: a new non-rejected item is then allowed.
    PaymentItem.objects.filter(pk=item.pk).update(is_rejected=True)
    PaymentItem.objects.create(
        line=item.line,
        redemption_line=RedemptionLine.objects.get(pass_obj=item.pass_obj),
        pass_obj=item.pass_obj,
        amount_cents=item.amount_cents,
    )


def test_one_open_run_per_payer_and_programme_by_constraint():
    w = _basic()
    run = prepare(w)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRun.objects.create(
            payer=w.payer,
            programme=w.programme,
            reference="CP-TWIN",
            payment_mode=run.payment_mode,
            period_start=run.period_start,
            period_end=run.period_end,
            fee_basis_points=400,
            prepared_by=w.finance[0],
            prepared_at=run.prepared_at,
        )


def test_cancel_frees_the_passes_and_exported_runs_cannot_be_cancelled():
    w = _basic()
    run = prepare(w)
    services.cancel_run(run, actor=w.finance[0])
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and not PaymentItem.objects.exists()
    run2 = prepare(w)
    assert run2.pk != run.pk and run2.pass_count == 5
    run2, _, _ = _through_export(w, run2)
    with pytest.raises(PaymentError, match="exportée"):
        services.cancel_run(run2, actor=w.finance[0])


# ------------------------------------------------- paid on or after the requested execution date


def _paid_traces(run) -> tuple:
    run.refresh_from_db()
    return (
        run.status,
        run.paid_on,
        set(run.lines.values_list("status", flat=True)),
        JournalEntry.objects.filter(action=JournalEntry.Action.PAYMENT_RUN_PAID).count(),
        PassEvent.objects.filter(kind=EventKind.REIMBURSED).count(),
        Pass.objects.filter(status=PassStatus.REIMBURSED).count(),
    )


def test_a_sepa_run_cannot_be_paid_before_its_requested_execution_date():
    w = _basic()
    run = prepare(w)
    services.validate_run(run, actor=w.finance[1])
    services.export_run(run, actor=w.finance[1], execution_date=date(2026, 3, 9))
    run.refresh_from_db()
    before = _paid_traces(run)
    assert before == (RunStatus.EXPORTED, None, {LineStatus.PENDING}, 0, 0, 0)
    with pytest.raises(PaymentError) as refused:
        services.mark_paid(run, paid_on=date(2026, 3, 5), actor=w.finance[0])
    assert str(refused.value) == (
        "Le virement a été demandé pour le 09/03/2026 : il ne peut pas avoir été payé le "
        "05/03/2026. Rien n'a été modifié."
    )
    assert _paid_traces(run) == before
    # On the requested execution date (a Monday), the payment is recorded.
    with time_machine.travel(paris(2026, 3, 9, 10), tick=False):
        with pytest.raises(PaymentError, match="demandé pour le 09/03/2026"):
            services.mark_paid(run, paid_on=date(2026, 3, 6), actor=w.finance[0])
        assert _paid_traces(run) == before
        services.mark_paid(run, paid_on=date(2026, 3, 9), actor=w.finance[0])
    run.refresh_from_db()
    assert run.status == RunStatus.PAID and run.paid_on == date(2026, 3, 9)
    assert PassEvent.objects.filter(kind=EventKind.REIMBURSED).exists()
    assert Pass.objects.filter(status=PassStatus.REIMBURSED).count() == run.pass_count


def test_a_public_accounting_run_is_still_paid_from_its_export_day():
    w = world(mode=Programme.PaymentMode.PUBLIC_ACCOUNTING)
    w.redeem(0, w.passes[0:2], paris(2026, 1, 10))
    run = prepare(w)
    services.validate_run(run, actor=w.finance[1])
    services.export_run(run, actor=w.finance[1])
    run.refresh_from_db()
    assert run.execution_date is None
    with pytest.raises(PaymentError, match="précéder l'export"):
        services.mark_paid(run, paid_on=date(2026, 3, 4), actor=w.finance[0])
    services.mark_paid(run, paid_on=date(2026, 3, 5), actor=w.finance[0])  # the export day
    run.refresh_from_db()
    assert run.status == RunStatus.PAID and run.paid_on == date(2026, 3, 5)


def test_paid_before_the_execution_date_is_refused_by_constraint():
    w = _basic()
    run = prepare(w)
    services.validate_run(run, actor=w.finance[1])
    services.export_run(run, actor=w.finance[1], execution_date=date(2026, 3, 5))
    runs = PaymentRun.objects.filter(pk=run.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        runs.update(status=RunStatus.PAID, paid_on=date(2026, 3, 4), paid_by=w.finance[0])
    runs.update(status=RunStatus.PAID, paid_on=date(2026, 3, 5), paid_by=w.finance[0])
    assert runs.get().paid_on == date(2026, 3, 5)
