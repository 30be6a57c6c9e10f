"""Reads of the chain of custody: a holder's stock, pending receipts, dormant stock, the holders
below an organisation and the receivers it may hand booklets to."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from organisations.models import Membership, Organisation
from programmes.models import Territory

from .models import Booklet, Order, OrderStatus, Pass, PassStatus, Transfer, TransferKind

DEFAULT_DORMANT_STOCK_DAYS = 60


def dormant_days() -> int:
    """settings.DORMANT_STOCK_DAYS, 60 by default."""
    return int(getattr(settings, "DORMANT_STOCK_DAYS", DEFAULT_DORMANT_STOCK_DAYS))


def format_euros(cents: int) -> str:
    """1234567 → « 12 345,67 € » (French format, non-breaking spaces)."""
    euros, rest = divmod(abs(int(cents)), 100)
    grouped = f"{euros:,}".replace(",", "\u00a0")
    return f"{'-' if cents < 0 else ''}{grouped},{rest:02d}\u00a0€"


def age_in_days(since: datetime | None, now: datetime | None = None) -> int | None:
    if since is None:
        return None
    now = now or timezone.now()
    return max(0, (timezone.localdate(now) - timezone.localdate(since)).days)


def held_booklets(holder: Organisation) -> QuerySet[Booklet]:
    """Booklets held by ``holder`` that still have passes in stock, oldest custody first, with
    ``in_stock`` (IN_STOCK passes held by the holder) annotated."""
    return (
        Booklet.objects.filter(holder=holder)
        .annotate(
            in_stock=Count(
                "passes",
                filter=Q(passes__status=PassStatus.IN_STOCK, passes__holder=holder),
            )
        )
        .filter(in_stock__gt=0)
        .select_related("order", "holder_person", "pending_transfer")
        .order_by("held_since", "number")
    )


@dataclass
class StockLine:
    order: Order
    booklets: int
    passes: int
    oldest: datetime | None

    @property
    def value_cents(self) -> int:
        return self.passes * self.order.face_value_cents

    @property
    def value(self) -> str:
        return format_euros(self.value_cents)

    @property
    def age_days(self) -> int | None:
        return age_in_days(self.oldest)


def stock_by_order(holder: Organisation) -> list[StockLine]:
    """The holder's stock grouped by order: booklets, IN_STOCK passes, oldest custody date."""
    rows = (
        held_booklets(holder)
        .order_by()
        .values("order_id")
        .annotate(booklets=Count("id", distinct=True), oldest=Min("held_since"))
    )
    booklet_rows = {row["order_id"]: row for row in rows}
    from .models import Pass

    pass_rows = dict(
        Pass.objects.filter(holder=holder, status=PassStatus.IN_STOCK)
        .order_by()
        .values("order_id")
        .annotate(n=Count("id"))
        .values_list("order_id", "n")
    )
    orders = Order.objects.in_bulk(list(booklet_rows))
    lines = [
        StockLine(
            order=orders[order_id],
            booklets=row["booklets"],
            passes=pass_rows.get(order_id, 0),
            oldest=row["oldest"],
        )
        for order_id, row in booklet_rows.items()
    ]
    return sorted(lines, key=lambda line: line.order.reference)


def decorate(booklets, now: datetime | None = None) -> list[Booklet]:
    """Adds ``age_days`` and ``is_dormant`` to each booklet of a page."""
    now = now or timezone.now()
    limit = dormant_days()
    result = []
    for booklet in booklets:
        booklet.age_days = age_in_days(booklet.held_since, now)
        moved = booklet.last_moved_at or booklet.held_since
        booklet.is_dormant = moved is not None and moved < now - timedelta(days=limit)
        result.append(booklet)
    return result


def dormant_booklets(holder: Organisation, now: datetime | None = None) -> QuerySet[Booklet]:
    """Held booklets with passes in stock and no movement for more than DORMANT_STOCK_DAYS."""
    now = now or timezone.now()
    return held_booklets(holder).filter(last_moved_at__lt=now - timedelta(days=dormant_days()))


def pending_receipts(holder: Organisation) -> QuerySet[Transfer]:
    """Transfers to ``holder`` whose receipt is not acknowledged yet."""
    return (
        Transfer.objects.filter(to_holder=holder, acknowledged_at__isnull=True)
        .select_related("from_holder", "to_person", "created_by")
        .order_by("created_at", "pk")
    )


def pending_sent(holder: Organisation) -> QuerySet[Transfer]:
    return (
        Transfer.objects.filter(from_holder=holder, acknowledged_at__isnull=True)
        .select_related("to_holder")
        .order_by("created_at", "pk")
    )


def recent_transfers(holder: Organisation) -> QuerySet[Transfer]:
    return (
        Transfer.objects.filter(Q(from_holder=holder) | Q(to_holder=holder))
        .select_related("from_holder", "to_holder", "to_person")
        .order_by("-created_at", "-pk")
    )


def municipalities_of(funder: Organisation) -> QuerySet[Organisation]:
    """The funder's municipalities: its children, and the territories of its programmes."""
    territory_ids = Territory.objects.filter(programme__funder=funder).values("municipality_id")
    return Organisation.objects.filter(
        Q(parent=funder) | Q(pk__in=territory_ids),
        kind=Organisation.Kind.MUNICIPALITY,
        is_active=True,
    ).order_by("name")


def prescribers_of(municipality: Organisation) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        parent=municipality, kind=Organisation.Kind.PRESCRIBER, is_active=True
    ).order_by("name")


def holders_below(organisation: Organisation) -> QuerySet[Organisation]:
    """Every holder under ``organisation`` in the chain, with ``booklet_count`` and
    ``pass_count`` (IN_STOCK) annotated."""
    if organisation.kind == Organisation.Kind.FUNDER:
        municipalities = municipalities_of(organisation)
        qs = Organisation.objects.filter(
            Q(pk__in=municipalities.values("pk"))
            | Q(parent__in=municipalities.values("pk"), kind=Organisation.Kind.PRESCRIBER),
            is_active=True,
        )
    elif organisation.kind == Organisation.Kind.MUNICIPALITY:
        qs = prescribers_of(organisation)
    else:
        return Organisation.objects.none()
    # Two correlated subqueries, not two joins: joining booklets and passes together would
    # multiply the rows (booklets × passes per holder) before counting.
    booklets = (
        Booklet.objects.filter(holder=OuterRef("pk"))
        .order_by()
        .values("holder")
        .annotate(n=Count("pk"))
        .values("n")
    )
    passes = (
        Pass.objects.filter(holder=OuterRef("pk"), status=PassStatus.IN_STOCK)
        .order_by()
        .values("holder")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.annotate(
            booklet_count=Coalesce(Subquery(booklets), 0),
            pass_count=Coalesce(Subquery(passes), 0),
        )
        .select_related("parent")
        .order_by("kind", "name")
    )


def allowed_receivers(holder: Organisation, kind: str) -> list[Organisation]:
    """The organisations ``holder`` may send booklets to with a transfer of ``kind`` (for the
    choice list; the service checks the chain again per order)."""
    kinds = Organisation.Kind
    if kind == TransferKind.ALLOCATION:
        if holder.kind == kinds.FUNDER:
            return list(municipalities_of(holder))
        if holder.kind == kinds.MUNICIPALITY:
            return list(prescribers_of(holder))
        return []
    if kind == TransferKind.RETURN:
        if holder.kind == kinds.PRESCRIBER and holder.parent_id:
            return [holder.parent] if holder.parent.is_active else []
        if holder.kind == kinds.MUNICIPALITY:
            funders = Organisation.objects.filter(
                Q(pk=holder.parent_id, kind=kinds.FUNDER)
                | Q(programmes__territories__municipality=holder),
                is_active=True,
            )
            return list(funders.distinct().order_by("name"))
        return []
    if kind == TransferKind.REALLOCATION and holder.kind == kinds.FUNDER:
        return [holder, *holders_below(holder)]
    return []


def named_prescribers(structure: Organisation):
    """Active members of a prescriber structure (for the « prescripteur nommé » choice)."""
    return (
        Membership.active.filter(organisation=structure)
        .select_related("user")
        .order_by("user__last_name", "user__email")
    )


def funder_orders(funder: Organisation) -> QuerySet[Order]:
    """The funder's orders still running (for the end-of-validity steps)."""
    return Order.objects.filter(
        funder=funder, status__in=[OrderStatus.ACTIVATED, OrderStatus.CLOSING]
    ).order_by("valid_until", "reference")
