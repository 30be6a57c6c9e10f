"""Views of the selection (thin: reads in queries, writes in services).

Every URL carries the organisation through which the user reaches the call: the funder (elected
members, the funder's admins) or the call's hub (the qualified person). A non-member of that
organisation gets a 404; a member without the right seat or role a 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from ami.models import ApplicationDocument
from core.exports import FORMATS, table_response
from journal.models import JournalEntry
from journal.services import record
from organisations.queries import get_membership_or_404

from . import queries, services
from .decision_pdf import render_decision
from .forms import AddMemberForm, DeclarationForm, DelegateForm, ProposalForm, ScoreForm, VoteForm
from .services import SelectionError


def _base(access: queries.Access, **extra) -> dict:
    return {
        "organisation": access.organisation,
        "membership": access.membership,
        "call": access.call,
        "member": access.member,
        "is_funder_admin": access.is_funder_admin,
        "frozen": queries.is_frozen(access.call),
        **extra,
    }


@login_required
def calls(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    call_list = list(queries.calls_of(organisation))
    seats = {s.call_id: s for s in queries.seats_of(request.user, organisation)}
    is_admin = membership.is_admin and organisation.kind == organisation.Kind.FUNDER
    counts = queries.counts_for_calls(call_list)
    rows = [
        {"call": c, "seat": seats.get(c.pk), "count": counts.get(c.pk, 0)}
        for c in call_list
        if c.pk in seats or is_admin
    ]
    return render(
        request,
        "selection/calls.html",
        {
            "organisation": organisation,
            "membership": membership,
            "rows": rows,
            "is_admin": is_admin,
        },
    )


# --- Committee composition (funder admins) ---------------------------------------------------


@login_required
def committee(request: HttpRequest, organisation_id: int, call_id: int) -> HttpResponse:
    access = queries.funder_admin_access_or_403(request.user, organisation_id, call_id)
    call = access.call
    form = AddMemberForm(data=request.POST or None, candidates=queries.candidate_users(call))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.add_member(
                    call,
                    user=form.cleaned_data["user"],
                    function=form.cleaned_data["function"],
                    political_group=form.cleaned_data.get("political_group") or "",
                    title=form.cleaned_data.get("title") or "",
                    by=request.user,
                    request=request,
                )
            except SelectionError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, "La personne siège désormais au comité d'examen.")
                return redirect("selection:committee", organisation_id, call_id)
        else:
            status = 400
    return render(
        request,
        "selection/committee.html",
        _base(
            access,
            members=queries.committee_of(call),
            delegations=queries.delegations_of(call),
            form=form,
            delegate_form=DelegateForm(call=call),
        ),
        status=status,
    )


@login_required
@require_POST
def remove_member(
    request: HttpRequest, organisation_id: int, call_id: int, member_id: int
) -> HttpResponse:
    access = queries.funder_admin_access_or_403(request.user, organisation_id, call_id)
    member = next((m for m in queries.committee_of(access.call) if m.pk == member_id), None)
    if member is None:
        raise Http404("Membre introuvable.")
    try:
        services.remove_member(member, by=request.user, request=request)
    except SelectionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{member.display_name} ne siège plus au comité.")
    return redirect("selection:committee", organisation_id, call_id)


@login_required
@require_POST
def delegate(request: HttpRequest, organisation_id: int, call_id: int) -> HttpResponse:
    access = queries.access_or_404(request.user, organisation_id, call_id)
    if not (access.is_funder_admin or access.is_chair):
        raise PermissionDenied(
            "Seul(e) le ou la présidente du comité, ou un administrateur du commanditaire, "
            "délègue la présidence."
        )
    form = DelegateForm(data=request.POST, call=access.call)
    target = "selection:committee" if access.is_funder_admin else "selection:board"
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(target, organisation_id, call_id)
    try:
        services.delegate_chair(
            access.call,
            to_member=form.cleaned_data["to_member"],
            note=form.cleaned_data.get("note") or "",
            by=request.user,
            request=request,
        )
    except SelectionError as exc:
        messages.error(request, str(exc))
    else:
        name = form.cleaned_data["to_member"].display_name
        messages.success(request, f"La présidence du comité est déléguée à {name}.")
    return redirect(target, organisation_id, call_id)


# --- Committee members' screens ---------------------------------------------------------------


@login_required
def board(request: HttpRequest, organisation_id: int, call_id: int) -> HttpResponse:
    access = queries.committee_access_or_403(request.user, organisation_id, call_id)
    call, member = access.call, access.member
    declarations = queries.declarations_of(member)
    scored = queries.scored_counts(member)
    criteria_count = len(queries.criteria_of(call))
    rows = [
        {
            "application": a,
            "declaration": declarations.get(a.pk),
            "scored": scored.get(a.pk, 0),
            "complete": criteria_count and scored.get(a.pk, 0) >= criteria_count,
        }
        for a in queries.examined_applications(call)
    ]
    return render(
        request,
        "selection/board.html",
        _base(
            access,
            rows=rows,
            criteria_count=criteria_count,
            members=queries.committee_of(call),
            proposal=queries.proposal_of(call),
            vote=queries.vote_of(call),
            delegate_form=DelegateForm(call=call) if access.is_chair else None,
        ),
    )


@login_required
def declare(request: HttpRequest, organisation_id: int, call_id: int) -> HttpResponse:
    access = queries.committee_access_or_403(request.user, organisation_id, call_id)
    applications = list(queries.examined_applications(access.call))
    form = DeclarationForm(
        data=request.POST or None,
        applications=applications,
        initial_map=queries.declarations_of(access.member),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                withdrawn = services.declare_interests(
                    access.member, form.declarations(), by=request.user, request=request
                )
            except SelectionError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, "Votre déclaration d'intérêts est enregistrée.")
                if withdrawn:
                    messages.warning(
                        request,
                        f"{withdrawn} note{'s' if withdrawn > 1 else ''} retirée"
                        f"{'s' if withdrawn > 1 else ''} (conflit d'intérêts déclaré).",
                    )
                return redirect("selection:board", organisation_id, call_id)
        else:
            status = 400
    return render(
        request,
        "selection/declare.html",
        _base(access, form=form, applications=applications),
        status=status,
    )


@login_required
def application(
    request: HttpRequest, organisation_id: int, call_id: int, application_id: int
) -> HttpResponse:
    access = queries.committee_access_or_403(request.user, organisation_id, call_id)
    call, member = access.call, access.member
    app = queries.application_for_committee_or_404(call, application_id)
    criteria = queries.criteria_of(call)
    declaration = queries.declarations_of(member).get(app.pk)
    can_score = (
        member.is_voting
        and declaration is not None
        and not declaration.has_conflict
        and app.status == "SUBMITTED"
        and not queries.is_frozen(call)
    )
    form = ScoreForm(
        data=request.POST or None,
        criteria=criteria,
        score_max=call.score_max,
        initial_map=queries.my_scores(member, app),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.record_scores(member, app, form.scores(), by=request.user, request=request)
            except SelectionError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(
                    request,
                    f"Vos notes pour la candidature de {app.commune.name} sont enregistrées.",
                )
                return redirect("selection:application", organisation_id, call_id, app.pk)
        else:
            status = 400
    documents = ApplicationDocument.objects.filter(application=app).select_related(
        "required_document"
    )
    return render(
        request,
        "selection/application.html",
        _base(
            access,
            application=app,
            documents=documents,
            hub_opinion=queries.hub_opinion_of(app),
            declaration=declaration,
            can_score=can_score,
            form=form,
            scores=queries.scores_of_application(app, member),
        ),
        status=status,
    )


@login_required
def document(
    request: HttpRequest, organisation_id: int, call_id: int, application_id: int, document_id: int
) -> FileResponse:
    access = queries.committee_access_or_403(request.user, organisation_id, call_id)
    app = queries.application_for_committee_or_404(access.call, application_id)
    doc = ApplicationDocument.objects.filter(application=app, pk=document_id).first()
    if doc is None:
        raise Http404("Pièce introuvable.")
    record(
        JournalEntry.Action.APPLICATION_DOCUMENT_DOWNLOADED,
        actor=request.user,
        organisation=access.organisation,
        obj=doc,
        request=request,
        details={"application": app.pk, "as": "committee"},
    )
    response = FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=doc.original_name,
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def ranking(request: HttpRequest, organisation_id: int, call_id: int) -> HttpResponse:
    access = queries.committee_access_or_403(request.user, organisation_id, call_id)
    criteria = queries.criteria_of(access.call)
    return render(
        request,
        "selection/ranking.html",
        _base(
            access,
            criteria=criteria,
            rows=queries.ranking(access.call, access.member),
            total_max=queries.weighted_total_max(access.call, criteria),
        ),
    )


@login_required
def proposal(request: HttpRequest, organisation_id: int, call_id: int) -> HttpResponse:
    access = queries.committee_access_or_403(request.user, organisation_id, call_id)
    call = access.call
    current = queries.proposal_of(call)
    rows = queries.diversity(call, access.member)
    planned = {r.application.pk: r.planned for r in rows if r.planned}
    editable = access.is_chair and not (current and current.is_validated)
    candidates = [r.application for r in rows if r.application.status == "SUBMITTED"]
    form = ProposalForm(
        data=request.POST if request.method == "POST" else None,
        applications=candidates,
        planned=planned,
        initial={"comment": current.comment if current else ""},
    )
    status = 200
    if request.method == "POST":
        if not access.is_chair:
            raise PermissionDenied(
                "Seul(e) le ou la présidente du comité (ou son délégataire) arrête la proposition."
            )
        if form.is_valid():
            try:
                services.save_proposal(
                    call,
                    form.items(),
                    comment=form.cleaned_data.get("comment") or "",
                    by=request.user,
                    request=request,
                )
            except SelectionError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, "La proposition du comité est enregistrée.")
                return redirect("selection:proposal", organisation_id, call_id)
        else:
            status = 400
    return render(
        request,
        "selection/proposal.html",
        _base(
            access,
            rows=rows,
            form=form,
            editable=editable,
            proposal=current,
            summary=queries.territory_summary(rows),
            incomplete=[
                r
                for r in rows
                if r.application.status == "SUBMITTED"
                and not r.ranked.hidden
                and r.ranked.scorers < r.ranked.expected
            ],
            vote=queries.vote_of(call),
        ),
        status=status,
    )


@login_required
@require_POST
def validate(request: HttpRequest, organisation_id: int, call_id: int) -> HttpResponse:
    access = queries.committee_access_or_403(request.user, organisation_id, call_id)
    if not access.is_chair:
        raise PermissionDenied(
            "Seul(e) le ou la présidente du comité (ou son délégataire) valide la proposition."
        )
    try:
        services.validate_proposal(access.call, by=request.user, request=request)
    except SelectionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "La proposition est validée : les notes sont figées et la liste est transmise au "
            "Bureau.",
        )
    return redirect("selection:proposal", organisation_id, call_id)


# --- Bureau vote (funder admins) --------------------------------------------------------------


@login_required
def vote(request: HttpRequest, organisation_id: int, call_id: int) -> HttpResponse:
    access = queries.funder_admin_access_or_403(request.user, organisation_id, call_id)
    call = access.call
    existing = queries.vote_of(call)
    current = queries.proposal_of(call)
    applications = list(queries.awaiting_vote(call))
    planned = (
        dict(current.items.values_list("application_id", "booklets_planned")) if current else {}
    )
    form = VoteForm(
        data=request.POST if request.method == "POST" else None,
        applications=applications,
        initial={"selected": [str(pk) for pk in planned]},
    )
    status = 200
    if request.method == "POST":
        if existing is not None:
            messages.error(request, "Le vote du Bureau est déjà enregistré pour cet appel.")
            return redirect("selection:vote", organisation_id, call_id)
        if form.is_valid():
            try:
                services.record_bureau_vote(
                    call, form.vote_input(), by=request.user, request=request
                )
            except SelectionError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(
                    request,
                    "Le vote du Bureau est enregistré : les communes retenues sont devenues "
                    "territoires du programme et chaque candidat a reçu la décision par e-mail.",
                )
                return redirect("selection:vote", organisation_id, call_id)
        else:
            status = 400
    selected, not_selected = queries.decision_lists(call) if existing else ([], [])
    return render(
        request,
        "selection/vote.html",
        _base(
            access,
            form=form,
            vote=existing,
            proposal=current,
            planned=planned,
            applications=applications,
            selected=selected,
            not_selected=not_selected,
        ),
        status=status,
    )


# --- Exports ---------------------------------------------------------------------------------


def _export_journal(request, access, kind: str, fmt: str) -> None:
    record(
        JournalEntry.Action.EXPORT_DOWNLOADED,
        actor=request.user,
        organisation=access.organisation,
        obj=access.call,
        request=request,
        details={"export": kind, "format": fmt},
    )


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("oui" if value else "non")


@login_required
def export_applications(
    request: HttpRequest, organisation_id: int, call_id: int, fmt: str
) -> HttpResponse:
    access = queries.committee_access_or_403(request.user, organisation_id, call_id)
    if fmt not in FORMATS:
        raise Http404("Format inconnu.")
    criteria = queries.criteria_of(access.call)
    header = [
        "Commune",
        "Code INSEE",
        "Territoire (EPT)",
        "Population",
        "QPV",
        "Prescripteurs",
        "Opérateurs",
        "Conseiller numérique demandé",
        "Conseiller numérique mobilisé",
        "Carnets demandés",
        "État",
        "Déposée le",
        "Avis du hub",
        *[f"Moyenne — {c.label} (coef. {c.weight})" for c in criteria],
        "Total pondéré",
        "Notateurs",
        "Rang",
        "Carnets proposés",
    ]
    rows = []
    for row in queries.diversity(access.call, access.member):
        a = row.application
        rows.append(
            [
                a.commune.name,
                a.commune_id,
                row.territory,
                row.population,
                row.qpv_count,
                row.prescribers,
                row.operators,
                _yes_no(a.cnfs_requested),
                _yes_no(a.cnfs_mobilised),
                a.booklets_requested,
                a.get_status_display(),
                a.submitted_at,
                row.hub_verdict,
                *row.ranked.means_display,
                row.ranked.total_display,
                None if row.ranked.hidden else row.ranked.scorers,
                row.ranked.rank if not row.ranked.hidden else "conflit d'intérêts",
                row.planned,
            ]
        )
    _export_journal(request, access, "applications", fmt)
    return table_response(
        fmt,
        f"candidatures-{slugify(access.call.title)[:60]}",
        header,
        rows,
        sheet_title="Candidatures",
    )


@login_required
def export_scores(
    request: HttpRequest, organisation_id: int, call_id: int, fmt: str
) -> HttpResponse:
    access = queries.committee_access_or_403(request.user, organisation_id, call_id)
    if fmt not in FORMATS:
        raise Http404("Format inconnu.")
    header = ["Commune", "Membre du comité", "Fonction", "Critère", "Coefficient", "Note",
              "Note maximale", "Commentaire", "Modifiée le"]  # fmt: skip
    rows = (
        [
            s.application.commune.name,
            s.member.display_name,
            s.member.function_label,
            s.criterion.label,
            s.criterion.weight,
            s.value,
            s.scale_max,
            s.comment,
            s.updated_at,
        ]
        for s in queries.all_scores(access.call, access.member)
    )
    _export_journal(request, access, "scores", fmt)
    return table_response(
        fmt, f"notes-{slugify(access.call.title)[:60]}", header, rows, sheet_title="Notes"
    )


@login_required
def decision_pdf(request: HttpRequest, organisation_id: int, call_id: int) -> HttpResponse:
    access = queries.access_or_404(request.user, organisation_id, call_id)
    is_funder = access.membership.organisation_id == access.call.programme.funder_id
    if access.member is None and not is_funder:
        raise PermissionDenied("La décision se consulte depuis l'espace du commanditaire.")
    vote_obj = queries.vote_of(access.call)
    if vote_obj is None:
        raise Http404("Le Bureau n'a pas encore voté.")
    selected, not_selected = queries.decision_lists(access.call)
    content = render_decision(access.call, vote_obj, selected, not_selected)
    _export_journal(request, access, "decision", "pdf")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="decision-{slugify(vote_obj.deliberation_number)}.pdf"'
    )
    return response
