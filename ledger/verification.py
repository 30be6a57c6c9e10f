"""Rebuild every pass's state from its events and compare it with the cached projection.

Also checks each event's signature (a changed row is detected) and that no pass lacks events.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from .events import signature_ok
from .models import Order, Pass, PassEvent


@dataclass
class Mismatch:
    order: str
    serial: str
    problem: str

    def __str__(self) -> str:
        return f"{self.order} {self.serial} : {self.problem}"


@dataclass
class VerificationReport:
    orders: int = 0
    passes: int = 0
    events: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _verify_order(order: Order, report: VerificationReport) -> Iterator[Mismatch]:
    passes = list(
        Pass.objects.filter(order=order)
        .order_by("number")
        .values_list("number", "serial", "status", "holder_id")
    )
    report.passes += len(passes)
    if not passes:
        return
    first = passes[0][0]
    size = passes[-1][0] - first + 1
    status: list[str | None] = [None] * size
    holder: list[int | None] = [None] * size
    for event in (
        PassEvent.objects.filter(order=order).order_by("created_at", "id").iterator(chunk_size=2000)
    ):
        report.events += 1
        if not signature_ok(event, order.key_id):
            yield Mismatch(
                order.reference,
                f"événement {event.pk}",
                "signature invalide : la ligne du registre a été modifiée",
            )
            continue
        lo, hi = event.first_number - first, event.last_number - first
        if lo < 0 or hi >= size:
            yield Mismatch(
                order.reference, f"événement {event.pk}", "plage de numéros hors de la commande"
            )
            continue
        for i in range(lo, hi + 1):
            if event.to_status:
                status[i] = event.to_status
            if event.to_holder_id is not None:
                holder[i] = event.to_holder_id
    for number, serial, cached_status, cached_holder in passes:
        i = number - first
        if status[i] is None:
            yield Mismatch(order.reference, serial, "aucun événement pour ce pass")
        elif status[i] != cached_status:
            yield Mismatch(
                order.reference,
                serial,
                f"état « {cached_status} » en base, « {status[i]} » d'après le registre",
            )
        elif holder[i] != cached_holder:
            yield Mismatch(
                order.reference,
                serial,
                f"détenteur {cached_holder} en base, {holder[i]} d'après le registre",
            )


def verify_ledger(orders=None) -> VerificationReport:
    report = VerificationReport()
    for order in orders if orders is not None else Order.objects.filter(issued_at__isnull=False):
        report.orders += 1
        report.mismatches.extend(_verify_order(order, report))
    return report
