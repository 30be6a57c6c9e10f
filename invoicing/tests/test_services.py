"""Invoices and credit notes: amounts to the cent (hand-computed), rounding of the upstream fee,
gap-free numbering per issuer and year, immutability, and the end-of-validity rule."""

from datetime import date

import pytest
import time_machine
from django.db import IntegrityError, transaction

from invoicing import services
from invoicing.models import CreditNote, DocumentSequence, ImmutableDocument, Invoice
from invoicing.queries import statement_of
from journal.models import JournalEntry
from ledger.tests import factories
from organisations.models import Role
from passnum.testing import make_member
from programmes.models import Programme

from .helpers import AFTER_END, ended_order, finance_member

pytestmark = pytest.mark.django_db


def test_invoice_of_an_order_hand_computed():
    # 3 booklets × 10 passes × 10,00 € = 300,00 €; 4 % upstream fee = 12,00 €; total 312,00 €.
    order = factories.order(booklets=3)
    user = finance_member(order.issuer).user
    with time_machine.travel(date(2026, 3, 15), tick=False):
        invoice = services.issue_invoice(order, by=user)
    assert invoice.includes_face_value
    assert (invoice.pass_count, invoice.face_value_cents) == (30, 1000)
    assert invoice.face_value_total_cents == 30_000
    assert invoice.fee_basis_points == 400 and invoice.fee_base_cents == 30_000
    assert invoice.fee_cents == 1_200
    assert invoice.total_cents == 31_200
    assert invoice.number == f"FA-2026-{order.issuer_id:04d}-00001"
    assert (invoice.year, invoice.sequence, invoice.issued_on) == (2026, 1, date(2026, 3, 15))
    assert invoice.issuer_name == order.issuer.name and invoice.funder_name == order.funder.name
    assert invoice.order_reference == order.reference
    assert invoice.payment_reference == "MANDAT-2021-0042"
    entry = JournalEntry.objects.get(action=JournalEntry.Action.INVOICE_ISSUED)
    assert entry.details["total_cents"] == 31_200 and entry.organisation == order.issuer


@pytest.mark.parametrize(
    ("face_value", "basis_points", "fee"),
    [
        # 5 passes × 3,33 € = 16,65 €; 2,5 % = 0,41625 € → 0,42 € (above the half cent).
        (333, 250, 42),
        # 5 × 3,56 € = 17,80 €; 2,5 % = 0,445 € exactly → half up → 0,45 €.
        (356, 250, 45),
        # 5 × 3,56 € = 17,80 €; 2,49 % = 0,44322 € → 0,44 €.
        (356, 249, 44),
        # No fee at all.
        (1000, 0, 0),
    ],
)
def test_upstream_fee_rounds_half_up_to_the_cent(face_value, basis_points, fee):
    programme = factories.programme(upstream_fee_basis_points=basis_points)
    order = factories.order(
        programme, booklets=1, passes_per_booklet=5, face_value_cents=face_value
    )
    invoice = services.issue_invoice(order, by=finance_member(order.issuer).user)
    assert invoice.fee_cents == fee
    assert invoice.total_cents == 5 * face_value + fee


def test_public_accounting_invoice_is_the_fee_only():
    programme = factories.programme(payment_mode=Programme.PaymentMode.PUBLIC_ACCOUNTING)
    order = factories.order(programme, booklets=2)
    invoice = services.issue_invoice(order, by=finance_member(order.issuer).user)
    assert not invoice.includes_face_value
    assert (invoice.face_value_total_cents, invoice.fee_cents, invoice.total_cents) == (0, 800, 800)


def test_invoice_refusals():
    draft = factories.order(booklets=1, status="DRAFT")
    user = finance_member(draft.issuer).user
    with pytest.raises(services.InvoicingError, match="brouillon"):
        services.issue_invoice(draft, by=user)
    order = factories.order(draft.programme, booklets=1, status="CONFIRMED")
    # A member of the issuer without the finance role.
    plain = make_member(order.issuer, Role.ADMIN).user
    with pytest.raises(services.InvoicingError, match="rôle finance"):
        services.issue_invoice(order, by=plain)
    # A finance member of the funder is not the issuer.
    funder_finance = finance_member(order.funder).user
    with pytest.raises(services.InvoicingError, match="rôle finance"):
        services.issue_invoice(order, by=funder_finance)
    invoice = services.issue_invoice(order, by=user)  # a confirmed order can be invoiced
    with pytest.raises(services.InvoicingError, match=f"déjà émise \\({invoice.number}\\)"):
        services.issue_invoice(order, by=user)
    assert Invoice.objects.count() == 1
    assert JournalEntry.objects.filter(action=JournalEntry.Action.INVOICE_ISSUED).count() == 1


def test_numbering_is_sequential_per_issuer_and_year_without_gap():
    programme = factories.programme()
    other = factories.programme(name="Autre programme")  # another issuer
    user = finance_member(programme.issuer).user
    other_user = finance_member(other.issuer).user
    orders = [factories.order(programme, booklets=1) for _ in range(4)]
    with time_machine.travel(date(2026, 12, 31), tick=False):
        first = services.issue_invoice(orders[0], by=user)
        services.issue_invoice(factories.order(other, booklets=1), by=other_user)
        # A refused issue (already invoiced) takes no number.
        with pytest.raises(services.InvoicingError):
            services.issue_invoice(orders[0], by=user)
        second = services.issue_invoice(orders[1], by=user)
    with time_machine.travel(date(2027, 1, 1), tick=False):
        third = services.issue_invoice(orders[2], by=user)
        fourth = services.issue_invoice(orders[3], by=user)
    assert [(i.year, i.sequence) for i in (first, second, third, fourth)] == [
        (2026, 1), (2026, 2), (2027, 1), (2027, 2)
    ]  # fmt: skip
    other_invoice = Invoice.objects.get(issuer=other.issuer)
    assert (other_invoice.year, other_invoice.sequence) == (2026, 1)
    assert DocumentSequence.objects.get(issuer=programme.issuer, year=2026).last_value == 2


def test_a_failed_issue_rolls_its_number_back():
    order = factories.order(booklets=1)
    user = finance_member(order.issuer).user
    with pytest.raises(RuntimeError), transaction.atomic():
        services.issue_invoice(order, by=user)
        raise RuntimeError("panne après la numérotation")
    invoice = services.issue_invoice(order, by=user)
    assert invoice.sequence == 1


def test_database_refuses_a_duplicate_number_and_a_second_invoice():
    order = factories.order(booklets=1)
    user = finance_member(order.issuer).user
    invoice = services.issue_invoice(order, by=user)
    fields = {
        f.attname: getattr(invoice, f.attname)
        for f in Invoice._meta.concrete_fields
        if f.attname != "id"
    }
    # Same issuer, year and sequence on another order.
    other_order = factories.order(order.programme, booklets=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(**{**fields, "order_id": other_order.pk, "number": "X-1"})
    # A second invoice for the same order.
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(**{**fields, "sequence": 2, "number": "X-2"})
    # Amounts that do not add up.
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            **{**fields, "order_id": other_order.pk, "sequence": 3, "number": "X-3",
               "total_cents": invoice.total_cents + 1}
        )  # fmt: skip


def test_an_issued_invoice_is_immutable():
    order = factories.order(booklets=1)
    invoice = services.issue_invoice(order, by=finance_member(order.issuer).user)
    invoice.total_cents = 1
    with pytest.raises(ImmutableDocument):
        invoice.save()
    with pytest.raises(ImmutableDocument):
        Invoice.objects.filter(pk=invoice.pk).update(total_cents=1)
    with pytest.raises(ImmutableDocument):
        invoice.delete()
    with pytest.raises(ImmutableDocument):
        Invoice.objects.all().delete()


def test_credit_note_refused_before_the_end_of_validity():
    order = factories.order(booklets=1, valid_until=date(2030, 6, 30))
    user = finance_member(order.issuer).user
    services.issue_invoice(order, by=user)
    with (
        time_machine.travel(date(2030, 7, 31), tick=False),
        pytest.raises(services.InvoicingError) as exc,
    ):  # last day of the tolerance
        services.issue_credit_note(order, by=user)
    assert str(exc.value) == (
        f"La commande {order.reference} est valable jusqu'au 31/07/2030, tolérance comprise : "
        "l'avoir ne peut être établi qu'à partir du 01/08/2030, une fois les pass non utilisés "
        "expirés."
    )
    # The day after, but the expiry job has not run yet.
    with (
        time_machine.travel(date(2030, 8, 1), tick=False),
        pytest.raises(services.InvoicingError, match="10 pass .* ne sont pas encore expirés"),
    ):
        services.issue_credit_note(order, by=user)
    assert not CreditNote.objects.exists()


def test_credit_note_needs_the_invoice_first():
    ended = ended_order()
    user = finance_member(ended.order.issuer).user
    with (
        time_machine.travel(AFTER_END, tick=False),
        pytest.raises(services.InvoicingError, match="émettez-la d'abord"),
    ):
        services.issue_credit_note(ended.order, by=user)


def test_credit_note_at_the_end_hand_computed():
    # 20 passes: 3 used, 2 cancelled, 15 expired. Credited: 17 × 10,00 € = 170,00 €.
    ended = ended_order(booklets=2, used=3, cancelled=2)
    order = ended.order
    user = finance_member(order.issuer).user
    with time_machine.travel(date(2026, 1, 10), tick=False):
        invoice = services.issue_invoice(order, by=user)
    assert invoice.total_cents == 20_000 + 800
    with time_machine.travel(date(2030, 8, 7), tick=False):
        note = services.issue_credit_note(order, by=user)
    assert note.number == f"AV-2030-{order.issuer_id:04d}-00001"
    assert (note.used_count, note.expired_count, note.cancelled_count) == (3, 15, 2)
    assert note.credited_count == 17 and note.amount_cents == 17_000
    assert note.invoice == invoice and note.redeemable_until == date(2030, 7, 31)
    # Face value ordered = used + credited, to the cent.
    assert invoice.face_value_total_cents == 3 * 1000 + note.amount_cents
    statement = statement_of(order)
    assert statement.balanced
    assert statement.balance_cents == 20_800 - 17_000
    with (
        time_machine.travel(date(2030, 8, 8), tick=False),
        pytest.raises(services.InvoicingError, match="déjà émis"),
    ):
        services.issue_credit_note(order, by=user)
    assert JournalEntry.objects.filter(action=JournalEntry.Action.CREDIT_NOTE_ISSUED).count() == 1


def test_credit_note_refused_in_public_accounting_mode():
    programme = factories.programme(payment_mode=Programme.PaymentMode.PUBLIC_ACCOUNTING)
    order = factories.order(programme, booklets=1, valid_until=date(2030, 6, 30))
    user = finance_member(order.issuer).user
    services.issue_invoice(order, by=user)
    from ledger import custody

    custody.expire_passes(AFTER_END)
    with (
        time_machine.travel(AFTER_END, tick=False),
        pytest.raises(services.InvoicingError, match="rien à créditer"),
    ):
        services.issue_credit_note(order, by=user)


def test_an_order_without_issuer_has_neither_invoice_nor_credit_note():
    programme = factories.programme(payment_mode=Programme.PaymentMode.PUBLIC_ACCOUNTING)
    Programme.objects.filter(pk=programme.pk).update(issuer=None)
    programme.refresh_from_db()
    order = factories.order(programme, booklets=1, valid_until=date(2030, 6, 30))
    assert order.issuer_id is None
    user = finance_member(programme.funder).user
    with pytest.raises(services.InvoicingError, match="pas d'émetteur"):
        services.issue_invoice(order, by=user)
    with (
        time_machine.travel(AFTER_END, tick=False),
        pytest.raises(services.InvoicingError, match="ni facture ni avoir"),
    ):
        services.issue_credit_note(order, by=user)
    assert not Invoice.objects.exists() and not DocumentSequence.objects.exists()
