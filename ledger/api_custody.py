"""API endpoints: custody (stock of a holder, transfers of booklets). Mounted at /api/v1/ by
api/api.py. Access goes through organisations.queries, as in the web views."""

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from api.schemas import ErrorOut, ValidationErrorOut
from organisations.models import Organisation
from organisations.queries import get_membership_or_404, get_writer_membership_or_404

from . import custody
from . import custody_queries as queries
from .models import TransferKind

router = Router()

# Refusals about the state of the booklets (someone else moved them): 409; bad input: 400.
CONFLICT_CODES = {"not_held", "pending_transfer", "no_stock", "conflict"}


class ErrorReasonOut(Schema):
    detail: str = Field(description="Message d'erreur, en français.")
    reason: str = Field(
        description="Code stable du refus : bad_serial, malformed_range, empty, not_held, "
        "pending_transfer, no_stock, wrong_level, same_holder, bad_person, forbidden, bad_kind."
    )


class StockOrderOut(Schema):
    reference: str = Field(description="Référence de la commande.")
    booklets: int = Field(description="Carnets détenus ayant encore des pass en stock.")
    passes_in_stock: int = Field(description="Pass en stock détenus.")
    face_value_cents: int = Field(description="Valeur faciale du stock, en centimes.")
    valid_until: str = Field(description="Fin de validité (AAAA-MM-JJ).")


class StockBookletOut(Schema):
    serial: str = Field(description="Numéro du carnet.")
    order: str = Field(description="Référence de la commande.")
    passes_in_stock: int
    held_since: datetime | None = Field(description="Détenu depuis.")
    days_in_stock: int | None = Field(description="Ancienneté en jours.")
    dormant: bool = Field(description="Sans mouvement depuis plus de DORMANT_STOCK_DAYS jours.")
    pending_receipt: bool = Field(description="Réception pas encore confirmée.")


class StockOut(Schema):
    organisation_id: int
    organisation_name: str
    dormant_after_days: int
    orders: list[StockOrderOut]
    booklets: list[StockBookletOut]
    booklet_count: int = Field(description="Nombre total de carnets détenus (avant pagination).")


class TransferIn(Schema):
    from_organisation_id: int = Field(description="Organisation qui détient les carnets.")
    to_organisation_id: int = Field(description="Organisation destinataire.")
    booklets: str = Field(
        description="Carnets : une plage « C00001234-C00001250 » ou une liste séparée par des "
        "virgules, espaces ou retours à la ligne.",
        min_length=1,
        max_length=100_000,
    )
    kind: TransferKind = Field(
        TransferKind.ALLOCATION,
        description="ALLOCATION (remise vers l'échelon inférieur), RETURN (retour), "
        "REALLOCATION (par le commanditaire).",
    )
    to_person_id: int | None = Field(None, description="Prescripteur nommé (facultatif).")
    note: str = Field("", max_length=250)
    acting_organisation_id: int | None = Field(
        None,
        description="Pour une réallocation : le commanditaire au nom duquel vous agissez. "
        "Sinon, l'organisation détentrice.",
    )


class TransferOut(Schema):
    id: int
    kind: str
    from_organisation_id: int
    to_organisation_id: int
    booklet_count: int
    booklets: list[str]
    created_at: datetime


@router.get(
    "/stock",
    response={200: StockOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    operation_id="get_stock",
    summary="Stock de carnets d'une organisation",
    description="Les carnets détenus par l'organisation (membre actif seulement ; sinon 404), "
    "regroupés par commande, avec leur ancienneté. Pagination avec limit et offset.",
)
def get_stock(
    request: HttpRequest,
    organisation_id: int = Query(..., description="Identifiant de l'organisation."),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
):
    organisation = get_membership_or_404(request.user, organisation_id).organisation
    now = timezone.now()
    held = queries.held_booklets(organisation)
    page = queries.decorate(held[offset : offset + limit], now)
    return {
        "organisation_id": organisation.pk,
        "organisation_name": organisation.name,
        "dormant_after_days": queries.dormant_days(),
        "orders": [
            {
                "reference": line.order.reference,
                "booklets": line.booklets,
                "passes_in_stock": line.passes,
                "face_value_cents": line.value_cents,
                "valid_until": line.order.valid_until.isoformat(),
            }
            for line in queries.stock_by_order(organisation)
        ],
        "booklets": [
            {
                "serial": b.serial,
                "order": b.order.reference,
                "passes_in_stock": b.in_stock,
                "held_since": b.held_since,
                "days_in_stock": b.age_days,
                "dormant": b.is_dormant,
                "pending_receipt": b.pending_transfer_id is not None,
            }
            for b in page
        ],
        "booklet_count": held.count(),
    }


def _refused(exc: custody.CustodyError):
    status = 409 if exc.code in CONFLICT_CODES else 400
    return status, {"detail": str(exc), "reason": exc.code}


@router.post(
    "/transfers",
    response={
        201: TransferOut,
        400: ErrorReasonOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorReasonOut,
        422: ValidationErrorOut,
    },
    operation_id="create_transfer",
    summary="Remettre, retourner ou réallouer des carnets",
    description="Les carnets passent au destinataire, qui accuse réception. Vous devez être "
    "membre actif (administrateur ou membre) de l'organisation qui agit : la détentrice, ou le "
    "commanditaire pour une réallocation. Refus : 400 (saisie) ou 409 (état des carnets), avec "
    "un message en français et un code « reason ».",
)
def create_transfer(request: HttpRequest, payload: TransferIn):
    acting_id = payload.acting_organisation_id or payload.from_organisation_id
    acting = get_writer_membership_or_404(request.user, acting_id).organisation
    if payload.kind == TransferKind.REALLOCATION:
        if acting.kind != Organisation.Kind.FUNDER:
            return 400, {
                "detail": "Seul le commanditaire réalloue des carnets.",
                "reason": "forbidden",
            }
        holders = {org.pk: org for org in queries.allowed_receivers(acting, payload.kind)}
        from_holder = holders.get(payload.from_organisation_id)
        if from_holder is None:
            return 400, {
                "detail": "Le détenteur indiqué ne fait pas partie de votre programme.",
                "reason": "wrong_level",
            }
    else:
        if acting.pk != payload.from_organisation_id:
            return 400, {
                "detail": "Seule l'organisation détentrice remet ou retourne ses carnets.",
                "reason": "forbidden",
            }
        from_holder = acting
        holders = {org.pk: org for org in queries.allowed_receivers(acting, payload.kind)}
    to_holder = holders.get(payload.to_organisation_id)
    if to_holder is None:
        return 400, {
            "detail": "L'organisation destinataire n'est pas un destinataire possible pour ce "
            "type de transfert.",
            "reason": "wrong_level",
        }
    to_person = None
    if payload.to_person_id is not None:
        membership = (
            queries.named_prescribers(to_holder).filter(user_id=payload.to_person_id).first()
        )
        if membership is None:
            return 400, {
                "detail": f"Cette personne n'est pas membre active de {to_holder}.",
                "reason": "bad_person",
            }
        to_person = membership.user
    try:
        booklets = custody.select_booklets(from_holder, payload.booklets)
        transfer = custody.transfer_booklets(
            booklets,
            to_holder,
            by=request.user,
            from_holder=from_holder,
            to_person=to_person,
            kind=payload.kind,
            note=payload.note,
            request=request,
        )
    except custody.CustodyError as exc:
        return _refused(exc)
    return 201, {
        "id": transfer.pk,
        "kind": transfer.kind,
        "from_organisation_id": transfer.from_holder_id,
        "to_organisation_id": transfer.to_holder_id,
        "booklet_count": transfer.booklet_count,
        "booklets": [b.serial for b in booklets],
        "created_at": transfer.created_at,
    }
