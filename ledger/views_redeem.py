"""Views: the operators' scan screen (/pass/encaisser/), receipts, and the public check page
(/p/, /p/<serial>.<code>, see public_urls.py). Writes go through ledger.redemption."""

import uuid

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from journal.services import client_ip
from organisations.models import Membership, Organisation, Role
from organisations.queries import get_membership_or_404

from . import redemption as services
from . import redemption_queries as queries
from .codes import clean_serial

WRITER_ROLES = [Role.ADMIN, Role.MEMBER]
SERVICE_WORKER = "js/scan-sw.js"
OPERATOR_ONLY = (
    "L'encaissement des pass est réservé aux opérateurs de médiation numérique : "
    "choisissez une organisation opérateur dans le menu « Vous travaillez pour »."
)


def _operator_membership(request: HttpRequest) -> Membership:
    """The writer membership of the operator the user works for now (404 / 403 otherwise)."""
    raw = request.POST.get("organisation") or request.GET.get("organisation")
    if raw:
        try:
            organisation_id = int(raw)
        except ValueError as exc:
            raise Http404("Organisation introuvable.") from exc
    elif request.membership is not None:
        organisation_id = request.membership.organisation_id
    else:
        raise PermissionDenied(OPERATOR_ONLY)
    membership = get_membership_or_404(request.user, organisation_id, roles=WRITER_ROLES)
    if membership.organisation.kind != Organisation.Kind.OPERATOR:
        raise PermissionDenied(OPERATOR_ONLY)
    return membership


def _items(data, rows: int) -> list[tuple[str, str]]:
    return [(data.get(f"serial_{i}", ""), data.get(f"code_{i}", "")) for i in range(1, rows + 1)]


def _rows(services_list) -> int:
    prices = [s.price_in_passes for s in services_list]
    return min(services.MAX_PASSES, max([1, *prices]))


def _scan_context(membership, *, data=None, checks=None, error="", key=None) -> dict:
    operator = membership.organisation
    places = list(queries.operator_places(operator))
    catalogue = list(queries.operator_services(operator))
    rows = _rows(catalogue)
    data = data or {}
    verdicts = {}
    for check in checks or []:
        verdicts[check.serial] = check
    entries = []
    for i, (serial, code) in enumerate(_items(data, rows), start=1):
        check = verdicts.get(clean_serial(serial)) if serial else None
        entries.append({"index": i, "serial": serial, "code": code, "check": check})
    return {
        "operator": operator,
        "places": places,
        "catalogue": catalogue,
        "entries": entries,
        "selected_place": str(data.get("place", "")),
        "selected_service": str(data.get("service", "")),
        "error": error,
        "checks": checks or [],
        "idempotency_key": key or uuid.uuid4().hex,
        "today": queries.redemptions_of_day(operator)[:10],
    }


@login_required
@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest) -> HttpResponse:
    """Step 1: place, service, passes (camera or typed). Step 2: confirm. Then the receipt."""
    membership = _operator_membership(request)
    operator = membership.organisation
    template = "ledger/redeem/scan.html"
    if request.method == "GET":
        return render(request, template, _scan_context(membership))
    data = request.POST
    place = queries.get_place_or_404(operator, data.get("place"))
    service = queries.get_service_or_404(operator, data.get("service"))
    rows = services.MAX_PASSES
    items = [(s, c) for s, c in _items(data, rows) if s.strip() or c.strip()]
    ip = client_ip(request)
    key = data.get("idempotency_key", "")
    try:
        if data.get("action") == "confirm":
            outcome = services.redeem(
                operator=operator,
                place=place,
                service=service,
                items=items,
                idempotency_key=key,
                by=request.user,
                ip=ip,
            )
            return redirect("ledger:redemption_receipt", outcome.redemption.pk)
        checks = services.verify_for_redemption(
            operator, place, service, items, user_id=request.user.pk, ip=ip
        )
    except services.GuessesThrottled as exc:
        context = _scan_context(membership, data=data, error=str(exc))
        return render(request, template, context, status=429)
    except services.RedemptionRefused as exc:
        context = _scan_context(membership, data=data, checks=exc.passes, error=str(exc))
        return render(request, template, context, status=409 if exc.is_conflict else 422)
    error = ""
    if all(c.ok for c in checks) and len(checks) != service.price_in_passes:
        error = (
            f"Le service « {service.title} » vaut {service.price_in_passes} pass : vous en avez "
            f"présenté {len(checks)}."
        )
    elif not checks:
        error = "Indiquez au moins un pass (numéro et code)."
    if error or not all(c.ok for c in checks):
        error = error or "Un ou plusieurs pass sont refusés : corrigez la liste."
        context = _scan_context(membership, data=data, checks=checks, error=error)
        return render(request, template, context, status=422)
    return render(
        request,
        "ledger/redeem/confirm.html",
        {
            "operator": operator,
            "place": place,
            "service": service,
            "checks": checks,
            "items": [
                {"index": i, "serial": s, "code": c} for i, (s, c) in enumerate(items, start=1)
            ],
            "amount": services.euros(sum(c.value_cents or 0 for c in checks)),
            "from_stock": [c for c in checks if c.from_stock],
            "idempotency_key": key or uuid.uuid4().hex,
        },
    )


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    redemption = queries.get_redemption(pk)
    if redemption is None:
        raise Http404("Encaissement introuvable.")
    membership = get_membership_or_404(request.user, redemption.operator_id)
    total = queries.day_total(redemption.place, timezone.localdate(redemption.created_at))
    lines = list(queries.redemption_lines(redemption))
    return render(
        request,
        "ledger/redeem/receipt.html",
        {
            "operator": membership.organisation,
            "redemption": redemption,
            "lines": [
                {
                    "serial": line.pass_obj.serial,
                    "funder": line.pass_obj.order.funder.name,
                    "amount": services.euros(line.amount_cents),
                    "from_stock": line.pass_obj.redeemed_from_stock,
                }
                for line in lines
            ],
            "amount": services.euros(redemption.amount_cents),
            "total": total,
            "total_amount": services.euros(total.amount_cents),
        },
    )


@login_required
@require_GET
def redeem_ping(request: HttpRequest) -> HttpResponse:
    """A tiny answer the scan screen's script fetches before sending the form: no answer means
    the network is down, and the scan is queued on the device (static/js/scan-offline.js)."""
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def redeem_service_worker(request: HttpRequest) -> HttpResponse:
    """static/js/scan-sw.js served under /pass/encaisser/ so that its scope covers the scan
    screen (a script under /static/ could only control /static/)."""
    found = finders.find(SERVICE_WORKER)
    if not found:
        raise Http404("Script introuvable.")
    with open(found, "rb") as script:
        response = HttpResponse(script.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


# --------------------------------------------------------------------------- public page


def _public_result(request: HttpRequest, serial: str, code: str) -> HttpResponse:
    template = "ledger/redeem/public_check.html"
    context = {"serial": serial, "code": code}
    try:
        result = services.throttled_check(serial, code, ip=client_ip(request), public=True)
    except services.GuessesThrottled as exc:
        context["throttled"] = str(exc)
        return render(request, template, context, status=429)
    context["result"] = result
    if result.ok:
        context["places"] = queries.places_accepting(result.pass_obj.order)
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the code is in the URL
    return response


@require_http_methods(["GET", "POST"])
def public_check_form(request: HttpRequest) -> HttpResponse:
    """/p/: type a serial and a code (no login needed)."""
    if request.method == "POST":
        return _public_result(request, request.POST.get("serial", ""), request.POST.get("code", ""))
    return render(request, "ledger/redeem/public_check.html", {"form_only": True})


@require_GET
def public_check(request: HttpRequest, serial: str, code: str) -> HttpResponse:
    """/p/<serial>.<code>: the page a phone opens from the QR code."""
    return _public_result(request, serial, code)


urlpatterns = [
    path("encaisser/", redeem, name="redeem"),
    path("encaisser/reseau/", redeem_ping, name="redeem_ping"),
    path("encaisser/sw.js", redeem_service_worker, name="redeem_service_worker"),
    path("encaissements/<int:pk>/", receipt, name="redemption_receipt"),
]
