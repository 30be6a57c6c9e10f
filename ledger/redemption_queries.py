"""Reads for redemption: the operator's places and services, receipts, day totals, and the
places where a pass can be used (public check page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from operators.models import Place, Qualification, Service
from organisations.models import Organisation

from .models import Order, Redemption, RedemptionLine


def operator_places(operator: Organisation) -> QuerySet[Place]:
    return (
        Place.objects.filter(operator=operator, is_active=True, accepts_passes=True)
        .select_related("commune")
        .order_by("name", "pk")
    )


def operator_services(operator: Organisation) -> QuerySet[Service]:
    return Service.objects.filter(operator=operator, is_active=True).order_by("title", "pk")


def get_place_or_404(operator: Organisation, place_id) -> Place:
    """One of the operator's places (any state: the service tells why it refuses)."""
    place = Place.objects.filter(pk=_int(place_id), operator=operator).first()
    if place is None:
        raise Http404("Lieu introuvable.")
    return place


def get_service_or_404(operator: Organisation, service_id) -> Service:
    service = Service.objects.filter(pk=_int(service_id), operator=operator).first()
    if service is None:
        raise Http404("Service introuvable.")
    return service


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def get_redemption(pk: int) -> Redemption | None:
    return (
        Redemption.objects.filter(pk=pk)
        .select_related("operator", "place", "place__commune", "service", "created_by")
        .first()
    )


def redemption_lines(redemption: Redemption) -> QuerySet[RedemptionLine]:
    return (
        RedemptionLine.objects.filter(redemption=redemption)
        .select_related("pass_obj", "pass_obj__order", "pass_obj__order__funder")
        .order_by("pass_obj__number")
    )


@dataclass
class DayTotal:
    day: date
    redemptions: int
    passes: int
    amount_cents: int


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def day_total(place: Place, day: date | None = None) -> DayTotal:
    """Running total of a place for one (local) day."""
    day = day or timezone.localdate()
    start, end = _day_bounds(day)
    totals = Redemption.objects.filter(
        place=place, created_at__gte=start, created_at__lt=end
    ).aggregate(n=Count("id"), passes=Sum("pass_count"), amount=Sum("amount_cents"))
    return DayTotal(day, totals["n"] or 0, totals["passes"] or 0, totals["amount"] or 0)


def redemptions_of_day(operator: Organisation, day: date | None = None) -> QuerySet[Redemption]:
    day = day or timezone.localdate()
    start, end = _day_bounds(day)
    return (
        Redemption.objects.filter(operator=operator, created_at__gte=start, created_at__lt=end)
        .select_related("place", "service")
        .order_by("-created_at", "-pk")
    )


def places_accepting(order: Order, limit: int = 5) -> list[Place]:
    """A few qualified, active places that accept passes inside the order's perimeter."""
    return list(
        Place.objects.filter(
            is_active=True,
            accepts_passes=True,
            commune__in=order.perimeter.all(),
            operator__is_active=True,
            operator__operator_profile__qualification=Qualification.QUALIFIED,
        )
        .select_related("commune", "operator")
        .order_by("commune__name", "name", "pk")[:limit]
    )
