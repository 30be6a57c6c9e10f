"""Writes: issue an order's invoice and, at the end of validity, its credit note (avoir).

Both documents take the next number of their issuer's sequence for the year, under a lock, in
the same transaction as the document (so a failure leaves no gap), store their amounts and the
parties as they are at issue time, and are immutable afterwards. Each writes a journal entry.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from journal.models import JournalEntry
from journal.services import record
from ledger.models import Order
from organisations.models import Membership, Organisation
from programmes.models import Programme

from . import queries
from .models import CreditNote, DocumentKind, DocumentSequence, Invoice

PREFIXES = {DocumentKind.INVOICE: "FA", DocumentKind.CREDIT_NOTE: "AV"}


class InvoicingError(Exception):
    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.code = code


def document_number(kind: str, issuer_id: int, year: int, sequence: int) -> str:
    """« FA-2026-0042-00001 »: kind, year, issuer, then the gap-free sequence number."""
    return f"{PREFIXES[kind]}-{year}-{issuer_id:04d}-{sequence:05d}"


def next_sequence(issuer: Organisation, kind: str, year: int) -> int:
    """Take the next number of the issuer's sequence for ``kind`` and ``year``. Must run inside
    the transaction that creates the document: the sequence row stays locked until it ends."""
    sequence = (
        DocumentSequence.objects.select_for_update()
        .filter(issuer=issuer, kind=kind, year=year)
        .first()
    )
    if sequence is None:
        try:
            with transaction.atomic():  # a savepoint: another transaction may create it first
                DocumentSequence.objects.create(issuer=issuer, kind=kind, year=year)
        except IntegrityError:
            pass
        sequence = DocumentSequence.objects.select_for_update().get(
            issuer=issuer, kind=kind, year=year
        )
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return sequence.last_value


def _address(org: Organisation) -> str:
    town = " ".join(part for part in (org.postal_code, org.city) if part)
    return ", ".join(part for part in (org.address, town) if part)[:400]


def _require_finance(user, issuer: Organisation) -> None:
    membership = Membership.active.filter(user=user, organisation=issuer).first()
    if membership is None or not queries.is_finance_writer(membership):
        raise InvoicingError(
            f"Seul un membre de {issuer} ayant le rôle finance émet ses factures et ses avoirs.",
            code="not_finance",
        )


def _parties(order: Order) -> dict:
    issuer, funder = order.issuer, order.funder
    return {
        "issuer": issuer,
        "funder": funder,
        "issuer_name": issuer.name,
        "issuer_siret": issuer.siret or "",
        "issuer_address": _address(issuer),
        "funder_name": funder.name,
        "funder_siret": funder.siret or "",
        "funder_address": _address(funder),
        "programme_name": order.programme.name,
        "order_reference": order.reference,
        "payment_reference": order.payment_reference,
        "pass_count": order.pass_count,
        "face_value_cents": order.face_value_cents,
    }


def _locked_order(order: Order) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("programme", "funder", "issuer")
        .get(pk=order.pk)
    )


@transaction.atomic
def issue_invoice(order: Order, *, by, request=None) -> Invoice:
    """The issuer's invoice for a confirmed order: the face value ordered (when the issuer pays
    the operators) plus the upstream fee on the face value ordered, rounded half up to the cent.
    One invoice per order (a database constraint)."""
    order = _locked_order(order)
    refusal = queries.invoice_refusal(order)
    if refusal:
        raise InvoicingError(refusal, code="refused")
    _require_finance(by, order.issuer)
    now = timezone.now()
    today = timezone.localdate(now)
    programme = order.programme
    includes_face_value = programme.payment_mode == Programme.PaymentMode.ISSUER
    face_total = order.face_value_total_cents
    bp = programme.upstream_fee_basis_points
    fee = order.upstream_fee_cents  # (face_total × bp + 5 000) // 10 000: half up to the cent
    value_invoiced = face_total if includes_face_value else 0
    sequence = next_sequence(order.issuer, DocumentKind.INVOICE, today.year)
    invoice = Invoice.objects.create(
        order=order,
        year=today.year,
        sequence=sequence,
        number=document_number(DocumentKind.INVOICE, order.issuer_id, today.year, sequence),
        issued_on=today,
        issued_at=now,
        issued_by=by,
        includes_face_value=includes_face_value,
        face_value_total_cents=value_invoiced,
        fee_basis_points=bp,
        fee_base_cents=face_total,
        fee_cents=fee,
        total_cents=value_invoiced + fee,
        **_parties(order),
    )
    record(
        JournalEntry.Action.INVOICE_ISSUED,
        actor=by,
        organisation=order.issuer,
        obj=invoice,
        request=request,
        details={
            "order": order.reference,
            "funder": order.funder.name,
            "passes": order.pass_count,
            "face_value_cents": value_invoiced,
            "fee_cents": fee,
            "total_cents": invoice.total_cents,
        },
    )
    return invoice


@transaction.atomic
def issue_credit_note(order: Order, *, by, request=None) -> CreditNote:
    """At the end of validity (the day after validity + tolerance, once the expiry job made the
    unused passes EXPIRED): a credit note for the face value of every pass not used, expired or
    cancelled. Refused before, with the date it becomes possible. One per order."""
    order = _locked_order(order)
    # Past the end, every pass is used, expired or cancelled: none of these counts can move
    # any more (a used pass may still become reimbursed, which stays « used »).
    refusal = queries.credit_note_refusal(order)
    if refusal:
        raise InvoicingError(refusal, code="refused")
    _require_finance(by, order.issuer)
    invoice = Invoice.objects.get(order=order)
    statement = queries.statement_of(order)
    f = statement.figures
    counted = f["used"] + f["expired"] + f["cancelled"]
    if counted != order.pass_count or not statement.balanced:
        raise InvoicingError(
            f"Le registre de la commande {order.reference} compte {counted} pass au lieu de "
            f"{order.pass_count} : vérifiez le registre avant d'établir l'avoir.",
            code="unbalanced",
        )
    now = timezone.now()
    today = timezone.localdate(now)
    credited = f["expired"] + f["cancelled"]
    sequence = next_sequence(order.issuer, DocumentKind.CREDIT_NOTE, today.year)
    note = CreditNote.objects.create(
        order=order,
        invoice=invoice,
        year=today.year,
        sequence=sequence,
        number=document_number(DocumentKind.CREDIT_NOTE, order.issuer_id, today.year, sequence),
        issued_on=today,
        issued_at=now,
        issued_by=by,
        redeemable_until=order.redeemable_until,
        used_count=f["used"],
        reimbursed_count=f["reimbursed"],
        reimbursed_cents=statement.reimbursed_cents,
        expired_count=f["expired"],
        cancelled_count=f["cancelled"],
        credited_count=credited,
        amount_cents=credited * order.face_value_cents,
        **_parties(order),
    )
    record(
        JournalEntry.Action.CREDIT_NOTE_ISSUED,
        actor=by,
        organisation=order.issuer,
        obj=note,
        request=request,
        details={
            "order": order.reference,
            "invoice": invoice.number,
            "used": f["used"],
            "expired": f["expired"],
            "cancelled": f["cancelled"],
            "amount_cents": note.amount_cents,
        },
    )
    return note
