"""Reads for redemption: the operator's places and services, receipts, day totals, and the
places where a pass can be used (public check page)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.db.models.base import ModelState
from django.http import Http404
from django.utils import timezone

from operators.models import OperatorProfile, Place, Qualification, Service
from organisations.models import Membership, Organisation

from .models import Order, Pass, Redemption, RedemptionLine


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


# --------------------------------------------------------------------------- the hot path
# Redemption over the API is the busiest write of the platform: its reads are two hand-written,
# parameterised queries (the ORM's query compilation cost more than the database work). They
# build partial model instances with Model.from_db (any other field is deferred), so the checks
# in ledger.redemption run unchanged. Portable SQL: PostgreSQL and SQLite.


def hot_cursor():
    """A cursor for the hot path's hand-written statements.

    On PostgreSQL it binds the parameters on the server and has PostgreSQL prepare each
    statement once per connection (persistent connections, CONN_MAX_AGE), so that the planning
    of these joins and of the redemption's CTE is not paid on every request. Django's own
    cursors bind on the client and never prepare (its default, kept for poolers in transaction
    mode: behind PgBouncer use 1.21 or later with max_prepared_statements, or set
    PASSNUM_PREPARE_HOT_QUERIES = False). It is still a Django cursor: the statements show in
    connection.queries and CaptureQueriesContext. Elsewhere, a plain connection.cursor()."""
    if connection.vendor != "postgresql" or not getattr(
        settings, "PASSNUM_PREPARE_HOT_QUERIES", True
    ):
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    if connection.connection.prepare_threshold is None:
        # None (Django's default) would make psycopg ignore prepare=True. A threshold never
        # reached prepares only what is asked: Django's client-side cursors never prepare.
        connection.connection.prepare_threshold = _ONLY_WHEN_ASKED
    raw = _preparing_cursor_class()(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


_PREPARING_CURSOR = []
_ONLY_WHEN_ASKED = 2**31 - 1


def _preparing_cursor_class():
    if not _PREPARING_CURSOR:
        import psycopg

        class PreparingCursor(psycopg.Cursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        _PREPARING_CURSOR.append(PreparingCursor)
    return _PREPARING_CURSOR[0]


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands naive UTC datetimes to a raw cursor; PostgreSQL aware ones."""
    if value is not None and timezone.is_naive(value):
        return value.replace(tzinfo=UTC)
    return value


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _from_db(model, names: tuple[str, ...], values):
    """A model instance loaded from the database with only these fields (attnames); the others
    are deferred, exactly as with QuerySet.only(). Built without Model.__init__, which walks
    every field of the model (a place has 35)."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values, strict=True))
    state = instance._state = ModelState()
    state.adding = False
    state.db = connection.alias
    return instance


_ORDER_FIELDS = (
    "id",
    "status",
    "key_id",
    "face_value_cents",
    "valid_until",
    "tolerance_days",
    "accept_in_stock",
    "allowed_themes",
    "reference",
    "funder_id",
)
_PASS_FIELDS = ("id", "number", "serial", "status", "order_id", "redeemed_at", "redemption_id")

_PASSES_SQL = (
    "SELECT p.id, p.number, p.serial, p.status, p.order_id, p.redeemed_at, p.redemption_id, "
    "o.id, o.status, o.key_id, o.face_value_cents, o.valid_until, o.tolerance_days, "
    "o.accept_in_stock, o.allowed_themes, o.reference, o.funder_id, f.name, "
    "EXISTS (SELECT 1 FROM {perimeter} op WHERE op.order_id = o.id AND op.commune_id = %s) "
    "FROM {passes} p INNER JOIN {orders} o ON o.id = p.order_id "
    "INNER JOIN {organisations} f ON f.id = o.funder_id "
    "WHERE p.serial IN ({serials})"
)


def passes_by_serial(serials: list[str], commune_id: str | None = None) -> dict[str, tuple]:
    """{serial: (pass, inside)} for the passes found, in ONE query: each pass with its order
    and its funder (name) attached, and whether the commune is in the order's perimeter
    (``inside``; False when no commune is given)."""
    if not serials:
        return {}
    sql = _PASSES_SQL.format(
        perimeter=Order.perimeter.through._meta.db_table,
        passes=Pass._meta.db_table,
        orders=Order._meta.db_table,
        organisations=Organisation._meta.db_table,
        serials=", ".join(["%s"] * len(serials)),
    )
    with hot_cursor() as cursor:
        cursor.execute(sql, [commune_id or "", *serials])
        rows = cursor.fetchall()
    found: dict[str, tuple] = {}
    orders: dict[int, Order] = {}
    for row in rows:
        order = orders.get(row[7])
        if order is None:
            values = list(row[7:17])
            values[7] = _json(values[7])
            order = _from_db(Order, _ORDER_FIELDS, values)
            order.funder = _from_db(Organisation, ("id", "name"), (row[16], row[17]))
            orders[order.pk] = order
        values = list(row[0:7])
        values[5] = _aware(values[5])
        pass_ = _from_db(Pass, _PASS_FIELDS, values)
        pass_.order = order
        found[pass_.serial] = (pass_, bool(row[18]))
    return found


@dataclass
class RedemptionContext:
    """What POST /api/v1/redemptions needs before looking at the passes, in ONE query."""

    role: str | None  # None: not an active member of an active organisation
    operator: Organisation | None
    place: Place | None
    service: Service | None
    replay_id: int | None  # the redemption already made with this idempotency key


_PLACE_FIELDS = (
    "id",
    "operator_id",
    "name",
    "commune_id",
    "is_active",
    "accepts_passes",
    "qualification",
)
_SERVICE_FIELDS = ("id", "operator_id", "title", "theme", "is_active", "price_in_passes")

_CONTEXT_SQL = (
    "SELECT m.role, o.id, o.kind, o.name, o.is_active, op.id, op.qualification, "
    "pl.id, pl.operator_id, pl.name, pl.commune_id, pl.is_active, pl.accepts_passes, "
    "pl.qualification, "
    "s.id, s.operator_id, s.title, s.theme, s.is_active, s.price_in_passes, "
    "(SELECT r.id FROM {redemptions} r WHERE r.operator_id = o.id AND r.idempotency_key = %s) "
    "FROM {memberships} m INNER JOIN {organisations} o ON o.id = m.organisation_id "
    "LEFT OUTER JOIN {profiles} op ON op.organisation_id = o.id "
    "LEFT OUTER JOIN {places} pl ON pl.id = %s "
    "LEFT OUTER JOIN {services} s ON s.id = %s "
    "WHERE m.user_id = %s AND m.organisation_id = %s AND m.is_active = %s AND o.is_active = %s"
)


def redemption_context(
    user_id: int | None, operator_id: int, place_id: int, service_id: int, idempotency_key: str
) -> RedemptionContext:
    """The user's active membership of the operator (role), the operator with its profile, the
    place and the service (None when unknown, whoever they belong to: the checks tell), and the
    redemption already made with this key, if any."""
    nothing = RedemptionContext(None, None, None, None, None)
    if not user_id:
        return nothing
    sql = _CONTEXT_SQL.format(
        redemptions=Redemption._meta.db_table,
        memberships=Membership._meta.db_table,
        organisations=Organisation._meta.db_table,
        profiles=OperatorProfile._meta.db_table,
        places=Place._meta.db_table,
        services=Service._meta.db_table,
    )
    with hot_cursor() as cursor:
        cursor.execute(
            sql, [idempotency_key, place_id, service_id, user_id, operator_id, True, True]
        )
        row = cursor.fetchone()
    if row is None:
        return nothing
    operator = _from_db(Organisation, ("id", "kind", "name", "is_active"), row[1:5])
    profile = None
    if row[5] is not None:
        profile = _from_db(OperatorProfile, ("id", "qualification"), row[5:7])
        profile.organisation_id = operator.pk
    # The reverse one-to-one, cached (None included): no query when the checks read it.
    Organisation.operator_profile.related.set_cached_value(operator, profile)
    place = _from_db(Place, _PLACE_FIELDS, row[7:14]) if row[7] is not None else None
    service = _from_db(Service, _SERVICE_FIELDS, row[14:20]) if row[14] is not None else None
    return RedemptionContext(row[0], operator, place, service, row[20])
