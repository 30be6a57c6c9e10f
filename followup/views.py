"""Pages of the territories' follow-up (thin views: access through ``followup.queries``, writes
through ``followup.services``).

Every URL starts with the organisation the user acts for. Funders and hubs follow the territories
of their programmes; a municipality its own territory; prescribers and operators see the
trainings they are invited to."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.exports import FORMATS, table_response
from core.forms_flow import form_page
from organisations.models import Membership, Organisation, Role

from . import queries, services
from .forms import (
    CommitteeAttendanceForm,
    CommitteeForm,
    FeedbackForm,
    MeetingForm,
    MeetingPresenceForm,
    ReferentsForm,
    TrainingAttendanceForm,
    TrainingForm,
)
from .models import Audience, FeedbackStatus, Minutes
from .services import FollowupError, MinutesInput

Kind = Organisation.Kind
PAGE_SIZE = 25
ERROR_MESSAGE = (
    "Le formulaire contient des erreurs : corrigez les champs signalés. Rien n'a été enregistré."
)


def _ctx(membership: Membership, **extra) -> dict:
    return {"membership": membership, "organisation": membership.organisation, **extra}


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404("Format inconnu.")
    return fmt


def _page(request: HttpRequest, queryset, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _query_string(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _form_page(request: HttpRequest, form, action, **kwargs) -> HttpResponse:
    """``core.forms_flow.form_page`` with this app's refusal and invalid-form message."""
    return form_page(request, form, action, errors=FollowupError, invalid=ERROR_MESSAGE, **kwargs)


def _minutes_input(form) -> MinutesInput:
    data = form.cleaned_data
    return MinutesInput(
        text=data.get("minutes_text", ""),
        upload=data.get("minutes_pdf") or None,
        remove_pdf=data.get("remove_pdf", False),
    )


def _minutes_response(request, membership, obj: Minutes, filename: str) -> FileResponse:
    if not obj.minutes_file:
        raise Http404("Aucun compte rendu en PDF.")
    services.record_minutes_download(
        obj, by=request.user, organisation=membership.organisation, request=request
    )
    response = FileResponse(
        obj.minutes_file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n <= 1 else plural}"


def _minutes_losses(obj: Minutes) -> list[str]:
    losses = []
    if obj.minutes_html:
        losses.append("le compte rendu rédigé")
    if obj.minutes_file:
        losses.append(
            f"le compte rendu en PDF « {obj.minutes_file_name} » "
            f"({filesizeformat(obj.minutes_file_size)}), effacé du stockage"
        )
    return losses


def _confirm_delete(
    request: HttpRequest,
    membership: Membership,
    obj,
    action,
    *,
    heading: str,
    losses: list[str],
    button: str,
    cancel_url: str,
    success,
    redirect_to: str,
    territory=None,
) -> HttpResponse:
    """The confirmation page of a deletion (GET), and the deletion itself (POST, through
    ``action``); a refusal shows the page again with its reason, nothing deleted."""
    refusal = services.deletion_refusal(obj, by=request.user, organisation=membership.organisation)
    return _form_page(
        request,
        # Nothing to fill in: bound on a POST (even an empty one), so that it is valid.
        forms.Form(request.POST if request.method == "POST" else None),
        lambda data: action(),
        success=success,
        redirect_to=redirect_to,
        template="followup/confirm_delete.html",
        context=_ctx(
            membership,
            heading=heading,
            losses=losses,
            button=button,
            cancel_url=cancel_url,
            refusal=refusal,
            crumb=str(obj),
            territory=territory,
        ),
    )


def _day(moment) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y}"


def _export(request, membership, name: str, fmt: str, header, rows) -> HttpResponse:
    rows = list(rows)
    services.record_export(
        name, by=request.user, organisation=membership.organisation, request=request, rows=len(rows)
    )
    return table_response(fmt, name, header, rows, sheet_title=name[:31])


# --- Territories ----------------------------------------------------------------------------


@login_required
def territories(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.followup_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    if organisation.kind == Kind.MUNICIPALITY:
        own = list(queries.territories_for(organisation)[:2])
        if len(own) == 1:
            return redirect("followup:territory", organisation.pk, own[0].pk)
    programme_id = _int(request.GET.get("programme"))
    search = request.GET.get("q", "")[:100].strip()
    return render(
        request,
        "followup/territories.html",
        _ctx(
            membership,
            page=_page(
                request, queries.territories_with_summary(organisation, programme_id, search)
            ),
            programmes=queries.programmes_for(organisation),
            programme_id=programme_id,
            search=search,
            query_string=_query_string(request),
        ),
    )


@login_required
def territories_export(request: HttpRequest, organisation_id: int, fmt: str) -> HttpResponse:
    membership = queries.followup_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    qs = queries.territories_with_summary(
        organisation, _int(request.GET.get("programme")), request.GET.get("q", "")[:100].strip()
    ).prefetch_related("referents")
    status = dict(FeedbackStatus.choices)
    header = [
        "Programme",
        "Commune",
        "Code INSEE",
        "Collectivité",
        "Référents",
        "Carnets alloués",
        "Entrée dans le programme",
        "Formations",
        "Comités de suivi",
        "Réunions de partage (invitations)",
        "Retour d'expérience",
    ]
    rows = (
        [
            t.programme.name,
            t.commune.name,
            t.commune_id,
            t.municipality.name,
            ", ".join(u.get_full_name() or u.email for u in t.referents.all()),
            t.booklets_allocated,
            t.joined_on,
            t.training_count,
            t.committee_count,
            t.meeting_count,
            status.get(t.feedback_status, "Non commencé"),
        ]
        for t in qs
    )
    return _export(request, membership, "suivi-territoires", _fmt(fmt), header, rows)


def _territory_access(request, organisation_id: int, pk: int, *, write: bool = False):
    membership = queries.followup_membership_or_404(request.user, organisation_id, write=write)
    territory = queries.get_territory_or_404(membership.organisation, pk)
    return membership, territory


def _permissions(membership: Membership, territory) -> dict:
    organisation = membership.organisation
    writer = queries.is_writer(membership)
    municipality = queries.is_municipality_of(organisation, territory)
    return {
        "can_set_referents": municipality and membership.role == Role.ADMIN,
        "can_edit_feedback": municipality and writer,
        "can_manage_committees": queries.is_hub_of(organisation, territory.programme) and writer,
        "is_hub": queries.is_hub_of(organisation, territory.programme),
        "is_funder": queries.is_funder_of(organisation, territory.programme),
    }


@login_required
def territory(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership, territory = _territory_access(request, organisation_id, pk)
    programme = territory.programme
    return render(
        request,
        "followup/territory.html",
        _ctx(
            membership,
            territory=territory,
            programme=programme,
            referents=queries.referents_of(territory),
            trainings=queries.trainings_list(membership.organisation, territory_id=territory.pk)[
                :5
            ],
            committees=queries.committees_of(territory)[:5],
            feedback=queries.feedback_of(territory),
            invitations=territory.sharing_invitations.select_related("meeting").order_by(
                "-meeting__held_at"
            )[:5],
            **_permissions(membership, territory),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def referents(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership, territory = _territory_access(request, organisation_id, pk)
    if not queries.is_municipality_of(membership.organisation, territory):
        raise PermissionDenied("Seule la collectivité du territoire désigne ses référents.")
    if membership.role != Role.ADMIN:
        raise PermissionDenied(
            "Seuls les administrateurs de la collectivité désignent les référents."
        )
    candidates = queries.referent_candidates(territory)
    form = ReferentsForm(
        request.POST or None,
        candidates=candidates,
        initial={"referents": [u.pk for u in queries.referents_of(territory)]},
    )

    def save(data: dict) -> None:
        services.set_referents(
            territory,
            data["referents"],
            by=request.user,
            organisation=membership.organisation,
            request=request,
        )

    return _form_page(
        request,
        form,
        save,
        success="Les référents du territoire sont enregistrés.",
        redirect_to=reverse("followup:territory", args=[membership.organisation_id, territory.pk]),
        template="followup/referents.html",
        context=_ctx(membership, territory=territory),
    )


# --- Retour d'expérience --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership, territory = _territory_access(request, organisation_id, pk)
    perms = _permissions(membership, territory)
    current = queries.feedback_of(territory)
    editable = perms["can_edit_feedback"] and not (current and current.is_submitted)
    form = FeedbackForm(request.POST or None, instance=current) if editable else None
    error = ""
    if request.method == "POST":
        if not perms["can_edit_feedback"]:
            raise PermissionDenied("Seule la collectivité du territoire remplit ce formulaire.")
        if not editable:
            error = services.SUBMITTED_MESSAGE
        elif form.is_valid():
            submit = request.POST.get("action") == "submit"
            try:
                saved = services.save_feedback(
                    territory,
                    form.cleaned_data,
                    by=request.user,
                    organisation=membership.organisation,
                    request=request,
                )
                if submit:
                    services.submit_feedback(
                        saved,
                        by=request.user,
                        organisation=membership.organisation,
                        request=request,
                    )
            except FollowupError as exc:
                error = str(exc)
                if submit:
                    error += " Le brouillon, lui, est enregistré."
                current = queries.feedback_of(territory)
            else:
                messages.success(
                    request,
                    "Le retour d'expérience est transmis au commanditaire et au hub. Merci !"
                    if submit
                    else "Le brouillon du retour d'expérience est enregistré.",
                )
                return redirect("followup:feedback", membership.organisation_id, territory.pk)
        else:
            error = ERROR_MESSAGE
    return render(
        request,
        "followup/feedback.html",
        _ctx(
            membership,
            territory=territory,
            feedback=current,
            form=form,
            error=error,
            required=services.REQUIRED_FOR_SUBMISSION.values(),
            **perms,
        ),
        status=400 if error else 200,
    )


FEEDBACK_HEADER = [
    "Programme",
    "Commune",
    "Code INSEE",
    "État",
    "Transmis le",
    "Transmis par",
    "Carnets confiés aux prescripteurs",
    "Pass remis",
    "Personnes accompagnées",
    "Dont publics PIC",
    "Dont QPV",
    "Publics atteints",
    "Structures prescriptrices mobilisées",
    "Opérateurs mobilisés",
    "Réseau d'acteurs",
    "Ce qui a fonctionné",
    "Difficultés",
    "Suggestions",
    "Souhaite poursuivre",
]


@login_required
def feedbacks_export(request: HttpRequest, organisation_id: int, fmt: str) -> HttpResponse:
    membership = queries.followup_membership_or_404(request.user, organisation_id)
    rows = (
        [
            f.programme.name,
            f.territory.commune.name,
            f.territory.commune_id,
            f.get_status_display(),
            f.submitted_at,
            (f.submitted_by.get_full_name() or f.submitted_by.email) if f.submitted_by else "",
            f.booklets_distributed,
            f.passes_distributed,
            f.people_reached,
            f.pic_people,
            f.qpv_people,
            f.publics_comment,
            f.prescribers_mobilised,
            f.operators_mobilised,
            f.actors_comment,
            f.what_worked,
            f.difficulties,
            f.suggestions,
            f.would_continue,
        ]
        for f in queries.feedbacks_for(membership.organisation)
    )
    return _export(request, membership, "retours-experience", _fmt(fmt), FEEDBACK_HEADER, rows)


# --- Follow-up committees -------------------------------------------------------------------


@login_required
def committees(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership, territory = _territory_access(request, organisation_id, pk)
    return render(
        request,
        "followup/committees.html",
        _ctx(
            membership,
            territory=territory,
            page=_page(request, queries.committees_of(territory)),
            **_permissions(membership, territory),
        ),
    )


@login_required
def committees_export(request: HttpRequest, organisation_id: int, pk: int, fmt: str):
    membership, territory = _territory_access(request, organisation_id, pk)
    data = queries.territory_followup(territory)
    header = [
        "Commune",
        "Date",
        "Lieu",
        "Ordre du jour",
        "Présents",
        "Liste des présents",
        "Compte rendu",
    ]
    rows = [
        [
            territory.commune.name,
            c["held_at"],
            c["where"],
            c["agenda"],
            c["attended"],
            " ; ".join(c["attendees"]),
            c["has_minutes"],
        ]
        for c in data["committees"]
    ]
    return _export(
        request, membership, f"comites-suivi-{territory.commune_id}", _fmt(fmt), header, rows
    )


def _committee_writer(request, organisation_id: int, pk: int):
    membership, territory = _territory_access(request, organisation_id, pk, write=True)
    if not queries.is_hub_of(membership.organisation, territory.programme):
        raise PermissionDenied("Seul le hub du programme organise les comités de suivi.")
    return membership, territory


@login_required
@require_http_methods(["GET", "POST"])
def committee_edit(
    request: HttpRequest, organisation_id: int, pk: int, committee_id: int | None = None
) -> HttpResponse:
    membership, territory = _committee_writer(request, organisation_id, pk)
    committee = queries.get_committee_or_404(territory, committee_id) if committee_id else None
    initial = {}
    if committee is not None:
        initial = {
            "held_at": committee.held_at,
            "is_remote": committee.is_remote,
            "place": committee.place,
            "agenda": committee.agenda,
            "minutes_text": committee.minutes_html,
        }
    form = CommitteeForm(request.POST or None, request.FILES or None, initial=initial)

    def save(data: dict):
        return services.save_committee(
            committee,
            territory=territory,
            data=data,
            minutes=_minutes_input(form),
            by=request.user,
            organisation=membership.organisation,
            request=request,
        )

    return _form_page(
        request,
        form,
        save,
        success="Le comité de suivi est enregistré.",
        redirect_to=lambda saved: reverse(
            "followup:committee", args=[membership.organisation_id, territory.pk, saved.pk]
        ),
        template="followup/committee_form.html",
        context=_ctx(membership, territory=territory, committee=committee),
    )


@login_required
def committee(request: HttpRequest, organisation_id: int, pk: int, committee_id: int):
    membership, territory = _territory_access(request, organisation_id, pk)
    obj = queries.get_committee_or_404(territory, committee_id)
    return render(
        request,
        "followup/committee.html",
        _ctx(
            membership,
            territory=territory,
            committee=obj,
            attendances=queries.committee_attendances(obj),
            **_permissions(membership, territory),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def committee_attendance(request: HttpRequest, organisation_id: int, pk: int, committee_id: int):
    membership, territory = _committee_writer(request, organisation_id, pk)
    obj = queries.get_committee_or_404(territory, committee_id)
    current = queries.committee_attendances(obj)
    form = CommitteeAttendanceForm(
        request.POST or None,
        candidates=queries.committee_candidates(territory),
        initial={
            "present": [a.organisation_id for a in current if a.organisation_id],
            "names": "\n".join(a.person_name for a in current if not a.organisation_id),
        },
    )

    def save(data: dict) -> None:
        services.set_committee_attendance(
            obj,
            present=data["present"],
            names=data["names"].splitlines(),
            by=request.user,
            organisation=membership.organisation,
            request=request,
        )

    return _form_page(
        request,
        form,
        save,
        success="Les présences au comité sont enregistrées.",
        redirect_to=reverse(
            "followup:committee", args=[membership.organisation_id, territory.pk, obj.pk]
        ),
        template="followup/committee_attendance.html",
        context=_ctx(membership, territory=territory, committee=obj),
    )


@login_required
def committee_minutes(request: HttpRequest, organisation_id: int, pk: int, committee_id: int):
    membership, territory = _territory_access(request, organisation_id, pk)
    obj = queries.get_committee_or_404(territory, committee_id)
    return _minutes_response(
        request,
        membership,
        obj,
        f"comite-suivi-{territory.commune_id}-{obj.held_at:%Y%m%d}-{obj.pk}.pdf",
    )


@login_required
@require_http_methods(["GET", "POST"])
def committee_delete(request: HttpRequest, organisation_id: int, pk: int, committee_id: int):
    membership, territory = _committee_writer(request, organisation_id, pk)
    obj = queries.get_committee_or_404(territory, committee_id)

    def delete() -> dict:
        return services.delete_committee(
            obj, by=request.user, organisation=membership.organisation, request=request
        )

    return _confirm_delete(
        request,
        membership,
        obj,
        delete,
        heading=f"Supprimer le comité de suivi du {_day(obj.held_at)} ?",
        losses=[
            f"le comité de suivi de {territory.commune.name} ({obj.where})",
            _count(obj.attendee_count, "présence enregistrée", "présences enregistrées"),
            *_minutes_losses(obj),
            "sa place dans le suivi du territoire et dans le rapport d'évaluation",
        ],
        button="Supprimer le comité",
        cancel_url=reverse(
            "followup:committee", args=[membership.organisation_id, territory.pk, obj.pk]
        ),
        success=lambda done: f"{done['description']} : supprimé.",
        redirect_to=reverse("followup:committees", args=[membership.organisation_id, territory.pk]),
        territory=territory,
    )


# --- Trainings ------------------------------------------------------------------------------

TRAINING_VIEW_KINDS = queries.STEERING_KINDS | queries.TRAINEE_KINDS


@login_required
def trainings(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.followup_membership_or_404(
        request.user, organisation_id, kinds=TRAINING_VIEW_KINDS
    )
    organisation = membership.organisation
    territory_id = _int(request.GET.get("territoire"))
    audience = request.GET.get("public", "")
    territories = queries.territories_for(organisation)
    territory = territories.filter(pk=territory_id).first() if territory_id else None
    return render(
        request,
        "followup/trainings.html",
        _ctx(
            membership,
            page=_page(
                request,
                queries.trainings_list(
                    organisation,
                    territory_id=territory.pk if territory else None,
                    audience=audience,
                ),
            ),
            territories=territories.order_by("commune__name"),
            territory=territory,
            audience=audience,
            audiences=Audience.choices,
            can_create=organisation.kind == Kind.HUB
            and queries.is_writer(membership)
            and queries.programmes_for(organisation).exists(),
            query_string=_query_string(request),
        ),
    )


@login_required
def trainings_export(request: HttpRequest, organisation_id: int, fmt: str) -> HttpResponse:
    membership = queries.followup_membership_or_404(
        request.user, organisation_id, kinds=TRAINING_VIEW_KINDS
    )
    qs = queries.trainings_list(
        membership.organisation,
        territory_id=_int(request.GET.get("territoire")),
        audience=request.GET.get("public", ""),
    ).prefetch_related("territories__commune")
    header = [
        "Programme",
        "Intitulé",
        "Public",
        "Date",
        "Durée (minutes)",
        "Lieu",
        "Formateur ou formatrice",
        "Territoires concernés",
        "Inscrits",
        "Présents",
        "Attendus (inscrits et venus sur place)",
        "Taux de présence (%)",
    ]
    rows = (
        [
            s.programme.name,
            s.title,
            s.get_audience_display(),
            s.starts_at,
            s.duration_minutes,
            s.where,
            s.trainer,
            ", ".join(t.commune.name for t in s.territories.all()),
            s.registered_count,
            s.attended_count,
            s.attendee_count,
            queries.attendance_rate(s.attended_count, s.attendee_count),
        ]
        for s in qs
    )
    return _export(request, membership, "formations", _fmt(fmt), header, rows)


def _hub_writer(request, organisation_id: int) -> Membership:
    membership = queries.followup_membership_or_404(request.user, organisation_id, write=True)
    if membership.organisation.kind != Kind.HUB:
        raise PermissionDenied("Seul le hub territorial enregistre les formations.")
    return membership


@login_required
@require_http_methods(["GET", "POST"])
def training_edit(request: HttpRequest, organisation_id: int, pk: int | None = None):
    membership = _hub_writer(request, organisation_id)
    organisation = membership.organisation
    session = queries.get_training_or_404(organisation, pk) if pk else None
    programmes = queries.programmes_for(organisation)
    if not programmes.exists():
        raise Http404("Votre hub n'accompagne aucun programme.")
    initial = {"programme": programmes.first()}
    if session is not None:
        initial = {
            "programme": session.programme,
            "audience": session.audience,
            "title": session.title,
            "starts_at": session.starts_at,
            "duration_minutes": session.duration_minutes,
            "is_remote": session.is_remote,
            "place": session.place,
            "trainer": session.trainer,
            "description": session.description,
            "territories": [t.pk for t in session.territories.all()],
        }
    form = TrainingForm(
        request.POST or None,
        programmes=programmes,
        territories=queries.territories_for(organisation).order_by("commune__name"),
        initial=initial,
    )

    def save(data: dict):
        return services.save_training(
            session,
            programme=data["programme"],
            territories=data["territories"],
            data=data,
            by=request.user,
            organisation=organisation,
            request=request,
        )

    return _form_page(
        request,
        form,
        save,
        success="La session de formation est enregistrée.",
        redirect_to=lambda saved: reverse("followup:training", args=[organisation.pk, saved.pk]),
        template="followup/training_form.html",
        context=_ctx(membership, session=session),
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_delete(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership = _hub_writer(request, organisation_id)
    organisation = membership.organisation
    session = queries.get_training_or_404(organisation, pk)

    def delete() -> dict:
        return services.delete_training(
            session, by=request.user, organisation=organisation, request=request
        )

    rows = _count(
        session.attendee_count,
        "ligne d'inscription ou de présence",
        "lignes d'inscription ou de présence",
    )
    return _confirm_delete(
        request,
        membership,
        session,
        delete,
        heading=f"Supprimer la session du {_day(session.starts_at)} ?",
        losses=[
            f"la session « {session.title} » ({session.get_audience_display().lower()}, "
            f"{session.where})",
            f"{rows}, dont {_count(session.attended_count, 'présent', 'présents')}",
            "sa place dans le suivi des territoires concernés et dans le rapport d'évaluation",
        ],
        button="Supprimer la session",
        cancel_url=reverse("followup:training", args=[organisation.pk, session.pk]),
        success=lambda done: f"{done['description']} : supprimée.",
        redirect_to=reverse("followup:trainings", args=[organisation.pk]),
    )


@login_required
def training(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership = queries.followup_membership_or_404(
        request.user, organisation_id, kinds=TRAINING_VIEW_KINDS
    )
    organisation = membership.organisation
    session = queries.get_training_or_404(organisation, pk)
    attendances = queries.training_attendances(session)
    if organisation.kind in queries.TRAINEE_KINDS:
        # A prescriber or an operator sees its own line, not the others'.
        attendances = [a for a in attendances if a.organisation_id == organisation.pk]
    elif organisation.kind == Kind.MUNICIPALITY:
        local = set(
            queries.local_organisations(
                queries.territories_for(organisation), [Kind.PRESCRIBER, Kind.OPERATOR]
            ).values_list("pk", flat=True)
        )
        attendances = [a for a in attendances if a.organisation_id in local]
    return render(
        request,
        "followup/training.html",
        _ctx(
            membership,
            session=session,
            territories=queries.training_territories(session),
            attendances=attendances,
            rate=queries.attendance_rate(session.attended_count, session.attendee_count),
            can_manage=queries.is_hub_of(organisation, session.programme)
            and queries.is_writer(membership),
            sees_all=organisation.kind in (Kind.HUB, Kind.FUNDER),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_attendance(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership = _hub_writer(request, organisation_id)
    organisation = membership.organisation
    session = queries.get_training_or_404(organisation, pk)
    candidates = queries.training_candidates(session)
    current = queries.training_attendances(session)
    form = TrainingAttendanceForm(
        request.POST or None,
        candidates=candidates,
        initial={
            "registered": [
                str(a.organisation_id) for a in current if a.organisation_id and a.registered
            ],
            "attended": [
                str(a.organisation_id) for a in current if a.organisation_id and a.attended
            ],
            "registered_names": "\n".join(
                a.person_name for a in current if not a.organisation_id and a.registered
            ),
            "attended_names": "\n".join(
                a.person_name for a in current if not a.organisation_id and a.attended
            ),
        },
    )

    def save(data: dict) -> None:
        services.set_training_attendance(
            session,
            registered=form.organisations("registered"),
            attended=form.organisations("attended"),
            registered_names=form.names(data["registered_names"]),
            attended_names=form.names(data["attended_names"]),
            by=request.user,
            organisation=organisation,
            request=request,
        )

    selected_registered = set(form["registered"].value() or [])
    selected_attended = set(form["attended"].value() or [])
    rows = [
        {
            "organisation": o,
            "value": str(o.pk),
            "registered": str(o.pk) in {str(v) for v in selected_registered},
            "attended": str(o.pk) in {str(v) for v in selected_attended},
        }
        for o in candidates
    ]
    return _form_page(
        request,
        form,
        save,
        success="Les inscriptions et présences sont enregistrées.",
        redirect_to=reverse("followup:training", args=[organisation.pk, session.pk]),
        template="followup/training_attendance.html",
        context=_ctx(membership, session=session, rows=rows),
    )


@login_required
def training_attendance_export(request: HttpRequest, organisation_id: int, pk: int, fmt: str):
    membership = queries.followup_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    if organisation.kind not in (Kind.HUB, Kind.FUNDER):
        raise PermissionDenied(
            "La liste complète des présences est réservée au hub et au commanditaire."
        )
    session = queries.get_training_or_404(organisation, pk)
    header = ["Session", "Date", "Structure", "Type", "Commune", "Personne", "Inscrite", "Présente"]
    rows = [
        [
            session.title,
            session.starts_at,
            a.organisation.name if a.organisation_id else "",
            a.organisation.get_kind_display() if a.organisation_id else "Personne sans compte",
            a.organisation.commune.name if a.organisation_id and a.organisation.commune_id else "",
            a.person_name,
            a.registered,
            a.attended,
        ]
        for a in queries.training_attendances(session)
    ]
    return _export(
        request, membership, f"presences-formation-{session.pk}", _fmt(fmt), header, rows
    )


# --- Sharing meetings -----------------------------------------------------------------------


@login_required
def meetings(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.followup_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    return render(
        request,
        "followup/meetings.html",
        _ctx(
            membership,
            page=_page(request, queries.meetings_for(organisation)),
            can_create=organisation.kind == Kind.FUNDER
            and queries.is_writer(membership)
            and queries.programmes_for(organisation).exists(),
        ),
    )


@login_required
def meetings_export(request: HttpRequest, organisation_id: int, fmt: str) -> HttpResponse:
    membership = queries.followup_membership_or_404(request.user, organisation_id)
    qs = queries.meetings_for(membership.organisation).prefetch_related(
        "invitees__territory__commune"
    )
    header = [
        "Programme",
        "Thème",
        "Date",
        "Lieu",
        "Territoires invités",
        "Territoires présents",
        "Liste des présents",
        "Compte rendu",
    ]
    rows = (
        [
            m.programme.name,
            m.topic,
            m.held_at,
            m.where,
            m.invited_count,
            m.present_count,
            ", ".join(i.territory.commune.name for i in m.invitees.all() if i.present),
            m.has_minutes,
        ]
        for m in qs
    )
    return _export(request, membership, "reunions-partage", _fmt(fmt), header, rows)


def _funder_writer(request, organisation_id: int) -> Membership:
    membership = queries.followup_membership_or_404(request.user, organisation_id, write=True)
    if membership.organisation.kind != Kind.FUNDER:
        raise PermissionDenied("Seul le commanditaire organise les réunions de partage.")
    return membership


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, organisation_id: int, pk: int | None = None):
    membership = _funder_writer(request, organisation_id)
    organisation = membership.organisation
    meeting = queries.get_meeting_or_404(organisation, pk) if pk else None
    programmes = queries.programmes_for(organisation)
    if not programmes.exists():
        raise Http404("Vous ne conduisez aucun programme.")
    territories = queries.territories_for(organisation).order_by("commune__name")
    initial = {"programme": programmes.first()}
    if meeting is not None:
        initial = {
            "programme": meeting.programme,
            "topic": meeting.topic,
            "held_at": meeting.held_at,
            "is_remote": meeting.is_remote,
            "place": meeting.place,
            "agenda": meeting.agenda,
            "minutes_text": meeting.minutes_html,
            "invited": list(meeting.invitees.values_list("territory_id", flat=True)),
        }
    form = MeetingForm(
        request.POST or None,
        request.FILES or None,
        programmes=programmes,
        territories=territories,
        initial=initial,
    )

    def save(data: dict):
        return services.save_meeting(
            meeting,
            programme=data["programme"],
            data=data,
            invited=data["invited"],
            minutes=_minutes_input(form),
            by=request.user,
            organisation=organisation,
            request=request,
        )

    return _form_page(
        request,
        form,
        save,
        success="La réunion de partage d'expérience est enregistrée.",
        redirect_to=lambda saved: reverse("followup:meeting", args=[organisation.pk, saved.pk]),
        template="followup/meeting_form.html",
        context=_ctx(membership, meeting=meeting),
    )


@login_required
def meeting(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership = queries.followup_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    obj = queries.get_meeting_or_404(organisation, pk)
    return render(
        request,
        "followup/meeting.html",
        _ctx(
            membership,
            meeting=obj,
            invitees=queries.meeting_invitees(obj),
            can_manage=queries.is_funder_of(organisation, obj.programme)
            and queries.is_writer(membership),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_presence(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership = _funder_writer(request, organisation_id)
    organisation = membership.organisation
    obj = queries.get_meeting_or_404(organisation, pk)
    invitees = queries.meeting_invitees(obj)
    from programmes.models import Territory

    form = MeetingPresenceForm(
        request.POST or None,
        territories=Territory.objects.filter(sharing_invitations__meeting=obj)
        .select_related("commune", "municipality")
        .order_by("commune__name"),
        initial={"present": [i.territory_id for i in invitees if i.present]},
    )

    def save(data: dict) -> None:
        services.set_meeting_presence(
            obj,
            present=data["present"],
            by=request.user,
            organisation=organisation,
            request=request,
        )

    return _form_page(
        request,
        form,
        save,
        success="Les présences à la réunion sont enregistrées.",
        redirect_to=reverse("followup:meeting", args=[organisation.pk, obj.pk]),
        template="followup/meeting_presence.html",
        context=_ctx(membership, meeting=obj),
    )


@login_required
def meeting_minutes(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership = queries.followup_membership_or_404(request.user, organisation_id)
    obj = queries.get_meeting_or_404(membership.organisation, pk)
    return _minutes_response(
        request, membership, obj, f"reunion-partage-{obj.held_at:%Y%m%d}-{obj.pk}.pdf"
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_delete(request: HttpRequest, organisation_id: int, pk: int) -> HttpResponse:
    membership = _funder_writer(request, organisation_id)
    organisation = membership.organisation
    obj = queries.get_meeting_or_404(organisation, pk)

    def delete() -> dict:
        return services.delete_meeting(
            obj, by=request.user, organisation=organisation, request=request
        )

    invited = _count(obj.invited_count, "territoire invité", "territoires invités")
    return _confirm_delete(
        request,
        membership,
        obj,
        delete,
        heading=f"Supprimer la réunion du {_day(obj.held_at)} ?",
        losses=[
            f"la réunion de partage d'expérience « {obj.topic} » ({obj.where})",
            f"{invited}, dont {_count(obj.present_count, 'présent', 'présents')}",
            *_minutes_losses(obj),
            "sa place dans le suivi des territoires invités et dans le rapport d'évaluation",
        ],
        button="Supprimer la réunion",
        cancel_url=reverse("followup:meeting", args=[organisation.pk, obj.pk]),
        success=lambda done: f"{done['description']} : supprimée.",
        redirect_to=reverse("followup:meetings", args=[organisation.pk]),
    )
