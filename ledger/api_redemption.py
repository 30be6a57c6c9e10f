"""API endpoints: check a pass, redeem passes. Mounted at /api/v1/ by api/api.py.

Same services as the scan screen (ledger.redemption); same permission helpers as the views.
"""

from datetime import date, datetime

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from api.schemas import ErrorOut
from journal.services import client_ip
from organisations.models import Role
from organisations.queries import get_writer_membership_or_404

from . import redemption as services
from .redemption_queries import redemption_context

router = Router()

WRITER_ROLES = (Role.ADMIN, Role.MEMBER)

IDEMPOTENCY_HEADER = "Idempotency-Key"
MISSING_KEY_MESSAGE = (
    "En-tête « Idempotency-Key » obligatoire : un identifiant unique par tentative "
    "d'encaissement (un UUID par exemple), renvoyé tel quel en cas de nouvel essai."
)


class PassCheckOut(Schema):
    serial: str = Field(description="N° de pass, normalisé.")
    ok: bool = Field(description="Le pass peut-il être utilisé ?")
    reason: str = Field(
        description="Code du résultat : valid, malformed_serial, wrong_check_digit, wrong_code "
        "(pass inconnu ou code faux, indiscernables), order_not_active, already_redeemed, "
        "expired, cancelled, not_distributed."
    )
    message: str = Field(description="Le résultat, en français.")
    value_cents: int | None = Field(None, description="Valeur faciale, en centimes.")
    redeemable_until: date | None = Field(None, description="Dernier jour d'utilisation.")
    funder: str = Field("", description="Financeur du pass.")
    order_reference: str = Field("", description="Référence de la commande.")
    perimeter: str = Field("", description="Communes où le pass est accepté (résumé).")


class PassIn(Schema):
    serial: str = Field(max_length=30, description="N° de pass (10 chiffres).")
    code: str = Field(max_length=30, description="Code du pass (10 caractères).")


class RedemptionIn(Schema):
    operator_id: int = Field(description="Votre structure (opérateur).")
    place_id: int = Field(description="Le lieu où le service est rendu.")
    service_id: int = Field(description="Le service rendu (son prix en pass).")
    passes: list[PassIn] = Field(
        min_length=1, max_length=services.MAX_PASSES, description="Les pass présentés."
    )


class RedeemedPassOut(Schema):
    serial: str
    from_stock: bool = Field(description="Pass encore en stock (signalé au financeur).")


class RedemptionOut(Schema):
    id: int
    operator_id: int
    place_id: int
    service_id: int
    pass_count: int
    amount_cents: int = Field(description="Montant total, en centimes.")
    created_at: datetime
    passes: list[RedeemedPassOut]


class PassVerdictOut(Schema):
    serial: str
    reason: str = Field(description="Code du motif (stable, pour les programmes).")
    message: str = Field(description="Le motif, en français.")


class RefusalOut(Schema):
    detail: str = Field(description="Pourquoi rien n'a été encaissé, en français.")
    reason: str = Field(description="Code du motif général.")
    passes: list[PassVerdictOut] = Field(description="Le verdict de chaque pass.")


def _check_out(result: services.PassCheck) -> dict:
    return {
        "serial": result.serial,
        "ok": result.ok,
        "reason": result.reason,
        "message": result.message,
        "value_cents": result.value_cents,
        "redeemable_until": result.redeemable_until,
        "funder": result.funder_name,
        "order_reference": result.order_reference,
        "perimeter": result.perimeter_summary,
    }


@router.get(
    "/passes/{serial}",
    response={200: PassCheckOut, 401: ErrorOut, 429: ErrorOut},
    operation_id="check_pass",
    summary="Vérifier un pass",
    description=(
        "Le pass existe-t-il, son code est-il juste, peut-il être utilisé ? Un pass inconnu et "
        "un code faux répondent de la même façon (`wrong_code`). Les codes faux répétés sont "
        "limités par utilisateur et par adresse IP : au-delà, 429."
    ),
)
def check_pass(
    request: HttpRequest,
    serial: str,
    code: str = Query(..., max_length=30, description="Code du pass (10 caractères)."),
):
    try:
        result = services.throttled_check(
            serial, code, user_id=request.user.pk, ip=client_ip(request)
        )
    except services.GuessesThrottled as exc:
        return 429, {"detail": str(exc)}
    return 200, _check_out(result)


def _redemption_out(outcome: services.RedemptionOutcome) -> dict:
    r = outcome.redemption
    stock = set(outcome.from_stock)
    return {
        "id": r.pk,
        "operator_id": r.operator_id,
        "place_id": r.place_id,
        "service_id": r.service_id,
        "pass_count": r.pass_count,
        "amount_cents": r.amount_cents,
        "created_at": r.created_at,
        "passes": [{"serial": s, "from_stock": s in stock} for s in outcome.serials],
    }


@router.post(
    "/redemptions",
    response={
        201: RedemptionOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: RefusalOut,
        422: RefusalOut,
        429: ErrorOut,
    },
    operation_id="redeem_passes",
    summary="Encaisser des pass",
    description=(
        "Encaisse, tout ou rien, les pass présentés pour un service dans un de vos lieux. Le "
        "nombre de pass doit égaler le prix du service. En-tête `Idempotency-Key` obligatoire : "
        "renvoyer la même requête avec la même clé rend la première réponse (201), sans "
        "encaisser deux fois. Refus : 409 quand un pass est déjà utilisé (ou un encaissement "
        "concurrent), 422 sinon ; `passes` donne le motif (`reason`) de chaque pass. Vous devez "
        "être membre (administrateur ou membre) de `operator_id`, sinon 404 (403 en lecture "
        "seule)."
    ),
)
def redeem_passes(request: HttpRequest, payload: RedemptionIn):
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return 400, {"detail": MISSING_KEY_MESSAGE}
    if len(key) > services.IDEMPOTENCY_KEY_MAX:
        return 400, {
            "detail": f"En-tête « Idempotency-Key » trop long "
            f"({services.IDEMPOTENCY_KEY_MAX} caractères au plus)."
        }
    # One query: the membership (role), the operator and its profile, the place, the service
    # and a redemption already made with this key (see redemption_queries.redemption_context).
    context = redemption_context(
        request.user.pk, payload.operator_id, payload.place_id, payload.service_id, key
    )
    if context.role not in WRITER_ROLES:
        # Not a member (404) or a read-only one (403): the permission helper says so.
        get_writer_membership_or_404(request.user, payload.operator_id)
        raise Http404("Organisation introuvable.")  # only if the membership changed meanwhile
    operator, place, service = context.operator, context.place, context.service
    if place is None or service is None:
        return 422, {
            "detail": "Lieu ou service inconnu.",
            "reason": services.PLACE_NOT_YOURS if place is None else services.SERVICE_NOT_YOURS,
            "passes": [],
        }
    if context.replay_id is not None:  # a retry: the first answer
        return _json_response(
            request, _redemption_out(services.replayed_outcome(context.replay_id)), 201
        )
    try:
        outcome = services.redeem(
            operator=operator,
            place=place,
            service=service,
            items=[(p.serial, p.code) for p in payload.passes],
            idempotency_key=key,
            by=request.user,
            ip=client_ip(request),
            replay_checked=True,
        )
    except services.GuessesThrottled as exc:
        return 429, {"detail": str(exc)}
    except services.RedemptionRefused as exc:
        body = {
            "detail": str(exc),
            "reason": exc.code,
            "passes": [v.as_dict() for v in exc.passes],
        }
        return (409 if exc.is_conflict else 422), body
    # Built here rather than by ninja, which would validate it again against RedemptionOut
    # (the same JSON, documented by the schema above): the hot path of the scanners.
    return _json_response(request, _redemption_out(outcome), 201)


def _json_response(request: HttpRequest, data: dict, status: int) -> HttpResponse:
    from api.api import api  # api.api mounts this router: imported late

    return api.create_response(request, data, status=status)
