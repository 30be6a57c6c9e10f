"""Views: the funder's orders (see ledger/urls.py). Reads in queries.py, writes in services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs.services import JobAlreadyActive
from operators.models import Service
from organisations.models import Organisation
from organisations.queries import get_writer_membership_or_404

from . import queries, services
from .exceptions import LedgerError
from .forms import ActivateForm, OrderForm
from .models import OrderStatus
from .order_tasks import issue_refusal, start_issue_job

ORDERS_PER_PAGE = 25
THEME_LABELS = dict(Service.Theme.choices)


def _current_membership(request: HttpRequest):
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404("Vous n'êtes membre d'aucune organisation.")
    return membership


@login_required
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    """The orders of the organisation the user works for (a funder or an issuer)."""
    membership = _current_membership(request)
    organisation = membership.organisation
    page = None
    counters: dict[int, dict[str, int]] = {}
    if organisation.kind in queries.ORDER_KINDS:
        page = Paginator(queries.orders_of_organisation(organisation), ORDERS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        counters = queries.counters_for_orders(order.pk for order in page)
        for order in page:
            order.counters = counters[order.pk]
    return render(
        request,
        "ledger/orders/list.html",
        {
            "organisation": organisation,
            "membership": membership,
            "page": page,
            "can_create": organisation.kind == Organisation.Kind.FUNDER and membership.can_write,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    membership = _current_membership(request)
    membership = get_writer_membership_or_404(request.user, membership.organisation_id)
    funder = membership.organisation
    if funder.kind != Organisation.Kind.FUNDER:
        raise PermissionDenied("Seul un commanditaire passe des commandes de pass.")
    form = OrderForm(request.POST or None, request.FILES or None, funder=funder)
    if request.method == "POST" and form.is_valid():
        order = services.create_order(
            form.cleaned_data["programme"],
            by=request.user,
            request=request,
            **form.service_kwargs(),
        )
        messages.success(request, f"La commande {order.reference} est créée (brouillon).")
        return redirect("ledger:order_detail", order.pk)
    return render(
        request,
        "ledger/orders/create.html",
        {"organisation": funder, "membership": membership, "form": form},
    )


def _detail(request: HttpRequest, access: queries.OrderAccess, activate_form=None, status=200):
    order = access.order
    counters = queries.order_counters(order)
    job = queries.issue_job(order)
    return render(
        request,
        "ledger/orders/detail.html",
        {
            "order": order,
            "access": access,
            "organisation": order.funder if access.funder_membership else order.issuer,
            "counter_rows": queries.counter_rows(counters),
            "counters": counters,
            "perimeter": order.perimeter.order_by("name"),
            "themes": [THEME_LABELS.get(theme, theme) for theme in order.allowed_themes],
            "job": job if access.can_follow_jobs else None,
            "job_active": job is not None and job.is_active,
            "activate_form": activate_form or ActivateForm(),
            "OrderStatus": OrderStatus,
        },
        status=status,
    )


@login_required
@require_GET
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    return _detail(request, queries.get_order_access_or_404(request.user, order_id))


@login_required
@require_POST
def order_confirm(request: HttpRequest, order_id: int) -> HttpResponse:
    access = queries.get_order_access_or_404(request.user, order_id)
    access.require_write()
    try:
        order = services.confirm_order(access.order, by=request.user, request=request)
    except LedgerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"La commande {order.reference} est confirmée.")
    return redirect("ledger:order_detail", order_id)


@login_required
@require_POST
def order_issue(request: HttpRequest, order_id: int) -> HttpResponse:
    access = queries.get_order_access_or_404(request.user, order_id)
    access.require_issue()
    order = access.order
    # A friendly message up front; the service checks again under lock (the job fails if not).
    refusal = issue_refusal(order)
    if refusal is not None:
        messages.error(request, refusal)
        return redirect("ledger:order_detail", order_id)
    try:
        start_issue_job(order, request.user, request=request)
    except JobAlreadyActive:
        messages.warning(request, "L'émission de cette commande est déjà en cours.")
    else:
        messages.success(
            request, f"L'émission des pass de la commande {order.reference} a démarré."
        )
    return redirect("ledger:order_detail", order_id)


@login_required
@require_http_methods(["GET", "POST"])
def order_activate(request: HttpRequest, order_id: int) -> HttpResponse:
    access = queries.get_order_access_or_404(request.user, order_id)
    if request.method == "GET":
        return redirect("ledger:order_detail", order_id)
    access.require_write()
    form = ActivateForm(request.POST)
    if form.is_valid():
        try:
            order = services.activate_order(
                access.order,
                form.cleaned_data["payment_reference"],
                by=request.user,
                request=request,
            )
        except LedgerError as exc:
            if exc.code != "payment_reference_required":
                messages.error(request, str(exc))
                return redirect("ledger:order_detail", order_id)
            form.add_error("payment_reference", str(exc))
        else:
            messages.success(
                request, f"La commande {order.reference} est activée : les pass sont utilisables."
            )
            return redirect("ledger:order_detail", order_id)
    return _detail(request, access, activate_form=form)


urlpatterns = [
    path("commandes/", orders, name="orders"),
    path("commandes/nouvelle/", order_create, name="order_create"),
    path("commandes/<int:order_id>/", order_detail, name="order_detail"),
    path("commandes/<int:order_id>/confirmer/", order_confirm, name="order_confirm"),
    path("commandes/<int:order_id>/emettre/", order_issue, name="order_issue"),
    path("commandes/<int:order_id>/activer/", order_activate, name="order_activate"),
]
