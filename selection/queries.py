"""Reads of the selection, and the permission helpers of its views.

Who sees what:
- the committee's screens (applications with their documents and hub opinion, scores, ranking,
  proposal) are for committee members only, reached through the funder's workspace (or the hub's
  for the qualified person); a member who declared a conflict on an application sees none of its
  scores;
- the committee's composition and the Bureau vote are managed by the funder's admins;
- a commune's workspace never reaches these screens (404).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from accounts.models import User
from ami import queries as ami_queries
from ami.models import Application, ApplicationStatus, Call, Criterion, HubOpinion
from geo.models import Commune
from organisations.models import Membership, Organisation, Role
from organisations.queries import get_membership_or_404

from .models import (
    BureauVote,
    ChairDelegation,
    CommitteeMember,
    ConflictDeclaration,
    MemberFunction,
    Proposal,
    Score,
)

TWO_PLACES = Decimal("0.01")
EXAMINED = [ApplicationStatus.SUBMITTED, ApplicationStatus.SELECTED, ApplicationStatus.NOT_SELECTED]


# --- Access ----------------------------------------------------------------------------------


def calls_of(organisation: Organisation) -> QuerySet[Call]:
    """Calls whose selection this organisation takes part in: as the funder, or as the hub."""
    if organisation.kind == Organisation.Kind.FUNDER:
        qs = Call.objects.filter(programme__funder=organisation)
    elif organisation.kind == Organisation.Kind.HUB:
        qs = Call.objects.filter(hub=organisation)
    else:
        return Call.objects.none()
    return qs.select_related("programme", "programme__funder", "hub").order_by("-deadline", "pk")


def call_of_or_404(organisation: Organisation, call_id: int) -> Call:
    call = calls_of(organisation).filter(pk=call_id).first()
    if call is None:
        raise Http404("Appel introuvable.")
    return call


@dataclass
class Access:
    membership: Membership
    call: Call
    member: CommitteeMember | None

    @property
    def organisation(self) -> Organisation:
        return self.membership.organisation

    @property
    def is_funder_admin(self) -> bool:
        return (
            self.membership.organisation_id == self.call.programme.funder_id
            and self.membership.role == Role.ADMIN
        )

    @property
    def is_chair(self) -> bool:
        return self.member is not None and self.member.is_chair


def access_or_404(user: User, organisation_id: int, call_id: int) -> Access:
    """The user's membership of the organisation (404 if none), the call (404 unless this
    organisation is its funder or hub) and the user's committee seat, if any."""
    membership = get_membership_or_404(user, organisation_id)
    call = call_of_or_404(membership.organisation, call_id)
    member = CommitteeMember.objects.filter(call=call, user=user).select_related("user").first()
    return Access(membership, call, member)


def committee_access_or_403(user: User, organisation_id: int, call_id: int) -> Access:
    access = access_or_404(user, organisation_id, call_id)
    if access.member is None:
        raise PermissionDenied("Cet écran est réservé aux membres du comité d'examen.")
    return access


def funder_admin_access_or_403(user: User, organisation_id: int, call_id: int) -> Access:
    access = access_or_404(user, organisation_id, call_id)
    if not access.is_funder_admin:
        raise PermissionDenied(
            "Cet écran est réservé aux administrateurs du commanditaire de l'appel."
        )
    return access


def seats_of(user: User, organisation: Organisation) -> QuerySet[CommitteeMember]:
    """The user's committee seats on calls of this organisation (funder or hub)."""
    return CommitteeMember.objects.filter(
        user=user, call__in=calls_of(organisation)
    ).select_related("call")


# --- Committee -------------------------------------------------------------------------------


def committee_of(call: Call) -> list[CommitteeMember]:
    order = {value: i for i, value in enumerate(MemberFunction.values)}
    members = list(CommitteeMember.objects.filter(call=call).select_related("user"))
    members.sort(key=lambda m: (order[m.function], m.political_group, m.user.last_name, m.pk))
    return members


def delegations_of(call: Call) -> QuerySet[ChairDelegation]:
    return ChairDelegation.objects.filter(call=call).select_related(
        "from_member__user", "to_member__user", "created_by"
    )


def candidate_users(call: Call) -> QuerySet[User]:
    """People who may be added: active members of the funder or of the call's hub, not seated."""
    orgs = [call.programme.funder_id] + ([call.hub_id] if call.hub_id else [])
    seated = CommitteeMember.objects.filter(call=call).values("user_id")
    return (
        User.objects.filter(
            memberships__organisation_id__in=orgs,
            memberships__is_active=True,
            is_active=True,
        )
        .exclude(pk__in=seated)
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


def proposal_of(call: Call) -> Proposal | None:
    return Proposal.objects.filter(call=call).select_related("validated_by", "updated_by").first()


def vote_of(call: Call) -> BureauVote | None:
    return BureauVote.objects.filter(call=call).select_related("recorded_by").first()


def is_frozen(call: Call) -> bool:
    return Proposal.objects.filter(call=call, validated_at__isnull=False).exists()


# --- Applications ----------------------------------------------------------------------------


def examined_applications(call: Call) -> QuerySet[Application]:
    """Applications the committee examines: submitted, or already decided."""
    return ami_queries.submitted_applications(call).select_related(
        "commune__parent__ept", "hub_opinion"
    )


def application_for_committee_or_404(call: Call, application_id: int) -> Application:
    application = examined_applications(call).filter(pk=application_id).first()
    if application is None:
        raise Http404("Candidature introuvable.")
    return application


def hub_opinion_of(application: Application) -> HubOpinion | None:
    return HubOpinion.objects.filter(application=application).first()


def criteria_of(call: Call) -> list[Criterion]:
    return list(Criterion.objects.filter(call=call).order_by("position", "pk"))


def declarations_of(member: CommitteeMember) -> dict[int, ConflictDeclaration]:
    return {d.application_id: d for d in ConflictDeclaration.objects.filter(member=member)}


def conflicted_application_ids(member: CommitteeMember | None) -> set[int]:
    if member is None:
        return set()
    return set(
        ConflictDeclaration.objects.filter(member=member, has_conflict=True).values_list(
            "application_id", flat=True
        )
    )


def my_scores(member: CommitteeMember, application: Application) -> dict[int, Score]:
    return {s.criterion_id: s for s in Score.objects.filter(member=member, application=application)}


def scored_counts(member: CommitteeMember) -> dict[int, int]:
    """application id → number of criteria this member scored."""
    return dict(
        Score.objects.filter(member=member)
        .values("application_id")
        .annotate(n=Count("pk"))
        .values_list("application_id", "n")
    )


def scores_of_application(application: Application, viewer: CommitteeMember) -> list[Score] | None:
    """Every member's scores on this application, or None for a viewer with a conflict on it."""
    if application.pk in conflicted_application_ids(viewer):
        return None
    return list(
        Score.objects.filter(application=application)
        .select_related("member__user", "criterion")
        .order_by("member__function", "member__user__last_name", "criterion__position")
    )


# --- Ranking ---------------------------------------------------------------------------------


@dataclass
class RankedApplication:
    application: Application
    means: list[Decimal | None] = field(default_factory=list)
    weighted_total: Decimal | None = None
    scorers: int = 0
    expected: int = 0  # voting members without a declared conflict on it
    rank: int | None = None
    hidden: bool = False  # the viewer declared a conflict on it

    @property
    def means_display(self) -> list[Decimal | None]:
        return [None if m is None else m.quantize(TWO_PLACES, ROUND_HALF_UP) for m in self.means]

    @property
    def total_display(self) -> Decimal | None:
        if self.weighted_total is None:
            return None
        return self.weighted_total.quantize(TWO_PLACES, ROUND_HALF_UP)


def weighted_total_max(call: Call, criteria: list[Criterion]) -> int:
    return call.score_max * sum(c.weight for c in criteria)


def ranking(call: Call, viewer: CommitteeMember | None = None) -> list[RankedApplication]:
    """The aggregate table: for each examined application, the mean of the members' scores per
    criterion, the weighted total Σ(weight × mean), the number of members who scored it and its
    rank (highest total first; equal totals share a rank, the next rank is skipped: 1, 1, 3).
    Applications nobody scored have no rank. Rows the viewer declared a conflict on are hidden
    (no figures) and listed last."""
    criteria = criteria_of(call)
    applications = list(examined_applications(call))
    sums: dict[tuple[int, int], tuple[int, int]] = {}
    for row in (
        Score.objects.filter(application__call=call, member__is_voting=True)
        .values("application_id", "criterion_id")
        .annotate(total=Sum("value"), n=Count("pk"))
    ):
        sums[(row["application_id"], row["criterion_id"])] = (row["total"], row["n"])
    scorers = dict(
        Score.objects.filter(application__call=call, member__is_voting=True)
        .values("application_id")
        .annotate(n=Count("member_id", distinct=True))
        .values_list("application_id", "n")
    )
    hidden_ids = conflicted_application_ids(viewer)
    voting = CommitteeMember.objects.filter(call=call, is_voting=True).count()
    conflicts = dict(
        ConflictDeclaration.objects.filter(
            member__call=call, member__is_voting=True, has_conflict=True
        )
        .values("application_id")
        .annotate(n=Count("pk"))
        .values_list("application_id", "n")
    )
    rows = []
    for application in applications:
        row = RankedApplication(
            application,
            scorers=scorers.get(application.pk, 0),
            expected=voting - conflicts.get(application.pk, 0),
        )
        total = Decimal(0)
        any_score = False
        for criterion in criteria:
            summed = sums.get((application.pk, criterion.pk))
            if summed is None:
                row.means.append(None)
                continue
            mean = Decimal(summed[0]) / Decimal(summed[1])
            row.means.append(mean)
            total += mean * criterion.weight
            any_score = True
        row.weighted_total = total if any_score else None
        rows.append(row)
    ranked = sorted(
        (r for r in rows if r.weighted_total is not None),
        key=lambda r: (-r.weighted_total, r.application.commune.name),
    )
    previous, previous_rank = None, 0
    for position, row in enumerate(ranked, start=1):
        if row.weighted_total != previous:
            previous_rank, previous = position, row.weighted_total
        row.rank = previous_rank
    unranked = sorted(
        (r for r in rows if r.weighted_total is None), key=lambda r: r.application.commune.name
    )
    ordered = ranked + unranked
    for row in ordered:
        if row.application.pk in hidden_ids:
            row.hidden = True
            row.means = [None for _ in criteria]
            row.weighted_total = None
            row.rank = None
            row.scorers = 0
    return [r for r in ordered if not r.hidden] + [r for r in ordered if r.hidden]


# --- Diversity -------------------------------------------------------------------------------


def territory_label(commune) -> str:
    """The commune's EPT, or « Paris » for Paris and its arrondissements."""
    if commune.ept_id:
        return commune.ept.name
    if commune.parent_id and commune.parent.ept_id:
        return commune.parent.ept.name
    if commune.department == "75":
        return "Paris"
    return "—"


@dataclass
class DiversityRow:
    ranked: RankedApplication
    territory: str
    population: int | None
    qpv_count: int
    prescribers: int
    operators: int
    hub_verdict: str
    planned: int | None  # carnets on the proposal, if proposed

    @property
    def application(self) -> Application:
        return self.ranked.application


def diversity(call: Call, viewer: CommitteeMember | None = None) -> list[DiversityRow]:
    """The ranking with what the committee weighs for diversity (seed, section 4): the EPT,
    the population, QPVs in the commune, existing prescribers and operators, the Conseiller
    numérique, the carnets requested and the hub's verdict."""
    rows = ranking(call, viewer)
    communes = [r.application.commune_id for r in rows]
    qpvs = dict(
        Commune.objects.filter(insee_code__in=communes)
        .annotate(n=Count("qpvs"))
        .values_list("insee_code", "n")
    )
    structures: dict[tuple[str, str], int] = {}
    for item in (
        Organisation.objects.filter(
            commune_id__in=communes,
            is_active=True,
            kind__in=[Organisation.Kind.PRESCRIBER, Organisation.Kind.OPERATOR],
        )
        .values("commune_id", "kind")
        .annotate(n=Count("pk"))
    ):
        structures[(item["commune_id"], item["kind"])] = item["n"]
    verdicts = dict(
        HubOpinion.objects.filter(application__call=call).values_list("application_id", "verdict")
    )
    labels = dict(HubOpinion.Verdict.choices)
    proposal = proposal_of(call)
    planned = (
        dict(proposal.items.values_list("application_id", "booklets_planned")) if proposal else {}
    )
    out = []
    for row in rows:
        commune = row.application.commune
        out.append(
            DiversityRow(
                ranked=row,
                territory=territory_label(commune),
                population=commune.population,
                qpv_count=qpvs.get(commune.pk, 0),
                prescribers=structures.get((commune.pk, Organisation.Kind.PRESCRIBER), 0),
                operators=structures.get((commune.pk, Organisation.Kind.OPERATOR), 0),
                hub_verdict=labels.get(verdicts.get(row.application.pk), ""),
                planned=planned.get(row.application.pk),
            )
        )
    return out


def territory_summary(rows: list[DiversityRow]) -> list[tuple[str, int, int]]:
    """(territory, applications, proposed) per EPT, to see the spread of the proposal."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        entry = counts.setdefault(row.territory, [0, 0])
        entry[0] += 1
        if row.planned:
            entry[1] += 1
    return [(name, n, p) for name, (n, p) in sorted(counts.items())]


# --- Exports ---------------------------------------------------------------------------------


def all_scores(call: Call, viewer: CommitteeMember) -> QuerySet[Score]:
    """Every score of the call, except on applications the viewer declared a conflict on."""
    return (
        Score.objects.filter(application__call=call)
        .exclude(application_id__in=conflicted_application_ids(viewer))
        .select_related("member__user", "criterion", "application__commune")
        .order_by(
            "application__commune__name", "member__function", "member__pk", "criterion__position"
        )
    )


def decision_lists(call: Call) -> tuple[list[tuple[Application, int]], list[Application]]:
    """After the vote: (selected applications with their carnets, not selected applications)."""
    from programmes.models import Territory

    booklets = dict(
        Territory.objects.filter(programme=call.programme).values_list(
            "commune_id", "booklets_allocated"
        )
    )
    decided = Application.objects.filter(
        call=call, status__in=[ApplicationStatus.SELECTED, ApplicationStatus.NOT_SELECTED]
    ).select_related("commune")
    selected = [
        (a, booklets.get(a.commune_id, 0))
        for a in decided.filter(status=ApplicationStatus.SELECTED).order_by("commune__name")
    ]
    not_selected = list(
        decided.filter(status=ApplicationStatus.NOT_SELECTED).order_by("commune__name")
    )
    return selected, not_selected


def awaiting_vote(call: Call) -> QuerySet[Application]:
    return (
        Application.objects.filter(call=call, status=ApplicationStatus.SUBMITTED)
        .select_related("commune")
        .order_by("commune__name")
    )


def counts_for_calls(calls: list[Call]) -> dict[int, int]:
    return dict(
        Application.objects.filter(call__in=calls, status__in=EXAMINED)
        .values("call_id")
        .annotate(n=Count("pk"))
        .values_list("call_id", "n")
    )
