"""Views: operator onboarding (sign-up, profile, bank details, documents, questionnaire) and the
reviewers' queue of applications (see operators/urls.py). Thin: reads in queries, writes in
services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from organisations.middleware import SESSION_KEY
from organisations.models import Organisation, Role
from organisations.queries import get_membership_or_404

from . import queries, services, sirene
from .forms import (
    QUESTIONS,
    BankAccountForm,
    DecisionForm,
    DocumentForm,
    OperatorIdentityForm,
    QuestionnaireForm,
    clean_siret_value,
)
from .models import OperatorDocument, Place, Qualification
from .places import PLACE_TRANSITIONS, PlaceError, decide_place

QUEUE_PAGE_SIZE = 25


def _lookup_into(form: OperatorIdentityForm, request: HttpRequest) -> OperatorIdentityForm:
    """« Rechercher »: pre-fill the form from the company register; nothing is saved."""
    data = request.POST.copy()
    try:
        siret = clean_siret_value(
            data.get("siret", ""),
            exclude_pk=form.organisation.pk if form.organisation else None,
        )
    except ValidationError as exc:
        new = OperatorIdentityForm(initial=data.dict(), organisation=form.organisation)
        new.siret_error = exc.messages[0]
        messages.error(request, f"Recherche impossible : {exc.messages[0]}")
        return new
    try:
        info = sirene.lookup(siret)
    except sirene.CompanySearchError as exc:
        messages.error(request, str(exc))
        info = None
    else:
        if info is None:
            messages.warning(
                request,
                "Ce SIRET est introuvable dans le répertoire des entreprises : saisissez les "
                "informations vous-même.",
            )
    if info is not None:
        data["siret"] = info.siret
        data["name"] = info.name
        data["address"] = info.address
        data["postal_code"] = info.postal_code
        data["city"] = info.city
        data["legal_category"] = info.legal_category
        if info.representatives and not data.get("legal_representative_name"):
            data["legal_representative_name"] = info.representatives[0].name
            data["legal_representative_role"] = info.representatives[0].role
        messages.success(
            request,
            f"Informations trouvées pour « {info.name} » : vérifiez-les puis enregistrez.",
        )
        if not info.is_active:
            messages.warning(request, "Attention : cet établissement est fermé.")
    return OperatorIdentityForm(initial=data.dict(), organisation=form.organisation)


@login_required
def signup(request: HttpRequest) -> HttpResponse:
    """A logged-in user signs a new operator up and becomes its administrator."""
    form = OperatorIdentityForm(data=request.POST or None)
    status = 200
    if request.method == "POST":
        if "lookup" in request.POST:
            form = _lookup_into(form, request)
        elif form.is_valid():
            try:
                operator = services.create_operator(
                    form.cleaned_data, by=request.user, request=request
                )
            except services.SiretTaken as exc:
                form.add_error("siret", str(exc))
                return render(
                    request, "operators/onboarding/signup.html", {"form": form}, status=400
                )
            request.session[SESSION_KEY] = operator.pk
            messages.success(
                request,
                "Votre structure est inscrite. Complétez maintenant votre dossier : coordonnées "
                "bancaires, pièces justificatives et questionnaire.",
            )
            return redirect("operators:profile", operator.pk)
        else:
            status = 400
    return render(request, "operators/onboarding/signup.html", {"form": form}, status=status)


def _profile_context(request: HttpRequest, membership, document_form=None) -> dict:
    operator = membership.organisation
    application = queries.profile_of(operator)
    answers = application.questionnaire if application else {}
    return {
        "organisation": operator,
        "membership": membership,
        "application": application,
        "missing": queries.missing_items(operator, application),
        "answers": [(label, answers.get(key)) for key, label, _ in QUESTIONS],
        "documents": queries.documents_of(operator) if membership.is_admin else None,
        "bank": (
            queries.current_bank_account(operator)
            if queries.can_see_bank_details(request.user, operator)
            else None
        ),
        "document_form": (document_form or DocumentForm()) if membership.is_admin else None,
    }


@login_required
def profile(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.operator_membership_or_404(request.user, organisation_id)
    return render(
        request, "operators/onboarding/profile.html", _profile_context(request, membership)
    )


@login_required
def identity(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.operator_membership_or_404(request.user, organisation_id, [Role.ADMIN])
    operator = membership.organisation
    application = queries.profile_of(operator)
    initial = {
        "siret": operator.siret or "",
        "name": operator.name,
        "legal_category": operator.legal_category,
        "address": operator.address,
        "postal_code": operator.postal_code,
        "city": operator.city,
        "email": operator.email,
        "phone": operator.phone,
        "legal_representative_name": application.legal_representative_name if application else "",
        "legal_representative_role": application.legal_representative_role if application else "",
    }
    form = OperatorIdentityForm(data=request.POST or None, initial=initial, organisation=operator)
    status = 200
    if request.method == "POST":
        if "lookup" in request.POST:
            form = _lookup_into(form, request)
        elif form.is_valid():
            try:
                services.update_identity(
                    operator, form.cleaned_data, by=request.user, request=request
                )
            except services.SiretTaken as exc:
                form.add_error("siret", str(exc))
                status = 400
            else:
                messages.success(request, "L'identité de la structure est enregistrée.")
                return redirect("operators:profile", operator.pk)
        else:
            status = 400
    return render(
        request,
        "operators/onboarding/identity.html",
        {"form": form, "organisation": operator, "membership": membership},
        status=status,
    )


@login_required
def questionnaire(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.operator_membership_or_404(request.user, organisation_id, [Role.ADMIN])
    operator = membership.organisation
    application = queries.profile_of(operator)
    form = QuestionnaireForm(
        data=request.POST or None, initial=application.questionnaire if application else None
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.save_questionnaire(operator, form.answers(), by=request.user, request=request)
            messages.success(request, "Vos réponses au questionnaire sont enregistrées.")
            return redirect("operators:profile", operator.pk)
        status = 400
    return render(
        request,
        "operators/onboarding/questionnaire.html",
        {"form": form, "organisation": operator, "membership": membership},
        status=status,
    )


@login_required
def bank(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """Bank details: a change of existing details needs two-factor authentication."""
    membership = queries.operator_membership_or_404(request.user, organisation_id, [Role.ADMIN])
    operator = membership.organisation
    current = queries.current_bank_account(operator)
    application = queries.profile_of(operator)
    if queries.bank_change_needs_2fa(operator, application) and not request.user.is_verified():
        messages.info(
            request,
            "Modifier des coordonnées bancaires demande une authentification à deux facteurs.",
        )
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': request.path})}")
    form = BankAccountForm(data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            account = services.change_bank_account(
                operator,
                holder=form.cleaned_data["holder"],
                iban=form.cleaned_data["iban"],
                bic=form.cleaned_data["bic"],
                by=request.user,
                request=request,
            )
            if account.sent_back_to_review:
                messages.warning(
                    request,
                    "Coordonnées bancaires enregistrées. Votre qualification repasse en examen "
                    "le temps que l'émetteur les vérifie.",
                )
            else:
                messages.success(request, "Coordonnées bancaires enregistrées.")
            return redirect("operators:profile", operator.pk)
        status = 400
    return render(
        request,
        "operators/onboarding/bank.html",
        {
            "form": form,
            "organisation": operator,
            "membership": membership,
            "current": current,
            "history": queries.bank_history(operator)[:20],
        },
        status=status,
    )


@login_required
@require_POST
def document_upload(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.operator_membership_or_404(request.user, organisation_id, [Role.ADMIN])
    operator = membership.organisation
    form = DocumentForm(data=request.POST, files=request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        services.add_document(
            operator,
            kind=form.cleaned_data["kind"],
            upload=upload,
            content_type=upload.checked_content_type,
            by=request.user,
            request=request,
        )
        messages.success(request, "La pièce est déposée.")
        return redirect("operators:profile", operator.pk)
    return render(
        request,
        "operators/onboarding/profile.html",
        _profile_context(request, membership, document_form=form),
        status=400,
    )


@login_required
def document_download(request: HttpRequest, organisation_id: int, document_id: int) -> HttpResponse:
    """A document, as an attachment: to the operator's admins, or to an issuer's/funder's admins
    (``organisation_id`` is the organisation the user acts for)."""
    membership = get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    documents = OperatorDocument.objects.all()
    if organisation.kind == Organisation.Kind.OPERATOR:
        queries.operator_membership_or_404(request.user, organisation_id, [Role.ADMIN])
        documents = documents.filter(operator=organisation)
    else:
        queries.reviewer_membership_or_404(request.user, organisation_id)
    document = documents.filter(pk=document_id).first()
    if document is None:
        raise Http404("Pièce introuvable.")
    extension = document.file.name.rsplit(".", 1)[-1]
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{document.kind.lower()}-{document.operator_id}-{document.pk}.{extension}",
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def queue(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """The reviewers' queue of applications, with filters."""
    membership = queries.reviewer_membership_or_404(request.user, organisation_id)
    status = request.GET.get("statut", "")
    search = request.GET.get("q", "")[:100]
    page = Paginator(
        queries.application_queue(status=status, search=search), QUEUE_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    filters = urlencode({k: v for k, v in (("statut", status), ("q", search)) if v})
    return render(
        request,
        "operators/onboarding/queue.html",
        {
            "organisation": membership.organisation,
            "membership": membership,
            "page": page,
            "status": status,
            "search": search,
            "statuses": Qualification.choices,
            "filters": filters,
        },
    )


@login_required
def application(request: HttpRequest, organisation_id: int, profile_id: int) -> HttpResponse:
    """One application, seen by a reviewer, with the decision form."""
    membership = queries.reviewer_membership_or_404(request.user, organisation_id)
    application = queries.application_or_404(profile_id)
    operator = application.organisation
    form = DecisionForm(data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.decide(
                    application,
                    form.cleaned_data["action"],
                    by=request.user,
                    reviewer=membership.organisation,
                    reason=form.cleaned_data["reason"],
                    reference_number=form.cleaned_data["reference_number"],
                    request=request,
                )
            except services.QualificationError as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(request, "La décision est enregistrée.")
                return redirect("operators:application", organisation_id, profile_id)
        else:
            status = 400
    answers = application.questionnaire or {}
    return render(
        request,
        "operators/onboarding/application.html",
        {
            "organisation": membership.organisation,
            "membership": membership,
            "application": application,
            "operator": operator,
            "missing": queries.missing_items(operator, application),
            "answers": [(label, answers.get(key)) for key, label, _ in QUESTIONS],
            "documents": queries.documents_of(operator),
            "bank": queries.current_bank_account(operator),
            "bank_history": queries.bank_history(operator)[:10],
            "form": form,
            "allowed": [
                label
                for action, label in DecisionForm.ACTIONS
                if application.qualification in services.TRANSITIONS[action].sources
            ],
            "places": [
                (
                    place,
                    [
                        (action, label)
                        for action, (sources, _target, label) in PLACE_TRANSITIONS.items()
                        if place.qualification in sources
                    ],
                )
                for place in operator.places.select_related("commune").order_by("name")
            ],
        },
        status=status,
    )


@login_required
@require_POST
def place_decision(
    request: HttpRequest, organisation_id: int, profile_id: int, place_id: int
) -> HttpResponse:
    """A reviewer qualifies (or refuses, suspends…) one place of the operator: each place has
    its own qualification."""
    membership = queries.reviewer_membership_or_404(request.user, organisation_id)
    application = queries.application_or_404(profile_id)
    place = get_object_or_404(Place, pk=place_id, operator_id=application.organisation_id)
    try:
        decide_place(
            place.pk,
            request.POST.get("action", ""),
            by=request.user,
            reviewer=membership.organisation,
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except PlaceError as exc:
        messages.error(request, " ".join(str(m) for m in exc.errors.values()))
    else:
        messages.success(request, f"La décision sur le lieu « {place.name} » est enregistrée.")
    return redirect("operators:application", organisation_id, profile_id)


urlpatterns = [
    path("inscription/", signup, name="signup"),
    path("<int:organisation_id>/dossier/", profile, name="profile"),
    path("<int:organisation_id>/dossier/identite/", identity, name="identity"),
    path("<int:organisation_id>/dossier/questionnaire/", questionnaire, name="questionnaire"),
    path("<int:organisation_id>/dossier/banque/", bank, name="bank"),
    path("<int:organisation_id>/dossier/pieces/", document_upload, name="document_upload"),
    path(
        "<int:organisation_id>/pieces/<int:document_id>/",
        document_download,
        name="document_download",
    ),
    path("<int:organisation_id>/candidatures/", queue, name="queue"),
    path("<int:organisation_id>/candidatures/<int:profile_id>/", application, name="application"),
    path(
        "<int:organisation_id>/candidatures/<int:profile_id>/lieux/<int:place_id>/",
        place_decision,
        name="place_decision",
    ),
]
