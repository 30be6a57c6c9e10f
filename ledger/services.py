"""Writes on orders: create, confirm, issue (serials and booklets), activate, close.

Custody (transfers, hand-out, cancellation) lives in custody.py, redemption in redemption.py,
printing in printing.py. Every change of a pass writes PassEvents (events.py) in the same
transaction as the change of the cached pass state.
"""

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from journal.models import JournalEntry
from journal.services import record
from organisations.models import Organisation
from programmes.models import Programme

from . import codes
from .events import build_event, record_events
from .exceptions import OrderStateError
from .models import Booklet, EventKind, Order, OrderStatus, Pass, PassStatus, SerialCounter

ISSUE_BATCH = 5_000
Progress = Callable[..., None]


def _next_reference(funder: Organisation, year: int) -> str:
    count = Order.objects.filter(funder=funder, reference__startswith=f"CMD-{year}-").count()
    return f"CMD-{year}-{funder.pk:03d}-{count + 1:03d}"


@transaction.atomic
def create_order(
    programme: Programme,
    *,
    by,
    booklet_count: int,
    valid_until: date,
    passes_per_booklet: int = 10,
    face_value_cents: int = 1000,
    tolerance_days: int = 31,
    perimeter=None,
    allowed_themes: list[str] | None = None,
    print_text: str = "",
    accept_in_stock: bool = True,
    logo=None,
    request=None,
) -> Order:
    """A draft order from the programme's funder to its issuer. The perimeter defaults to the
    programme's (the funder's territory)."""
    order = Order.objects.create(
        programme=programme,
        funder=programme.funder,
        issuer=programme.issuer,
        reference=_next_reference(programme.funder, timezone.localdate().year),
        booklet_count=booklet_count,
        passes_per_booklet=passes_per_booklet,
        face_value_cents=face_value_cents,
        valid_until=valid_until,
        tolerance_days=tolerance_days,
        allowed_themes=allowed_themes or [],
        print_text=print_text,
        accept_in_stock=accept_in_stock,
        key_id=settings.PASS_CODE_CURRENT_KEY_ID,
        created_by=by,
    )
    order.perimeter.set(perimeter if perimeter is not None else programme.perimeter.all())
    if logo:
        order.logo.save(f"{order.reference}-{logo.name}"[-100:], logo, save=True)
    record(
        JournalEntry.Action.ORDER_CREATED,
        actor=by,
        organisation=order.funder,
        obj=order,
        request=request,
        details={"booklets": booklet_count},
    )
    return order


def _transition(order: Order, allowed: list[str], target: str, **fields) -> Order:
    updated = Order.objects.filter(pk=order.pk, status__in=allowed).update(status=target, **fields)
    if updated != 1:
        order.refresh_from_db()
        raise OrderStateError(
            f"La commande {order.reference} est « {order.get_status_display()} » : "
            "cette étape n'est pas possible maintenant."
        )
    order.refresh_from_db()
    return order


@transaction.atomic
def confirm_order(order: Order, *, by, request=None) -> Order:
    order = _transition(
        order, [OrderStatus.DRAFT], OrderStatus.CONFIRMED, confirmed_at=timezone.now()
    )
    record(
        JournalEntry.Action.ORDER_CONFIRMED,
        actor=by,
        organisation=order.funder,
        obj=order,
        request=request,
    )
    return order


def _reserve_numbers(name: str, count: int) -> int:
    """Reserve ``count`` consecutive numbers; returns the first. Locks the counter row."""
    counter = SerialCounter.objects.select_for_update().filter(name=name).first()
    if counter is None:
        SerialCounter.objects.get_or_create(name=name, defaults={"next_value": 1})
        counter = SerialCounter.objects.select_for_update().get(name=name)
    first = counter.next_value
    SerialCounter.objects.filter(name=name).update(next_value=first + count)
    return first


def issue_order(order_id: int, progress: Progress | None = None, *, by=None) -> dict:
    """Create the order's booklets and passes with their serials, in one transaction.

    Codes are not stored: they are derived from the serial and the order's key when printed or
    checked. One ISSUED event covers the whole range of pass numbers.
    """
    progress = progress or (lambda *args, **kwargs: None)
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("funder").get(pk=order_id)
        if order.is_issued:
            raise OrderStateError(f"La commande {order.reference} est déjà émise.")
        if order.status != OrderStatus.CONFIRMED:
            raise OrderStateError(
                f"La commande {order.reference} doit être confirmée avant l'émission des pass."
            )
        ppb, count = order.passes_per_booklet, order.booklet_count
        first_booklet = _reserve_numbers("booklet", count)
        first_pass = _reserve_numbers("pass", count * ppb)
        now = timezone.now()
        total = count * ppb
        progress(0, total, "Émission des carnets et des pass")
        done = 0
        for start in range(0, count, ISSUE_BATCH // ppb):
            stop = min(count, start + ISSUE_BATCH // ppb)
            _write_rows(order, first_booklet, first_pass, ppb, start, stop, now)
            done = stop * ppb
            progress(done, total)
        Order.objects.filter(pk=order.pk).update(
            first_pass_number=first_pass, first_booklet_number=first_booklet, issued_at=now
        )
        build_event(
            order,
            EventKind.ISSUED,
            first_pass,
            first_pass + total - 1,
            to_status=PassStatus.ISSUED,
            to_holder_id=order.funder_id,
            actor_id=getattr(by, "pk", None),
            created_at=now,
        ).save()
        record(
            JournalEntry.Action.ORDER_ISSUED,
            actor=by,
            organisation=order.funder,
            obj=order,
            details={"booklets": count, "passes": total},
        )
    return {"summary": f"{count} carnets et {total} pass émis.", "booklets": count, "passes": total}


BOOKLET_COLUMNS = ("order_id", "number", "serial", "holder_id", "held_since", "last_moved_at")
PASS_COLUMNS = (
    "order_id",
    "booklet_id",
    "number",
    "serial",
    "status",
    "holder_id",
    "redeemed_from_stock",
)


def bulk_insert(table: str, columns: tuple[str, ...], rows) -> None:
    """Insert many rows: COPY on PostgreSQL, executemany elsewhere (SQLite)."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - model names
            cursor.executemany(sql, list(rows))


def _write_rows(order, first_booklet, first_pass, ppb, start, stop, now) -> None:
    """Booklets start..stop-1 of the order and their passes (codes are never stored)."""
    bulk_insert(
        Booklet._meta.db_table,
        BOOKLET_COLUMNS,
        (
            (
                order.pk,
                first_booklet + i,
                codes.booklet_serial(first_booklet + i),
                order.funder_id,
                now,
                now,
            )
            for i in range(start, stop)
        ),
    )
    ids = dict(
        Booklet.objects.filter(
            order_id=order.pk, number__range=(first_booklet + start, first_booklet + stop - 1)
        ).values_list("number", "pk")
    )
    bulk_insert(
        Pass._meta.db_table,
        PASS_COLUMNS,
        (
            (
                order.pk,
                ids[first_booklet + i],
                first_pass + i * ppb + j,
                codes.pass_serial(first_pass + i * ppb + j),
                PassStatus.ISSUED,
                order.funder_id,
                False,
            )
            for i in range(start, stop)
            for j in range(ppb)
        ),
    )


@transaction.atomic
def activate_order(order: Order, payment_reference: str, *, by, request=None) -> Order:
    """The funder records the payment reference (mandate number): the passes become usable."""
    payment_reference = (payment_reference or "").strip()
    if not payment_reference:
        raise OrderStateError(
            "Indiquez la référence du paiement (numéro de mandat) pour activer la commande.",
            code="payment_reference_required",
        )
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.is_issued:
        raise OrderStateError(
            f"Les pass de la commande {order.reference} ne sont pas encore émis : "
            "émettez-les avant l'activation.",
            code="not_issued",
        )
    now = timezone.now()
    order = _transition(
        order,
        [OrderStatus.CONFIRMED],
        OrderStatus.ACTIVATED,
        activated_at=now,
        payment_reference=payment_reference,
    )
    # Passes cancelled before activation stay cancelled: lock and move exactly the ISSUED ones.
    numbers = list(
        Pass.objects.select_for_update()
        .filter(order=order, status=PassStatus.ISSUED)
        .values_list("number", flat=True)
    )
    moved = Pass.objects.filter(order=order, status=PassStatus.ISSUED).update(
        status=PassStatus.IN_STOCK
    )
    if moved != len(numbers):  # impossible while the rows are locked; never write a wrong event
        raise OrderStateError("Des pass ont changé pendant l'activation : réessayez.")
    record_events(
        order,
        EventKind.ACTIVATED,
        numbers,
        to_status=PassStatus.IN_STOCK,
        actor_id=getattr(by, "pk", None),
        reason=f"Paiement {payment_reference}",
        created_at=now,
    )
    record(
        JournalEntry.Action.ORDER_ACTIVATED,
        actor=by,
        organisation=order.funder,
        obj=order,
        request=request,
        details={"payment_reference": payment_reference},
    )
    return order
