"""The prescriber workspace: people seen, a new person (record + diagnostic), a person's page,
the export of one person's data. Only active members of that prescriber organisation."""

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from organisations.models import Membership, Organisation
from organisations.queries import get_membership_or_404, get_writer_membership_or_404

from . import diagnostic, queries, services
from .forms import DiagnosticForm, RecordForm


def _prescriber(request: HttpRequest, organisation_id: int, *, write: bool = False):
    if write:
        membership: Membership = get_writer_membership_or_404(request.user, organisation_id)
    else:
        membership = get_membership_or_404(request.user, organisation_id)
    organisation: Organisation = membership.organisation
    if organisation.kind != Organisation.Kind.PRESCRIBER:
        raise Http404("Seule une structure prescriptrice suit des bénéficiaires.")
    return membership, organisation


@login_required
def people(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership, organisation = _prescriber(request, organisation_id)
    search = request.GET.get("q", "")[:20]
    page = Paginator(queries.beneficiaries_of(organisation, search), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "beneficiaries/people.html",
        {
            "membership": membership,
            "organisation": organisation,
            "page": page,
            "search": search,
            "figures": queries.aggregates_for([organisation]),
        },
    )


@login_required
def new_person(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership, organisation = _prescriber(request, organisation_id, write=True)
    record_form = RecordForm(request.POST or None, organisation=organisation, prefix="fiche")
    diagnostic_form = DiagnosticForm(request.POST or None, prefix="diag")
    error = ""
    if request.method == "POST":
        record_ok = record_form.is_valid()
        diagnostic_ok = diagnostic_form.is_valid()
        if record_ok and diagnostic_ok:
            try:
                beneficiary = services.create_beneficiary(
                    prescriber=organisation,
                    by=request.user,
                    record_data=record_form.cleaned_data,
                    answers=diagnostic_form.cleaned_data,
                    request=request,
                )
            except services.BeneficiaryError as exc:
                error = str(exc)
            else:
                return redirect("beneficiaries:person", organisation.pk, beneficiary.pk)
        else:
            error = "La fiche n'est pas enregistrée : corrigez les champs signalés."
    return render(
        request,
        "beneficiaries/new.html",
        {
            "membership": membership,
            "organisation": organisation,
            "record_form": record_form,
            "diagnostic_form": diagnostic_form,
            "error": error,
        },
    )


@login_required
def person(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership, organisation = _prescriber(request, organisation_id)
    beneficiary = queries.get_beneficiary_or_404(organisation, pk)
    answers = beneficiary.diagnostic_answers or {}
    diagnostic_rows = []
    for question in diagnostic.QUESTIONS:
        labels = dict(question.choices)
        value = answers.get(question.key)
        if question.multiple:
            shown = ", ".join(labels.get(v, v) for v in value or []) or "aucun"
        else:
            shown = labels.get(value, "non renseigné") if value is not None else "non renseigné"
        diagnostic_rows.append((question.text, shown))
    return render(
        request,
        "beneficiaries/person.html",
        {
            "membership": membership,
            "organisation": organisation,
            "beneficiary": beneficiary,
            "diagnostic_rows": diagnostic_rows,
            "coop_themes": [diagnostic.COOP_LABELS[t] for t in diagnostic.coop_themes(answers)],
            "passes": queries.passes_of(beneficiary),
            "hand_out_url": reverse("ledger:hand_out", args=[organisation.pk]),
        },
    )


def _initial(beneficiary) -> dict:
    return {
        "programme": beneficiary.programme_id,
        "age_band": beneficiary.age_band,
        "gender": beneficiary.gender,
        "social_status": beneficiary.social_status,
        "diploma_level": beneficiary.diploma_level,
        "job_seeker": beneficiary.job_seeker,
        "job_seeker_since": beneficiary.job_seeker_since.strftime("%m/%Y")
        if beneficiary.job_seeker_since
        else "",
        "commune": beneficiary.commune_id or "",
        "lives_in_qpv": beneficiary.lives_in_qpv,
        "qpv": beneficiary.qpv_id or "",
        "contact_consent": beneficiary.contact_consent,
        "phone": beneficiary.phone,
        "email": beneficiary.email,
        "notes": beneficiary.notes,
    }


@login_required
def edit_person(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership, organisation = _prescriber(request, organisation_id, write=True)
    beneficiary = queries.get_beneficiary_or_404(organisation, pk)
    form = RecordForm(
        request.POST or None,
        organisation=organisation,
        initial=_initial(beneficiary),
        prefix="fiche",
    )
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_beneficiary(
                    beneficiary, by=request.user, record_data=form.cleaned_data, request=request
                )
            except services.BeneficiaryError as exc:
                error = str(exc)
            else:
                return redirect("beneficiaries:person", organisation.pk, beneficiary.pk)
        else:
            error = "La fiche n'est pas modifiée : corrigez les champs signalés."
    return render(
        request,
        "beneficiaries/edit.html",
        {
            "membership": membership,
            "organisation": organisation,
            "beneficiary": beneficiary,
            "record_form": form,
            "error": error,
        },
    )


@login_required
@require_POST
def export(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership, organisation = _prescriber(request, organisation_id, write=True)
    beneficiary = queries.get_beneficiary_or_404(organisation, pk)
    payload = services.export_beneficiary(beneficiary, by=request.user, request=request)
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="donnees-{beneficiary.reference}.json"'
    return response


@login_required
def summary(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """Funders, hubs and municipalities read aggregates only: never an individual record."""
    from programmes.models import Programme

    membership = get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    if organisation.kind not in (
        Organisation.Kind.FUNDER,
        Organisation.Kind.HUB,
        Organisation.Kind.MUNICIPALITY,
    ):
        raise Http404("Synthèse réservée aux commanditaires, hubs et collectivités.")
    prescribers = queries.prescribers_overseen_by(organisation)
    rules = Programme.PicRule
    rows = [
        (
            p,
            queries.aggregates_for([p]),
            queries.aggregates_for([p], rule=rules.UP_TO_BAC)["pic_share"],
        )
        for p in prescribers
    ]
    return render(
        request,
        "beneficiaries/summary.html",
        {
            "organisation": organisation,
            "membership": membership,
            "total": queries.aggregates_for(prescribers),
            "total_below": queries.aggregates_for(prescribers, rule=rules.BELOW_BAC)["pic_share"],
            "total_up_to": queries.aggregates_for(prescribers, rule=rules.UP_TO_BAC)["pic_share"],
            "rows": rows,
        },
    )
