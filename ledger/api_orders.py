"""API endpoints: orders. Mounted at /api/v1/ by api/api.py.

Same reads (ledger.queries), same writes (ledger.services) and same checks (ledger.forms) as
the order pages. Amounts are integer cents.
"""

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Path, Router, Schema
from ninja.pagination import paginate

from api.pagination import Pagination
from api.schemas import ErrorOut, OrganisationRef, ValidationErrorOut
from jobs.services import JobAlreadyActive
from operators.models import Service
from organisations.models import Organisation
from organisations.queries import get_writer_membership_or_404
from programmes.models import Programme

from . import forms, queries, services
from .exceptions import LedgerError
from .models import Order, OrderStatus
from .order_tasks import issue_refusal, start_issue_job

router = Router()

OrderId = Path(..., description="Identifiant de la commande.")
THEME_HELP = "Thèmes de services acceptés (vide : tous) : " + ", ".join(
    value for value, _ in Service.Theme.choices
)


class ReasonErrorOut(Schema):
    detail: str = Field(description="Message d'erreur, en français.")
    reason: str = Field(
        description=(
            "Code stable de l'erreur : invalid_programme, invalid_face_value, invalid_valid_until, "
            "invalid_perimeter, order_state, not_issued, payment_reference_required, "
            "job_already_active."
        )
    )
    job_id: str | None = Field(None, description="La tâche déjà en cours (job_already_active).")


AUTH_ERRORS = {401: ErrorOut}
READ_ERRORS = {**AUTH_ERRORS, 404: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 400: ReasonErrorOut, 403: ErrorOut, 409: ReasonErrorOut}


class ProgrammeRef(Schema):
    id: int = Field(description="Identifiant du programme.")
    name: str = Field(description="Nom du programme.")


class CountersOut(Schema):
    issued: int = Field(description="Pass émis (tous états confondus).")
    awaiting_activation: int = Field(description="Pass émis, commande pas encore activée.")
    in_stock: int = Field(description="Pass en stock (total).")
    in_stock_funder: int = Field(description="En stock chez le commanditaire.")
    in_stock_municipalities: int = Field(description="En stock dans les collectivités.")
    in_stock_prescribers: int = Field(description="En stock chez les prescripteurs.")
    in_stock_other: int = Field(description="En stock chez un autre détenteur.")
    distributed: int = Field(description="Distribués (injectés), pas encore utilisés.")
    redeemed: int = Field(description="Utilisés, pas encore remboursés.")
    reimbursed: int = Field(description="Remboursés.")
    cancelled: int = Field(description="Annulés.")
    expired: int = Field(description="Expirés.")
    booklets: int = Field(description="Carnets émis.")
    booklets_started: int = Field(description="Carnets entamés (au moins un pass utilisé).")


class OrderOut(Schema):
    id: int = Field(description="Identifiant de la commande.")
    reference: str = Field(description="Référence, par exemple CMD-2021-001-001.")
    status: OrderStatus = Field(description="État : " + ", ".join(OrderStatus.values) + ".")
    status_label: str = Field(description="État, en clair.")
    programme: ProgrammeRef = Field(description="Le programme.")
    funder: OrganisationRef = Field(description="Le commanditaire.")
    issuer: OrganisationRef | None = Field(description="L'émetteur, s'il y en a un.")
    booklet_count: int = Field(description="Nombre de carnets.")
    passes_per_booklet: int = Field(description="Pass par carnet (10 ou 5).")
    pass_count: int = Field(description="Nombre de pass.")
    face_value_cents: int = Field(description="Valeur faciale d'un pass, en centimes.")
    face_value_total_cents: int = Field(description="Valeur commandée, en centimes.")
    upstream_fee_cents: int = Field(description="Frais amont sur la valeur commandée, en centimes.")
    valid_until: date = Field(description="Fin de validité.")
    tolerance_days: int = Field(description="Tolérance après la fin de validité, en jours.")
    redeemable_until: date = Field(description="Dernier jour d'utilisation, tolérance comprise.")
    perimeter: list[str] = Field(description="Codes INSEE des communes du périmètre.")
    allowed_themes: list[str] = Field(description=THEME_HELP + ".")
    print_text: str = Field(description="Texte personnalisé imprimé.")
    accept_in_stock: bool = Field(description="Un pass encore en stock est-il accepté ?")
    payment_reference: str = Field(description="Référence du paiement (numéro de mandat).")
    created_at: datetime = Field(description="Création.")
    confirmed_at: datetime | None = Field(description="Confirmation.")
    issued_at: datetime | None = Field(description="Émission des pass.")
    activated_at: datetime | None = Field(description="Activation.")

    @staticmethod
    def resolve_status_label(obj: Order) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_perimeter(obj: Order) -> list[str]:
        return sorted(c.insee_code for c in obj.perimeter.all())


class OrderDetailOut(OrderOut):
    counters: CountersOut = Field(description="Compteurs des pass de la commande.")

    @staticmethod
    def resolve_counters(obj: Order) -> dict:
        return queries.order_counters(obj)


class OrderIn(Schema):
    programme_id: int = Field(description="Programme d'un commanditaire dont vous êtes membre.")
    booklet_count: int = Field(ge=1, le=forms.MAX_BOOKLETS, description="Nombre de carnets.")
    passes_per_booklet: Literal[10, 5] = Field(10, description="Pass par carnet : 10 ou 5.")
    face_value_cents: int = Field(
        1000, description="Valeur faciale d'un pass en centimes (1000 = 10,00 €)."
    )
    valid_until: date = Field(description="Fin de validité (AAAA-MM-JJ), pas dans le passé.")
    tolerance_days: int = Field(
        31, ge=0, le=forms.MAX_TOLERANCE_DAYS, description="Tolérance en jours (31 par défaut)."
    )
    perimeter: list[str] = Field(
        default_factory=list,
        description="Codes INSEE, dans le périmètre du programme. Vide : celui du programme.",
    )
    allowed_themes: list[Service.Theme] = Field(default_factory=list, description=THEME_HELP)
    print_text: str = Field("", max_length=600, description="Texte personnalisé imprimé.")
    accept_in_stock: bool = Field(True, description="Accepter un pass encore en stock.")


class ActivateIn(Schema):
    payment_reference: str = Field(
        max_length=60, description="Référence du paiement (numéro de mandat)."
    )


class JobStartedOut(Schema):
    job_id: str = Field(description="Identifiant de la tâche de fond d'émission.")
    status: str = Field(description="État de la tâche au moment de la réponse.")
    url: str = Field(description="Page de suivi de la tâche.")


def _error(status: int, message: str, reason: str, **extra):
    return status, {"detail": message, "reason": reason, **extra}


def _ledger_error(exc: LedgerError):
    status = 400 if exc.code == "payment_reference_required" else 409
    return _error(status, str(exc), exc.code)


def _detail_queryset(order_id: int) -> Order:
    return Order.objects.select_related("programme", "funder", "issuer").get(pk=order_id)


@router.get(
    "/orders",
    response={200: list[OrderOut], **AUTH_ERRORS, 422: ValidationErrorOut},
    operation_id="list_orders",
    summary="Mes commandes",
    description="Les commandes des commanditaires et émetteurs dont vous êtes membre actif.",
)
@paginate(Pagination)
def list_orders(request: HttpRequest) -> QuerySet[Order]:
    return queries.orders_visible_to(request.user).prefetch_related("perimeter")


@router.get(
    "/orders/{order_id}",
    response={200: OrderDetailOut, **READ_ERRORS},
    operation_id="get_order",
    summary="Une commande et ses compteurs",
    description="404 si vous n'êtes membre ni du commanditaire ni de l'émetteur.",
)
def get_order(request: HttpRequest, order_id: int = OrderId):
    return queries.get_order_access_or_404(request.user, order_id).order


@router.post(
    "/orders",
    response={201: OrderDetailOut, **WRITE_ERRORS},
    operation_id="create_order",
    summary="Créer une commande (brouillon)",
    description=(
        "Réservé aux administrateurs et membres du commanditaire du programme (lecture seule : "
        "403 ; programme d'un autre commanditaire : 404). Montants en centimes."
    ),
)
def create_order(request: HttpRequest, payload: OrderIn):
    programme = Programme.objects.select_related("funder").filter(pk=payload.programme_id).first()
    if programme is None:
        raise Http404("Programme introuvable.")
    get_writer_membership_or_404(request.user, programme.funder_id)
    if programme.funder.kind != Organisation.Kind.FUNDER:
        return _error(400, "Ce programme n'a pas de commanditaire valide.", "invalid_programme")
    checks = (
        ("invalid_face_value", lambda: forms.check_face_value_cents(payload.face_value_cents)),
        ("invalid_valid_until", lambda: forms.check_valid_until(payload.valid_until)),
        (
            "invalid_perimeter",
            lambda: forms.resolve_perimeter(
                programme, forms.parse_insee_codes(" ".join(payload.perimeter))
            ),
        ),
    )
    results = {}
    for reason, check in checks:
        try:
            results[reason] = check()
        except ValidationError as exc:
            return _error(400, " ".join(exc.messages), reason)
    order = services.create_order(
        programme,
        by=request.user,
        request=request,
        booklet_count=payload.booklet_count,
        passes_per_booklet=payload.passes_per_booklet,
        face_value_cents=payload.face_value_cents,
        valid_until=payload.valid_until,
        tolerance_days=payload.tolerance_days,
        perimeter=results["invalid_perimeter"],
        allowed_themes=list(dict.fromkeys(str(t.value) for t in payload.allowed_themes)),
        print_text=payload.print_text.strip(),
        accept_in_stock=payload.accept_in_stock,
    )
    return 201, _detail_queryset(order.pk)


@router.post(
    "/orders/{order_id}/confirm",
    response={200: OrderDetailOut, **WRITE_ERRORS},
    operation_id="confirm_order",
    summary="Confirmer une commande",
    description="Brouillon → confirmée. 409 (reason order_state) dans un autre état.",
)
def confirm_order(request: HttpRequest, order_id: int = OrderId):
    access = queries.get_order_access_or_404(request.user, order_id)
    access.require_write()
    try:
        services.confirm_order(access.order, by=request.user, request=request)
    except LedgerError as exc:
        return _ledger_error(exc)
    return 200, _detail_queryset(order_id)


@router.post(
    "/orders/{order_id}/issue",
    response={202: JobStartedOut, **WRITE_ERRORS},
    operation_id="issue_order",
    summary="Lancer l'émission des pass",
    description=(
        "Lance la tâche de fond qui crée les carnets et les pass d'une commande confirmée et "
        "répond 202 avec l'identifiant de la tâche. Réservé aux administrateurs et membres du "
        "commanditaire et aux administrateurs de l'émetteur. 409 si la commande n'est pas "
        "confirmée, est déjà émise (order_state) ou si une émission est en cours "
        "(job_already_active)."
    ),
)
def issue_order(request: HttpRequest, order_id: int = OrderId):
    access = queries.get_order_access_or_404(request.user, order_id)
    access.require_issue()
    order = access.order
    refusal = issue_refusal(order)
    if refusal is not None:
        return _error(409, refusal, "order_state")
    try:
        job = start_issue_job(order, request.user, request=request)
    except JobAlreadyActive as exc:
        return _error(
            409,
            "L'émission de cette commande est déjà en cours.",
            "job_already_active",
            job_id=str(exc.job.pk),
        )
    job.refresh_from_db()
    return 202, {
        "job_id": str(job.pk),
        "status": job.status,
        "url": reverse("jobs:detail", args=[job.pk]),
    }


@router.post(
    "/orders/{order_id}/activate",
    response={200: OrderDetailOut, **WRITE_ERRORS},
    operation_id="activate_order",
    summary="Activer une commande",
    description=(
        "Enregistre la référence du paiement (numéro de mandat) : les pass passent en stock et "
        "deviennent utilisables. 400 (payment_reference_required) sans référence ; 409 "
        "(not_issued, order_state) si les pass ne sont pas émis ou si la commande n'est pas "
        "confirmée."
    ),
)
def activate_order(request: HttpRequest, payload: ActivateIn, order_id: int = OrderId):
    access = queries.get_order_access_or_404(request.user, order_id)
    access.require_write()
    try:
        services.activate_order(
            access.order, payload.payment_reference, by=request.user, request=request
        )
    except LedgerError as exc:
        return _ledger_error(exc)
    return 200, _detail_queryset(order_id)


@router.get(
    "/orders/{order_id}/variable-data",
    response={200: None, **READ_ERRORS, 403: ErrorOut, 409: ReasonErrorOut},
    operation_id="get_order_variable_data",
    summary="Fichier de données variables (CSV) d'une commande émise",
    description=(
        "Numéro, code secret et contenu du QR code de chaque pass, pour l'imprimeur "
        "(CSV séparé par « ; », UTF-8). Réservé aux administrateurs du commanditaire ou de "
        "l'émetteur ; chaque téléchargement est journalisé."
    ),
)
def get_order_variable_data(request: HttpRequest, order_id: int = OrderId):
    from django.http import StreamingHttpResponse

    from . import printing

    order, membership = printing.order_for_print_admin(request.user, order_id)
    try:
        printing.ensure_printable(order)
    except printing.PrintError as exc:
        return 409, {"detail": str(exc), "reason": exc.code}
    printing.record_download(
        order,
        file="csv",
        organisation=membership.organisation,
        actor=request.user,
        request=request,
        passes=order.pass_count,
        channel="api",
    )
    response = StreamingHttpResponse(
        (line.encode() for line in printing.iter_variable_data_csv(order, bom=False)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="donnees-variables-{order.reference}.csv"'
    )
    return response
