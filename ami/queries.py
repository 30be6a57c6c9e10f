"""Reads of the AMI app, and the object-level permission helpers its views (and the ``selection``
app) use. Nothing here writes.

Who sees what:

- the FUNDER organisation of a call's programme sees the call (published or not) and the
  applications once submitted (drafts are only counted, never opened);
- the call's HUB organisation sees the published call and the submitted applications;
- a MUNICIPALITY organisation sees the published calls where its commune is eligible (or
  excluded, so that it can read why it cannot apply), and only its own application.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from organisations.models import Membership, Organisation
from organisations.queries import get_membership_or_404, memberships_for

from .models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Call,
    HubOpinion,
    RequiredDocument,
)

PARIS = ZoneInfo("Europe/Paris")
Kind = Organisation.Kind
AMI_KINDS = (Kind.FUNDER, Kind.HUB, Kind.MUNICIPALITY)
SUBMITTED_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SELECTED,
    ApplicationStatus.NOT_SELECTED,
)
DECIDED_STATUSES = (ApplicationStatus.SELECTED, ApplicationStatus.NOT_SELECTED)

# Sections of the application form that must be filled before submission (field, label).
MANDATORY_SECTIONS = [
    "inclusion_issues",
    "network_diagnosis",
    "pass_fit",
    "pic_strategy",
    "referent_name",
    "referent_email",
    "planned_prescribers",
    "planned_operators",
    "booklets_requested",
]


# --- Dates, in Europe/Paris whatever the server's zone --------------------------------------


def paris(dt: datetime) -> datetime:
    return timezone.localtime(dt, PARIS)


def format_paris(dt: datetime) -> str:
    """« 15/10/2021 à 20:00 » (Europe/Paris)."""
    local = paris(dt)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def time_left_message(
    call: Call, now: datetime | None = None, *, with_deadline: bool = True
) -> str:
    """« Il reste 3 jours et 4 heures pour déposer », or that the deadline has passed."""
    now = now or timezone.now()
    if now >= call.deadline:
        return (
            f"La date limite de dépôt est passée ({format_paris(call.deadline)}) : "
            "la candidature ne peut plus être déposée."
        )
    left: timedelta = call.deadline - now
    days, seconds = left.days, left.seconds
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    if days:
        parts = [_plural(days, "jour")] + ([_plural(hours, "heure")] if hours else [])
    elif hours:
        parts = [_plural(hours, "heure")] + ([_plural(minutes, "minute")] if minutes else [])
    else:
        parts = [_plural(max(minutes, 1), "minute") if minutes else "moins d'une minute"]
    message = f"Il reste {' et '.join(parts)} pour déposer"
    return (
        f"{message} (avant le {format_paris(call.deadline)})." if with_deadline else message + "."
    )


def is_open(call: Call, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return call.is_published and call.opens_at <= now < call.deadline


# --- Calls ------------------------------------------------------------------------------------


def calls_for_organisation(organisation: Organisation) -> QuerySet[Call]:
    """The calls an organisation may see: a funder its programmes' calls (drafts included); a hub
    the published calls where it is the hub; a municipality the published calls where its
    commune is eligible or excluded (it reads there why it cannot apply). Others: none."""
    qs = Call.objects.select_related("programme", "programme__funder", "hub")
    if organisation.kind == Kind.FUNDER:
        return qs.filter(programme__funder=organisation)
    if organisation.kind == Kind.HUB:
        return qs.filter(hub=organisation, is_published=True)
    if organisation.kind == Kind.MUNICIPALITY and organisation.commune_id:
        ids = Call.objects.filter(
            Q(eligible_communes=organisation.commune_id)
            | Q(excluded_communes=organisation.commune_id),
            is_published=True,
        ).values("pk")
        return qs.filter(pk__in=ids)
    return qs.none()


def call_of_organisation(organisation: Organisation, call_id: int) -> Call | None:
    return (
        calls_for_organisation(organisation)
        .prefetch_related("required_documents", "criteria")
        .filter(pk=call_id)
        .first()
    )


def get_call_for_member_or_404(
    user, call_id: int, organisation_id: int | None = None
) -> tuple[Call, Membership]:
    """The call and the membership through which ``user`` sees it, or 404.

    With ``organisation_id`` (the organisation the user acts for, as in every URL of this app)
    only that membership is tried: a non-member of it gets 404, and so does a member of an
    organisation that may not see the call. Without it, the user's memberships are tried in
    this order: funder, hub, municipality. The role is not checked here (views check it)."""
    if organisation_id is not None:
        memberships = [get_membership_or_404(user, organisation_id)]
    else:
        order = {Kind.FUNDER: 0, Kind.HUB: 1, Kind.MUNICIPALITY: 2}
        memberships = sorted(
            (m for m in memberships_for(user) if m.organisation.kind in order),
            key=lambda m: order[m.organisation.kind],
        )
    for membership in memberships:
        call = call_of_organisation(membership.organisation, call_id)
        if call is not None:
            return call, membership
    raise Http404("Appel à manifestation d'intérêt introuvable.")


def eligibility_refusal(call: Call, organisation: Organisation) -> str | None:
    """Why this organisation may not apply to the call, in French; None when it may."""
    if organisation.kind != Kind.MUNICIPALITY:
        return "Seules les collectivités (communes) peuvent candidater à un appel."
    if organisation.commune_id is None:
        return (
            "La commune de votre collectivité n'est pas renseignée : demandez à un administrateur "
            "de l'indiquer dans la fiche de l'organisation."
        )
    if call.excluded_communes.filter(pk=organisation.commune_id).exists():
        return (
            "Votre commune est déjà territoire d'expérimentation du programme : "
            "l'appel est réservé aux nouvelles communes."
        )
    if not call.eligible_communes.filter(pk=organisation.commune_id).exists():
        return "Votre commune ne fait pas partie des communes éligibles à cet appel."
    return None


def required_documents(call: Call) -> QuerySet[RequiredDocument]:
    return call.required_documents.order_by("position", "pk")


def communes_summary(call: Call) -> dict:
    eligible = call.eligible_communes.order_by("name")
    excluded = call.excluded_communes.order_by("name")
    return {
        "eligible_count": eligible.count(),
        "excluded": list(excluded),
        "eligible_sample": list(eligible[:12]),
    }


# --- Applications -----------------------------------------------------------------------------


def _applications() -> QuerySet[Application]:
    return Application.objects.select_related(
        "call", "call__programme", "call__programme__funder", "call__hub", "commune", "municipality"
    )


def submitted_applications(call: Call) -> QuerySet[Application]:
    """The applications of the call that were submitted (SUBMITTED, SELECTED, NOT_SELECTED), with
    the commune and the municipality joined, sorted by commune name."""
    return (
        Application.objects.filter(call=call, status__in=SUBMITTED_STATUSES)
        .select_related("commune", "municipality", "commune__ept")
        .order_by("commune__name", "pk")
    )


def applications_for_funder(call: Call) -> QuerySet[Application]:
    """Every application of the call (drafts included, which the funder may only count), with its
    documents count and the hub's verdict."""
    return (
        Application.objects.filter(call=call)
        .select_related("commune", "municipality", "hub_opinion")
        .annotate(document_count=Count("documents"))
        .order_by("commune__name", "pk")
    )


def applications_for_hub(call: Call) -> QuerySet[Application]:
    return (
        submitted_applications(call)
        .select_related("hub_opinion")
        .annotate(document_count=Count("documents"))
    )


def status_counts(call: Call) -> dict[str, int]:
    rows = Application.objects.filter(call=call).values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(ApplicationStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def application_of_municipality(call: Call, organisation: Organisation) -> Application | None:
    return Application.objects.filter(call=call, municipality=organisation).first()


def applications_of_municipality(organisation: Organisation) -> dict[int, Application]:
    """This municipality's applications, by call id."""
    return {
        a.call_id: a
        for a in Application.objects.filter(municipality=organisation).only(
            "pk", "call_id", "status"
        )
    }


def visible_applications(organisation: Organisation) -> QuerySet[Application]:
    """The applications an organisation may open."""
    qs = _applications()
    if organisation.kind == Kind.MUNICIPALITY:
        return qs.filter(municipality=organisation)
    if organisation.kind == Kind.FUNDER:
        return qs.filter(call__programme__funder=organisation, status__in=SUBMITTED_STATUSES)
    if organisation.kind == Kind.HUB:
        return qs.filter(
            call__hub=organisation, call__is_published=True, status__in=SUBMITTED_STATUSES
        )
    return qs.none()


def get_application_for_member_or_404(
    user, organisation_id: int, application_id: int
) -> tuple[Application, Membership]:
    """The application the user may open for this organisation (its own, for a municipality;
    a submitted one of its calls, for the funder and the hub), or 404."""
    membership = get_membership_or_404(user, organisation_id)
    application = (
        visible_applications(membership.organisation)
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=ApplicationDocument.objects.select_related("required_document"),
            )
        )
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise Http404("Candidature introuvable.")
    return application, membership


def can_see_hub_opinion(membership: Membership, application: Application) -> bool:
    """The hub's opinion is for the hub itself, the funder (and so the committee) only; the
    commune sees it once its application is decided (SELECTED or NOT_SELECTED, with a date).

    Committee members who are not members of the funder are checked by the ``selection`` app."""
    organisation = membership.organisation
    call = application.call
    if not membership.is_active:
        return False
    if organisation.kind == Kind.HUB:
        return call.hub_id == organisation.pk
    if organisation.kind == Kind.FUNDER:
        return call.programme.funder_id == organisation.pk
    if organisation.kind == Kind.MUNICIPALITY:
        return (
            application.municipality_id == organisation.pk
            and application.status in DECIDED_STATUSES
            and application.decided_at is not None
        )
    return False


def hub_opinion_of(application: Application) -> HubOpinion | None:
    return HubOpinion.objects.filter(application=application).select_related("author").first()


def documents_by_requirement(application: Application) -> list[dict]:
    """One row per required document of the call: the requirement and its uploaded PDF (or None)."""
    uploaded = {d.required_document_id: d for d in application.documents.all()}
    return [
        {"required": required, "document": uploaded.get(required.pk)}
        for required in required_documents(application.call)
    ]


def missing_items(application: Application) -> list[str]:
    """What stops the submission, in French: mandatory documents not uploaded, then empty
    mandatory sections."""
    missing = []
    uploaded = set(application.documents.values_list("required_document_id", flat=True))
    for required in required_documents(application.call):
        if required.is_mandatory and required.pk not in uploaded:
            missing.append(f"Pièce manquante : {required.label}")
    for name in MANDATORY_SECTIONS:
        value = getattr(application, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            label = Application._meta.get_field(name).verbose_name
            missing.append(f"Rubrique à remplir : {label[:1].upper()}{label[1:]}")
    return missing


def receipt_number(application: Application) -> str:
    """The receipt's number: AR-<year of submission>-<call>-<application>."""
    year = paris(application.submitted_at).year if application.submitted_at else 0
    return f"AR-{year}-{application.call_id:04d}-{application.pk:06d}"
