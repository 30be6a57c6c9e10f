"""Counter-payment reads: runs, lines, statements, reconciliation, what each order got back."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from ledger.models import Pass, PassStatus
from organisations.models import Membership, Organisation
from programmes.models import Programme

from .models import LineStatus, PaymentItem, PaymentLine, PaymentRun, RunStatus

OPERATOR_VISIBLE = (RunStatus.EXPORTED, RunStatus.PAID)


# --------------------------------------------------------------------------- contract for invoicing


def reimbursed_by_order(order_ids=None) -> dict[int, dict]:
    """{order id: {"passes": n, "cents": face value paid}} over the items of PAID runs whose line
    was paid (rejected lines excluded)."""
    qs = PaymentItem.objects.filter(
        is_rejected=False, line__status=LineStatus.PAID, line__run__status=RunStatus.PAID
    )
    if order_ids is not None:
        qs = qs.filter(pass_obj__order_id__in=list(order_ids))
    rows = qs.values("pass_obj__order_id").annotate(passes=Count("pk"), cents=Sum("amount_cents"))
    return {
        row["pass_obj__order_id"]: {"passes": row["passes"], "cents": int(row["cents"] or 0)}
        for row in rows
    }


def paid_items_for_operator(operator: Organisation) -> QuerySet[PaymentItem]:
    """The passes paid to this operator (paid lines of paid runs)."""
    return (
        PaymentItem.objects.filter(
            line__operator=operator,
            is_rejected=False,
            line__status=LineStatus.PAID,
            line__run__status=RunStatus.PAID,
        )
        .select_related("line__run", "pass_obj")
        .order_by("-line__run__period_end", "pass_obj__number")
    )


# --------------------------------------------------------------------------- finance side


def payable_programmes(organisation: Organisation) -> QuerySet[Programme]:
    """Programmes whose operators this organisation pays."""
    return (
        Programme.objects.filter(
            Q(issuer=organisation, payment_mode=Programme.PaymentMode.ISSUER)
            | Q(funder=organisation, payment_mode=Programme.PaymentMode.PUBLIC_ACCOUNTING)
        )
        .select_related("funder", "issuer")
        .order_by("-starts_on", "name")
    )


def is_payer(organisation: Organisation) -> bool:
    return payable_programmes(organisation).exists()


def runs_of(organisation: Organisation) -> QuerySet[PaymentRun]:
    return (
        PaymentRun.objects.filter(payer=organisation)
        .select_related("programme", "prepared_by", "validated_by")
        .defer("export_content")
        .order_by("-period_end", "-pk")
    )


def run_of(organisation: Organisation, run_id: int) -> PaymentRun | None:
    return runs_of(organisation).filter(pk=run_id).select_related("paid_by", "exported_by").first()


def lines_of(run: PaymentRun) -> QuerySet[PaymentLine]:
    return run.lines.select_related("operator", "bank_account").order_by("operator__name", "pk")


def line_of_run(run: PaymentRun, line_id: int) -> PaymentLine | None:
    return lines_of(run).filter(pk=line_id).first()


def finance_members(organisation: Organisation) -> QuerySet[Membership]:
    return Membership.active.filter(organisation=organisation, is_finance=True)


# --------------------------------------------------------------------------- operator side


def operator_lines(operator: Organisation) -> QuerySet[PaymentLine]:
    """This operator's lines of exported or paid runs (its statements and payments)."""
    return (
        PaymentLine.objects.filter(operator=operator, run__status__in=OPERATOR_VISIBLE)
        .select_related("run", "run__programme", "run__payer", "bank_account")
        .defer("run__export_content")
        .order_by("-run__period_end", "-pk")
    )


def operator_line(operator: Organisation, line_id: int) -> PaymentLine | None:
    return operator_lines(operator).filter(pk=line_id).first()


def pending_for_operator(operator: Organisation) -> dict:
    """Passes this operator redeemed and that are not paid yet (what it is still owed)."""
    row = Pass.objects.filter(redemption__operator=operator, status=PassStatus.REDEEMED).aggregate(
        passes=Count("pk"), cents=Sum("redemption_lines__amount_cents")
    )
    return {"passes": row["passes"] or 0, "cents": int(row["cents"] or 0)}


STATEMENT_HEADER = ["N° de pass", "Utilisé le", "Lieu", "Service", "Montant (€)"]


def statement_items(line: PaymentLine) -> QuerySet[PaymentItem]:
    return line.items.select_related(
        "pass_obj",
        "redemption_line__redemption__place",
        "redemption_line__redemption__service",
    ).order_by("pass_obj__redeemed_at", "pass_obj__number")


def statement_rows(line: PaymentLine) -> list[list]:
    from core.exports import cents_to_euros

    return [
        [
            item.pass_obj.serial,
            item.pass_obj.redeemed_at,
            item.redemption_line.redemption.place.name,
            item.redemption_line.redemption.service.title,
            cents_to_euros(item.amount_cents),
        ]
        for item in statement_items(line)
    ]


# --------------------------------------------------------------------------- reconciliation


@dataclass
class Reconciliation:
    """The run's lines, the passes redeemed in its period and the amounts exported, to the cent."""

    rows: list[tuple[str, str, str, bool]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    period_checked: bool = False

    def add(self, label: str, expected, actual, *, money: bool = True) -> None:
        from ledger.templatetags.ledger_money import format_euros

        ok = expected == actual
        show = format_euros if money else str
        self.rows.append((label, show(expected), show(actual), ok))
        if not ok:
            self.gaps.append(f"{label} : attendu {show(expected)}, trouvé {show(actual)}")


def _items_by_line(run: PaymentRun) -> dict[int, tuple[int, int]]:
    rows = (
        PaymentItem.objects.filter(line__run=run)
        .values("line_id")
        .annotate(n=Count("pk"), cents=Sum("amount_cents"))
    )
    return {row["line_id"]: (row["n"], int(row["cents"] or 0)) for row in rows}


def reconciliation(run: PaymentRun) -> Reconciliation:
    from .services import fee_for, period_cutoff

    report = Reconciliation()
    lines = list(run.lines.select_related("operator").order_by("operator__name", "pk"))
    items = _items_by_line(run)
    gross = sum(line.gross_cents for line in lines)
    fee = sum(line.fee_cents for line in lines)
    passes = sum(line.pass_count for line in lines)
    report.add("Nombre de pass (campagne / lignes)", run.pass_count, passes, money=False)
    report.add("Montant brut (campagne / lignes)", run.gross_cents, gross)
    report.add("Frais aval (campagne / lignes)", run.fee_cents, fee)
    report.add("Montant net (campagne / lignes)", run.net_cents, run.gross_cents - run.fee_cents)
    item_n = sum(n for n, _ in items.values())
    item_cents = sum(c for _, c in items.values())
    report.add("Nombre de pass (lignes / pass contre-payés)", passes, item_n, money=False)
    report.add("Montant brut (lignes / pass contre-payés)", gross, item_cents)
    for line in lines:
        n, cents = items.get(line.pk, (0, 0))
        if (n, cents) != (line.pass_count, line.gross_cents):
            report.gaps.append(
                f"Ligne {line.operator.name} : {line.pass_count} pass pour "
                f"{line.gross_cents} c, mais {n} pass pour {cents} c"
            )
        if line.fee_cents != fee_for(line.gross_cents, run.fee_basis_points):
            report.gaps.append(f"Ligne {line.operator.name} : frais mal calculés")
    if run.status in (RunStatus.DRAFT, RunStatus.VALIDATED):
        # Every unpaid pass redeemed in the period is in this run or listed as blocked.
        report.period_checked = True
        eligible = _eligible_now(run, period_cutoff(run.period_end))
        blocked_n = sum(b["passes"] for b in run.blocked)
        blocked_cents = sum(b["cents"] for b in run.blocked)
        report.add(
            "Pass utilisés sur la période (registre / campagne + bloqués)",
            eligible[0],
            item_n + blocked_n,
            money=False,
        )
        report.add(
            "Valeur des pass utilisés sur la période (registre / campagne + bloqués)",
            eligible[1],
            item_cents + blocked_cents,
        )
    if run.status in (RunStatus.EXPORTED, RunStatus.PAID):
        report.add(
            "Virements (lignes / fichier exporté)", len(lines), run.exported_count, money=False
        )
        report.add(
            "Montant net (lignes / fichier exporté)",
            sum(line.net_cents for line in lines),
            run.exported_cents,
        )
    return report


def _eligible_now(run: PaymentRun, cutoff) -> tuple[int, int]:
    """Passes of the programme redeemed before the cut-off, still unpaid (REDEEMED), and in no
    non-rejected item of another run: this run's items plus its blocked passes must match."""
    from ledger.models import Order, Redemption, RedemptionLine

    sql = f"""
        SELECT COUNT(*), COALESCE(SUM(rl.amount_cents), 0)
        FROM {RedemptionLine._meta.db_table} rl
        JOIN {Pass._meta.db_table} p ON p.id = rl.pass_id
        JOIN {Order._meta.db_table} o ON o.id = p.order_id
        JOIN {Redemption._meta.db_table} r ON r.id = rl.redemption_id
        WHERE o.programme_id = %s AND p.status = %s AND p.redeemed_at < %s
          AND NOT EXISTS (
            SELECT 1 FROM {PaymentItem._meta.db_table} i
            JOIN {PaymentLine._meta.db_table} l ON l.id = i.line_id
            WHERE i.pass_id = p.id AND NOT i.is_rejected AND l.run_id <> %s
          )
    """  # noqa: S608 - table names from the models
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                run.programme_id,
                PassStatus.REDEEMED,
                connection.ops.adapt_datetimefield_value(cutoff),
                run.pk,
            ],
        )
        count, cents = cursor.fetchone()
    return int(count), int(cents)
