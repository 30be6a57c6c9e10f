"""Counter-payment writes: prepare, validate (four eyes), export (SEPA or liquidation list), mark
paid, reject a line, cancel a draft, and the payer's debtor account.

Rules kept here (and, where the database can hold them, by constraints in ``models.py``):

- A run takes every pass of the programme's orders redeemed before the end of ``period_end``
  (midnight Europe/Paris of the next day), still REDEEMED, and not in a non-rejected item —
  including the passes of lines rejected by the bank in earlier runs.
- Lines group the passes per operator, paid to the operator's current bank account. An operator
  whose account is missing, invalid (schwifty) or under review (its qualification went back to
  review after a change of bank details) is *blocked*: its passes stay unpaid and are listed in
  the run's report, and come back in the next run once the account is fixed.
- Fee rounding: per line, ``fee = (gross × basis points + 5 000) // 10 000`` — integer cents,
  half up; ``net = gross − fee``. The same rule as the upstream fee of an order.
- ``prepare_run`` is set-based (one aggregate, one INSERT … SELECT for the items), locks the
  programme row (SELECT … FOR UPDATE), and a partial unique index allows one open run per payer
  and programme. Running it again while the draft is open rebuilds that same draft (same run, same
  result when nothing changed): it never duplicates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from journal.models import JournalEntry
from journal.services import record
from ledger.models import Order, Pass, PassStatus, Redemption, RedemptionLine
from operators.models import BankAccount, OperatorProfile, Qualification
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme

from .calendar import execution_date_problem, next_target2_business_day
from .models import (
    OPEN_STATUSES,
    LineStatus,
    PayerBankAccount,
    PaymentItem,
    PaymentLine,
    PaymentRun,
    RunStatus,
)

PARIS = ZoneInfo("Europe/Paris")
SEPA_SCHEMA = "pain.001.001.03"


class PaymentError(Exception):
    """A counter-payment action that the current state does not allow (message in French)."""


# --------------------------------------------------------------------------- helpers


def fee_for(gross_cents: int, basis_points: int) -> int:
    """The downstream fee of one line, in cents, rounded half up."""
    return (gross_cents * basis_points + 5000) // 10000


def payer_for(programme: Programme) -> Organisation | None:
    """Who pays the operators of a programme: its issuer, or its funder in public accounting."""
    if programme.payment_mode == Programme.PaymentMode.PUBLIC_ACCOUNTING:
        return programme.funder
    return programme.issuer


def period_cutoff(period_end: date) -> datetime:
    """The first instant after ``period_end`` (midnight Europe/Paris of the next day)."""
    return datetime.combine(period_end + timedelta(days=1), time.min, tzinfo=PARIS)


def paris_today() -> date:
    return timezone.localtime(timezone.now(), PARIS).date()


def default_execution_date() -> date:
    """The requested execution date offered for a SEPA file: the next TARGET2 business day."""
    return next_target2_business_day(paris_today())


def iban_problem(iban: str, bic: str) -> str | None:
    """Why these bank details cannot receive (or send) a transfer, or None."""
    try:
        IBAN(iban, validate_bban=True)
    except (SchwiftyException, ValueError):
        return "IBAN invalide"
    try:
        BIC(bic)
    except (SchwiftyException, ValueError):
        return "BIC invalide"
    return None


def _db_datetime(value: datetime):
    """An aware datetime as the backend stores it (SQLite: UTC text; PostgreSQL: as is)."""
    return connection.ops.adapt_datetimefield_value(value)


def _tables() -> dict[str, str]:
    return {
        "rl": RedemptionLine._meta.db_table,
        "p": Pass._meta.db_table,
        "o": Order._meta.db_table,
        "r": Redemption._meta.db_table,
        "i": PaymentItem._meta.db_table,
        "l": PaymentLine._meta.db_table,
    }


# Passes of a programme redeemed before the cut-off and not in a non-rejected item.
_ELIGIBLE_FROM = """
    FROM {rl} rl
    JOIN {p} p ON p.id = rl.pass_id
    JOIN {o} o ON o.id = p.order_id
    JOIN {r} r ON r.id = rl.redemption_id
"""
_ELIGIBLE_WHERE = """
    WHERE o.programme_id = %s AND p.status = %s AND p.redeemed_at < %s
      AND NOT EXISTS (SELECT 1 FROM {i} i WHERE i.pass_id = p.id AND NOT i.is_rejected)
"""


def eligible_by_operator(programme_id: int, cutoff: datetime) -> dict[int, tuple[int, int]]:
    """{operator id: (passes, cents)} of the passes a run up to ``cutoff`` would pay."""
    sql = (
        "SELECT r.operator_id, COUNT(*), SUM(rl.amount_cents)"
        + _ELIGIBLE_FROM
        + _ELIGIBLE_WHERE
        + " GROUP BY r.operator_id"
    ).format(**_tables())
    with connection.cursor() as cursor:
        cursor.execute(sql, [programme_id, PassStatus.REDEEMED, _db_datetime(cutoff)])
        return {row[0]: (int(row[1]), int(row[2])) for row in cursor.fetchall()}


def _insert_items(run: PaymentRun, cutoff: datetime, line_of: dict[int, int]) -> int:
    """One INSERT … SELECT for every item of the run. The operator → line mapping is given as an
    inline VALUES list (integers only): the planner knows its exact size, so it hashes it
    instead of trusting the statistics of a line table that was empty a moment ago."""
    mapping = ", ".join(f"({int(op)}, {int(line)})" for op, line in sorted(line_of.items()))
    sql = (
        f"WITH m(operator_id, line_id) AS (VALUES {mapping}) "
        "INSERT INTO {i} (line_id, redemption_line_id, pass_id, amount_cents, is_rejected) "
        "SELECT m.line_id, rl.id, p.id, rl.amount_cents, %s"
        + _ELIGIBLE_FROM
        + " JOIN m ON m.operator_id = r.operator_id"
        + _ELIGIBLE_WHERE
    ).format(**_tables())
    with connection.cursor() as cursor:
        cursor.execute(sql, [False, run.programme_id, PassStatus.REDEEMED, _db_datetime(cutoff)])
        if cursor.rowcount >= 0:
            return cursor.rowcount
    # Python's sqlite3 gives no row count for a statement that starts with WITH.
    return PaymentItem.objects.filter(line__run=run).count()


def _clear_lines(run: PaymentRun) -> None:
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {t['i']} WHERE line_id IN (SELECT id FROM {t['l']} WHERE run_id = %s)",  # noqa: S608
            [run.pk],
        )
        cursor.execute(f"DELETE FROM {t['l']} WHERE run_id = %s", [run.pk])  # noqa: S608


def current_bank_accounts(operator_ids) -> dict[int, BankAccount]:
    """The current (latest) bank account of each operator."""
    accounts: dict[int, BankAccount] = {}
    for account in BankAccount.objects.filter(operator_id__in=list(operator_ids)).order_by(
        "operator_id", "-created_at", "-pk"
    ):
        accounts.setdefault(account.operator_id, account)
    return accounts


def blocking_reasons(
    operator_ids, payment_mode: str
) -> tuple[dict[int, BankAccount], dict[int, str]]:
    """({operator id: account to pay}, {operator id: why its passes cannot be paid})."""
    ids = list(operator_ids)
    accounts = current_bank_accounts(ids)
    qualification = dict(
        OperatorProfile.objects.filter(organisation_id__in=ids).values_list(
            "organisation_id", "qualification"
        )
    )
    sirets = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "siret"))
    payable: dict[int, BankAccount] = {}
    blocked: dict[int, str] = {}
    for operator_id in ids:
        account = accounts.get(operator_id)
        if account is None:
            blocked[operator_id] = "Aucunes coordonnées bancaires"
            continue
        problem = iban_problem(account.iban, account.bic)
        if problem:
            blocked[operator_id] = f"Coordonnées bancaires inutilisables ({problem})"
            continue
        if qualification.get(operator_id) in (Qualification.SUBMITTED, Qualification.IN_REVIEW):
            blocked[operator_id] = "Coordonnées bancaires en cours de vérification"
            continue
        if payment_mode == Programme.PaymentMode.PUBLIC_ACCOUNTING and not sirets.get(operator_id):
            blocked[operator_id] = "SIRET manquant (obligatoire pour le mandat)"
            continue
        payable[operator_id] = account
    return payable, blocked


def _journal(action: str, run: PaymentRun, actor, request, details: dict) -> None:
    record(
        action,
        actor=actor,
        organisation=run.payer,
        obj=run,
        request=request,
        details={"reference": run.reference, "programme_id": run.programme_id, **details},
    )


def _lock_run(run: PaymentRun) -> PaymentRun:
    return (
        PaymentRun.objects.select_for_update().select_related("payer", "programme").get(pk=run.pk)
    )


# --------------------------------------------------------------------------- prepare


def prepare_run(
    *,
    payer: Organisation,
    programme: Programme,
    period_end: date,
    actor,
    request: HttpRequest | None = None,
) -> PaymentRun:
    """Prepare (or rebuild) the draft run of ``payer`` for ``programme`` up to ``period_end``."""
    with transaction.atomic():
        # The lock: two preparations for one programme run one after the other.
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        expected = payer_for(programme)
        if expected is None or expected.pk != payer.pk:
            raise PaymentError(
                "Cette organisation ne paie pas les opérateurs de ce programme "
                f"({programme.get_payment_mode_display().lower()})."
            )
        if period_end > paris_today():
            raise PaymentError("La fin de période ne peut pas être dans le futur.")
        open_run = (
            PaymentRun.objects.select_for_update()
            .filter(payer=payer, programme=programme, status__in=OPEN_STATUSES)
            .first()
        )
        now = timezone.now()
        if open_run is not None:
            if open_run.status != RunStatus.DRAFT:
                raise PaymentError(
                    f"La campagne {open_run.reference} est {open_run.get_status_display().lower()}"
                    " : marquez-la payée avant d'en préparer une autre."
                )
            if open_run.period_end != period_end:
                raise PaymentError(
                    f"Le brouillon {open_run.reference} (jusqu'au "
                    f"{open_run.period_end:%d/%m/%Y}) est en cours : validez-le ou annulez-le "
                    "avant de préparer une autre période."
                )
            run = open_run
            _clear_lines(run)
            run.prepared_by = actor
            run.prepared_at = now
            run.fee_basis_points = programme.downstream_fee_basis_points
        else:
            last = (
                PaymentRun.objects.filter(payer=payer, programme=programme, status=RunStatus.PAID)
                .order_by("-period_end")
                .first()
            )
            if last is not None and period_end < last.period_end:
                raise PaymentError(
                    f"La période jusqu'au {period_end:%d/%m/%Y} est déjà couverte par la campagne "
                    f"{last.reference} (jusqu'au {last.period_end:%d/%m/%Y})."
                )
            if last is None:
                period_start = min(programme.starts_on, period_end)
            elif period_end == last.period_end:
                # A complementary run for the same period (lines rejected, or operators blocked
                # then, whose passes can be paid now).
                period_start = last.period_start
            else:
                period_start = last.period_end + timedelta(days=1)
            count = PaymentRun.objects.filter(programme=programme).count()
            run = PaymentRun(
                payer=payer,
                programme=programme,
                reference=f"CP{programme.pk}-{period_end:%Y%m%d}-{count + 1}",
                payment_mode=programme.payment_mode,
                period_start=period_start,
                period_end=period_end,
                fee_basis_points=programme.downstream_fee_basis_points,
                prepared_by=actor,
                prepared_at=now,
            )
        cutoff = period_cutoff(period_end)
        eligible = eligible_by_operator(programme.pk, cutoff)
        if not eligible and open_run is None:
            raise PaymentError(
                f"Aucun pass à contre-payer jusqu'au {period_end:%d/%m/%Y} : tous les pass "
                "utilisés sont déjà dans une campagne."
            )
        payable, blocked = blocking_reasons(eligible.keys(), programme.payment_mode)
        names = dict(Organisation.objects.filter(pk__in=list(eligible)).values_list("pk", "name"))
        run.blocked = sorted(
            (
                {
                    "operator_id": operator_id,
                    "name": names.get(operator_id, ""),
                    "reason": reason,
                    "passes": eligible[operator_id][0],
                    "cents": eligible[operator_id][1],
                }
                for operator_id, reason in blocked.items()
            ),
            key=lambda b: (b["name"], b["operator_id"]),
        )
        run.pass_count = run.gross_cents = run.fee_cents = run.net_cents = 0
        run.save()
        lines = []
        for operator_id, account in payable.items():
            passes, gross = eligible[operator_id]
            fee = fee_for(gross, run.fee_basis_points)
            lines.append(
                PaymentLine(
                    run=run,
                    operator_id=operator_id,
                    bank_account=account,
                    pass_count=passes,
                    gross_cents=gross,
                    fee_cents=fee,
                    net_cents=gross - fee,
                    end_to_end_id=f"{run.reference}-{operator_id}",
                )
            )
            run.pass_count += passes
            run.gross_cents += gross
            run.fee_cents += fee
        run.net_cents = run.gross_cents - run.fee_cents
        PaymentLine.objects.bulk_create(lines, batch_size=1000)
        line_of = {line.operator_id: line.pk for line in lines}
        if lines and None in line_of.values():  # a backend that returns no ids
            line_of = dict(run.lines.values_list("operator_id", "pk"))
        inserted = _insert_items(run, cutoff, line_of) if lines else 0
        if inserted != run.pass_count:
            # A redemption of the period landed between the aggregate and the insert.
            raise PaymentError(
                "Des pass ont été encaissés pendant la préparation : relancez la préparation."
            )
        run.save(update_fields=["pass_count", "gross_cents", "fee_cents", "net_cents"])
        _journal(
            JournalEntry.Action.PAYMENT_RUN_PREPARED,
            run,
            actor,
            request,
            {
                "period_end": period_end.isoformat(),
                "rebuilt": open_run is not None,
                "lines": len(lines),
                "passes": run.pass_count,
                "gross_cents": run.gross_cents,
                "net_cents": run.net_cents,
                "blocked_operators": len(run.blocked),
            },
        )
    return run


# --------------------------------------------------------------------------- validate


def validate_run(run: PaymentRun, *, actor, request: HttpRequest | None = None) -> PaymentRun:
    """Four eyes: the validator is not the preparer. The reconciliation must show no gap."""
    from .queries import reconciliation

    with transaction.atomic():
        run = _lock_run(run)
        if run.status != RunStatus.DRAFT:
            raise PaymentError(
                "Seul un brouillon se valide (cette campagne est "
                f"{run.get_status_display().lower()})."
            )
        if run.prepared_by_id == getattr(actor, "pk", None):
            raise PaymentError(
                "Quatre yeux : la validation revient à une autre personne que celle qui a "
                "préparé la campagne."
            )
        if not run.lines.exists():
            raise PaymentError("Cette campagne ne contient aucune ligne à payer.")
        report = reconciliation(run)
        if report.gaps:
            raise PaymentError(
                "Le rapprochement présente des écarts : préparez de nouveau la campagne. "
                + " ; ".join(report.gaps)
            )
        run.status = RunStatus.VALIDATED
        run.validated_by = actor
        run.validated_at = timezone.now()
        run.save(update_fields=["status", "validated_by", "validated_at"])
        _journal(
            JournalEntry.Action.PAYMENT_RUN_VALIDATED,
            run,
            actor,
            request,
            {"net_cents": run.net_cents, "passes": run.pass_count},
        )
    return run


def cancel_run(run: PaymentRun, *, actor, request: HttpRequest | None = None) -> PaymentRun:
    """Cancel a draft or a validated (not exported) run: its passes are free again."""
    with transaction.atomic():
        run = _lock_run(run)
        if run.status not in (RunStatus.DRAFT, RunStatus.VALIDATED):
            raise PaymentError("Une campagne exportée ne s'annule pas : rejetez ses lignes.")
        _clear_lines(run)
        run.status = RunStatus.CANCELLED
        run.cancelled_at = timezone.now()
        run.cancelled_by = actor
        run.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        _journal(JournalEntry.Action.PAYMENT_RUN_CANCELLED, run, actor, request, {})
    return run


# --------------------------------------------------------------------------- export


@dataclass(frozen=True)
class Transfer:
    name: str
    iban: str
    bic: str
    amount_cents: int
    end_to_end_id: str
    description: str


def check_transfer(transfer: Transfer) -> None:
    """Refuse a transfer that must never reach a file (bad IBAN/BIC, amount not positive)."""
    if not isinstance(transfer.amount_cents, int) or transfer.amount_cents <= 0:
        raise PaymentError(
            f"Montant invalide pour {transfer.name} : un virement est strictement positif."
        )
    problem = iban_problem(transfer.iban, transfer.bic)
    if problem:
        raise PaymentError(f"{problem} pour {transfer.name} : le virement est refusé.")


def sepa_xml(*, debtor: PayerBankAccount, transfers: list[Transfer], execution_date: date) -> bytes:
    """A pain.001.001.03 credit-transfer file (sepaxml), validated against its XSD."""
    from sepaxml import SepaTransfer
    from sepaxml.validation import ValidationError

    problem = iban_problem(debtor.iban, debtor.bic)
    if problem:
        raise PaymentError(f"Compte à débiter : {problem}.")
    if not transfers:
        raise PaymentError("Aucun virement à exporter.")
    for transfer in transfers:
        check_transfer(transfer)
    sepa = SepaTransfer(
        {
            "name": debtor.name,
            "IBAN": debtor.iban,
            "BIC": debtor.bic,
            "batch": True,
            "currency": "EUR",
        },
        schema=SEPA_SCHEMA,
        clean=True,
    )
    for transfer in transfers:
        sepa.add_payment(
            {
                "name": transfer.name[:70],
                "IBAN": transfer.iban,
                "BIC": transfer.bic,
                "amount": transfer.amount_cents,
                "execution_date": execution_date,
                "description": transfer.description[:140],
                "endtoend_id": transfer.end_to_end_id,
            }
        )
    try:
        return sepa.export(validate=True)
    except ValidationError as exc:
        raise PaymentError("Le fichier SEPA ne respecte pas le schéma pain.001.001.03.") from exc


LIQUIDATION_HEADER = [
    "Référence campagne",
    "Référence ligne",
    "Bénéficiaire",
    "SIRET",
    "Titulaire du compte",
    "IBAN",
    "BIC",
    "Nombre de pass",
    "Montant brut (€)",
    "Frais aval (€)",
    "Montant à mandater (€)",
    "Objet",
]


def _description(run: PaymentRun) -> str:
    return (
        f"Contre-paiement pass numeriques {run.reference} "
        f"du {run.period_start:%d/%m/%Y} au {run.period_end:%d/%m/%Y}"
    )


def liquidation_rows(run: PaymentRun, lines: list[PaymentLine]) -> list[list]:
    from core.exports import cents_to_euros

    rows = []
    for line in lines:
        rows.append(
            [
                run.reference,
                line.end_to_end_id,
                line.operator.name,
                line.operator.siret or "",
                line.bank_account.holder,
                line.bank_account.iban,
                line.bank_account.bic,
                line.pass_count,
                cents_to_euros(line.gross_cents),
                cents_to_euros(line.fee_cents),
                cents_to_euros(line.net_cents),
                _description(run),
            ]
        )
    return rows


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def current_payer_account(organisation: Organisation) -> PayerBankAccount | None:
    return PayerBankAccount.objects.filter(organisation=organisation).first()


def export_run(
    run: PaymentRun,
    *,
    actor,
    execution_date: date | None = None,
    request: HttpRequest | None = None,
) -> tuple[str, bytes]:
    """Export a validated run (SEPA file, or liquidation list in public accounting).

    ``execution_date``: the SEPA file's requested execution date (ReqdExctnDt), stored on the run;
    by default the next TARGET2 business day. Refused if past, a TARGET2 closing day or more than
    ``MAX_EXECUTION_DAYS`` ahead. The liquidation list has no date column: it is not used there.

    An exported run gives back the very same file (stored with its SHA-256)."""
    from core.exports import csv_bytes

    with transaction.atomic():
        run = _lock_run(run)
        if run.status in (RunStatus.EXPORTED, RunStatus.PAID):
            content = bytes(run.export_content)
            _journal(
                JournalEntry.Action.PAYMENT_RUN_EXPORTED,
                run,
                actor,
                request,
                {
                    "filename": run.export_filename,
                    "sha256": run.export_sha256,
                    "execution_date": _iso(run.execution_date),
                    "again": True,
                },
            )
            return run.export_filename, content
        if run.status != RunStatus.VALIDATED:
            raise PaymentError("Seule une campagne validée s'exporte.")
        lines = list(
            run.lines.filter(status=LineStatus.PENDING)
            .select_related("operator", "bank_account")
            .order_by("operator__name", "pk")
        )
        if not lines:
            raise PaymentError("Aucune ligne à exporter.")
        for line in lines:
            if line.net_cents <= 0:
                raise PaymentError(
                    f"Montant net nul ou négatif pour {line.operator.name} : export refusé."
                )
            problem = iban_problem(line.bank_account.iban, line.bank_account.bic)
            if problem:
                raise PaymentError(f"{problem} pour {line.operator.name} : export refusé.")
        if run.payment_mode == "ISSUER":
            if execution_date is None:
                execution_date = default_execution_date()
            problem = execution_date_problem(execution_date, paris_today())
            if problem:
                raise PaymentError(f"{problem} Rien n'a été exporté.")
            debtor = current_payer_account(run.payer)
            if debtor is None:
                raise PaymentError(
                    "Renseignez d'abord le compte à débiter de l'émetteur (IBAN, BIC)."
                )
            content = sepa_xml(
                debtor=debtor,
                transfers=[
                    Transfer(
                        name=line.bank_account.holder,
                        iban=line.bank_account.iban,
                        bic=line.bank_account.bic,
                        amount_cents=line.net_cents,
                        end_to_end_id=line.end_to_end_id,
                        description=_description(run),
                    )
                    for line in lines
                ],
                execution_date=execution_date,
            )
            filename = f"{run.reference}-virements-{SEPA_SCHEMA}.xml"
        else:
            execution_date = None
            for line in lines:
                if not line.operator.siret:
                    raise PaymentError(f"SIRET manquant pour {line.operator.name}.")
            content = csv_bytes(LIQUIDATION_HEADER, liquidation_rows(run, lines))
            filename = f"{run.reference}-liste-de-liquidation.csv"
        run.status = RunStatus.EXPORTED
        run.exported_by = actor
        run.exported_at = timezone.now()
        run.export_filename = filename
        run.export_content = content
        run.export_sha256 = hashlib.sha256(content).hexdigest()
        run.exported_count = len(lines)
        run.exported_cents = sum(line.net_cents for line in lines)
        run.execution_date = execution_date
        run.save(
            update_fields=[
                "status",
                "execution_date",
                "exported_by",
                "exported_at",
                "export_filename",
                "export_content",
                "export_sha256",
                "exported_count",
                "exported_cents",
            ]
        )
        _journal(
            JournalEntry.Action.PAYMENT_RUN_EXPORTED,
            run,
            actor,
            request,
            {
                "filename": filename,
                "sha256": run.export_sha256,
                "transfers": run.exported_count,
                "cents": run.exported_cents,
                "execution_date": _iso(execution_date),
                "again": False,
            },
        )
    return filename, content


# --------------------------------------------------------------------------- after export


def reject_line(
    line: PaymentLine, *, reason: str, actor, request: HttpRequest | None = None
) -> PaymentLine:
    """A bank reject after export: the line's passes are freed and go to the next run."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Indiquez le motif du rejet (par exemple : compte clos).")
    with transaction.atomic():
        run = _lock_run(line.run)
        line = PaymentLine.objects.select_for_update().select_related("operator").get(pk=line.pk)
        if run.status != RunStatus.EXPORTED:
            raise PaymentError("Un rejet se saisit entre l'export et la confirmation du paiement.")
        if line.status != LineStatus.PENDING:
            raise PaymentError("Cette ligne a déjà été rejetée.")
        line.status = LineStatus.REJECTED
        line.rejection_reason = reason[:250]
        line.rejected_at = timezone.now()
        line.rejected_by = actor
        line.save(update_fields=["status", "rejection_reason", "rejected_at", "rejected_by"])
        freed = PaymentItem.objects.filter(line=line).update(is_rejected=True)
        record(
            JournalEntry.Action.PAYMENT_LINE_REJECTED,
            actor=actor,
            organisation=run.payer,
            obj=line,
            request=request,
            details={
                "reference": run.reference,
                "operator_id": line.operator_id,
                "reason": line.rejection_reason,
                "passes": freed,
                "net_cents": line.net_cents,
            },
        )
    return line


def _operator_recipients(operator_ids) -> dict[int, list[str]]:
    recipients: dict[int, list[str]] = {}
    for org in Organisation.objects.filter(pk__in=list(operator_ids)):
        if org.email:
            recipients[org.pk] = [org.email]
    missing = [pk for pk in operator_ids if pk not in recipients]
    for organisation_id, email in Membership.active.filter(
        organisation_id__in=missing, role=Role.ADMIN
    ).values_list("organisation_id", "user__email"):
        recipients.setdefault(organisation_id, []).append(email)
    return recipients


def earliest_paid_on(run: PaymentRun) -> date:
    """The first day an exported run can have been paid: the requested execution date of a SEPA
    file (a bank never executes before ReqdExctnDt), otherwise the export day."""
    if run.execution_date is not None:
        return run.execution_date
    return timezone.localtime(run.exported_at, PARIS).date()


def mark_paid(
    run: PaymentRun, *, paid_on: date, actor, request: HttpRequest | None = None
) -> PaymentRun:
    """Confirm the payment with its date: pending lines are paid, their passes REIMBURSED (ledger
    events), and each operator gets an e-mail « Votre contre-paiement a été versé »."""
    from ledger.events import record_events_for

    with transaction.atomic():
        run = _lock_run(run)
        if run.status != RunStatus.EXPORTED:
            raise PaymentError("Seule une campagne exportée peut être marquée payée.")
        earliest = earliest_paid_on(run)
        if run.execution_date is not None and paid_on < run.execution_date:
            raise PaymentError(
                f"Le virement a été demandé pour le {run.execution_date:%d/%m/%Y} : il ne peut "
                f"pas avoir été payé le {paid_on:%d/%m/%Y}. Rien n'a été modifié."
            )
        if paid_on > paris_today():
            raise PaymentError("La date de paiement ne peut pas être dans le futur.")
        if paid_on < earliest:
            raise PaymentError("La date de paiement ne peut pas précéder l'export.")
        lines = list(run.lines.filter(status=LineStatus.PENDING).select_related("operator"))
        PaymentLine.objects.filter(run=run, status=LineStatus.PENDING).update(
            status=LineStatus.PAID
        )
        paid_items = PaymentItem.objects.filter(
            line__run=run, line__status=LineStatus.PAID, is_rejected=False
        )
        pairs = list(
            Pass.objects.filter(
                pk__in=paid_items.values("pass_obj_id"), status=PassStatus.REDEEMED
            ).values_list("order_id", "number")
        )
        Pass.objects.filter(
            pk__in=paid_items.values("pass_obj_id"), status=PassStatus.REDEEMED
        ).update(status=PassStatus.REIMBURSED)
        if pairs:
            record_events_for(
                pairs,
                "REIMBURSED",
                to_status=PassStatus.REIMBURSED,
                actor_id=getattr(actor, "pk", None),
                reason=f"Contre-paiement {run.reference}",
                details={"payment_run_id": run.pk, "paid_on": paid_on.isoformat()},
            )
        run.status = RunStatus.PAID
        run.paid_on = paid_on
        run.paid_by = actor
        run.save(update_fields=["status", "paid_on", "paid_by"])
        _journal(
            JournalEntry.Action.PAYMENT_RUN_PAID,
            run,
            actor,
            request,
            {
                "paid_on": paid_on.isoformat(),
                "lines_paid": len(lines),
                "passes": len(pairs),
                "net_cents": sum(line.net_cents for line in lines),
            },
        )
        recipients = _operator_recipients([line.operator_id for line in lines])
        mails = []
        for line in lines:
            to = recipients.get(line.operator_id)
            if not to:
                continue
            context = {"run": run, "line": line, "site_url": getattr(settings, "SITE_URL", "")}
            mails.append((to, render_to_string("payments/email/paid.txt", context)))

        def send() -> None:
            for to, body in mails:
                send_mail(
                    subject="Votre contre-paiement a été versé",
                    message=body,
                    from_email=None,
                    recipient_list=to,
                )

        transaction.on_commit(send)
    return run


# --------------------------------------------------------------------------- debtor account


def set_payer_account(
    organisation: Organisation,
    *,
    name: str,
    iban: str,
    bic: str,
    actor,
    request: HttpRequest | None = None,
) -> PayerBankAccount:
    problem = iban_problem(iban, bic)
    if problem:
        raise PaymentError(f"{problem}.")
    with transaction.atomic():
        previous = current_payer_account(organisation)
        account = PayerBankAccount.objects.create(
            organisation=organisation, name=name, iban=iban, bic=bic, created_by=actor
        )
        record(
            JournalEntry.Action.ORGANISATION_UPDATED,
            actor=actor,
            organisation=organisation,
            obj=account,
            request=request,
            details={
                "event": "payer_debtor_account",
                "iban_end": iban[-4:],
                "bic": bic,
                "previous_iban_end": previous.iban[-4:] if previous else "",
            },
        )
    return account
