"""Reads on the ledger: the orders a user may see, the permission checks of the order pages and
endpoints, and the counters of an order (aggregate queries, never a loop over passes)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from jobs.models import Job
from organisations.models import Membership, Organisation, Role
from organisations.queries import get_membership
from programmes.models import Programme

from .models import Booklet, Order, Pass, PassStatus

ISSUE_JOB_KIND = "ledger.issue_order"
WRITER_ROLES = (Role.ADMIN, Role.MEMBER)
ORDER_KINDS = (Organisation.Kind.FUNDER, Organisation.Kind.ISSUER)
NOT_FOUND = "Commande introuvable."
READONLY_REFUSED = "Votre rôle (lecture seule) ne permet pas de modifier cette commande."
FUNDER_ONLY = "Seuls les membres du commanditaire peuvent faire cette étape de la commande."
ISSUE_REFUSED = (
    "Seuls les administrateurs et membres du commanditaire, ou les administrateurs de "
    "l'émetteur, peuvent lancer l'émission des pass."
)


def issue_exclusive_key(order_id: int) -> str:
    return f"issue:{order_id}"


# --- Which orders a user sees -----------------------------------------------------------------


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("programme", "funder", "issuer")


def orders_of_organisation(organisation: Organisation) -> QuerySet[Order]:
    """The orders of a funder, or those an issuer receives (newest first)."""
    return (
        _orders()
        .filter(Q(funder=organisation) | Q(issuer=organisation))
        .order_by("-created_at", "-pk")
    )


def orders_visible_to(user) -> QuerySet[Order]:
    """Orders whose funder or issuer the user is an active member of."""
    if not user.is_authenticated:
        return Order.objects.none()
    organisation_ids = Membership.active.filter(user=user).values("organisation_id")
    return (
        _orders()
        .filter(Q(funder_id__in=organisation_ids) | Q(issuer_id__in=organisation_ids))
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class OrderAccess:
    """What the user may do with one order (from their funder and issuer memberships)."""

    order: Order
    funder_membership: Membership | None
    issuer_membership: Membership | None

    @property
    def can_write(self) -> bool:
        """Create, confirm, activate: admins and members of the funder."""
        return self.funder_membership is not None and self.funder_membership.role in WRITER_ROLES

    @property
    def can_issue(self) -> bool:
        """Start the issuance: the funder's writers, or the issuer's admins."""
        return self.can_write or (
            self.issuer_membership is not None and self.issuer_membership.role == Role.ADMIN
        )

    @property
    def can_follow_jobs(self) -> bool:
        """The issuance job belongs to the funder: its members follow its progress."""
        return self.funder_membership is not None

    def require_write(self) -> None:
        if not self.can_write:
            raise PermissionDenied(
                READONLY_REFUSED if self.funder_membership is not None else FUNDER_ONLY
            )

    def require_issue(self) -> None:
        if not self.can_issue:
            raise PermissionDenied(ISSUE_REFUSED)


def get_order_access_or_404(user, order_id: int) -> OrderAccess:
    """The order with the user's memberships of its funder and issuer; 404 for anyone else."""
    order = _orders().filter(pk=order_id).first()
    if order is None:
        raise Http404(NOT_FOUND)
    funder_membership = get_membership(user, order.funder_id)
    issuer_membership = get_membership(user, order.issuer_id) if order.issuer_id else None
    if funder_membership is None and issuer_membership is None:
        raise Http404(NOT_FOUND)
    return OrderAccess(order, funder_membership, issuer_membership)


def programmes_for_orders(funder: Organisation) -> QuerySet[Programme]:
    """The programmes a funder can order passes for."""
    return Programme.objects.filter(funder=funder).order_by("-starts_on", "name")


def issue_job(order: Order) -> Job | None:
    """The latest issuance job of the order, if any."""
    return (
        Job.objects.filter(kind=ISSUE_JOB_KIND, exclusive_key=issue_exclusive_key(order.pk))
        .order_by("-created_at")
        .first()
    )


# --- Counters ---------------------------------------------------------------------------------

USED_STATUSES = (PassStatus.REDEEMED, PassStatus.REIMBURSED)
STOCK_LEVELS = {
    Organisation.Kind.FUNDER: "in_stock_funder",
    Organisation.Kind.MUNICIPALITY: "in_stock_municipalities",
    Organisation.Kind.PRESCRIBER: "in_stock_prescribers",
}
STATUS_KEYS = {
    PassStatus.ISSUED: "awaiting_activation",
    PassStatus.DISTRIBUTED: "distributed",
    PassStatus.REDEEMED: "redeemed",
    PassStatus.REIMBURSED: "reimbursed",
    PassStatus.CANCELLED: "cancelled",
    PassStatus.EXPIRED: "expired",
}
COUNTER_KEYS = (
    "issued",
    "awaiting_activation",
    "in_stock",
    "in_stock_funder",
    "in_stock_municipalities",
    "in_stock_prescribers",
    "in_stock_other",
    "distributed",
    "redeemed",
    "reimbursed",
    "cancelled",
    "expired",
    "booklets",
    "booklets_started",
)
# French labels of the counters, in the order of the detail page.
COUNTER_LABELS = {
    "issued": "Pass émis",
    "awaiting_activation": "En attente d'activation",
    "in_stock": "En stock",
    "in_stock_funder": "En stock chez le commanditaire",
    "in_stock_municipalities": "En stock dans les collectivités",
    "in_stock_prescribers": "En stock chez les prescripteurs",
    "in_stock_other": "En stock ailleurs",
    "distributed": "Distribués (injectés), pas encore utilisés",
    "redeemed": "Utilisés, en attente de remboursement",
    "reimbursed": "Remboursés",
    "cancelled": "Annulés",
    "expired": "Expirés",
    "booklets": "Carnets",
    "booklets_started": "Carnets entamés",
}


def _empty_counters() -> dict[str, int]:
    return dict.fromkeys(COUNTER_KEYS, 0)


def _add_row(counters: dict[str, int], status: str, holder_kind: str | None, n: int) -> None:
    counters["issued"] += n
    if status == PassStatus.IN_STOCK:
        counters["in_stock"] += n
        counters[STOCK_LEVELS.get(holder_kind, "in_stock_other")] += n
    elif status in STATUS_KEYS:
        counters[STATUS_KEYS[status]] += n


def counters_for_orders(order_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """The counters of several orders in three aggregate queries (GROUP BY order, status and
    holder kind; booklets; started booklets). Every pass ever issued is in exactly one state, so
    ``issued`` is the sum of the states.

    - ``in_stock_*``: passes IN_STOCK by the kind of their holder (funder, municipalities,
      prescribers; ``in_stock_other`` for any other holder);
    - ``distributed``: handed to a beneficiary and not used yet (« injectés »);
    - ``redeemed``: used, not yet counter-paid; ``reimbursed``: counter-paid;
    - ``booklets_started``: booklets with at least one REDEEMED or REIMBURSED pass (« entamés »).
    """
    ids = list(order_ids)
    result = {order_id: _empty_counters() for order_id in ids}
    if not ids:
        return result
    rows = (
        Pass.objects.filter(order_id__in=ids)
        .values("order_id", "status", "holder__kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        _add_row(result[row["order_id"]], row["status"], row["holder__kind"], row["n"])
    booklets = (
        Booklet.objects.filter(order_id__in=ids)
        .values("order_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in booklets:
        result[row["order_id"]]["booklets"] = row["n"]
    started = (
        Pass.objects.filter(order_id__in=ids, status__in=USED_STATUSES)
        .values("order_id")
        .annotate(n=Count("booklet_id", distinct=True))
        .order_by()
    )
    for row in started:
        result[row["order_id"]]["booklets_started"] = row["n"]
    return result


def order_counters(order: Order) -> dict[str, int]:
    """The counters of one order (see ``counters_for_orders``)."""
    return counters_for_orders([order.pk])[order.pk]


def counter_rows(counters: dict[str, int]) -> list[tuple[str, str, int]]:
    """(key, French label, value) in display order, for the templates."""
    return [(key, COUNTER_LABELS[key], counters[key]) for key in COUNTER_KEYS]
