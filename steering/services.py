"""Computing the steering figures of a programme from the ledger (the rollup).

``refresh_programme`` runs a handful of set-based GROUP BY queries over the programme's passes
and custody events, maps each holder to its territory, and replaces the programme's ``Figure``
and ``HolderStock`` rows in one transaction (readers see the old figures or the new ones, never
a mix). It is run by the ``steering.refresh`` job (the « Mettre à jour les chiffres » button,
``manage.py steering_refresh``, a cron entry), never by a page view.
"""

import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, DateField, F, Func, IntegerField, Max, Min, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from beneficiaries.eligibility import DIPLOMAS_BY_RULE
from beneficiaries.models import AgeBand, DiplomaLevel, QpvAnswer, SocialStatus
from ledger.custody_queries import dormant_days
from ledger.models import EventKind, Order, Pass, PassEvent, PassStatus
from organisations.models import Organisation
from programmes.models import Programme, Territory

from .models import Figure, HolderStock, Metric, PlaceFigure, Refresh

USED = (PassStatus.REDEEMED, PassStatus.REIMBURSED)
CUSTODY_KINDS = (EventKind.TRANSFERRED, EventKind.REALLOCATED, EventKind.RETURNED)


class DaysBetween(Func):
    """Whole days between the Paris dates of two datetimes (end − start)."""

    arity = 2
    output_field = IntegerField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(TruncDate(end), TruncDate(start))

    def as_sql(self, compiler, connection, **extra):
        # PostgreSQL: date − date is an integer number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


def month_of(column: str) -> TruncMonth:
    return TruncMonth(column, output_field=DateField())


def pic_q(rule: str, prefix: str = "beneficiary__") -> Q:
    """The PIC eligibility of beneficiaries.eligibility as a database filter, under ``rule``."""
    if rule not in DIPLOMAS_BY_RULE:
        raise ValueError(f"Règle PIC inconnue : {rule}")
    job_seekers = Q(
        **{f"{prefix}job_seeker": True, f"{prefix}diploma_level__in": DIPLOMAS_BY_RULE[rule]}
    )
    not_in_school = [value for value, _ in SocialStatus.choices if value != SocialStatus.SCHOOL]
    early_leavers = Q(
        **{
            f"{prefix}age_band": AgeBand.FROM_18,
            f"{prefix}diploma_level": DiplomaLevel.NONE,
            f"{prefix}social_status__in": not_in_school,
        }
    )
    return job_seekers | early_leavers


def holder_territories(programme: Programme) -> dict[int, int]:
    """Holder organisation id → territory id: each territory's municipality and the prescriber
    structures under it. The funder (and any other holder) has no territory."""
    by_municipality = dict(
        Territory.objects.filter(programme=programme).values_list("municipality_id", "pk")
    )
    result = dict(by_municipality)
    prescribers = Organisation.objects.filter(
        parent_id__in=list(by_municipality), kind=Organisation.Kind.PRESCRIBER
    ).values_list("pk", "parent_id")
    for pk, parent_id in prescribers:
        result[pk] = by_municipality[parent_id]
    return result


def _month(value: date | datetime) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def compute(programme: Programme, now: datetime | None = None) -> dict[str, Any]:
    """The programme's figures computed from the ledger (nothing written): ``figures`` maps
    (order id, territory id or None, month, metric, bucket) to a number of passes, ``stock``
    maps holder id to its stock line, ``places`` maps (place id, territory id or None) to
    (passes used there, of which reimbursed)."""
    now = now or timezone.now()
    territory_of = holder_territories(programme)
    figures: dict[tuple, int] = defaultdict(int)
    passes = Pass.objects.filter(order__programme=programme).order_by()

    def add(order_id, holder_id, month, metric, n, bucket=0):
        if n:
            territory = territory_of.get(holder_id) if holder_id is not None else None
            figures[(order_id, territory, _month(month), metric, bucket)] += n

    for order in Order.objects.filter(programme=programme, issued_at__isnull=False):
        add(order.pk, None, order.issued_at, Metric.ORDERED, order.pass_count)

    # Custody: passes entering or leaving a territory's chain (funder → municipality, returns,
    # reallocations between territories). Moves inside a territory count for nothing.
    moves = (
        PassEvent.objects.filter(order__programme=programme, kind__in=CUSTODY_KINDS)
        .order_by()
        .values("order_id", "from_holder_id", "to_holder_id", month=month_of("created_at"))
        .annotate(n=Sum("pass_count"))
    )
    for row in moves:
        source = territory_of.get(row["from_holder_id"])
        target = territory_of.get(row["to_holder_id"])
        if source == target:
            continue
        if target is not None:
            figures[(row["order_id"], target, row["month"], Metric.ALLOCATED_IN, 0)] += row["n"]
        if source is not None:
            figures[(row["order_id"], source, row["month"], Metric.ALLOCATED_OUT, 0)] += row["n"]

    # Hand-outs, by month of hand-out (a pass cancelled after its hand-out still counts).
    handed = (
        passes.filter(distributed_at__isnull=False)
        .values("order_id", "holder_id", month=month_of("distributed_at"))
        .annotate(
            n=Count("pk"),
            pic=Count("pk", filter=pic_q(programme.pic_rule)),
            qpv=Count("pk", filter=Q(beneficiary__lives_in_qpv=QpvAnswer.YES)),
        )
    )
    for row in handed:
        key = (row["order_id"], row["holder_id"], row["month"])
        add(*key, Metric.DISTRIBUTED, row["n"])
        add(*key, Metric.DISTRIBUTED_PIC, row["pic"])
        add(*key, Metric.DISTRIBUTED_QPV, row["qpv"])

    # Redemptions, by month of redemption, with the days since the hand-out.
    used = (
        passes.filter(status__in=USED)
        .values(
            "order_id",
            "holder_id",
            month=month_of("redeemed_at"),
            days=DaysBetween("distributed_at", "redeemed_at"),
        )
        .annotate(
            n=Count("pk"),
            assoc=Count(
                "pk",
                filter=Q(
                    redemption__operator__legal_category=Organisation.LegalCategory.ASSOCIATION
                ),
            ),
            paid=Count("pk", filter=Q(status=PassStatus.REIMBURSED)),
        )
    )
    for row in used:
        key = (row["order_id"], row["holder_id"], row["month"])
        add(*key, Metric.REDEEMED, row["n"])
        add(*key, Metric.REDEEMED_ASSOC, row["assoc"])
        add(*key, Metric.REIMBURSED, row["paid"])
        if row["days"] is not None:  # a pass used straight from stock has no hand-out date
            add(*key, Metric.DELAY, row["n"], bucket=max(0, row["days"]))

    # Passes used per place of redemption and territory (the maps' places): one GROUP BY.
    places: dict[tuple[int, int | None], list[int]] = defaultdict(lambda: [0, 0])
    per_place = (
        passes.filter(status__in=USED, redemption__isnull=False)
        .values("holder_id", place_id=F("redemption__place_id"))
        .annotate(n=Count("pk"), paid=Count("pk", filter=Q(status=PassStatus.REIMBURSED)))
    )
    for row in per_place:
        line = places[(row["place_id"], territory_of.get(row["holder_id"]))]
        line[0] += row["n"]
        line[1] += row["paid"]

    # The state now, for the end-of-validity countdown.
    states = (
        passes.filter(status__in=[PassStatus.IN_STOCK, PassStatus.DISTRIBUTED])
        .values("order_id", "holder_id", "status")
        .annotate(n=Count("pk"))
    )
    for row in states:
        metric = (
            Metric.NOW_IN_STOCK if row["status"] == PassStatus.IN_STOCK else Metric.NOW_DISTRIBUTED
        )
        add(row["order_id"], row["holder_id"], now, metric, row["n"])

    # Stock per holder, with its dormant part (booklets without movement for N days).
    cutoff = now - timedelta(days=dormant_days())
    dormant = Q(booklet__last_moved_at__lt=cutoff)
    stock_rows = (
        passes.filter(status=PassStatus.IN_STOCK, holder__isnull=False)
        .values("holder_id")
        .annotate(
            in_stock=Count("pk"),
            booklets=Count("booklet_id", distinct=True),
            dormant_passes=Count("pk", filter=dormant),
            dormant_booklets=Count("booklet_id", filter=dormant, distinct=True),
            oldest=Min("booklet__held_since"),
            last_moved=Max("booklet__last_moved_at"),
        )
    )
    stock = {
        row["holder_id"]: {
            "territory_id": territory_of.get(row["holder_id"]),
            "in_stock": row["in_stock"],
            "booklets": row["booklets"],
            "dormant_passes": row["dormant_passes"],
            "dormant_booklets": row["dormant_booklets"],
            "oldest_held_since": row["oldest"],
            "last_moved_at": row["last_moved"],
        }
        for row in stock_rows
    }
    return {
        "figures": dict(figures),
        "stock": stock,
        "places": {key: tuple(value) for key, value in places.items()},
    }


def refresh_programme(programme: Programme, now: datetime | None = None) -> Refresh:
    """Recompute and replace the programme's figures (one transaction)."""
    started = time.perf_counter()
    now = now or timezone.now()
    with transaction.atomic():
        Programme.objects.select_for_update().filter(pk=programme.pk).first()
        result = compute(programme, now)
        Figure.objects.filter(programme=programme).delete()
        HolderStock.objects.filter(programme=programme).delete()
        PlaceFigure.objects.filter(programme=programme).delete()
        Figure.objects.bulk_create(
            (
                Figure(
                    programme=programme,
                    order_id=order_id,
                    territory_id=territory_id,
                    month=month,
                    metric=metric,
                    bucket=bucket,
                    value=value,
                )
                for (order_id, territory_id, month, metric, bucket), value in result[
                    "figures"
                ].items()
                if value
            ),
            batch_size=2000,
        )
        HolderStock.objects.bulk_create(
            HolderStock(programme=programme, holder_id=holder_id, **line)
            for holder_id, line in result["stock"].items()
        )
        PlaceFigure.objects.bulk_create(
            (
                PlaceFigure(
                    programme=programme,
                    place_id=place_id,
                    territory_id=territory_id,
                    redeemed=redeemed,
                    reimbursed=reimbursed,
                )
                for (place_id, territory_id), (redeemed, reimbursed) in result["places"].items()
            ),
            batch_size=2000,
        )
        total = Pass.objects.filter(order__programme=programme).count()
        refresh, _ = Refresh.objects.update_or_create(
            programme=programme,
            defaults={
                "refreshed_at": now,
                "pass_count": total,
                "duration_ms": int((time.perf_counter() - started) * 1000),
            },
        )
    return refresh


def refresh_all(now: datetime | None = None, progress=None) -> int:
    programmes = list(Programme.objects.order_by("pk"))
    for i, programme in enumerate(programmes):
        refresh_programme(programme, now)
        if progress is not None:
            progress(i + 1, len(programmes), programme.name)
    return len(programmes)


REFRESH_JOB_KIND = "steering.refresh"


def request_refresh(programme: Programme, *, by, request=None):
    """Start the refresh job of a programme (the funder's button). The job start is journalled
    by the jobs app; a second click while it runs raises jobs.services.JobAlreadyActive."""
    from jobs.services import start_job

    from .tasks import refresh_task

    return start_job(
        REFRESH_JOB_KIND,
        f"Mise à jour des chiffres — {programme.name}",
        organisation=programme.funder,
        user=by,
        task=refresh_task,
        args=[programme.pk],
        request=request,
        exclusive_key=f"steering:{programme.pk}",
    )
