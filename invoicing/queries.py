"""Reads for the funder side of the money: which orders an organisation sees on its
« Facturation » page, the statement of account of an order, whether a credit note is possible,
and the State co-financing report of a programme.

Every figure comes from aggregate queries (GROUP BY), never from a loop over passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from beneficiaries.eligibility import pic_eligibility
from beneficiaries.models import DiplomaLevel, QpvAnswer
from ledger.models import EventKind, Order, OrderStatus, Pass, PassEvent, PassStatus
from organisations.models import Membership, Organisation, Role
from organisations.queries import get_membership_or_404
from payments.queries import reimbursed_by_order as paid_by_order
from programmes.models import Programme

from .models import CreditNote, Invoice

BILLING_KINDS = (Organisation.Kind.FUNDER, Organisation.Kind.ISSUER)
WRITER_ROLES = (Role.ADMIN, Role.MEMBER)
USED = (PassStatus.REDEEMED, PassStatus.REIMBURSED)
NOT_YET_ENDED = (PassStatus.ISSUED, PassStatus.IN_STOCK, PassStatus.DISTRIBUTED)
NOT_FOUND = "Commande introuvable."
WRONG_KIND = (
    "La facturation concerne les commanditaires et les émetteurs de pass : "
    "votre organisation n'en a pas."
)


# --- Who sees what ----------------------------------------------------------------------------


def billing_membership_or_404(user, organisation_id: int) -> Membership:
    """The user's membership of a funder or an issuer (404 for a non-member, 403 for another
    kind of organisation)."""
    membership = get_membership_or_404(user, organisation_id)
    if membership.organisation.kind not in BILLING_KINDS:
        raise PermissionDenied(WRONG_KIND)
    return membership


def is_finance_writer(membership: Membership) -> bool:
    return membership.is_finance and membership.role in WRITER_ROLES


def orders_for_billing(organisation: Organisation) -> QuerySet[Order]:
    """The orders a funder placed, or an issuer received, once confirmed (drafts have no money
    yet), newest first, with their invoice and credit note."""
    return (
        Order.objects.filter(Q(funder=organisation) | Q(issuer=organisation))
        .exclude(status=OrderStatus.DRAFT)
        .select_related("programme", "funder", "issuer", "invoice", "credit_note")
        .order_by("-created_at", "-pk")
    )


def get_order_or_404(organisation: Organisation, order_id: int) -> Order:
    """An order of this funder or issuer; 404 for an order of anyone else."""
    order = orders_for_billing(organisation).filter(pk=order_id).first()
    if order is None:
        raise Http404(NOT_FOUND)
    return order


def invoice_of(order: Order) -> Invoice | None:
    return Invoice.objects.filter(order=order).first()


def credit_note_of(order: Order) -> CreditNote | None:
    return CreditNote.objects.filter(order=order).select_related("invoice").first()


def programmes_for_cofinancing(organisation: Organisation) -> QuerySet[Programme]:
    """The programmes whose co-financing report a funder reads (its own)."""
    if organisation.kind != Organisation.Kind.FUNDER:
        return Programme.objects.none()
    return Programme.objects.filter(funder=organisation).order_by("-starts_on", "name")


def get_programme_or_404(organisation: Organisation, programme_id: int) -> Programme:
    programme = programmes_for_cofinancing(organisation).filter(pk=programme_id).first()
    if programme is None:
        raise Http404("Programme introuvable.")
    return programme


# --- What the payments app reports --------------------------------------------------------------


def reimbursed_by_order(order_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Passes and cents actually paid to operators, per order (from the payment runs)."""
    ids = list(order_ids)
    result = {pk: {"passes": 0, "cents": 0} for pk in ids}
    if ids:
        for pk, row in paid_by_order(ids).items():
            result[pk] = {"passes": int(row["passes"]), "cents": int(row["cents"])}
    return result


# --- Statement of account -------------------------------------------------------------------

STATEMENT_ROWS = (
    ("ordered", "Pass commandés"),
    ("awaiting_activation", "En attente d'activation"),
    ("activated", "Pass activés"),
    ("used", "Pass utilisés (encaissés par les opérateurs)"),
    ("reimbursed", "dont remboursés aux opérateurs"),
    ("to_reimburse", "dont en attente de remboursement"),
    ("valid", "Encore valables (en stock ou remis, non utilisés)"),
    ("expired", "Expirés (non utilisés à la fin de validité)"),
    ("cancelled", "Annulés (perdus, volés, détruits, bloqués)"),
)


@dataclass
class StatementRow:
    key: str
    label: str
    passes: int
    cents: int


@dataclass
class Statement:
    """« Relevé de compte de la commande »: each figure in passes and in cents.

    Every issued pass is in exactly one of: awaiting activation, valid, used, expired,
    cancelled (``balanced`` checks it). ``reimbursed`` is what the payment runs actually paid
    (gross, before downstream fees) and may differ from ``used × face value`` only while
    payments are pending."""

    order: Order
    figures: dict[str, int]
    reimbursed_cents: int
    invoice: Invoice | None = None
    credit_note: CreditNote | None = None

    def cents(self, key: str) -> int:
        if key == "reimbursed":
            return self.reimbursed_cents
        if key == "to_reimburse":
            return self.figures["used"] * self.order.face_value_cents - self.reimbursed_cents
        return self.figures[key] * self.order.face_value_cents

    @property
    def rows(self) -> list[StatementRow]:
        return [
            StatementRow(key, label, self.figures[key], self.cents(key))
            for key, label in STATEMENT_ROWS
        ]

    @property
    def unused(self) -> int:
        return self.figures["expired"] + self.figures["cancelled"]

    @property
    def used_cents(self) -> int:
        return self.figures["used"] * self.order.face_value_cents

    @property
    def unused_cents(self) -> int:
        return self.unused * self.order.face_value_cents

    @property
    def balanced(self) -> bool:
        f = self.figures
        if not self.order.is_issued:
            return True
        return f["ordered"] == (
            f["awaiting_activation"] + f["valid"] + f["used"] + f["expired"] + f["cancelled"]
        )

    @property
    def invoiced_cents(self) -> int:
        return self.invoice.total_cents if self.invoice else 0

    @property
    def credited_cents(self) -> int:
        return self.credit_note.amount_cents if self.credit_note else 0

    @property
    def balance_cents(self) -> int:
        """What the funder owes in the end: the invoice minus the credit note."""
        return self.invoiced_cents - self.credited_cents


def statements_for_orders(orders: Iterable[Order]) -> dict[int, Statement]:
    """The statements of several orders in three aggregate queries plus the payments'."""
    orders = list(orders)
    ids = [o.pk for o in orders]
    empty = dict.fromkeys(
        ("awaiting_activation", "activated", "used", "valid", "expired", "cancelled"), 0
    )
    figures = {pk: dict(empty) for pk in ids}
    if ids:
        rows = (
            Pass.objects.filter(order_id__in=ids)
            .values("order_id", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            f, status, n = figures[row["order_id"]], row["status"], row["n"]
            if status == PassStatus.ISSUED:
                f["awaiting_activation"] += n
            elif status in (PassStatus.IN_STOCK, PassStatus.DISTRIBUTED):
                f["valid"] += n
            elif status in USED:
                f["used"] += n
            elif status == PassStatus.EXPIRED:
                f["expired"] += n
            elif status == PassStatus.CANCELLED:
                f["cancelled"] += n
        activated = (
            PassEvent.objects.filter(order_id__in=ids, kind=EventKind.ACTIVATED)
            .values("order_id")
            .annotate(n=Sum("pass_count"))
            .order_by()
        )
        for row in activated:
            figures[row["order_id"]]["activated"] = row["n"] or 0
    paid = reimbursed_by_order(ids)
    invoices = {i.order_id: i for i in Invoice.objects.filter(order_id__in=ids)}
    credits = {c.order_id: c for c in CreditNote.objects.filter(order_id__in=ids)}
    result = {}
    for order in orders:
        f = figures[order.pk]
        f["ordered"] = order.pass_count
        f["reimbursed"] = paid[order.pk]["passes"]
        f["to_reimburse"] = f["used"] - f["reimbursed"]
        result[order.pk] = Statement(
            order,
            f,
            paid[order.pk]["cents"],
            invoices.get(order.pk),
            credits.get(order.pk),
        )
    return result


def statement_of(order: Order) -> Statement:
    return statements_for_orders([order])[order.pk]


STATEMENT_HEADER = ["Ligne", "Nombre de pass", "Montant (€)"]


def statement_table(statement: Statement) -> list[list]:
    """The statement as rows for the CSV/XLSX export (see core.exports)."""
    from core.exports import cents_to_euros

    order = statement.order
    rows: list[list] = [
        [row.label, row.passes, cents_to_euros(row.cents)] for row in statement.rows
    ]
    if statement.invoice:
        rows.append([f"Facture {statement.invoice.number} (total HT)", None,
                     cents_to_euros(statement.invoice.total_cents)])  # fmt: skip
    if statement.credit_note:
        rows.append([f"Avoir {statement.credit_note.number}", statement.credit_note.credited_count,
                     cents_to_euros(statement.credit_note.amount_cents)])  # fmt: skip
    rows.append(["Solde dû par le commanditaire (facture − avoir)", None,
                 cents_to_euros(statement.balance_cents)])  # fmt: skip
    rows.append([f"Commande {order.reference} — valeur faciale d'un pass", None,
                 cents_to_euros(order.face_value_cents)])  # fmt: skip
    return rows


# --- Credit note: when -------------------------------------------------------------------------


def credit_note_opens_on(order: Order) -> date:
    """The first day a credit note may be issued: the day after the end of validity,
    tolerance included (the day the expiry job makes the unused passes EXPIRED)."""
    return order.redeemable_until + timedelta(days=1)


def credit_note_refusal(order: Order, today: date | None = None) -> str | None:
    """Why a credit note cannot be issued now (French), or None."""
    today = today or timezone.localdate()
    if order.issuer_id is None:
        return "Cette commande n'a pas d'émetteur : il n'y a ni facture ni avoir."
    if CreditNote.objects.filter(order=order).exists():
        return f"L'avoir de la commande {order.reference} est déjà émis."
    if today < credit_note_opens_on(order):
        return (
            f"La commande {order.reference} est valable jusqu'au "
            f"{order.redeemable_until:%d/%m/%Y}, tolérance comprise : l'avoir ne peut être "
            f"établi qu'à partir du {credit_note_opens_on(order):%d/%m/%Y}, une fois les pass "
            "non utilisés expirés."
        )
    invoice = Invoice.objects.filter(order=order).first()
    if invoice is None:
        return (
            f"La facture de la commande {order.reference} n'est pas émise : l'avoir s'y "
            "rapporte, émettez-la d'abord."
        )
    if not invoice.includes_face_value:
        return (
            "La valeur des pass n'a pas été facturée par l'émetteur (le commanditaire paie "
            "lui-même les opérateurs) : il n'y a rien à créditer."
        )
    pending = Pass.objects.filter(order=order, status__in=NOT_YET_ENDED).count()
    if pending:
        return (
            f"{pending} pass de la commande {order.reference} ne sont pas encore expirés : "
            "l'expiration des pass (tâche quotidienne) doit passer avant l'avoir."
        )
    return None


def invoice_refusal(order: Order) -> str | None:
    """Why the invoice cannot be issued now (French), or None."""
    if order.issuer_id is None:
        return "Cette commande n'a pas d'émetteur : il n'y a pas de facture à émettre."
    if order.status == OrderStatus.DRAFT:
        return f"La commande {order.reference} est un brouillon : elle doit d'abord être confirmée."
    existing = Invoice.objects.filter(order=order).first()
    if existing is not None:
        return f"La facture de la commande {order.reference} est déjà émise ({existing.number})."
    return None


# --- State co-financing ------------------------------------------------------------------------

PIC, NOT_PIC, UNKNOWN = "pic", "not_pic", "unknown"
QPV_YES, QPV_NO, QPV_UNKNOWN = "qpv", "not_qpv", "qpv_unknown"
OUTSIDE = "Hors territoire (stock du commanditaire ou structure sans territoire)"


def pic_category(rule: str, row: dict) -> str:
    """PIC, not PIC or « non renseigné » for one group of passes used.

    - no beneficiary (a pass used straight from a stock, or handed out without a record):
      « non renseigné »;
    - eligible under the programme's rule (beneficiaries.eligibility): PIC;
    - otherwise, when the diploma level is « non communiqué » (no diagnostic recorded, so
      the rule cannot decide): « non renseigné »; else not PIC.
    """
    diploma = row["beneficiary__diploma_level"]
    if diploma is None:  # no beneficiary: the LEFT JOIN gives NULL (the field is never null)
        return UNKNOWN
    eligible, _basis = pic_eligibility(
        rule=rule,
        diploma_level=diploma,
        job_seeker=bool(row["beneficiary__job_seeker"]),
        age_band=row["beneficiary__age_band"],
        social_status=row["beneficiary__social_status"],
    )
    if eligible:
        return PIC
    return UNKNOWN if diploma == DiplomaLevel.UNKNOWN else NOT_PIC


def qpv_category(row: dict) -> str:
    if row["beneficiary__diploma_level"] is None:  # no beneficiary
        return QPV_UNKNOWN
    answer = row["beneficiary__lives_in_qpv"]
    if answer == QpvAnswer.YES:
        return QPV_YES
    return QPV_NO if answer == QpvAnswer.NO else QPV_UNKNOWN


def eligible_cents(value_cents: int) -> int:
    """50 % of the value of passes used, rounded half up to the cent: (value + 1) // 2."""
    return (value_cents + 1) // 2


@dataclass
class CofinancingRow:
    label: str
    territory_id: int | None = None
    used: int = 0
    value_cents: int = 0
    pic: int = 0
    not_pic: int = 0
    unknown: int = 0
    qpv: int = 0
    not_qpv: int = 0
    qpv_unknown: int = 0

    @property
    def pic_share(self) -> float:
        """PIC passes over all passes used, in percent with one decimal."""
        return round(100 * self.pic / self.used, 1) if self.used else 0.0

    @property
    def qpv_share(self) -> float:
        return round(100 * self.qpv / self.used, 1) if self.used else 0.0

    @property
    def eligible_cents(self) -> int:
        return eligible_cents(self.value_cents)

    def add(self, n: int, value: int, pic: str, qpv: str) -> None:
        self.used += n
        self.value_cents += value
        setattr(self, pic, getattr(self, pic) + n)
        setattr(self, qpv, getattr(self, qpv) + n)


@dataclass
class CofinancingReport:
    programme: Programme
    start: date | None
    end: date | None
    rows: list[CofinancingRow] = field(default_factory=list)
    total: CofinancingRow = field(default_factory=lambda: CofinancingRow("Total du programme"))

    @property
    def target_met(self) -> bool:
        return self.total.used > 0 and self.total.pic_share >= self.programme.pic_target_percent

    @property
    def period_label(self) -> str:
        if self.start and self.end:
            return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"
        if self.start:
            return f"depuis le {self.start:%d/%m/%Y}"
        if self.end:
            return f"jusqu'au {self.end:%d/%m/%Y}"
        return "depuis le début du programme"


def _day_bounds(start: date | None, end: date | None) -> Q:
    """Passes used from ``start`` 00:00 to ``end`` 23:59:59 (Paris time), both included."""
    q = Q()
    tz = timezone.get_current_timezone()
    if start:
        q &= Q(redeemed_at__gte=datetime.combine(start, time.min, tzinfo=tz))
    if end:
        q &= Q(redeemed_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz))
    return q


def cofinancing_report(
    programme: Programme, *, start: date | None = None, end: date | None = None
) -> CofinancingReport:
    """Passes used in the programme (optionally redeemed between ``start`` and ``end``), per
    territory: how many went to PIC publics under the programme's rule, to QPV residents, and
    the amount eligible to the State's co-financing (50 % of the value used, per row and for the
    total, each rounded half up to the cent).

    The territory of a pass is the one that handed it out: its holder when it was used (a
    prescriber structure belongs to its municipality; a municipality is itself). Passes used
    from another holder's stock (the funder's), or held by a municipality that is not a
    territory of the programme, fall in « Hors territoire »."""
    report = CofinancingReport(programme, start, end)
    territories = {
        t.municipality_id: t
        for t in programme.territories.select_related("commune", "municipality")
    }
    by_territory: dict[int | None, CofinancingRow] = {}
    groups = (
        Pass.objects.filter(order__programme=programme, status__in=USED)
        .filter(_day_bounds(start, end))
        .values(
            "holder_id",
            "holder__kind",
            "holder__parent_id",
            "beneficiary__diploma_level",
            "beneficiary__job_seeker",
            "beneficiary__age_band",
            "beneficiary__social_status",
            "beneficiary__lives_in_qpv",
        )
        .annotate(n=Count("pk"), value=Sum("order__face_value_cents"))
        .order_by()
    )
    for row in groups:
        kind = row["holder__kind"]
        if kind == Organisation.Kind.PRESCRIBER:
            town = row["holder__parent_id"]
        elif kind == Organisation.Kind.MUNICIPALITY:
            town = row["holder_id"]
        else:
            town = None
        territory = territories.get(town)
        key = territory.pk if territory else None
        if key not in by_territory:
            label = territory.commune.name if territory else OUTSIDE
            by_territory[key] = CofinancingRow(label, key)
        pic, qpv = pic_category(programme.pic_rule, row), qpv_category(row)
        by_territory[key].add(row["n"], row["value"] or 0, pic, qpv)
        report.total.add(row["n"], row["value"] or 0, pic, qpv)
    report.rows = sorted(
        by_territory.values(), key=lambda r: (r.territory_id is None, r.label.lower())
    )
    return report


COFINANCING_HEADER = [
    "Territoire",
    "Pass utilisés",
    "Valeur des pass utilisés (€)",
    "dont publics PIC",
    "dont hors PIC",
    "dont non renseigné",
    "Part PIC (%)",
    "dont habitants d'un QPV",
    "dont hors QPV",
    "dont QPV non renseigné",
    "Montant éligible au cofinancement de l'État, 50 % (€)",
]


def cofinancing_table(report: CofinancingReport) -> list[list]:
    from decimal import Decimal

    from core.exports import cents_to_euros

    def line(row: CofinancingRow) -> list:
        return [
            row.label,
            row.used,
            cents_to_euros(row.value_cents),
            row.pic,
            row.not_pic,
            row.unknown,
            Decimal(str(row.pic_share)),
            row.qpv,
            row.not_qpv,
            row.qpv_unknown,
            cents_to_euros(row.eligible_cents),
        ]

    return [line(row) for row in report.rows] + [line(report.total)]


# --- The billing list's table ------------------------------------------------------------------

BILLING_HEADER = [
    "Commande",
    "Programme",
    "Commanditaire",
    "Émetteur",
    "État",
    "Pass commandés",
    "Valeur commandée (€)",
    "Facture",
    "Total facturé HT (€)",
    "Pass utilisés",
    "Pass remboursés aux opérateurs",
    "Fin de validité (tolérance comprise)",
    "Avoir",
    "Montant de l'avoir (€)",
]


def billing_table(orders: Iterable[Order]) -> list[list]:
    from core.exports import cents_to_euros

    orders = list(orders)
    statements = statements_for_orders(orders)
    rows = []
    for order in orders:
        s = statements[order.pk]
        rows.append(
            [
                order.reference,
                order.programme.name,
                order.funder.name,
                order.issuer.name if order.issuer_id else "",
                order.get_status_display(),
                order.pass_count,
                cents_to_euros(order.face_value_total_cents),
                s.invoice.number if s.invoice else "",
                cents_to_euros(s.invoice.total_cents) if s.invoice else None,
                s.figures["used"],
                s.figures["reimbursed"],
                order.redeemable_until,
                s.credit_note.number if s.credit_note else "",
                cents_to_euros(s.credit_note.amount_cents) if s.credit_note else None,
            ]
        )
    return rows
