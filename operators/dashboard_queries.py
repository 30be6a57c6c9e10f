"""Reads for the operator dashboard: aggregate figures on the operator's redemptions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from ledger.models import PassStatus, Redemption, RedemptionLine
from organisations.models import Membership, Organisation
from organisations.queries import members_of

MONTHS_SHOWN = 24


@dataclass
class MoneyTotals:
    pending_passes: int
    pending_cents: int
    paid_passes: int
    paid_cents: int
    total_passes: int
    total_cents: int


def _lines(operator: Organisation) -> QuerySet[RedemptionLine]:
    return RedemptionLine.objects.filter(redemption__operator=operator)


def by_month(operator: Organisation) -> list[dict]:
    """Passes and amounts redeemed per month, newest first (``month`` is a date)."""
    rows = (
        Redemption.objects.filter(operator=operator)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            redemptions=Count("pk"), passes=Sum("pass_count"), amount_cents=Sum("amount_cents")
        )
        .order_by("-month")[:MONTHS_SHOWN]
    )
    return list(rows)


def by_service(operator: Organisation) -> list[dict]:
    rows = (
        Redemption.objects.filter(operator=operator)
        .values("service_id", "service__title", "service__theme")
        .annotate(
            redemptions=Count("pk"), passes=Sum("pass_count"), amount_cents=Sum("amount_cents")
        )
        .order_by("-passes", "service__title")
    )
    from operators.models import Service

    themes = dict(Service.Theme.choices)
    return [{**row, "theme_label": themes.get(row["service__theme"], "")} for row in rows]


def by_funder(operator: Organisation) -> list[dict]:
    return list(
        _lines(operator)
        .values("pass_obj__order__funder_id", "pass_obj__order__funder__name")
        .annotate(passes=Count("pk"), amount_cents=Sum("amount_cents"))
        .order_by("-passes", "pass_obj__order__funder__name")
    )


def money_totals(operator: Organisation) -> MoneyTotals:
    """Pending: redeemed and not reimbursed yet; paid: reimbursed (pass status REIMBURSED)."""
    pending = Q(pass_obj__status=PassStatus.REDEEMED)
    paid = Q(pass_obj__status=PassStatus.REIMBURSED)
    row = _lines(operator).aggregate(
        pending_passes=Count("pk", filter=pending),
        pending_cents=Sum("amount_cents", filter=pending),
        paid_passes=Count("pk", filter=paid),
        paid_cents=Sum("amount_cents", filter=paid),
        total_passes=Count("pk"),
        total_cents=Sum("amount_cents"),
    )
    return MoneyTotals(**{key: value or 0 for key, value in row.items()})


def active_members(operator: Organisation) -> QuerySet[Membership]:
    return members_of(operator, include_inactive=False)
