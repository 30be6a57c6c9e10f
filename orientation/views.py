"""Orientation pages: the letter, the places search, the facilitators' page (public), the
public listing of a structure, the follow-up and the import of past hand-outs. Thin views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from directory import queries as directory_queries
from directory.forms import DirectorySearchForm
from organisations.models import Organisation, Role
from organisations.queries import get_admin_membership_or_404, get_membership_or_404

from . import queries, services
from .forms import FacilitatorSearchForm, ImportForm, ListingForm
from .letter import LetterContent, render_letter

PAGE_SIZE = 20
MAX_DAYS = 3650


def _prescriber(membership) -> Organisation:
    organisation = membership.organisation
    if organisation.kind != Organisation.Kind.PRESCRIBER:
        raise Http404("Cette page concerne les structures prescriptrices.")
    return organisation


def _query_string(request: HttpRequest, drop: str = "page") -> str:
    query = request.GET.copy()
    query.pop(drop, None)
    return query.urlencode()


@login_required
def letter_pdf(request: HttpRequest, org_id: int, beneficiary_id: int) -> HttpResponse:
    organisation = _prescriber(get_membership_or_404(request.user, org_id))
    beneficiary = queries.beneficiary_of(organisation, beneficiary_id)
    if beneficiary is None:
        raise Http404("Bénéficiaire introuvable.")
    needs = queries.needs_of(beneficiary)
    content = LetterContent(
        beneficiary=beneficiary,
        needs=needs,
        prescriber=organisation,
        unused_passes=queries.unused_pass_count(beneficiary),
        valid_until=queries.valid_until_of(beneficiary),
        places=queries.suggested_places(queries.commune_of(beneficiary), needs),
    )
    response = HttpResponse(render_letter(content), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="lettre-orientation-{beneficiary.reference}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def places_search(request: HttpRequest, org_id: int) -> HttpResponse:
    membership = get_membership_or_404(request.user, org_id)
    organisation = _prescriber(membership)
    form = DirectorySearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        places = directory_queries.qualified_places().none()
    else:
        filters = form.filters() if form.is_bound else directory_queries.DirectoryFilters()
        if not form.is_bound and organisation.commune_id:
            filters.commune = organisation.commune_id
        places = directory_queries.search_places(filters)
    page = Paginator(places, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orientation/places.html",
        {
            "organisation": organisation,
            "is_admin": membership.role == Role.ADMIN,
            "form": form,
            "page": page,
            "query_string": _query_string(request),
            "filtered": form.is_bound,
        },
    )


def facilitators(request: HttpRequest) -> HttpResponse:
    form = FacilitatorSearchForm(request.GET or None)
    term = form.cleaned_data.get("commune", "") if form.is_valid() else ""
    listings = queries.listed_prescribers(term)
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orientation/facilitators.html",
        {"form": form, "page": page, "term": term, "query_string": _query_string(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def listing_edit(request: HttpRequest, org_id: int) -> HttpResponse:
    organisation = _prescriber(get_admin_membership_or_404(request.user, org_id))
    listing = queries.listing_of(organisation)
    form = ListingForm(request.POST or None, instance=listing)
    if request.method == "POST" and form.is_valid():
        services.save_listing(organisation, by=request.user, request=request, **form.cleaned_data)
        messages.success(
            request,
            "Fiche publique enregistrée."
            + (" Elle figure sur la page publique." if form.cleaned_data["is_listed"] else ""),
        )
        return redirect("orientation:listing", org_id=organisation.pk)
    return render(
        request,
        "orientation/listing.html",
        {"organisation": organisation, "is_admin": True, "form": form, "listing": listing},
    )


def _days(request: HttpRequest) -> tuple[int, str]:
    raw = request.GET.get("jours", "")
    if not raw:
        return queries.DEFAULT_UNUSED_DAYS, ""
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        return (
            queries.DEFAULT_UNUSED_DAYS,
            f"Nombre de jours invalide : « {raw} ». Indiquez un entier de 1 à {MAX_DAYS} ; "
            f"la liste utilise {queries.DEFAULT_UNUSED_DAYS} jours.",
        )
    return int(raw), ""


@login_required
def follow_up(request: HttpRequest, org_id: int) -> HttpResponse:
    membership = get_membership_or_404(request.user, org_id)
    organisation = _prescriber(membership)
    page = Paginator(queries.beneficiaries_of(organisation), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    days, days_error = _days(request)
    unused_page = Paginator(queries.unused_after(organisation, days), PAGE_SIZE).get_page(
        request.GET.get("page_relance")
    )
    consent = queries.consent_field()
    contacts = queries.contact_fields()
    to_call = []
    for beneficiary in unused_page:
        consented = bool(getattr(beneficiary, consent)) if consent else False
        values = [str(getattr(beneficiary, name) or "") for name in contacts] if consented else []
        to_call.append(
            {
                "beneficiary": beneficiary,
                "consented": consented,
                "contact": ", ".join(v for v in values if v),
            }
        )
    return render(
        request,
        "orientation/follow_up.html",
        {
            "organisation": organisation,
            "is_admin": membership.role == Role.ADMIN,
            "page": page,
            "rows": queries.follow_up(list(page)),
            "days": days,
            "days_error": days_error,
            "unused_page": unused_page,
            "to_call": to_call,
            "consent_recorded": consent is not None,
            "query_string": _query_string(request),
            "unused_query_string": _query_string(request, "page_relance"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, org_id: int) -> HttpResponse:
    organisation = _prescriber(get_admin_membership_or_404(request.user, org_id))
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_BYTES:
            errors = ["Le fichier dépasse 2 Mo : découpez-le en plusieurs fichiers."]
        else:
            try:
                result = services.import_handouts(
                    organisation,
                    upload.read(),
                    file_name=upload.name,
                    by=request.user,
                    request=request,
                )
            except services.ImportRefused as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    f"Import réussi : {result.lines} pass remis à "
                    f"{len(result.beneficiaries)} personne(s).",
                )
                return redirect(reverse("orientation:follow_up", args=[organisation.pk]))
    return render(
        request,
        "orientation/import.html",
        {
            "organisation": organisation,
            "is_admin": True,
            "form": form,
            "errors": errors,
            "columns": services.COLUMNS,
            "age_bands": services.AGE_BANDS,
            "new_prefix": services.NEW_PREFIX,
        },
    )


urlpatterns = [
    path("ou-obtenir-des-pass/", facilitators, name="facilitators"),
    path("<int:org_id>/lettre/<int:beneficiary_id>.pdf", letter_pdf, name="letter"),
    path("<int:org_id>/lieux/", places_search, name="places"),
    path("<int:org_id>/fiche-publique/", listing_edit, name="listing"),
    path("<int:org_id>/suivi/", follow_up, name="follow_up"),
    path("<int:org_id>/import/", import_upload, name="import"),
]
