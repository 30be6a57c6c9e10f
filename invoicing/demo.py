"""The invoicing part of the Grand Paris demo (run by ``manage.py demo`` after the ledger and
payments demos).

- The invoices are issued by a finance member of the issuer: the payments demo's first one
  (« finance@ », who has a TOTP device), or else a member made here (« facturation.emetteur »).
- The invoice of the demo order (15 500 carnets): value of the passes plus the upstream fee.
  Its statement of account is live; no credit note (its validity is not over).
- A second, small order whose validity ended a month ago (tolerance included): 5 carnets, one
  lost and cancelled, the rest expired by the expiry job, with its invoice and its credit note.

Everything goes through the real services. Running it again changes nothing (each step is
skipped when already done)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.demo import DEMO_PASSWORD, EMAIL_DOMAIN, DemoLogin
from ledger import custody
from ledger import services as ledger_services
from ledger.models import Booklet, Order, OrderStatus
from ledger.templatetags.ledger_money import format_euros
from organisations.models import Membership, Role
from programmes.models import Programme

from . import services
from .models import CreditNote, Invoice

FINANCE_EMAIL = f"facturation.emetteur@{EMAIL_DOMAIN}"
EXPIRED_ORDER_TEXT = "Commande pilote terminée (démonstration de l'avoir de fin de validité)."
EXPIRED_BOOKLETS = 5


def _finance_user(issuer) -> tuple[User, bool]:
    """(the finance user, whether this demo created it)."""
    existing = (
        Membership.objects.filter(
            organisation=issuer, is_finance=True, is_active=True, role__in=[Role.ADMIN, Role.MEMBER]
        )
        .exclude(user__email=FINANCE_EMAIL)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing.user, False
    user = User.objects.filter(email=FINANCE_EMAIL).first() or User(email=FINANCE_EMAIL)
    user.first_name, user.last_name, user.is_active = "Fanny", "Facturation", True
    user.set_password(DEMO_PASSWORD)
    user.save()
    Membership.objects.update_or_create(
        user=user,
        organisation=issuer,
        defaults={
            "role": Role.MEMBER,
            "is_finance": True,
            "is_active": True,
            "deactivated_at": None,
        },
    )
    return user, True


def _funder_admin(programme: Programme):
    membership = (
        Membership.objects.filter(organisation=programme.funder, role=Role.ADMIN, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _expired_order(programme: Programme, funder_admin) -> Order:
    """A small order whose validity (tolerance included) ended a month ago."""
    order = Order.objects.filter(programme=programme, print_text=EXPIRED_ORDER_TEXT).first()
    if order is None:
        ended = timezone.localdate() - timedelta(days=30)
        order = ledger_services.create_order(
            programme,
            by=funder_admin,
            booklet_count=EXPIRED_BOOKLETS,
            valid_until=ended - timedelta(days=31),
            tolerance_days=31,
            print_text=EXPIRED_ORDER_TEXT,
        )
    if order.status == OrderStatus.DRAFT:
        ledger_services.confirm_order(order, by=funder_admin)
    if not order.is_issued:
        ledger_services.issue_order(order.pk, by=funder_admin)
        order.refresh_from_db()
    if order.status == OrderStatus.CONFIRMED:
        order = ledger_services.activate_order(order, "MANDAT-DEMO-0007", by=funder_admin)
        lost = Booklet.objects.filter(order=order).order_by("number").first()
        custody.cancel_booklets(
            [lost], by=funder_admin, organisation=programme.funder, reason="Carnet perdu (démo)"
        )
    custody.expire_passes()
    order.refresh_from_db()
    return order


@transaction.atomic
def load(programme: Programme) -> dict:
    issuer = programme.issuer
    if issuer is None:
        return {}
    user, created = _finance_user(issuer)
    lines: list[str] = []
    main = (
        Order.objects.filter(programme=programme)
        .exclude(status=OrderStatus.DRAFT)
        .exclude(print_text=EXPIRED_ORDER_TEXT)
        .order_by("pk")
        .first()
    )
    if main is not None:
        invoice = Invoice.objects.filter(order=main).first()
        if invoice is None:
            invoice = services.issue_invoice(main, by=user)
        lines.append(
            f"Facture {invoice.number} de la commande {main.reference} : "
            f"{format_euros(invoice.total_cents)} (valeur des pass "
            f"{format_euros(invoice.face_value_total_cents)} + frais amont "
            f"{format_euros(invoice.fee_cents)})."
        )
    funder_admin = _funder_admin(programme)
    if funder_admin is not None and programme.payment_mode == Programme.PaymentMode.ISSUER:
        expired = _expired_order(programme, funder_admin)
        if not Invoice.objects.filter(order=expired).exists():
            services.issue_invoice(expired, by=user)
        note = CreditNote.objects.filter(order=expired).first()
        if note is None:
            note = services.issue_credit_note(expired, by=user)
        lines.append(
            f"Commande terminée {expired.reference} : avoir {note.number} de "
            f"{format_euros(note.amount_cents)} ({note.credited_count} pass non utilisés)."
        )
    logins = []
    if created:
        logins.append(
            DemoLogin("Émetteur (rôle finance : factures et avoirs)", issuer.name, user.email)
        )
    lines.append(f"Factures et avoirs émis par {user.email} (rôle finance de {issuer.name}).")
    return {"lines": lines, "logins": logins}
