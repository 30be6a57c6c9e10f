"""The « Facturation » pages of a funder or an issuer: its orders with their invoice, statement
of account and credit note; the State co-financing report of a funder's programmes.

Every page loads the organisation through ``queries.billing_membership_or_404`` (a non-member
gets a 404, another kind of organisation a 403) and the order or programme within it (another
organisation's gets a 404). Issuing an invoice or a credit note needs the issuer's finance role
(403 otherwise) and a verified second factor (sent to the verification page otherwise).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from core.exports import FORMATS, table_response
from core.forms_flow import post_action
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Membership, Organisation

from . import pdf, queries, services
from .forms import PeriodForm

ORDERS_PER_PAGE = 25
NOT_ISSUER = "Seul l'émetteur de la commande émet sa facture et son avoir."
NOT_FINANCE = (
    "Émettre une facture ou un avoir demande le rôle finance dans l'organisation émettrice "
    "(à demander à un administrateur)."
)
TWO_FACTOR = "Émettre une facture ou un avoir demande une authentification à deux facteurs."


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return response


def _export_format(fmt: str, allowed=FORMATS) -> str:
    if fmt not in allowed:
        raise Http404("Format d'export inconnu.")
    return fmt


def _downloaded(request, organisation, obj, what: str, fmt: str, **details) -> None:
    record(
        JournalEntry.Action.EXPORT_DOWNLOADED,
        actor=request.user,
        organisation=organisation,
        obj=obj,
        request=request,
        details={"export": what, "format": fmt, **details},
    )


# --- The list ----------------------------------------------------------------------------------


@login_required
@require_GET
def billing(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.billing_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    page = Paginator(queries.orders_for_billing(organisation), ORDERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    statements = queries.statements_for_orders(page.object_list)
    today = _today()
    for order in page:
        order.statement = statements[order.pk]
        order.credit_opens_on = queries.credit_note_opens_on(order)
        order.credit_open = order.credit_opens_on <= today and order.issuer_id is not None
    return render(
        request,
        "invoicing/billing.html",
        {
            "organisation": organisation,
            "membership": membership,
            "page": page,
            "is_issuer": organisation.kind == Organisation.Kind.ISSUER,
            "programmes": queries.programmes_for_cofinancing(organisation),
            "can_issue": organisation.kind == Organisation.Kind.ISSUER
            and queries.is_finance_writer(membership),
        },
    )


@login_required
@require_GET
def billing_export(request: HttpRequest, organisation_id: int, fmt: str) -> HttpResponse:
    fmt = _export_format(fmt)
    membership = queries.billing_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    orders = list(queries.orders_for_billing(organisation))
    _downloaded(request, organisation, organisation, "facturation", fmt, orders=len(orders))
    return table_response(
        fmt,
        f"facturation-{organisation.pk}",
        queries.BILLING_HEADER,
        queries.billing_table(orders),
        sheet_title="Facturation",
    )


# --- One order ---------------------------------------------------------------------------------


def _order_context(request, organisation_id: int, order_id: int):
    membership = queries.billing_membership_or_404(request.user, organisation_id)
    order = queries.get_order_or_404(membership.organisation, order_id)
    return membership, order


@login_required
@require_GET
def order_account(request: HttpRequest, organisation_id: int, order_id: int) -> HttpResponse:
    membership, order = _order_context(request, organisation_id, order_id)
    organisation = membership.organisation
    statement = queries.statement_of(order)
    is_issuer = order.issuer_id == organisation.pk
    return render(
        request,
        "invoicing/order.html",
        {
            "organisation": organisation,
            "membership": membership,
            "order": order,
            "statement": statement,
            "invoice": statement.invoice,
            "credit_note": statement.credit_note,
            "is_issuer": is_issuer,
            "can_issue": is_issuer and queries.is_finance_writer(membership),
            "invoice_refusal": queries.invoice_refusal(order),
            "credit_note_refusal": queries.credit_note_refusal(order),
            "credit_note_opens_on": queries.credit_note_opens_on(order),
            "end_reached": queries.credit_note_opens_on(order) <= _today(),
        },
    )


def _today():
    return timezone.localdate()


@login_required
@require_GET
def statement_export(
    request: HttpRequest, organisation_id: int, order_id: int, fmt: str
) -> HttpResponse:
    fmt = _export_format(fmt)
    membership, order = _order_context(request, organisation_id, order_id)
    statement = queries.statement_of(order)
    _downloaded(request, membership.organisation, order, "relevé de compte", fmt)
    return table_response(
        fmt,
        f"releve-{order.reference}",
        queries.STATEMENT_HEADER,
        queries.statement_table(statement),
        sheet_title="Relevé de compte",
    )


def _require_issuer_finance(request, membership: Membership, order) -> HttpResponse | None:
    """403 unless a finance member of the order's issuer; a redirect to the second factor
    unless verified; None when the user may issue."""
    if order.issuer_id != membership.organisation_id:
        raise PermissionDenied(NOT_ISSUER)
    if not queries.is_finance_writer(membership):
        raise PermissionDenied(NOT_FINANCE)
    if not request.user.is_verified():
        messages.info(request, TWO_FACTOR)
        back = reverse("invoicing:order", args=[membership.organisation_id, order.pk])
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': back})}")
    return None


INVOICE_ISSUED = "Facture {number} émise pour la commande {order}."
NOTE_ISSUED = "Avoir {number} émis pour la commande {order}."


def _issue(
    request: HttpRequest, organisation_id: int, order_id: int, issue, success: str
) -> HttpResponse:
    """Issuing an order's invoice or credit note: ``issue(order)`` by a finance member of the
    issuer, then back to the order with ``success`` (``{number}``, ``{order}``) or the refusal."""
    membership, order = _order_context(request, organisation_id, order_id)
    refusal = _require_issuer_finance(request, membership, order)
    if refusal is not None:
        return refusal
    return post_action(
        request,
        lambda: issue(order, by=request.user, request=request),
        errors=services.InvoicingError,
        success=lambda document: success.format(number=document.number, order=order),
        redirect_to=reverse("invoicing:order", args=[organisation_id, order_id]),
    )


@login_required
@require_POST
def invoice_issue(request: HttpRequest, organisation_id: int, order_id: int) -> HttpResponse:
    return _issue(request, organisation_id, order_id, services.issue_invoice, INVOICE_ISSUED)


@login_required
@require_POST
def credit_note_issue(request: HttpRequest, organisation_id: int, order_id: int) -> HttpResponse:
    return _issue(request, organisation_id, order_id, services.issue_credit_note, NOTE_ISSUED)


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, organisation_id: int, order_id: int) -> HttpResponse:
    membership, order = _order_context(request, organisation_id, order_id)
    invoice = queries.invoice_of(order)
    if invoice is None:
        raise Http404("La facture de cette commande n'est pas encore émise.")
    _downloaded(request, membership.organisation, invoice, "facture", "pdf")
    return _pdf_response(pdf.render_invoice(invoice), f"facture-{invoice.number}")


@login_required
@require_GET
def credit_note_pdf(request: HttpRequest, organisation_id: int, order_id: int) -> HttpResponse:
    membership, order = _order_context(request, organisation_id, order_id)
    note = queries.credit_note_of(order)
    if note is None:
        raise Http404("L'avoir de cette commande n'est pas encore émis.")
    _downloaded(request, membership.organisation, note, "avoir", "pdf")
    return _pdf_response(pdf.render_credit_note(note), f"avoir-{note.number}")


@login_required
@require_GET
def contradictory_pdf(request: HttpRequest, organisation_id: int, order_id: int) -> HttpResponse:
    membership, order = _order_context(request, organisation_id, order_id)
    if queries.credit_note_opens_on(order) > _today():
        raise Http404(
            "L'état contradictoire s'établit à la fin de validité de la commande, "
            f"à partir du {queries.credit_note_opens_on(order):%d/%m/%Y}."
        )
    statement = queries.statement_of(order)
    _downloaded(request, membership.organisation, order, "état contradictoire", "pdf")
    return _pdf_response(
        pdf.render_contradictory_statement(statement), f"etat-contradictoire-{order.reference}"
    )


# --- Co-financing ------------------------------------------------------------------------------


def _cofinancing_context(request, organisation_id: int, programme_id: int):
    membership = queries.billing_membership_or_404(request.user, organisation_id)
    if membership.organisation.kind != Organisation.Kind.FUNDER:
        raise PermissionDenied("Le rapport de cofinancement est celui du commanditaire.")
    programme = queries.get_programme_or_404(membership.organisation, programme_id)
    form = PeriodForm(request.GET or None)
    start = end = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data.get("du"), form.cleaned_data.get("au")
    return membership, programme, form, start, end


@login_required
@require_GET
def cofinancing(request: HttpRequest, organisation_id: int, programme_id: int) -> HttpResponse:
    membership, programme, form, start, end = _cofinancing_context(
        request, organisation_id, programme_id
    )
    valid = not form.is_bound or form.is_valid()
    report = queries.cofinancing_report(programme, start=start, end=end) if valid else None
    return render(
        request,
        "invoicing/cofinancing.html",
        {
            "organisation": membership.organisation,
            "membership": membership,
            "programme": programme,
            "form": form,
            "report": report,
            "query": urlencode({k: v for k, v in request.GET.items() if k in ("du", "au")}),
        },
        status=200 if valid else 400,
    )


@login_required
@require_GET
def cofinancing_export(
    request: HttpRequest, organisation_id: int, programme_id: int, fmt: str
) -> HttpResponse:
    fmt = _export_format(fmt, (*FORMATS, "pdf"))
    membership, programme, form, start, end = _cofinancing_context(
        request, organisation_id, programme_id
    )
    if form.is_bound and not form.is_valid():
        messages.error(request, "La période demandée n'est pas valide : rien n'a été exporté.")
        return redirect("invoicing:cofinancing", organisation_id, programme_id)
    report = queries.cofinancing_report(programme, start=start, end=end)
    record(
        JournalEntry.Action.COFINANCING_REPORT_DOWNLOADED,
        actor=request.user,
        organisation=membership.organisation,
        obj=programme,
        request=request,
        details={
            "format": fmt,
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "passes_used": report.total.used,
            "eligible_cents": report.total.eligible_cents,
        },
    )
    filename = f"cofinancement-etat-programme-{programme.pk}"
    if fmt == "pdf":
        return _pdf_response(pdf.render_cofinancing(report), filename)
    return table_response(
        fmt,
        filename,
        queries.COFINANCING_HEADER,
        queries.cofinancing_table(report),
        sheet_title="Cofinancement",
    )
