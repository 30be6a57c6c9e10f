"""Reads of the territories' follow-up, and the object-level access helpers every view uses.

Who sees what (the organisation the user acts for, always loaded through
``organisations.queries``):

- a funder: every territory of its programmes, their trainings, committees, feedback and its
  sharing meetings;
- a hub: the territories of the programmes where it is the hub (same reach);
- a municipality: its own territory only (anything else is a 404), the trainings that concern it,
  its committees, its feedback, the sharing meetings it is invited to;
- a prescriber or an operator: the trainings it is invited to (its commune or its municipality is
  among the concerned territories, or it is on the attendance list).

``territory_followup(territory)`` gathers one territory's follow-up for the evaluation report.
"""

from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from organisations.models import Membership, Organisation, Role
from organisations.queries import get_membership_or_404
from programmes.models import Programme, Territory

from .models import (
    Audience,
    CommitteeAttendance,
    ExperienceFeedback,
    FeedbackStatus,
    FollowupCommittee,
    SharingMeeting,
    SharingMeetingTerritory,
    TrainingAttendance,
    TrainingSession,
)

Kind = Organisation.Kind
STEERING_KINDS = {Kind.FUNDER, Kind.HUB, Kind.MUNICIPALITY}
TRAINEE_KINDS = {Kind.PRESCRIBER, Kind.OPERATOR}
WRITER_ROLES = {Role.ADMIN, Role.MEMBER}


# --- Access -------------------------------------------------------------------------------


def followup_membership_or_404(
    user, organisation_id: int, *, kinds: set[str] | None = None, write: bool = False
) -> Membership:
    """The user's membership of an organisation that takes part in the follow-up.

    Non-members and organisations of another kind get a 404; read-only members get a 403 when
    ``write`` is asked."""
    roles = WRITER_ROLES if write else None
    membership = get_membership_or_404(user, organisation_id, roles=roles)
    if membership.organisation.kind not in (kinds or STEERING_KINDS):
        raise Http404("Cette page ne concerne pas ce type d'organisation.")
    return membership


def is_writer(membership: Membership) -> bool:
    return membership.role in WRITER_ROLES


def programmes_for(organisation: Organisation) -> QuerySet[Programme]:
    if organisation.kind == Kind.FUNDER:
        return Programme.objects.filter(funder=organisation)
    if organisation.kind == Kind.HUB:
        return Programme.objects.filter(hub=organisation)
    if organisation.kind == Kind.MUNICIPALITY:
        return Programme.objects.filter(territories__municipality=organisation).distinct()
    return Programme.objects.none()


def territories_for(organisation: Organisation) -> QuerySet[Territory]:
    """The territories an organisation follows (funder, hub) or is (municipality)."""
    qs = Territory.objects.select_related("commune", "programme", "municipality")
    if organisation.kind == Kind.FUNDER:
        return qs.filter(programme__funder=organisation)
    if organisation.kind == Kind.HUB:
        return qs.filter(programme__hub=organisation)
    if organisation.kind == Kind.MUNICIPALITY:
        return qs.filter(municipality=organisation)
    return qs.none()


def get_territory_or_404(organisation: Organisation, territory_id: int) -> Territory:
    territory = territories_for(organisation).filter(pk=territory_id).first()
    if territory is None:
        raise Http404("Territoire introuvable.")
    return territory


def is_hub_of(organisation: Organisation, programme: Programme) -> bool:
    return organisation.kind == Kind.HUB and programme.hub_id == organisation.pk


def is_funder_of(organisation: Organisation, programme: Programme) -> bool:
    return organisation.kind == Kind.FUNDER and programme.funder_id == organisation.pk


def is_municipality_of(organisation: Organisation, territory: Territory) -> bool:
    return organisation.kind == Kind.MUNICIPALITY and territory.municipality_id == organisation.pk


def territories_with_summary(
    organisation: Organisation, programme_id: int | None = None, search: str = ""
) -> QuerySet[Territory]:
    """The territories list: one row per territory with its follow-up counters (subqueries, so
    the counts never multiply each other)."""
    qs = territories_for(organisation)
    if programme_id:
        qs = qs.filter(programme_id=programme_id)
    if search:
        qs = qs.filter(Q(commune__name__icontains=search) | Q(municipality__name__icontains=search))

    def counted(queryset) -> Coalesce:
        subquery = queryset.order_by().values("territory").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(subquery[:1], output_field=IntegerField()), 0)

    trainings = TrainingSession.territories.through.objects.filter(territory=OuterRef("pk"))
    committees = FollowupCommittee.objects.filter(territory=OuterRef("pk"))
    meetings = SharingMeetingTerritory.objects.filter(territory=OuterRef("pk"))
    referents = Territory.referents.through.objects.filter(territory=OuterRef("pk"))
    feedback = ExperienceFeedback.objects.filter(
        territory=OuterRef("pk"), programme=OuterRef("programme")
    )
    return qs.annotate(
        training_count=counted(trainings),
        committee_count=counted(committees),
        meeting_count=counted(meetings),
        referent_count=counted(referents),
        feedback_status=Subquery(feedback.values("status")[:1]),
    ).order_by("programme__name", "commune__name")


# --- Référents ------------------------------------------------------------------------------


def referents_of(territory: Territory) -> list:
    return list(territory.referents.order_by("last_name", "first_name", "email"))


def referent_candidates(territory: Territory):
    """Active members of the territory's municipality (the only people who may be référents)."""
    from accounts.models import User

    return User.objects.filter(
        is_active=True,
        memberships__organisation=territory.municipality,
        memberships__is_active=True,
    ).order_by("last_name", "first_name", "email")


# --- Trainings ------------------------------------------------------------------------------


def _attendance_counts(qs: QuerySet) -> QuerySet:
    return qs.annotate(
        attendee_count=Count("attendances", distinct=True),
        registered_count=Count(
            "attendances", filter=Q(attendances__registered=True), distinct=True
        ),
        attended_count=Count("attendances", filter=Q(attendances__attended=True), distinct=True),
    )


def attendance_rate(attended: int, total: int) -> int | None:
    """Present ÷ expected (registered, plus walk-ins), as a whole percentage; None if nobody."""
    if not total:
        return None
    return round(100 * attended / total)


def trainings_for(organisation: Organisation) -> QuerySet[TrainingSession]:
    qs = TrainingSession.objects.select_related("programme")
    kind = organisation.kind
    if kind == Kind.FUNDER:
        qs = qs.filter(programme__funder=organisation)
    elif kind == Kind.HUB:
        qs = qs.filter(programme__hub=organisation)
    elif kind == Kind.MUNICIPALITY:
        qs = qs.filter(
            Exists(
                TrainingSession.territories.through.objects.filter(
                    trainingsession=OuterRef("pk"), territory__municipality=organisation
                )
            )
        )
    elif kind in TRAINEE_KINDS:
        audience = Audience.PRESCRIBERS if kind == Kind.PRESCRIBER else Audience.OPERATORS
        local = Q(territory__commune_id=organisation.commune_id) if organisation.commune_id else Q()
        if organisation.parent_id:
            local |= Q(territory__municipality_id=organisation.parent_id)
        invited = (
            Exists(
                TrainingSession.territories.through.objects.filter(
                    local, trainingsession=OuterRef("pk")
                )
            )
            if local
            else Q(pk__in=[])
        )
        on_list = Exists(
            TrainingAttendance.objects.filter(session=OuterRef("pk"), organisation=organisation)
        )
        qs = qs.filter((Q(audience=audience) & invited) | on_list)
    else:
        qs = qs.none()
    return qs


def trainings_list(
    organisation: Organisation, *, territory_id: int | None = None, audience: str = ""
) -> QuerySet[TrainingSession]:
    qs = trainings_for(organisation)
    if territory_id:
        qs = qs.filter(territories=territory_id)
    if audience in Audience.values:
        qs = qs.filter(audience=audience)
    return _attendance_counts(qs).order_by("-starts_at", "-pk")


def get_training_or_404(organisation: Organisation, pk: int) -> TrainingSession:
    session = _attendance_counts(trainings_for(organisation).filter(pk=pk)).first()
    if session is None:
        raise Http404("Session de formation introuvable.")
    return session


def training_territories(session: TrainingSession) -> list[Territory]:
    return list(session.territories.select_related("commune", "municipality"))


def _organisations_first(rows: list) -> list:
    return sorted(
        rows,
        key=lambda a: (
            a.organisation_id is None,
            (a.organisation.name if a.organisation_id else a.person_name).lower(),
            a.person_name.lower(),
        ),
    )


def training_attendances(session: TrainingSession) -> list[TrainingAttendance]:
    """Organisations first (by name), then people without an account."""
    return _organisations_first(
        list(session.attendances.select_related("organisation", "organisation__commune"))
    )


def local_organisations(territories, kinds: list[str]) -> QuerySet[Organisation]:
    """Active organisations of those kinds in the territories: by commune, or attached to the
    territory's municipality."""
    territories = list(territories)
    communes = [t.commune_id for t in territories]
    municipalities = [t.municipality_id for t in territories]
    return (
        Organisation.objects.filter(kind__in=kinds, is_active=True)
        .filter(Q(commune_id__in=communes) | Q(parent_id__in=municipalities))
        .select_related("commune")
        .distinct()
        .order_by("kind", "name")
    )


def training_candidates(session: TrainingSession) -> list[Organisation]:
    """The prescribers and operators of the concerned territories, the session's audience
    first."""
    first = Kind.PRESCRIBER if session.audience == Audience.PRESCRIBERS else Kind.OPERATOR
    orgs = list(local_organisations(session.territories.all(), [Kind.PRESCRIBER, Kind.OPERATOR]))
    return sorted(orgs, key=lambda o: (o.kind != first, o.name.lower()))


# --- Follow-up committees -------------------------------------------------------------------


def committees_of(territory: Territory) -> QuerySet[FollowupCommittee]:
    return territory.followup_committees.annotate(
        attendee_count=Count("attendances", filter=Q(attendances__attended=True))
    ).order_by("-held_at", "-pk")


def get_committee_or_404(territory: Territory, pk: int) -> FollowupCommittee:
    committee = committees_of(territory).filter(pk=pk).first()
    if committee is None:
        raise Http404("Comité de suivi introuvable.")
    return committee


def committee_attendances(committee: FollowupCommittee) -> list[CommitteeAttendance]:
    """Organisations first (by name), then people named in free text."""
    return _organisations_first(list(committee.attendances.select_related("organisation")))


def committee_candidates(territory: Territory) -> list[Organisation]:
    """Who may sit on a territory's committee: its municipality, the programme's hub and funder,
    and the territory's prescribers and operators."""
    programme = territory.programme
    core = [territory.municipality, programme.hub, programme.funder]
    local = list(local_organisations([territory], [Kind.PRESCRIBER, Kind.OPERATOR]))
    seen, result = set(), []
    for org in [*core, *local]:
        if org is not None and org.pk not in seen:
            seen.add(org.pk)
            result.append(org)
    return result


# --- Retour d'expérience --------------------------------------------------------------------


def feedback_of(territory: Territory) -> ExperienceFeedback | None:
    return (
        ExperienceFeedback.objects.filter(territory=territory, programme=territory.programme_id)
        .select_related("submitted_by", "created_by")
        .first()
    )


def feedbacks_for(organisation: Organisation) -> QuerySet[ExperienceFeedback]:
    return (
        ExperienceFeedback.objects.filter(territory__in=territories_for(organisation))
        .select_related("territory__commune", "programme", "submitted_by")
        .order_by("programme__name", "territory__commune__name")
    )


# --- Sharing meetings -----------------------------------------------------------------------


def meetings_for(organisation: Organisation) -> QuerySet[SharingMeeting]:
    qs = SharingMeeting.objects.select_related("programme")
    if organisation.kind == Kind.FUNDER:
        qs = qs.filter(programme__funder=organisation)
    elif organisation.kind == Kind.HUB:
        qs = qs.filter(programme__hub=organisation)
    elif organisation.kind == Kind.MUNICIPALITY:
        qs = qs.filter(
            Exists(
                SharingMeetingTerritory.objects.filter(
                    meeting=OuterRef("pk"), territory__municipality=organisation
                )
            )
        )
    else:
        qs = qs.none()
    return qs.annotate(
        invited_count=Count("invitees", distinct=True),
        present_count=Count("invitees", filter=Q(invitees__present=True), distinct=True),
    ).order_by("-held_at", "-pk")


def get_meeting_or_404(organisation: Organisation, pk: int) -> SharingMeeting:
    meeting = meetings_for(organisation).filter(pk=pk).first()
    if meeting is None:
        raise Http404("Réunion introuvable.")
    return meeting


def meeting_invitees(meeting: SharingMeeting) -> list[SharingMeetingTerritory]:
    return list(
        meeting.invitees.select_related("territory__commune", "territory__municipality").order_by(
            "territory__commune__name"
        )
    )


# --- For the evaluation report --------------------------------------------------------------


def territory_followup(territory: Territory) -> dict[str, Any]:
    """Everything about one territory's follow-up, as plain data, for the evaluation report
    (issue 8) and the exports. Datetimes are aware (format them in Europe/Paris).

    Returns::

        {
          "territory": {"id", "commune", "insee_code", "municipality", "programme",
                        "booklets_allocated", "joined_on", "is_pilot"},
          "referents": [{"name", "email", "phone"}],
          "trainings": [{"id", "title", "audience", "audience_label", "starts_at",
                         "duration_minutes", "where", "trainer",
                         "registered", "attended", "attendees", "attendance_rate",
                         "local_registered", "local_attended"}],   # newest first
          "committees": [{"id", "held_at", "where", "agenda", "has_minutes",
                          "minutes_html", "has_minutes_pdf", "attended",
                          "attendees": [str]}],                     # newest first
          "feedback": None or {"status", "submitted_at", "submitted_by",
                               "booklets_distributed", "passes_distributed",
                               "people_reached", "pic_people", "qpv_people",
                               "publics_comment", "prescribers_mobilised",
                               "operators_mobilised", "actors_comment", "what_worked",
                               "difficulties", "suggestions", "would_continue"},
          "sharing_meetings": [{"id", "topic", "held_at", "where", "present"}],  # invited to
        }

    ``feedback`` is the submitted retour d'expérience only (a draft is the territory's own
    work in progress, not something to report). In a training, ``registered`` counts rows marked
    registered, ``attended`` those present, ``attendees`` every row (registered or walk-in);
    ``attendance_rate`` is attended ÷ attendees in whole percent (None when nobody), and the
    ``local_*`` counts are those of the territory's own organisations (by commune or attached to
    its municipality).
    """
    territory = (
        Territory.objects.select_related("commune", "programme", "municipality")
        .prefetch_related("referents")
        .get(pk=territory.pk)
    )
    local_ids = set(
        local_organisations([territory], [Kind.PRESCRIBER, Kind.OPERATOR]).values_list(
            "pk", flat=True
        )
    )
    sessions = (
        TrainingSession.objects.filter(territories=territory)
        .prefetch_related(
            Prefetch("attendances", queryset=TrainingAttendance.objects.order_by("pk"))
        )
        .order_by("-starts_at", "-pk")
    )
    trainings = []
    for s in sessions:
        rows = list(s.attendances.all())
        attended = sum(1 for a in rows if a.attended)
        trainings.append(
            {
                "id": s.pk,
                "title": s.title,
                "audience": s.audience,
                "audience_label": s.get_audience_display(),
                "starts_at": s.starts_at,
                "duration_minutes": s.duration_minutes,
                "where": s.where,
                "trainer": s.trainer,
                "registered": sum(1 for a in rows if a.registered),
                "attended": attended,
                "attendees": len(rows),
                "attendance_rate": attendance_rate(attended, len(rows)),
                "local_registered": sum(
                    1 for a in rows if a.registered and a.organisation_id in local_ids
                ),
                "local_attended": sum(
                    1 for a in rows if a.attended and a.organisation_id in local_ids
                ),
            }
        )
    committees = []
    for c in territory.followup_committees.prefetch_related(
        Prefetch(
            "attendances",
            queryset=CommitteeAttendance.objects.select_related("organisation"),
        )
    ).order_by("-held_at", "-pk"):
        present = _organisations_first([a for a in c.attendances.all() if a.attended])
        committees.append(
            {
                "id": c.pk,
                "held_at": c.held_at,
                "where": c.where,
                "agenda": c.agenda,
                "has_minutes": c.has_minutes,
                "minutes_html": c.minutes_html,
                "has_minutes_pdf": bool(c.minutes_file),
                "attended": len(present),
                "attendees": [a.label for a in present],
            }
        )
    feedback = None
    fb = (
        ExperienceFeedback.objects.filter(
            territory=territory, programme=territory.programme_id, status=FeedbackStatus.SUBMITTED
        )
        .select_related("submitted_by")
        .first()
    )
    if fb is not None:
        feedback = {
            "status": fb.status,
            "submitted_at": fb.submitted_at,
            "submitted_by": fb.submitted_by.get_full_name() or fb.submitted_by.email,
            **{
                name: getattr(fb, name)
                for name in (
                    "booklets_distributed",
                    "passes_distributed",
                    "people_reached",
                    "pic_people",
                    "qpv_people",
                    "publics_comment",
                    "prescribers_mobilised",
                    "operators_mobilised",
                    "actors_comment",
                    "what_worked",
                    "difficulties",
                    "suggestions",
                    "would_continue",
                )
            },
        }
    meetings = [
        {
            "id": inv.meeting_id,
            "topic": inv.meeting.topic,
            "held_at": inv.meeting.held_at,
            "where": inv.meeting.where,
            "present": inv.present,
        }
        for inv in territory.sharing_invitations.select_related("meeting").order_by(
            "-meeting__held_at", "-meeting_id"
        )
    ]
    return {
        "territory": {
            "id": territory.pk,
            "commune": territory.commune.name,
            "insee_code": territory.commune_id,
            "municipality": territory.municipality.name,
            "programme": territory.programme.name,
            "booklets_allocated": territory.booklets_allocated,
            "joined_on": territory.joined_on,
            "is_pilot": territory.is_pilot,
        },
        "referents": [
            {"name": u.get_full_name() or u.email, "email": u.email, "phone": u.phone}
            for u in sorted(
                territory.referents.all(), key=lambda u: (u.last_name, u.first_name, u.email)
            )
        ],
        "trainings": trainings,
        "committees": committees,
        "feedback": feedback,
        "sharing_meetings": meetings,
    }
