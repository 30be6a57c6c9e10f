"""Counter-payment screens. Finance side (the payer: an issuer, or a funder in public accounting):
runs, preparation, detail with reconciliation, validation (four eyes), export, payment, rejects,
statements. Operator side: « Relevés et paiements ».

Finance screens need ``is_finance`` on the payer's membership (else 403; non-members 404); every
write, and the export, also needs a verified second factor (else a redirect to the TOTP page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exports import FORMATS, cents_to_euros, table_response
from core.forms_flow import form_page, post_action
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Membership, Organisation
from organisations.queries import get_membership_or_404

from . import queries, services
from .forms import (
    ExportRunForm,
    MarkPaidForm,
    PayerAccountForm,
    PrepareRunForm,
    RejectLineForm,
)
from .models import LineStatus, RunStatus
from .statements import statement_filename, statement_pdf

RUNS_PER_PAGE = 20
LINES_PER_PAGE = 50
PAYER_KINDS = (Organisation.Kind.ISSUER, Organisation.Kind.FUNDER)


# --------------------------------------------------------------------------- permissions


def finance_membership(request: HttpRequest, organisation_id: int, *, write: bool = False):
    """The user's finance membership of a payer organisation (404 non-member, 403 otherwise)."""
    membership = get_membership_or_404(request.user, organisation_id)
    if membership.organisation.kind not in PAYER_KINDS:
        raise PermissionDenied("Les contre-paiements concernent les émetteurs et commanditaires.")
    if not membership.is_finance:
        raise PermissionDenied("Ces écrans sont réservés au rôle finance de l'organisation.")
    if write and not membership.can_write:
        raise PermissionDenied("Votre rôle en lecture seule ne permet pas cette action.")
    return membership


def needs_second_factor(request: HttpRequest, next_url: str) -> HttpResponse | None:
    if request.user.is_verified():
        return None
    messages.info(
        request,
        "Les actions de contre-paiement demandent une authentification à deux facteurs.",
    )
    return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': next_url})}")


def _run_or_404(membership: Membership, run_id: int):
    run = queries.run_of(membership.organisation, run_id)
    if run is None:
        raise Http404("Campagne introuvable.")
    return run


def _fmt_or_404(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404("Format inconnu.")
    return fmt


def _detail_url(run) -> str:
    return reverse("payments:run_detail", args=[run.payer_id, run.pk])


def _form_page(request: HttpRequest, form, action, **kwargs) -> HttpResponse:
    """``core.forms_flow.form_page``: a refused payment shows on the form."""
    return form_page(
        request, form, action, errors=services.PaymentError, error_on_form=True, **kwargs
    )


def _post_action(request: HttpRequest, action, **kwargs) -> HttpResponse:
    return post_action(request, action, errors=services.PaymentError, **kwargs)


# --------------------------------------------------------------------------- finance: runs


@login_required
@require_GET
def runs(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = finance_membership(request, organisation_id)
    organisation = membership.organisation
    page = Paginator(queries.runs_of(organisation), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/runs.html",
        {
            "organisation": organisation,
            "membership": membership,
            "page": page,
            "programmes": queries.payable_programmes(organisation),
            "debtor": services.current_payer_account(organisation),
        },
    )


RUNS_HEADER = [
    "Référence",
    "Programme",
    "Début de période",
    "Fin de période",
    "État",
    "Nombre de pass",
    "Montant brut (€)",
    "Frais aval (€)",
    "Montant net (€)",
    "Opérateurs bloqués",
    "Préparée par",
    "Validée par",
    "Exportée le",
    "Payée le",
    "Date d'exécution demandée",
]


@login_required
@require_GET
def runs_export(request: HttpRequest, organisation_id: int, fmt: str) -> HttpResponse:
    membership = finance_membership(request, organisation_id)
    fmt = _fmt_or_404(fmt)
    rows = (
        [
            run.reference,
            run.programme.name,
            run.period_start,
            run.period_end,
            run.get_status_display(),
            run.pass_count,
            cents_to_euros(run.gross_cents),
            cents_to_euros(run.fee_cents),
            cents_to_euros(run.net_cents),
            len(run.blocked),
            run.prepared_by.email,
            run.validated_by.email if run.validated_by else "",
            run.exported_at,
            run.paid_on,
            run.execution_date,
        ]
        for run in queries.runs_of(membership.organisation)
    )
    return table_response(fmt, "campagnes-de-contre-paiement", RUNS_HEADER, rows, "Campagnes")


@login_required
@require_http_methods(["GET", "POST"])
def prepare(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = finance_membership(request, organisation_id, write=True)
    organisation = membership.organisation
    gate = needs_second_factor(request, request.path)
    if gate:
        return gate
    programmes = queries.payable_programmes(organisation)
    form = PrepareRunForm(request.POST or None, programmes=programmes)
    return _form_page(
        request,
        form,
        lambda data: services.prepare_run(
            payer=organisation,
            programme=data["programme"],
            period_end=data["period_end"],
            actor=request.user,
            request=request,
        ),
        success=lambda run: (
            f"Campagne {run.reference} préparée : {run.pass_count} pass, "
            f"{len(run.blocked)} opérateur(s) bloqué(s). Un autre membre du rôle finance "
            "doit maintenant la valider."
        ),
        redirect_to=_detail_url,
        template="payments/prepare.html",
        context={"organisation": organisation, "membership": membership},
    )


@login_required
@require_GET
def run_detail(request: HttpRequest, organisation_id: int, run_id: int) -> HttpResponse:
    membership = finance_membership(request, organisation_id)
    run = _run_or_404(membership, run_id)
    page = Paginator(queries.lines_of(run), LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/run_detail.html",
        {
            "organisation": membership.organisation,
            "membership": membership,
            "run": run,
            "page": page,
            "report": queries.reconciliation(run),
            "paid_form": MarkPaidForm(run=run) if run.status == RunStatus.EXPORTED else None,
            "paid_waits_until": (
                run.execution_date
                if run.status == RunStatus.EXPORTED
                and run.execution_date is not None
                and run.execution_date > services.paris_today()
                else None
            ),
            "export_form": (
                ExportRunForm() if run.status == RunStatus.VALIDATED and run.is_sepa else None
            ),
            "four_eyes_blocked": run.prepared_by_id == request.user.pk,
            "debtor": services.current_payer_account(membership.organisation),
            "verified": request.user.is_verified(),
        },
    )


LINES_HEADER = [
    "Opérateur",
    "SIRET",
    "Titulaire du compte",
    "IBAN",
    "BIC",
    "Nombre de pass",
    "Montant brut (€)",
    "Frais aval (€)",
    "Montant net (€)",
    "État",
    "Motif du rejet",
    "Référence du virement",
]


@login_required
@require_GET
def lines_export(request: HttpRequest, organisation_id: int, run_id: int, fmt: str) -> HttpResponse:
    membership = finance_membership(request, organisation_id)
    fmt = _fmt_or_404(fmt)
    run = _run_or_404(membership, run_id)
    rows = (
        [
            line.operator.name,
            line.operator.siret or "",
            line.bank_account.holder,
            line.bank_account.iban,
            line.bank_account.bic,
            line.pass_count,
            cents_to_euros(line.gross_cents),
            cents_to_euros(line.fee_cents),
            cents_to_euros(line.net_cents),
            line.get_status_display(),
            line.rejection_reason,
            line.end_to_end_id,
        ]
        for line in queries.lines_of(run)
    )
    return table_response(fmt, f"lignes-{run.reference}", LINES_HEADER, rows, "Lignes")


BLOCKED_HEADER = ["Opérateur", "Motif", "Nombre de pass", "Montant (€)"]


@login_required
@require_GET
def blocked_export(
    request: HttpRequest, organisation_id: int, run_id: int, fmt: str
) -> HttpResponse:
    membership = finance_membership(request, organisation_id)
    fmt = _fmt_or_404(fmt)
    run = _run_or_404(membership, run_id)
    rows = ([b["name"], b["reason"], b["passes"], cents_to_euros(b["cents"])] for b in run.blocked)
    return table_response(fmt, f"bloques-{run.reference}", BLOCKED_HEADER, rows, "Bloqués")


RECONCILIATION_HEADER = ["Contrôle", "Attendu", "Constaté", "Concordance"]


@login_required
@require_GET
def reconciliation_export(
    request: HttpRequest, organisation_id: int, run_id: int, fmt: str
) -> HttpResponse:
    membership = finance_membership(request, organisation_id)
    fmt = _fmt_or_404(fmt)
    run = _run_or_404(membership, run_id)
    report = queries.reconciliation(run)
    rows = [[label, expected, actual, ok] for label, expected, actual, ok in report.rows]
    labels = tuple(row[0] for row in report.rows)
    rows += [[gap, "", "", False] for gap in report.gaps if not gap.startswith(labels)]
    return table_response(
        fmt, f"rapprochement-{run.reference}", RECONCILIATION_HEADER, rows, "Rapprochement"
    )


def _act(request: HttpRequest, organisation_id: int, run_id: int):
    """Finance write on a run: membership, run and second factor (or the redirect)."""
    membership = finance_membership(request, organisation_id, write=True)
    run = _run_or_404(membership, run_id)
    return membership, run, needs_second_factor(request, _detail_url(run))


VALIDATED = "Campagne {reference} validée : elle peut être exportée."
CANCELLED = "Campagne {reference} annulée : ses pass sont libérés."


def _run_button(
    request: HttpRequest, organisation_id: int, run_id: int, service, success: str
) -> HttpResponse:
    """A button on a run (validate, cancel): ``service(run)``, then back to the run with
    ``success`` (``{reference}``: the run's) or the refusal."""
    _, run, gate = _act(request, organisation_id, run_id)
    if gate:
        return gate
    return _post_action(
        request,
        lambda: service(run, actor=request.user, request=request),
        success=success.format(reference=run.reference),
        redirect_to=_detail_url(run),
    )


@login_required
@require_POST
def run_validate(request: HttpRequest, organisation_id: int, run_id: int) -> HttpResponse:
    return _run_button(request, organisation_id, run_id, services.validate_run, VALIDATED)


@login_required
@require_POST
def run_cancel(request: HttpRequest, organisation_id: int, run_id: int) -> HttpResponse:
    return _run_button(request, organisation_id, run_id, services.cancel_run, CANCELLED)


@login_required
@require_POST
def run_export(request: HttpRequest, organisation_id: int, run_id: int) -> HttpResponse:
    _, run, gate = _act(request, organisation_id, run_id)
    if gate:
        return gate
    execution_date = None
    if run.status == RunStatus.VALIDATED and run.is_sepa:
        # The first export of a SEPA file needs its date; a download again gives the stored file.
        form = ExportRunForm(request.POST)
        if not form.is_valid():
            errors = " ".join(e for errors in form.errors.values() for e in errors)
            messages.error(request, f"{errors} Rien n'a été exporté.")
            return redirect(_detail_url(run))
        execution_date = form.cleaned_data["execution_date"]
    try:
        filename, content = services.export_run(
            run, actor=request.user, execution_date=execution_date, request=request
        )
    except services.PaymentError as exc:
        messages.error(request, str(exc))
        return redirect(_detail_url(run))
    content_type = "application/xml" if filename.endswith(".xml") else "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def run_paid(request: HttpRequest, organisation_id: int, run_id: int) -> HttpResponse:
    _, run, gate = _act(request, organisation_id, run_id)
    if gate:
        return gate
    form = MarkPaidForm(request.POST, run=run)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(_detail_url(run))
    return _post_action(
        request,
        lambda: services.mark_paid(
            run, paid_on=form.cleaned_data["paid_on"], actor=request.user, request=request
        ),
        success=f"Campagne {run.reference} payée : les opérateurs sont prévenus.",
        redirect_to=_detail_url(run),
    )


@login_required
@require_http_methods(["GET", "POST"])
def line_reject(
    request: HttpRequest, organisation_id: int, run_id: int, line_id: int
) -> HttpResponse:
    membership, run, gate = _act(request, organisation_id, run_id)
    if gate:
        return gate
    line = queries.line_of_run(run, line_id)
    if line is None:
        raise Http404("Ligne introuvable.")
    return _form_page(
        request,
        RejectLineForm(request.POST or None),
        lambda data: services.reject_line(
            line, reason=data["reason"], actor=request.user, request=request
        ),
        success=(
            f"Ligne de {line.operator.name} rejetée : ses {line.pass_count} pass "
            "reviendront dans la prochaine campagne."
        ),
        redirect_to=_detail_url(run),
        template="payments/reject.html",
        context={
            "organisation": membership.organisation,
            "membership": membership,
            "run": run,
            "line": line,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def debtor_account(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = finance_membership(request, organisation_id, write=True)
    organisation = membership.organisation
    gate = needs_second_factor(request, request.path)
    if gate:
        return gate
    return _form_page(
        request,
        PayerAccountForm(request.POST or None),
        lambda data: services.set_payer_account(
            organisation,
            name=data["holder"],
            iban=data["iban"],
            bic=data["bic"],
            actor=request.user,
            request=request,
        ),
        success="Compte à débiter enregistré.",
        redirect_to=reverse("payments:runs", args=[organisation.pk]),
        template="payments/debtor_account.html",
        context={
            "organisation": organisation,
            "membership": membership,
            "current": services.current_payer_account(organisation),
        },
    )


# --------------------------------------------------------------------------- statements


def _statement_response(request, line, fmt: str, organisation) -> HttpResponse:
    record(
        JournalEntry.Action.STATEMENT_DOWNLOADED,
        actor=request.user,
        organisation=organisation,
        obj=line,
        request=request,
        details={"reference": line.run.reference, "operator_id": line.operator_id, "format": fmt},
    )
    name = statement_filename(line)
    if fmt == "pdf":
        response = HttpResponse(statement_pdf(line), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    return table_response(
        fmt, name, queries.STATEMENT_HEADER, queries.statement_rows(line), "Relevé"
    )


STATEMENT_FORMATS = ("pdf", *FORMATS)


@login_required
@require_GET
def line_statement(
    request: HttpRequest, organisation_id: int, run_id: int, line_id: int, fmt: str
) -> HttpResponse:
    membership = finance_membership(request, organisation_id)
    if fmt not in STATEMENT_FORMATS:
        raise Http404("Format inconnu.")
    run = _run_or_404(membership, run_id)
    line = queries.line_of_run(run, line_id)
    if line is None:
        raise Http404("Ligne introuvable.")
    line.run = run
    return _statement_response(request, line, fmt, membership.organisation)


def _operator_membership(request: HttpRequest, organisation_id: int) -> Membership:
    membership = get_membership_or_404(request.user, organisation_id)
    if membership.organisation.kind != Organisation.Kind.OPERATOR:
        raise PermissionDenied("Cette page concerne les opérateurs.")
    return membership


@login_required
@require_GET
def operator_statements(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = _operator_membership(request, organisation_id)
    operator = membership.organisation
    page = Paginator(queries.operator_lines(operator), RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "payments/operator_statements.html",
        {
            "organisation": operator,
            "membership": membership,
            "page": page,
            "pending": queries.pending_for_operator(operator),
        },
    )


OPERATOR_HEADER = [
    "Campagne",
    "Payeur",
    "Programme",
    "Début de période",
    "Fin de période",
    "Nombre de pass",
    "Montant brut (€)",
    "Frais aval (€)",
    "Montant net (€)",
    "État",
    "Payée le",
    "Référence du virement",
    "Date d'exécution demandée",
]


@login_required
@require_GET
def operator_statements_export(
    request: HttpRequest, organisation_id: int, fmt: str
) -> HttpResponse:
    membership = _operator_membership(request, organisation_id)
    fmt = _fmt_or_404(fmt)
    rows = (
        [
            line.run.reference,
            line.run.payer.name,
            line.run.programme.name,
            line.run.period_start,
            line.run.period_end,
            line.pass_count,
            cents_to_euros(line.gross_cents),
            cents_to_euros(line.fee_cents),
            cents_to_euros(line.net_cents),
            line.get_status_display(),
            line.run.paid_on if line.status == LineStatus.PAID else None,
            line.end_to_end_id,
            line.run.execution_date,
        ]
        for line in queries.operator_lines(membership.organisation)
    )
    return table_response(fmt, "releves-et-paiements", OPERATOR_HEADER, rows, "Paiements")


@login_required
@require_GET
def operator_statement(
    request: HttpRequest, organisation_id: int, line_id: int, fmt: str
) -> HttpResponse:
    membership = _operator_membership(request, organisation_id)
    if fmt not in STATEMENT_FORMATS:
        raise Http404("Format inconnu.")
    line = queries.operator_line(membership.organisation, line_id)
    if line is None:
        raise Http404("Relevé introuvable.")
    return _statement_response(request, line, fmt, membership.organisation)
