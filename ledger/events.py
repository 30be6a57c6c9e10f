"""Writing pass events: each row is signed (HMAC) with a key kept outside the database."""

import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from .models import Order, PassEvent

SIGNED_FIELDS = (
    "kind",
    "order_id",
    "first_number",
    "last_number",
    "pass_count",
    "to_status",
    "from_holder_id",
    "to_holder_id",
    "actor_id",
    "transfer_id",
    "redemption_id",
    "beneficiary_id",
    "reason",
)


def _signing_key(key_id: str) -> bytes:
    secret = settings.PASS_CODE_KEYS[key_id].encode()
    return hmac.new(secret, b"passnum:ledger-signature:v1", hashlib.sha256).digest()


def canonical(event: PassEvent) -> bytes:
    parts = [
        str(getattr(event, name) if getattr(event, name) is not None else "")
        for name in SIGNED_FIELDS
    ]
    parts.append(event.created_at.isoformat(timespec="microseconds"))
    return "|".join(parts).encode()


def sign(event: PassEvent, key_id: str) -> str:
    return hmac.new(_signing_key(key_id), canonical(event), hashlib.sha256).hexdigest()


def signature_ok(event: PassEvent, key_id: str) -> bool:
    return hmac.compare_digest(event.signature, sign(event, key_id))


def build_event(
    order: Order,
    kind: str,
    first_number: int,
    last_number: int,
    *,
    pass_count: int | None = None,
    **fields,
) -> PassEvent:
    """An unsaved, signed event over the pass numbers first..last of one order."""
    event = PassEvent(
        order_id=order.pk,
        kind=kind,
        first_number=first_number,
        last_number=last_number,
        pass_count=pass_count if pass_count is not None else last_number - first_number + 1,
        created_at=fields.pop("created_at", None) or timezone.now(),
        **fields,
    )
    event.signature = sign(event, order.key_id)
    return event


def runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted numbers: [1,2,3,7,8] → [(1,3), (7,8)]."""
    result: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if result and n == result[-1][1] + 1:
            result[-1] = (result[-1][0], n)
        else:
            result.append((n, n))
    return result


def record_events(order: Order, kind: str, numbers: Iterable[int], **fields) -> list[PassEvent]:
    """One event per consecutive run of pass numbers (a booklet range is one event)."""
    events = [
        build_event(order, kind, first, last, **dict(fields)) for first, last in runs(numbers)
    ]
    # The same timestamp for the whole batch keeps it one logical change.
    if len(events) > 1:
        stamp = events[0].created_at
        for event in events:
            event.created_at = stamp
            event.signature = sign(event, order.key_id)
    return PassEvent.objects.bulk_create(events)


def record_events_for(
    pairs: Iterable[tuple[int, int]],
    kind: str,
    *,
    orders: dict[int, Order] | None = None,
    **fields,
) -> list[PassEvent]:
    """Events for passes given as (order id, pass number) pairs, possibly of several orders:
    one event per consecutive run within each order. ``orders`` may hold the orders already
    loaded (by id)."""
    numbers_by_order: dict[int, list[int]] = {}
    for order_id, number in pairs:
        numbers_by_order.setdefault(order_id, []).append(number)
    orders = dict(orders or {})
    missing = [pk for pk in numbers_by_order if pk not in orders]
    if missing:
        orders.update(Order.objects.in_bulk(missing))
    events: list[PassEvent] = []
    for order_id, numbers in numbers_by_order.items():
        events += record_events(orders[order_id], kind, numbers, **fields)
    return events
