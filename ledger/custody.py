"""Writes on the chain of custody: transfers of booklets, acknowledgement, hand-out to
beneficiaries, cancellation and expiry. Reads live in custody_queries.py.

Behaviour choices (see also the report of the custody work):

- Custody moves booklet by booklet. A transfer moves the booklet and its passes still IN_STOCK
  held by the sender; passes already handed out, redeemed or cancelled stay where they are (their
  holder is the structure that handed them out). A booklet with no IN_STOCK pass is refused.
- The receiver becomes the holder at once, with ``pending_transfer`` set: the booklets cannot move
  again, nor be handed out, until the receiver acknowledges receipt (« Accuser réception »).
- The chain: ALLOCATION goes down one level (funder → its municipalities, i.e. children of the
  funder or territories of the order's programme; municipality → its prescriber structures);
  RETURN goes up one level (prescriber → its parent municipality; municipality → the order's
  funder); REALLOCATION is made by the funder between any two holders of its programme.
- Every write is a conditional UPDATE whose row count is checked, in one transaction with the
  PassEvents; any refusal raises ``CustodyError`` (French message, machine-readable ``code``) and
  changes nothing.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from beneficiaries.models import Beneficiary
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Membership, Organisation, Role
from programmes.models import Territory

from . import codes
from .events import record_events, record_events_for
from .exceptions import LedgerError
from .models import (
    Booklet,
    EventKind,
    Order,
    OrderStatus,
    Pass,
    PassStatus,
    Transfer,
    TransferKind,
)

MAX_RANGE = 5_000  # booklets in one typed range
MAX_NAMED_IN_ERROR = 5
ALERT_DAYS, STOP_DAYS, CONFIRM_DAYS = 30, 15, 7

EVENT_FOR_KIND = {
    TransferKind.ALLOCATION: EventKind.TRANSFERRED,
    TransferKind.RETURN: EventKind.RETURNED,
    TransferKind.REALLOCATION: EventKind.REALLOCATED,
}
CANCEL_REASONS = [
    ("LOST", "Perdu"),
    ("STOLEN", "Volé"),
    ("DESTROYED", "Détruit"),
    ("BLOCKED", "Bloqué (usage frauduleux suspecté)"),
]
EXPIRABLE = [PassStatus.ISSUED, PassStatus.IN_STOCK, PassStatus.DISTRIBUTED]
CANCELLABLE_BY_FUNDER = EXPIRABLE


class CustodyError(LedgerError):
    code = "custody"


def _names(items: Iterable[str]) -> str:
    items = list(items)
    shown = ", ".join(items[:MAX_NAMED_IN_ERROR])
    more = len(items) - MAX_NAMED_IN_ERROR
    return shown + (f" (et {more} autre{'s' if more > 1 else ''})" if more > 0 else "")


def _is_writer(user, organisation_id: int) -> bool:
    return Membership.active.filter(
        user=user, organisation_id=organisation_id, role__in=[Role.ADMIN, Role.MEMBER]
    ).exists()


# --- The chain ------------------------------------------------------------------------------


def is_municipality_of(municipality: Organisation, order: Order) -> bool:
    if municipality.kind != Organisation.Kind.MUNICIPALITY:
        return False
    if municipality.parent_id == order.funder_id:
        return True
    return Territory.objects.filter(
        programme_id=order.programme_id, municipality=municipality
    ).exists()


def is_programme_holder(org: Organisation, order: Order) -> bool:
    """Whether ``org`` is in the chain of the order's programme: the funder, one of its
    municipalities, or a prescriber structure of one of them."""
    if org.pk == order.funder_id:
        return True
    if org.kind == Organisation.Kind.MUNICIPALITY:
        return is_municipality_of(org, order)
    if org.kind == Organisation.Kind.PRESCRIBER and org.parent_id is not None:
        return is_municipality_of(org.parent, order)
    return False


def check_chain(
    kind: str, from_holder: Organisation, to_holder: Organisation, order: Order
) -> None:
    """Raise CustodyError when the move from ``from_holder`` to ``to_holder`` does not follow the
    chain of the order's programme."""
    if from_holder.pk == to_holder.pk:
        raise CustodyError(
            "Le détenteur et le destinataire sont la même organisation.", code="same_holder"
        )
    if not to_holder.is_active:
        raise CustodyError(f"{to_holder} n'est plus active.", code="wrong_level")
    kinds = Organisation.Kind
    if kind == TransferKind.ALLOCATION:
        if from_holder.pk == order.funder_id:
            ok = is_municipality_of(to_holder, order)
            expected = "une collectivité de son programme"
        elif from_holder.kind == kinds.MUNICIPALITY:
            ok = to_holder.kind == kinds.PRESCRIBER and to_holder.parent_id == from_holder.pk
            expected = "une de ses structures prescriptrices"
        else:
            ok, expected = False, ""
        if not ok:
            if not expected:
                raise CustodyError(
                    f"{from_holder} ne remet pas de carnets à une autre structure : elle remet les "
                    "pass aux bénéficiaires, ou retourne les carnets.",
                    code="wrong_level",
                )
            raise CustodyError(
                f"{from_holder} ne peut remettre des carnets qu'à {expected} : "
                f"{to_holder} n'en fait pas partie.",
                code="wrong_level",
            )
    elif kind == TransferKind.RETURN:
        if from_holder.kind == kinds.PRESCRIBER:
            up_id = from_holder.parent_id
        elif from_holder.kind == kinds.MUNICIPALITY:
            up_id = order.funder_id
        else:
            up_id = None
        if up_id is None or to_holder.pk != up_id:
            raise CustodyError(
                f"Un retour se fait vers l'échelon directement supérieur : {to_holder} ne l'est "
                f"pas pour {from_holder}.",
                code="wrong_level",
            )
    elif kind == TransferKind.REALLOCATION:
        for org in (from_holder, to_holder):
            if not is_programme_holder(org, order):
                raise CustodyError(
                    f"{org} ne fait pas partie du programme de la commande {order.reference} : "
                    "réallocation impossible.",
                    code="wrong_level",
                )
    else:
        raise CustodyError("Type de transfert inconnu.", code="bad_kind")


# --- Selecting booklets and passes ----------------------------------------------------------

_DASHES = re.compile(r"\s*[-–—]\s*")
_SEPARATORS = re.compile(r"[\s,;]+")


def _parse_booklet(raw: str) -> int:
    try:
        return codes.parse_booklet_serial(raw)
    except codes.SerialError as exc:
        raise CustodyError(f"« {raw} » : {exc}", code="bad_serial") from exc


def parse_booklet_spec(spec: str) -> list[int]:
    """Booklet numbers from « C00001234-C00001250 », a list separated by commas, spaces or new
    lines, or scanned serials (one per line). Raises CustodyError naming the bad item."""
    text = _DASHES.sub("-", (spec or "").strip())
    tokens = [t for t in _SEPARATORS.split(text) if t]
    if not tokens:
        raise CustodyError("Indiquez au moins un numéro de carnet.", code="empty")
    numbers: list[int] = []
    for token in tokens:
        if "-" in token:
            parts = token.split("-")
            if len(parts) != 2 or not all(parts):
                raise CustodyError(
                    f"Plage « {token} » mal formée : écrivez par exemple C00001234-C00001250.",
                    code="malformed_range",
                )
            first, last = (_parse_booklet(p) for p in parts)
            if first > last:
                raise CustodyError(
                    f"Plage « {token} » à l'envers : le premier carnet doit précéder le dernier.",
                    code="malformed_range",
                )
            if last - first + 1 > MAX_RANGE:
                raise CustodyError(
                    f"Plage « {token} » trop longue : {MAX_RANGE} carnets au plus à la fois.",
                    code="malformed_range",
                )
            numbers.extend(range(first, last + 1))
        else:
            numbers.append(_parse_booklet(token))
    return sorted(set(numbers))


def select_booklets(holder: Organisation, spec: str) -> list[Booklet]:
    """The booklets named by ``spec`` (see parse_booklet_spec), all held by ``holder``."""
    numbers = parse_booklet_spec(spec)
    booklets = list(
        Booklet.objects.filter(number__in=numbers, holder=holder)
        .select_related("order")
        .order_by("number")
    )
    if len(booklets) != len(numbers):
        found = {b.number for b in booklets}
        missing = [codes.booklet_serial(n) for n in numbers if n not in found]
        raise CustodyError(
            f"Carnet{'s' if len(missing) > 1 else ''} non détenu{'s' if len(missing) > 1 else ''}"
            f" par {holder} : {_names(missing)}.",
            code="not_held",
        )
    return booklets


def select_passes(
    prescriber: Organisation,
    *,
    serials: str = "",
    booklet_serial: str = "",
    count: int | None = None,
) -> list[Pass]:
    """Passes IN_STOCK held by ``prescriber``: either the serials listed in ``serials``, or the
    next ``count`` passes (lowest numbers first) of booklet ``booklet_serial``."""
    if serials.strip():
        numbers = []
        for token in _SEPARATORS.split(serials.strip()):
            if not token:
                continue
            try:
                numbers.append(codes.parse_pass_serial(token))
            except codes.SerialError as exc:
                raise CustodyError(f"« {token} » : {exc}", code="bad_serial") from exc
        numbers = sorted(set(numbers))
        passes = list(
            Pass.objects.filter(
                number__in=numbers, holder=prescriber, status=PassStatus.IN_STOCK
            ).select_related("order", "booklet")
        )
        if len(passes) != len(numbers):
            found = {p.number for p in passes}
            missing = [codes.pass_serial(n) for n in numbers if n not in found]
            raise CustodyError(
                f"Pass non disponible{'s' if len(missing) > 1 else ''} en stock chez "
                f"{prescriber} : {_names(missing)}.",
                code="not_held",
            )
        return passes
    if not booklet_serial.strip():
        raise CustodyError(
            "Indiquez des numéros de pass, ou un carnet et un nombre de pass.", code="empty"
        )
    number = _parse_booklet(booklet_serial.strip())
    if count is None or count < 1:
        raise CustodyError("Indiquez un nombre de pass d'au moins 1.", code="bad_count")
    booklet = Booklet.objects.filter(number=number, holder=prescriber).first()
    if booklet is None:
        raise CustodyError(
            f"Carnet non détenu par {prescriber} : {codes.booklet_serial(number)}.",
            code="not_held",
        )
    passes = list(
        Pass.objects.filter(booklet=booklet, holder=prescriber, status=PassStatus.IN_STOCK)
        .select_related("order", "booklet")
        .order_by("number")[:count]
    )
    if len(passes) < count:
        raise CustodyError(
            f"Le carnet {booklet.serial} n'a plus que {len(passes)} pass en stock "
            f"({count} demandés).",
            code="not_enough",
        )
    return passes


# --- Transfers ------------------------------------------------------------------------------


@transaction.atomic
def transfer_booklets(
    booklets: Sequence[Booklet],
    to_holder: Organisation,
    *,
    by,
    from_holder: Organisation,
    to_person=None,
    kind: str = TransferKind.ALLOCATION,
    note: str = "",
    request=None,
) -> Transfer:
    """Hand booklets from ``from_holder`` to ``to_holder`` (see the module's docstring)."""
    booklets = list({b.pk: b for b in booklets}.values())
    if not booklets:
        raise CustodyError("Choisissez au moins un carnet.", code="empty")
    if kind not in EVENT_FOR_KIND:
        raise CustodyError("Type de transfert inconnu.", code="bad_kind")
    orders = {o.pk: o for o in Order.objects.filter(pk__in={b.order_id for b in booklets})}
    for order in orders.values():
        check_chain(kind, from_holder, to_holder, order)
        if (
            kind == TransferKind.REALLOCATION
            and by is not None
            and not _is_writer(by, order.funder_id)
        ):
            raise CustodyError(
                "Seul le commanditaire du programme réalloue des carnets.", code="forbidden"
            )
    if to_person is not None:
        if to_holder.kind != Organisation.Kind.PRESCRIBER:
            raise CustodyError(
                "Un prescripteur nommé ne se désigne que dans une structure prescriptrice.",
                code="bad_person",
            )
        if not Membership.active.filter(user=to_person, organisation=to_holder).exists():
            raise CustodyError(
                f"{to_person} n'est pas membre actif de {to_holder}.", code="bad_person"
            )
    now = timezone.now()
    transfer = Transfer.objects.create(
        kind=kind,
        from_holder=from_holder,
        to_holder=to_holder,
        to_person=to_person,
        booklet_count=len(booklets),
        note=(note or "")[:250],
        created_by=by,
    )
    ids = [b.pk for b in booklets]
    moved = Booklet.objects.filter(
        pk__in=ids, holder=from_holder, pending_transfer__isnull=True
    ).update(
        holder=to_holder,
        holder_person=to_person,
        pending_transfer=transfer,
        held_since=now,
        last_moved_at=now,
    )
    if moved != len(ids):
        current = (
            Booklet.objects.filter(pk__in=ids)
            .exclude(pending_transfer=transfer)
            .select_related("pending_transfer")
        )
        # Pending: a transfer of these booklets (from this holder, or to it) awaits its receipt.
        pending = [
            b.serial
            for b in current
            if b.pending_transfer is not None
            and from_holder.pk in (b.holder_id, b.pending_transfer.from_holder_id)
        ]
        if pending:
            raise CustodyError(
                f"Transfert déjà en attente de réception pour : {_names(pending)}.",
                code="pending_transfer",
            )
        raise CustodyError(
            f"Carnets non détenus par {from_holder} : {_names(b.serial for b in current)}.",
            code="not_held",
        )
    stock = list(
        Pass.objects.filter(booklet_id__in=ids, holder=from_holder, status=PassStatus.IN_STOCK)
        .order_by("number")
        .values_list("pk", "number", "order_id", "booklet_id")
    )
    empty = {b.pk for b in booklets} - {row[3] for row in stock}
    if empty:
        raise CustodyError(
            "Aucun pass en stock dans "
            f"{_names(sorted(b.serial for b in booklets if b.pk in empty))} : "
            "ce carnet ne se transfère plus.",
            code="no_stock",
        )
    updated = Pass.objects.filter(
        pk__in=[row[0] for row in stock], holder=from_holder, status=PassStatus.IN_STOCK
    ).update(holder=to_holder)
    if updated != len(stock):
        raise CustodyError(
            "Des pass de ces carnets ont changé pendant l'opération : réessayez.", code="conflict"
        )
    transfer.booklets.set(ids)
    record_events_for(
        ((order_id, number) for _, number, order_id, _ in stock),
        EVENT_FOR_KIND[kind],
        orders=orders,
        from_holder_id=from_holder.pk,
        to_holder_id=to_holder.pk,
        actor_id=getattr(by, "pk", None),
        transfer_id=transfer.pk,
        reason=transfer.note,
        created_at=now,
    )
    record(
        JournalEntry.Action.BOOKLETS_TRANSFERRED,
        actor=by,
        organisation=from_holder,
        obj=transfer,
        request=request,
        details={
            "kind": kind,
            "to_holder": to_holder.pk,
            "to_person": getattr(to_person, "pk", None),
            "booklets": len(ids),
            "passes": len(stock),
            "serials": [b.serial for b in sorted(booklets, key=lambda b: b.number)][:50],
        },
    )
    return transfer


@transaction.atomic
def acknowledge_transfer(transfer: Transfer, *, by, request=None) -> Transfer:
    """The receiver confirms receipt: RECEIVED events; the booklets may move again."""
    if by is not None and not _is_writer(by, transfer.to_holder_id):
        raise CustodyError(
            f"Seul un membre de {transfer.to_holder} accuse réception.", code="forbidden"
        )
    now = timezone.now()
    done = Transfer.objects.filter(pk=transfer.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=by
    )
    if done != 1:
        raise CustodyError("La réception de ce transfert est déjà confirmée.", code="acknowledged")
    Booklet.objects.filter(pending_transfer=transfer).update(pending_transfer=None)
    rows = Pass.objects.filter(
        booklet__in=transfer.booklets.all(), holder_id=transfer.to_holder_id
    ).exclude(status__in=[PassStatus.CANCELLED, PassStatus.EXPIRED])
    record_events_for(
        rows.values_list("order_id", "number"),
        EventKind.RECEIVED,
        from_holder_id=transfer.from_holder_id,
        to_holder_id=transfer.to_holder_id,
        actor_id=getattr(by, "pk", None),
        transfer_id=transfer.pk,
        created_at=now,
    )
    record(
        JournalEntry.Action.BOOKLETS_RECEIVED,
        actor=by,
        organisation=transfer.to_holder,
        obj=transfer,
        request=request,
        details={"from_holder": transfer.from_holder_id, "booklets": transfer.booklet_count},
    )
    transfer.refresh_from_db()
    return transfer


@transaction.atomic
def assign_to_person(
    booklets: Sequence[Booklet], person, *, holder: Organisation, by, request=None
) -> int:
    """Inside a prescriber structure, name the prescriber who keeps the booklets (or None to
    un-name them). The holder does not change; the journal keeps the assignment."""
    if holder.kind != Organisation.Kind.PRESCRIBER:
        raise CustodyError(
            "Un prescripteur nommé ne se désigne que dans une structure prescriptrice.",
            code="bad_person",
        )
    if (
        person is not None
        and not Membership.active.filter(user=person, organisation=holder).exists()
    ):
        raise CustodyError(f"{person} n'est pas membre actif de {holder}.", code="bad_person")
    ids = [b.pk for b in booklets]
    if not ids:
        raise CustodyError("Choisissez au moins un carnet.", code="empty")
    updated = Booklet.objects.filter(
        pk__in=ids, holder=holder, pending_transfer__isnull=True
    ).update(holder_person=person, last_moved_at=timezone.now())
    if updated != len(ids):
        raise CustodyError(
            f"Certains carnets ne sont pas détenus par {holder} ou attendent un accusé de "
            "réception.",
            code="not_held",
        )
    record(
        JournalEntry.Action.BOOKLETS_TRANSFERRED,
        actor=by,
        organisation=holder,
        request=request,
        details={
            "kind": "NAMED_PRESCRIBER",
            "to_person": getattr(person, "pk", None),
            "serials": [b.serial for b in booklets][:50],
        },
    )
    return updated


# --- End of validity ------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidityStep:
    code: str
    label: str
    on: date
    reached: bool
    description: str


def distribution_stops_on(order: Order) -> date:
    return order.valid_until - timedelta(days=STOP_DAYS)


def validity_steps(order: Order, today: date | None = None) -> list[ValidityStep]:
    """The end-of-validity steps of an order, for the funder's dashboard."""
    today = today or timezone.localdate()
    end = order.valid_until
    steps = [
        ("ALERT", "Alerte de fin de validité", end - timedelta(days=ALERT_DAYS),
         "Prévenir les collectivités et les prescripteurs : le stock doit être distribué."),
        ("STOP_DISTRIBUTION", "Arrêt de la distribution", distribution_stops_on(order),
         "Plus aucune remise de pass aux bénéficiaires."),
        ("CONFIRMATION", "Confirmation de fin de validité", end - timedelta(days=CONFIRM_DAYS),
         "Confirmer aux opérateurs la date limite d'utilisation."),
        ("END", "Fin de validité", end, "Dernier jour d'utilisation normale des pass."),
        ("EXPIRY", "Expiration (fin de la tolérance)", order.redeemable_until + timedelta(days=1),
         "Les pass non utilisés expirent ; l'avoir peut être calculé."),
    ]  # fmt: skip
    return [ValidityStep(code, label, on, on <= today, text) for code, label, on, text in steps]


# --- Hand-out to a beneficiary --------------------------------------------------------------


@transaction.atomic
def hand_out(
    passes: Sequence[Pass],
    *,
    prescriber: Organisation,
    by,
    beneficiary: Beneficiary | None = None,
    request=None,
) -> Beneficiary:
    """The prescriber gives passes to a person: IN_STOCK → DISTRIBUTED (conditional update)."""
    passes = list({p.pk: p for p in passes}.values())
    if not passes:
        raise CustodyError("Choisissez au moins un pass à remettre.", code="empty")
    if prescriber.kind != Organisation.Kind.PRESCRIBER:
        raise CustodyError(
            "Seule une structure prescriptrice remet des pass aux bénéficiaires.",
            code="wrong_level",
        )
    if beneficiary is not None and beneficiary.prescriber_id != prescriber.pk:
        raise CustodyError(
            "Ce bénéficiaire est suivi par une autre structure.", code="bad_beneficiary"
        )
    today = timezone.localdate()
    orders = Order.objects.in_bulk({p.order_id for p in passes})
    for order in orders.values():
        stop = distribution_stops_on(order)
        if today >= stop:
            raise CustodyError(
                f"La distribution des pass de la commande {order.reference} est arrêtée depuis le "
                f"{stop:%d/%m/%Y} (15 jours avant la fin de validité, le "
                f"{order.valid_until:%d/%m/%Y}).",
                code="distribution_stopped",
            )
    pending = Booklet.objects.filter(
        pk__in={p.booklet_id for p in passes}, pending_transfer__isnull=False
    ).values_list("serial", flat=True)
    if pending:
        raise CustodyError(
            f"Accusez d'abord réception du carnet {_names(sorted(pending))} avant de remettre ses "
            "pass.",
            code="pending_transfer",
        )
    if beneficiary is None:
        beneficiary = Beneficiary.objects.create(prescriber=prescriber, created_by=by)
    now = timezone.now()
    ids = [p.pk for p in passes]
    updated = Pass.objects.filter(pk__in=ids, status=PassStatus.IN_STOCK, holder=prescriber).update(
        status=PassStatus.DISTRIBUTED, distributed_at=now, beneficiary=beneficiary
    )
    if updated != len(ids):
        gone = Pass.objects.filter(pk__in=ids).exclude(beneficiary=beneficiary, distributed_at=now)
        raise CustodyError(
            f"Pass non disponibles en stock chez {prescriber} : "
            f"{_names(sorted(p.serial for p in gone))}.",
            code="not_held",
        )
    record_events_for(
        ((p.order_id, p.number) for p in passes),
        EventKind.DISTRIBUTED,
        orders=orders,
        to_status=PassStatus.DISTRIBUTED,
        from_holder_id=prescriber.pk,
        actor_id=getattr(by, "pk", None),
        beneficiary_id=beneficiary.pk,
        created_at=now,
    )
    Booklet.objects.filter(pk__in={p.booklet_id for p in passes}).update(last_moved_at=now)
    return beneficiary


# --- Cancellation ---------------------------------------------------------------------------


def _cancellable(organisation: Organisation) -> Q:
    mine = Q(holder=organisation, status__in=[PassStatus.IN_STOCK, PassStatus.DISTRIBUTED])
    if organisation.kind == Organisation.Kind.FUNDER:
        return mine | Q(order__funder=organisation, status__in=CANCELLABLE_BY_FUNDER)
    return mine


@transaction.atomic
def cancel_passes(
    passes: Sequence[Pass], *, by, organisation: Organisation, reason: str, request=None
) -> int:
    """Lost, stolen, destroyed or blocked passes become CANCELLED. The holder cancels the passes it
    holds in stock or handed out; the funder cancels any pass of its orders not yet redeemed."""
    reason = " ".join((reason or "").split())[:250]
    if not reason:
        raise CustodyError("Indiquez le motif de l'annulation.", code="reason_required")
    passes = list({p.pk: p for p in passes}.values())
    if not passes:
        raise CustodyError("Choisissez au moins un pass à annuler.", code="empty")
    ids = [p.pk for p in passes]
    updated = (
        Pass.objects.filter(pk__in=ids)
        .filter(_cancellable(organisation))
        .update(status=PassStatus.CANCELLED)
    )
    if updated != len(ids):
        refused = Pass.objects.filter(pk__in=ids).exclude(status=PassStatus.CANCELLED)
        raise CustodyError(
            f"{organisation} ne peut pas annuler ces pass (déjà utilisés, annulés, expirés ou "
            f"détenus par une autre structure) : {_names(sorted(p.serial for p in refused))}.",
            code="not_cancellable",
        )
    now = timezone.now()
    record_events_for(
        ((p.order_id, p.number) for p in passes),
        EventKind.CANCELLED,
        to_status=PassStatus.CANCELLED,
        from_holder_id=organisation.pk,
        actor_id=getattr(by, "pk", None),
        reason=reason,
        created_at=now,
    )
    record(
        JournalEntry.Action.PASSES_CANCELLED,
        actor=by,
        organisation=organisation,
        request=request,
        details={
            "reason": reason,
            "passes": len(ids),
            "serials": sorted(p.serial for p in passes)[:50],
        },
    )
    return updated


def cancel_booklets(
    booklets: Sequence[Booklet], *, by, organisation: Organisation, reason: str, request=None
) -> int:
    """Cancel every pass of the booklets that ``organisation`` may cancel (a lost booklet)."""
    passes = list(
        Pass.objects.filter(booklet__in=[b.pk for b in booklets]).filter(_cancellable(organisation))
    )
    if not passes:
        raise CustodyError(
            "Aucun pass de ces carnets ne peut être annulé par votre organisation.",
            code="not_cancellable",
        )
    return cancel_passes(passes, by=by, organisation=organisation, reason=reason, request=request)


# --- Expiry ---------------------------------------------------------------------------------


def expire_passes(today: date | None = None, progress=None) -> int:
    """Every pass still ISSUED, IN_STOCK or DISTRIBUTED of an order whose redeemable_until is
    before ``today`` becomes EXPIRED; an activated order then becomes EXPIRED. One transaction
    per order, so a crash leaves whole orders done or not done; running it twice is harmless."""
    today = today or timezone.localdate()
    candidates = [
        order
        for order in Order.objects.filter(issued_at__isnull=False, valid_until__lt=today).exclude(
            status__in=[OrderStatus.CLOSED]
        )
        if order.redeemable_until < today
    ]
    total = 0
    for i, order in enumerate(candidates):
        total += _expire_order(order)
        if progress is not None:
            progress(i + 1, len(candidates), f"Commande {order.reference}")
    return total


@transaction.atomic
def _expire_order(order: Order) -> int:
    numbers = list(
        Pass.objects.select_for_update()
        .filter(order=order, status__in=EXPIRABLE)
        .order_by("number")
        .values_list("number", flat=True)
    )
    updated = 0
    if numbers:
        updated = Pass.objects.filter(order=order, status__in=EXPIRABLE).update(
            status=PassStatus.EXPIRED
        )
        if updated != len(numbers):
            raise CustodyError("Des pass ont changé pendant l'expiration : relancez.", "conflict")
        record_events(
            order,
            EventKind.EXPIRED,
            numbers,
            to_status=PassStatus.EXPIRED,
            reason="Fin de validité",
        )
    expired_order = Order.objects.filter(
        pk=order.pk, status__in=[OrderStatus.ACTIVATED, OrderStatus.CLOSING]
    ).update(status=OrderStatus.EXPIRED)
    if updated or expired_order:
        record(
            JournalEntry.Action.PASSES_EXPIRED,
            organisation=order.funder,
            obj=order,
            details={
                "passes": updated,
                "redeemable_until": order.redeemable_until.isoformat(),
                "order_expired": bool(expired_order),
            },
        )
    return updated
