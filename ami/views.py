"""AMI pages (thin views): calls for the funder, the application for the commune, the documents,
the receipt and the hub's opinion. Every URL carries the organisation the user acts for
(``org_id``); a non-member gets 404, a member of an organisation that may not see the object
gets 404, a member with the wrong role gets 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from organisations.models import Organisation
from organisations.queries import get_admin_membership_or_404, get_membership_or_404

from . import queries, services
from .forms import ApplicationForm, CallForm, DocumentForm, HubOpinionForm
from .models import Application, ApplicationStatus, RequiredDocument
from .receipt import render_receipt

Kind = Organisation.Kind
PAGE_SIZE = 20


def _refusal(request: HttpRequest, exc: services.AmiRefused) -> None:
    text = exc.message
    if exc.messages:
        text += " " + " ; ".join(exc.messages) + "."
    messages.error(request, text)


def _ami_membership(user, org_id: int):
    membership = get_membership_or_404(user, org_id)
    if membership.organisation.kind not in queries.AMI_KINDS:
        raise Http404("Les appels à manifestation d'intérêt ne concernent pas cette organisation.")
    return membership


def _require_writer(membership) -> None:
    if not membership.can_write:
        raise PermissionDenied("Votre rôle (lecture seule) ne permet pas cette action.")


# --- Calls ------------------------------------------------------------------------------------


@login_required
def call_list(request: HttpRequest, org_id: int) -> HttpResponse:
    membership = _ami_membership(request.user, org_id)
    organisation = membership.organisation
    calls = queries.calls_for_organisation(organisation).order_by("-deadline", "pk")
    page = Paginator(calls, PAGE_SIZE).get_page(request.GET.get("page"))
    own = (
        queries.applications_of_municipality(organisation)
        if organisation.kind == Kind.MUNICIPALITY
        else {}
    )
    rows = [
        {
            "call": call,
            "application": own.get(call.pk),
            "is_open": queries.is_open(call),
            "deadline": queries.format_paris(call.deadline),
        }
        for call in page
    ]
    return render(
        request,
        "ami/call_list.html",
        {
            "organisation": organisation,
            "membership": membership,
            "page": page,
            "rows": rows,
            "can_create": organisation.kind == Kind.FUNDER
            and membership.is_admin
            and organisation.programmes.exists(),
        },
    )


def _funder_admin(user, org_id: int):
    membership = get_admin_membership_or_404(user, org_id)
    if membership.organisation.kind != Kind.FUNDER:
        raise Http404("Seul un commanditaire gère des appels.")
    return membership


def _call_initial(programme) -> dict:
    return {
        "programme": programme,
        "hub": programme.hub if programme else None,
        "contact_email": programme.funder.email if programme else "",
        "eligible_communes": services.default_eligible_communes(programme) if programme else [],
        "excluded_communes": services.default_excluded_communes(programme) if programme else [],
        "required_documents": services.documents_text(
            (label, help_text, True) for label, help_text in services.DEFAULT_REQUIRED_DOCUMENTS
        ),
        "criteria": "\n".join(services.DEFAULT_CRITERIA),
        "max_document_megabytes": 10,
    }


@login_required
@require_http_methods(["GET", "POST"])
def call_create(request: HttpRequest, org_id: int) -> HttpResponse:
    membership = _funder_admin(request.user, org_id)
    funder = membership.organisation
    programmes = funder.programmes.order_by("-starts_on", "name")
    chosen = programmes.filter(pk=request.GET.get("programme") or 0).first() or programmes.first()
    if chosen is None:
        messages.error(request, "Créez d'abord un programme : un appel appartient à un programme.")
        return redirect("ami:calls", org_id=funder.pk)
    form = CallForm(request.POST or None, funder=funder, initial=_call_initial(chosen))
    if request.method == "POST" and form.is_valid():
        try:
            call = services.save_call(
                form.cleaned_data["programme"], form.call_data(), by=request.user, request=request
            )
        except services.AmiRefused as exc:
            _refusal(request, exc)
        else:
            messages.success(request, "Appel enregistré. Relisez-le, puis publiez-le.")
            return redirect("ami:call", org_id=funder.pk, call_id=call.pk)
    return render(
        request,
        "ami/call_form.html",
        {"organisation": funder, "membership": membership, "form": form, "call": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, org_id: int, call_id: int) -> HttpResponse:
    membership = _funder_admin(request.user, org_id)
    funder = membership.organisation
    call = queries.call_of_organisation(funder, call_id)
    if call is None:
        raise Http404("Appel introuvable.")
    documents = [(d.label, d.help_text, d.is_mandatory) for d in queries.required_documents(call)]
    initial = {
        "title": call.title,
        "body": call.body,
        "opens_at": call.opens_at,
        "deadline": call.deadline,
        "contact_email": call.contact_email,
        "hub": call.hub,
        "eligible_communes": list(call.eligible_communes.order_by("insee_code")),
        "excluded_communes": list(call.excluded_communes.order_by("insee_code")),
        "required_documents": services.documents_text(documents),
        "criteria": "\n".join(c.label for c in call.criteria.order_by("position", "pk")),
        "max_document_megabytes": max(1, call.max_document_bytes // (1024 * 1024)),
    }
    form = CallForm(request.POST or None, funder=funder, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_call(
                call.programme, form.call_data(), by=request.user, call=call, request=request
            )
        except services.AmiRefused as exc:
            _refusal(request, exc)
        else:
            messages.success(request, "Appel modifié.")
            return redirect("ami:call", org_id=funder.pk, call_id=call.pk)
    return render(
        request,
        "ami/call_form.html",
        {
            "organisation": funder,
            "membership": membership,
            "form": form,
            "call": call,
            "lists_frozen": call.applications.exists(),
        },
    )


@login_required
@require_POST
def call_publish(request: HttpRequest, org_id: int, call_id: int) -> HttpResponse:
    membership = _funder_admin(request.user, org_id)
    call = queries.call_of_organisation(membership.organisation, call_id)
    if call is None:
        raise Http404("Appel introuvable.")
    publish = request.POST.get("publier") == "1"
    try:
        services.set_published(call, publish, by=request.user, request=request)
    except services.AmiRefused as exc:
        _refusal(request, exc)
    else:
        messages.success(
            request,
            "Appel publié : les communes éligibles peuvent le lire et candidater."
            if publish
            else "Appel retiré de la publication.",
        )
    return redirect("ami:call", org_id=org_id, call_id=call_id)


@login_required
def call_detail(request: HttpRequest, org_id: int, call_id: int) -> HttpResponse:
    call, membership = queries.get_call_for_member_or_404(request.user, call_id, org_id)
    organisation = membership.organisation
    context = {
        "organisation": organisation,
        "membership": membership,
        "call": call,
        "documents": queries.required_documents(call),
        "criteria": call.criteria.order_by("position", "pk"),
        "opens_at": queries.format_paris(call.opens_at),
        "deadline": queries.format_paris(call.deadline),
        "is_open": queries.is_open(call),
        "time_left": queries.time_left_message(call, with_deadline=False)
        if queries.is_open(call)
        else "",
        "communes": queries.communes_summary(call),
    }
    if organisation.kind == Kind.FUNDER:
        context["counts"] = queries.status_counts(call)
        context["page"] = Paginator(queries.applications_for_funder(call), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    elif organisation.kind == Kind.HUB:
        context["page"] = Paginator(queries.applications_for_hub(call), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    else:
        context["application"] = queries.application_of_municipality(call, organisation)
        context["refusal"] = queries.eligibility_refusal(call, organisation)
        context["not_yet_open"] = call.is_published and timezone.now() < call.opens_at
    return render(request, "ami/call_detail.html", context)


# --- Application ------------------------------------------------------------------------------


@login_required
@require_POST
def application_start(request: HttpRequest, org_id: int, call_id: int) -> HttpResponse:
    call, membership = queries.get_call_for_member_or_404(request.user, call_id, org_id)
    if membership.organisation.kind != Kind.MUNICIPALITY:
        raise PermissionDenied("Seule une collectivité candidate.")
    _require_writer(membership)
    try:
        application = services.create_application(
            call, membership.organisation, by=request.user, request=request
        )
    except services.AmiRefused as exc:
        _refusal(request, exc)
        return redirect("ami:call", org_id=org_id, call_id=call.pk)
    messages.success(request, "Candidature créée (brouillon). Remplissez le dossier.")
    return redirect("ami:application", org_id=org_id, application_id=application.pk)


def _commune_writer_application(request, org_id: int, application_id: int):
    application, membership = queries.get_application_for_member_or_404(
        request.user, org_id, application_id
    )
    if membership.organisation.kind != Kind.MUNICIPALITY:
        raise PermissionDenied("Seule la commune candidate modifie sa candidature.")
    _require_writer(membership)
    return application, membership


@login_required
def application_detail(request: HttpRequest, org_id: int, application_id: int) -> HttpResponse:
    application, membership = queries.get_application_for_member_or_404(
        request.user, org_id, application_id
    )
    organisation = membership.organisation
    is_commune = organisation.kind == Kind.MUNICIPALITY
    is_draft = application.status == ApplicationStatus.DRAFT
    can_edit = is_commune and is_draft and membership.can_write
    opinion = (
        queries.hub_opinion_of(application)
        if queries.can_see_hub_opinion(membership, application)
        else None
    )
    sections = [
        {
            "label": _label(name),
            "value": getattr(application, name),
            "display": _display(application, name),
        }
        for name in services.SECTION_FIELDS
    ]
    return render(
        request,
        "ami/application_detail.html",
        {
            "organisation": organisation,
            "membership": membership,
            "application": application,
            "call": application.call,
            "is_commune": is_commune,
            "is_draft": is_draft,
            "can_edit": can_edit,
            "rows": queries.documents_by_requirement(application),
            "missing": queries.missing_items(application) if is_draft else [],
            "time_left": queries.time_left_message(application.call) if is_draft else "",
            "deadline_passed": timezone.now() >= application.call.deadline,
            "deadline": queries.format_paris(application.call.deadline),
            "submitted_at": queries.format_paris(application.submitted_at)
            if application.submitted_at
            else "",
            "receipt_number": queries.receipt_number(application)
            if application.submitted_at
            else "",
            "sections": sections,
            "opinion": opinion,
            "can_give_opinion": organisation.kind == Kind.HUB
            and membership.can_write
            and application.status == ApplicationStatus.SUBMITTED,
            "max_size": services._megabytes(application.call.max_document_bytes),
            "upload_form": DocumentForm(),
        },
    )


def _label(name: str) -> str:
    label = str(Application._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _display(application, name: str) -> str:
    value = getattr(application, name)
    if value is None or value == "":
        return ""
    if value is True:
        return "Oui"
    if value is False:
        return "Non"
    return str(value)


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, org_id: int, application_id: int) -> HttpResponse:
    application, membership = _commune_writer_application(request, org_id, application_id)
    if application.status != ApplicationStatus.DRAFT:
        messages.error(request, "La candidature est déposée : elle n'est plus modifiable.")
        return redirect("ami:application", org_id=org_id, application_id=application.pk)
    form = ApplicationForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.SECTION_FIELDS}
        application.refresh_from_db()
        try:
            services.update_sections(application, values, by=request.user, request=request)
        except services.AmiRefused as exc:
            _refusal(request, exc)
        else:
            messages.success(request, "Dossier enregistré.")
        return redirect("ami:application", org_id=org_id, application_id=application.pk)
    return render(
        request,
        "ami/application_form.html",
        {
            "organisation": membership.organisation,
            "membership": membership,
            "application": application,
            "call": application.call,
            "form": form,
            "time_left": queries.time_left_message(application.call),
        },
    )


@login_required
@require_POST
def document_upload(
    request: HttpRequest, org_id: int, application_id: int, required_id: int
) -> HttpResponse:
    application, membership = _commune_writer_application(request, org_id, application_id)
    required = RequiredDocument.objects.filter(call=application.call, pk=required_id).first()
    if required is None:
        raise Http404("Pièce introuvable.")
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, f"{required.label} : " + " ".join(form.errors["file"]))
    else:
        try:
            services.add_document(
                application, required, form.cleaned_data["file"], by=request.user, request=request
            )
        except services.AmiRefused as exc:
            messages.error(request, f"{required.label} : {exc.message}")
        else:
            messages.success(request, f"{required.label} : pièce déposée.")
    return redirect("ami:application", org_id=org_id, application_id=application.pk)


@login_required
@require_POST
def document_remove(
    request: HttpRequest, org_id: int, application_id: int, document_id: int
) -> HttpResponse:
    application, _ = _commune_writer_application(request, org_id, application_id)
    try:
        services.remove_document(application, document_id, by=request.user, request=request)
    except services.AmiRefused as exc:
        _refusal(request, exc)
    else:
        messages.success(request, "Pièce retirée.")
    return redirect("ami:application", org_id=org_id, application_id=application.pk)


@login_required
def document_download(
    request: HttpRequest, org_id: int, application_id: int, document_id: int
) -> HttpResponse:
    application, membership = queries.get_application_for_member_or_404(
        request.user, org_id, application_id
    )
    document = next((d for d in application.documents.all() if d.pk == document_id), None)
    if document is None:
        raise Http404("Pièce introuvable.")
    services.record_download(
        document, by=request.user, organisation=membership.organisation, request=request
    )
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=(
            f"candidature-{application.commune_id}-piece-"
            f"{document.required_document.position}-{document.pk}.pdf"
        ),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def application_submit(request: HttpRequest, org_id: int, application_id: int) -> HttpResponse:
    application, _ = _commune_writer_application(request, org_id, application_id)
    try:
        application = services.submit_application(application, by=request.user, request=request)
    except services.AmiRefused as exc:
        _refusal(request, exc)
    else:
        messages.success(
            request,
            f"Candidature déposée le {queries.format_paris(application.submitted_at)}. "
            "Un accusé de réception a été envoyé par e-mail.",
        )
    return redirect("ami:application", org_id=org_id, application_id=application.pk)


@login_required
def receipt_pdf(request: HttpRequest, org_id: int, application_id: int) -> HttpResponse:
    application, _ = queries.get_application_for_member_or_404(request.user, org_id, application_id)
    if application.submitted_at is None:
        raise Http404("La candidature n'est pas déposée : il n'y a pas d'accusé de réception.")
    response = HttpResponse(render_receipt(application), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="accuse-reception-{queries.receipt_number(application)}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Hub opinion ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def hub_opinion(request: HttpRequest, org_id: int, application_id: int) -> HttpResponse:
    application, membership = queries.get_application_for_member_or_404(
        request.user, org_id, application_id
    )
    if membership.organisation.kind != Kind.HUB:
        raise PermissionDenied("Seul le hub de l'appel rend un avis.")
    _require_writer(membership)
    existing = queries.hub_opinion_of(application)
    form = HubOpinionForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        try:
            services.give_hub_opinion(
                application,
                membership.organisation,
                verdict=form.cleaned_data["verdict"],
                text=form.cleaned_data["text"],
                by=request.user,
                request=request,
            )
        except services.AmiRefused as exc:
            _refusal(request, exc)
        else:
            messages.success(request, "Avis enregistré. Il est transmis au comité d'examen.")
            return redirect("ami:application", org_id=org_id, application_id=application.pk)
    return render(
        request,
        "ami/hub_opinion.html",
        {
            "organisation": membership.organisation,
            "membership": membership,
            "application": application,
            "call": application.call,
            "form": form,
            "existing": existing,
        },
    )
