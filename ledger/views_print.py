"""Views: printing an order (see ledger/urls.py and ledger/printing.py).

Only the admins of the order's funder or of its issuer see these pages (404 for everyone else,
403 for their other members). The files hold every pass code: each download is journaled."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from jobs.services import JobAlreadyActive

from . import print_tasks, printing


@login_required
@require_GET
def print_page(request: HttpRequest, order_id: int) -> HttpResponse:
    order, membership = printing.order_for_print_admin(request.user, order_id)
    job = print_tasks.latest_job(order)
    ready = print_tasks.latest_file(order) if order.is_issued else None
    return render(
        request,
        "ledger/print/order.html",
        {
            "order": order,
            "membership": membership,
            "organisation": membership.organisation,
            "job": job,
            "job_is_ours": job is not None and job.organisation_id == membership.organisation_id,
            "ready_job": ready[0] if ready else None,
            "ready_size": printing.format_size(ready[0].result["size"]) if ready else "",
            "page_count": printing.page_count(order),
            "pass_count": order.pass_count,
            "face_value": printing.format_euros(order.face_value_cents),
            "total_value": printing.format_euros(order.face_value_total_cents),
        },
    )


@login_required
@require_POST
def print_start(request: HttpRequest, order_id: int) -> HttpResponse:
    order, membership = printing.order_for_print_admin(request.user, order_id)
    try:
        print_tasks.start_print(
            order, user=request.user, organisation=membership.organisation, request=request
        )
    except printing.PrintError as exc:
        messages.error(request, str(exc))
    except JobAlreadyActive:
        messages.warning(request, "L'impression de cette commande est déjà en cours.")
    else:
        messages.success(
            request, f"Impression de la commande {order.reference} lancée : suivez-la ci-dessous."
        )
    return redirect("ledger:print", order.pk)


@login_required
@require_GET
def print_download(request: HttpRequest, order_id: int) -> HttpResponse:
    order, membership = printing.order_for_print_admin(request.user, order_id)
    ready = print_tasks.latest_file(order) if order.is_issued else None
    if ready is None:
        messages.error(
            request, "Aucun fichier d'impression n'est prêt : lancez d'abord l'impression."
        )
        return redirect("ledger:print", order.pk)
    job, path = ready
    printing.record_download(
        order,
        file="pdf",
        organisation=membership.organisation,
        actor=request.user,
        request=request,
        job_id=str(job.pk),
        size=job.result.get("size"),
    )
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 — FileResponse closes it
        as_attachment=True,
        filename=f"pass-{order.reference}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_GET
def variable_data(request: HttpRequest, order_id: int) -> HttpResponse:
    order, membership = printing.order_for_print_admin(request.user, order_id)
    try:
        printing.ensure_printable(order)
    except printing.PrintError as exc:
        messages.error(request, str(exc))
        return redirect("ledger:print", order.pk)
    printing.record_download(
        order,
        file="csv",
        organisation=membership.organisation,
        actor=request.user,
        request=request,
        passes=order.pass_count,
    )
    response = StreamingHttpResponse(
        (line.encode() for line in printing.iter_variable_data_csv(order, bom=True)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="donnees-variables-{order.reference}.csv"'
    )
    return response


urlpatterns = [
    path("commandes/<int:order_id>/impression/", print_page, name="print"),
    path("commandes/<int:order_id>/impression/lancer/", print_start, name="print_start"),
    path("commandes/<int:order_id>/impression/pass.pdf", print_download, name="print_download"),
    path(
        "commandes/<int:order_id>/impression/donnees-variables.csv",
        variable_data,
        name="variable_data",
    ),
]
