"""Writes of the selection: the committee, declarations of interest, scores, the chair's
proposal and the Bureau vote. Every write is one transaction with its journal entries; the call's
row is locked (``select_for_update``) wherever two people could race (scoring against
validation, validation against itself, the vote against itself).

A refusal raises ``SelectionError`` (a French message for the user) before anything is written,
or inside the transaction, which then changes nothing.
"""

from dataclasses import dataclass
from datetime import date

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from ami.models import Application, ApplicationStatus, Call, Criterion
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Membership, Organisation, Role
from programmes.models import Territory

from .models import (
    UNIQUE_FUNCTIONS,
    BureauVote,
    ChairDelegation,
    CommitteeMember,
    ConflictDeclaration,
    MemberFunction,
    Proposal,
    ProposalItem,
    Score,
)

Action = JournalEntry.Action


class SelectionError(Exception):
    """A refused action, with its message in French."""


def _lock_call(call: Call) -> Call:
    return Call.objects.select_for_update().select_related("programme__funder").get(pk=call.pk)


def _funder(call: Call) -> Organisation:
    return call.programme.funder


def _proposal_validated(call: Call) -> bool:
    return Proposal.objects.filter(call=call, validated_at__isnull=False).exists()


def _refuse_if_frozen(call: Call) -> None:
    if _proposal_validated(call):
        raise SelectionError(
            "La proposition du comité est validée : les notes et la composition sont figées."
        )


def is_funder_admin(user: User, call: Call) -> bool:
    return Membership.active.filter(
        user=user, organisation_id=call.programme.funder_id, role=Role.ADMIN
    ).exists()


# --- Committee -------------------------------------------------------------------------------


@transaction.atomic
def add_member(
    call: Call,
    *,
    user: User,
    function: str,
    by: User,
    political_group: str = "",
    title: str = "",
    request: HttpRequest | None = None,
) -> CommitteeMember:
    """A funder admin adds a person to the committee. Elected members must belong to the funder's
    organisation, the qualified person to the call's hub. The President chairs by default."""
    call = _lock_call(call)
    if not is_funder_admin(by, call):
        raise SelectionError("Seuls les administrateurs du commanditaire composent le comité.")
    _refuse_if_frozen(call)
    if function not in MemberFunction.values:
        raise SelectionError("Fonction inconnue.")
    political_group = political_group.strip()
    if function == MemberFunction.GROUP_REPRESENTATIVE and not political_group:
        raise SelectionError("Indiquez le groupe politique que cette personne représente.")
    if function != MemberFunction.GROUP_REPRESENTATIVE:
        political_group = ""
    if function == MemberFunction.QUALIFIED_PERSON:
        if call.hub_id is None:
            raise SelectionError("Cet appel n'a pas de hub : pas de personnalité qualifiée.")
        home = call.hub_id
        home_label = "du hub de l'appel"
    else:
        home = call.programme.funder_id
        home_label = "du commanditaire"
    if not Membership.active.filter(user=user, organisation_id=home).exists():
        raise SelectionError(f"Cette personne n'est pas membre {home_label}.")
    if CommitteeMember.objects.filter(call=call, user=user).exists():
        raise SelectionError("Cette personne siège déjà au comité.")
    if (
        function in UNIQUE_FUNCTIONS
        and CommitteeMember.objects.filter(call=call, function=function).exists()
    ):
        raise SelectionError(f"Le comité a déjà un(e) {MemberFunction(function).label.lower()}.")
    if (
        function == MemberFunction.GROUP_REPRESENTATIVE
        and CommitteeMember.objects.filter(
            call=call, function=function, political_group__iexact=political_group
        ).exists()
    ):
        raise SelectionError(f"Le groupe « {political_group} » a déjà son représentant.")
    is_chair = (
        function == MemberFunction.PRESIDENT
        and not CommitteeMember.objects.filter(call=call, is_chair=True).exists()
    )
    try:
        with transaction.atomic():
            member = CommitteeMember.objects.create(
                call=call,
                user=user,
                function=function,
                title=title.strip(),
                political_group=political_group,
                is_voting=function != MemberFunction.QUALIFIED_PERSON,
                is_chair=is_chair,
                added_by=by,
            )
    except IntegrityError as exc:
        raise SelectionError("Cette place au comité vient d'être pourvue.") from exc
    record(
        Action.MEMBER_ADDED,
        actor=by,
        organisation=_funder(call),
        obj=member,
        request=request,
        details={
            "committee_of_call": call.pk,
            "user": user.email,
            "function": function,
            "political_group": political_group,
            "is_chair": is_chair,
        },
    )
    return member


@transaction.atomic
def remove_member(member: CommitteeMember, *, by: User, request: HttpRequest | None = None) -> None:
    """A funder admin removes a member who has neither declared nor scored, and does not chair."""
    call = _lock_call(member.call)
    if not is_funder_admin(by, call):
        raise SelectionError("Seuls les administrateurs du commanditaire composent le comité.")
    _refuse_if_frozen(call)
    member = CommitteeMember.objects.select_for_update().get(pk=member.pk)
    if member.is_chair:
        raise SelectionError(
            "Cette personne préside le comité : déléguez d'abord la présidence à un autre membre."
        )
    if member.scores.exists() or member.declarations.exists():
        raise SelectionError(
            "Cette personne a déjà déclaré ses intérêts ou noté : elle ne peut plus être retirée."
        )
    if ChairDelegation.objects.filter(from_member=member).exists() or (
        ChairDelegation.objects.filter(to_member=member).exists()
    ):
        raise SelectionError("Cette personne figure dans l'historique de la présidence.")
    details = {"committee_of_call": call.pk, "user": member.user.email, "removed": True}
    record(
        Action.MEMBER_DEACTIVATED,
        actor=by,
        organisation=_funder(call),
        obj=member,
        request=request,
        details=details,
    )
    member.delete()


@transaction.atomic
def delegate_chair(
    call: Call,
    *,
    to_member: CommitteeMember,
    by: User,
    note: str = "",
    request: HttpRequest | None = None,
) -> ChairDelegation:
    """The chair (or a funder admin on the President's instruction) hands the chair to another
    voting member. Recorded in the delegation history and the journal."""
    call = _lock_call(call)
    _refuse_if_frozen(call)
    chair = CommitteeMember.objects.select_for_update().filter(call=call, is_chair=True).first()
    if chair is None:
        raise SelectionError("Le comité n'a pas encore de président(e).")
    if chair.user_id != by.pk and not is_funder_admin(by, call):
        raise SelectionError(
            "Seul(e) le ou la présidente du comité, ou un administrateur du commanditaire, "
            "délègue la présidence."
        )
    to_member = CommitteeMember.objects.select_for_update().get(pk=to_member.pk)
    if to_member.call_id != call.pk:
        raise SelectionError("Cette personne ne siège pas à ce comité.")
    if to_member.pk == chair.pk:
        raise SelectionError("Cette personne préside déjà le comité.")
    if not to_member.is_voting:
        raise SelectionError("La personnalité qualifiée ne vote pas : elle ne peut pas présider.")
    CommitteeMember.objects.filter(pk=chair.pk).update(is_chair=False)
    CommitteeMember.objects.filter(pk=to_member.pk).update(is_chair=True)
    delegation = ChairDelegation.objects.create(
        call=call, from_member=chair, to_member=to_member, note=note.strip(), created_by=by
    )
    record(
        Action.CHAIR_DELEGATED,
        actor=by,
        organisation=_funder(call),
        obj=delegation.to_member,
        request=request,
        details={
            "call": call.pk,
            "from": chair.user.email,
            "to": to_member.user.email,
            "note": note.strip(),
        },
    )
    return delegation


# --- Declarations and scores -----------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    application_id: int
    has_conflict: bool
    note: str = ""


@transaction.atomic
def declare_interests(
    member: CommitteeMember,
    declarations: list[Declaration],
    *,
    by: User,
    request: HttpRequest | None = None,
) -> int:
    """A member declares, for each listed application, whether they have a conflict of interest.
    Declaring a conflict on an application already scored withdraws those scores. Returns the
    number of scores withdrawn."""
    if member.user_id != by.pk:
        raise SelectionError("Chacun déclare ses propres intérêts.")
    call = _lock_call(member.call)
    _refuse_if_frozen(call)
    if not declarations:
        raise SelectionError("Aucune candidature à déclarer.")
    ids = {d.application_id for d in declarations}
    applications = Application.objects.filter(pk__in=ids, call=call).exclude(
        status=ApplicationStatus.DRAFT
    )
    if applications.count() != len(ids):
        raise SelectionError("Une des candidatures n'est pas examinée par ce comité.")
    withdrawn = 0
    for declaration in declarations:
        ConflictDeclaration.objects.update_or_create(
            member=member,
            application_id=declaration.application_id,
            defaults={"has_conflict": declaration.has_conflict, "note": declaration.note.strip()},
        )
        if declaration.has_conflict:
            withdrawn += Score.objects.filter(
                member=member, application_id=declaration.application_id
            ).delete()[0]
    record(
        Action.CONFLICT_DECLARED,
        actor=by,
        organisation=_funder(call),
        obj=member,
        request=request,
        details={
            "call": call.pk,
            "conflicts": sorted(d.application_id for d in declarations if d.has_conflict),
            "no_conflict": sorted(d.application_id for d in declarations if not d.has_conflict),
            "scores_withdrawn": withdrawn,
        },
    )
    return withdrawn


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: int
    value: int
    comment: str = ""


@transaction.atomic
def record_scores(
    member: CommitteeMember,
    application: Application,
    scores: list[ScoreInput],
    *,
    by: User,
    request: HttpRequest | None = None,
) -> list[Score]:
    """A voting member scores an application on every criterion of the call (0..score_max)."""
    if member.user_id != by.pk:
        raise SelectionError("Chacun note en son nom propre.")
    call = _lock_call(member.call)
    _refuse_if_frozen(call)
    if not member.is_voting:
        raise SelectionError(
            "La personnalité qualifiée participe au comité sans noter les candidatures."
        )
    if application.call_id != call.pk:
        raise SelectionError("Cette candidature ne relève pas de ce comité.")
    application = Application.objects.get(pk=application.pk)
    if application.status != ApplicationStatus.SUBMITTED:
        raise SelectionError("Seules les candidatures déposées et non encore décidées se notent.")
    declaration = ConflictDeclaration.objects.filter(member=member, application=application).first()
    if declaration is None:
        raise SelectionError(
            "Déclarez d'abord vos éventuels conflits d'intérêts pour cette candidature."
        )
    if declaration.has_conflict:
        raise SelectionError(
            "Vous avez déclaré un conflit d'intérêts sur cette candidature : vous ne la notez pas."
        )
    criteria = {c.pk: c for c in Criterion.objects.filter(call=call)}
    given = [s.criterion_id for s in scores]
    if len(set(given)) != len(given):
        raise SelectionError("Un critère est noté deux fois.")
    if set(given) != set(criteria):
        raise SelectionError("Notez chacun des critères de l'appel.")
    for item in scores:
        if not isinstance(item.value, int) or isinstance(item.value, bool):
            raise SelectionError("Une note est un nombre entier.")
        if not 0 <= item.value <= call.score_max:
            raise SelectionError(
                f"La note de « {criteria[item.criterion_id].label} » doit être comprise entre 0 "
                f"et {call.score_max}."
            )
    saved = []
    for item in scores:
        score, _ = Score.objects.update_or_create(
            member=member,
            application=application,
            criterion_id=item.criterion_id,
            defaults={
                "value": item.value,
                "scale_max": call.score_max,
                "comment": item.comment.strip(),
            },
        )
        saved.append(score)
    record(
        Action.SCORE_RECORDED,
        actor=by,
        organisation=_funder(call),
        obj=application,
        request=request,
        details={
            "call": call.pk,
            "member": member.pk,
            "scores": {str(s.criterion_id): s.value for s in scores},
        },
    )
    return saved


# --- Proposal --------------------------------------------------------------------------------


def _chair_or_refuse(call: Call, by: User) -> CommitteeMember:
    chair = CommitteeMember.objects.filter(call=call, is_chair=True).first()
    if chair is None or chair.user_id != by.pk:
        raise SelectionError(
            "Seul(e) le ou la présidente du comité (ou son délégataire) arrête la proposition."
        )
    return chair


@transaction.atomic
def save_proposal(
    call: Call,
    items: dict[int, int],
    *,
    comment: str,
    by: User,
    request: HttpRequest | None = None,
) -> Proposal:
    """The chair sets the proposal list: application id → carnets planned, and a comment."""
    call = _lock_call(call)
    _chair_or_refuse(call, by)
    proposal, _ = Proposal.objects.select_for_update().get_or_create(call=call)
    if proposal.is_validated:
        raise SelectionError("La proposition est déjà validée : elle ne se modifie plus.")
    valid = set(
        Application.objects.filter(
            call=call, pk__in=items.keys(), status=ApplicationStatus.SUBMITTED
        ).values_list("pk", flat=True)
    )
    if valid != set(items):
        raise SelectionError("Une des candidatures proposées n'est pas déposée pour cet appel.")
    for booklets in items.values():
        if not isinstance(booklets, int) or booklets < 1:
            raise SelectionError("Indiquez au moins un carnet pour chaque commune proposée.")
    proposal.items.exclude(application_id__in=items.keys()).delete()
    for application_id, booklets in items.items():
        ProposalItem.objects.update_or_create(
            proposal=proposal,
            application_id=application_id,
            defaults={"booklets_planned": booklets},
        )
    proposal.comment = comment.strip()
    proposal.updated_by = by
    proposal.save()
    record(
        Action.PROPOSAL_UPDATED,
        actor=by,
        organisation=_funder(call),
        obj=call,
        request=request,
        details={"items": {str(k): v for k, v in sorted(items.items())}},
    )
    return proposal


@transaction.atomic
def validate_proposal(call: Call, *, by: User, request: HttpRequest | None = None) -> Proposal:
    """The chair validates the proposal: scores, declarations and the list are frozen."""
    call = _lock_call(call)
    _chair_or_refuse(call, by)
    proposal = Proposal.objects.select_for_update().filter(call=call).first()
    if proposal is None or not proposal.items.exists():
        raise SelectionError("La proposition ne contient encore aucune candidature.")
    if proposal.is_validated:
        raise SelectionError("La proposition est déjà validée.")
    proposal.validated_at = timezone.now()
    proposal.validated_by = by
    proposal.save(update_fields=["validated_at", "validated_by"])
    record(
        Action.PROPOSAL_VALIDATED,
        actor=by,
        organisation=_funder(call),
        obj=call,
        request=request,
        details={
            "items": {
                str(i.application_id): i.booklets_planned for i in proposal.items.order_by("pk")
            }
        },
    )
    return proposal


# --- Bureau vote -----------------------------------------------------------------------------


def _recipients(application: Application) -> list[str]:
    emails: list[str] = []
    for email in (
        application.referent_email,
        application.submitted_by.email if application.submitted_by else "",
        application.created_by.email,
    ):
        if email and email.lower() not in [e.lower() for e in emails]:
            emails.append(email)
    return emails


@dataclass(frozen=True)
class VoteInput:
    voted_on: date
    deliberation_number: str
    votes_for: int
    votes_against: int
    votes_abstaining: int
    selected_ids: list[int]


@transaction.atomic
def record_bureau_vote(
    call: Call, data: VoteInput, *, by: User, request: HttpRequest | None = None
) -> BureauVote:
    """A funder admin records the Bureau's vote on the validated proposal. Selected applications
    become SELECTED and their communes territories of the programme (with the planned carnets);
    the others become NOT_SELECTED; every applicant is e-mailed. Recording twice is refused."""
    call = _lock_call(call)
    funder = _funder(call)
    if not is_funder_admin(by, call):
        raise SelectionError("Seuls les administrateurs du commanditaire enregistrent le vote.")
    if BureauVote.objects.filter(call=call).exists():
        raise SelectionError("Le vote du Bureau est déjà enregistré pour cet appel.")
    proposal = Proposal.objects.filter(call=call).first()
    if proposal is None or not proposal.is_validated:
        raise SelectionError(
            "Le vote s'enregistre après la validation de la proposition par le ou la présidente "
            "du comité."
        )
    number = data.deliberation_number.strip()
    if not number:
        raise SelectionError("Indiquez le numéro de la délibération.")
    if min(data.votes_for, data.votes_against, data.votes_abstaining) < 0:
        raise SelectionError("Les nombres de voix ne peuvent pas être négatifs.")
    if BureauVote.objects.filter(funder=funder, deliberation_number__iexact=number).exists():
        raise SelectionError(f"La délibération n° {number} est déjà enregistrée.")
    candidates = list(
        Application.objects.filter(call=call, status=ApplicationStatus.SUBMITTED)
        .select_related("commune", "municipality", "created_by", "submitted_by")
        .select_for_update(of=("self",))
        .order_by("commune__name")
    )
    by_id = {a.pk: a for a in candidates}
    selected_ids = set(data.selected_ids)
    if not selected_ids <= by_id.keys():
        raise SelectionError("Une des candidatures retenues n'est pas en attente de décision.")
    planned = {i.application_id: i.booklets_planned for i in proposal.items.all()}
    programme = call.programme
    taken = set(
        Territory.objects.filter(
            programme=programme, commune_id__in=[by_id[i].commune_id for i in selected_ids]
        ).values_list("commune__name", flat=True)
    )
    if taken:
        raise SelectionError("Déjà territoire du programme : " + ", ".join(sorted(taken)) + ".")
    try:
        with transaction.atomic():
            vote = BureauVote.objects.create(
                call=call,
                funder=funder,
                voted_on=data.voted_on,
                deliberation_number=number,
                votes_for=data.votes_for,
                votes_against=data.votes_against,
                votes_abstaining=data.votes_abstaining,
                recorded_by=by,
            )
    except IntegrityError as exc:
        raise SelectionError("Ce vote ou cette délibération vient d'être enregistré.") from exc
    vote.selected_applications.set(selected_ids)
    now = timezone.now()
    territories = []
    for application in candidates:
        selected = application.pk in selected_ids
        application.status = (
            ApplicationStatus.SELECTED if selected else ApplicationStatus.NOT_SELECTED
        )
        application.decided_at = now
        application.save(update_fields=["status", "decided_at", "updated_at"])
        if selected:
            territories.append(
                Territory.objects.create(
                    programme=programme,
                    municipality=application.municipality,
                    commune=application.commune,
                    booklets_allocated=planned.get(
                        application.pk, application.booklets_requested or 0
                    ),
                    joined_on=data.voted_on,
                )
            )
    record(
        Action.BUREAU_VOTE_RECORDED,
        actor=by,
        organisation=funder,
        obj=vote,
        request=request,
        details={
            "call": call.pk,
            "voted_on": data.voted_on.isoformat(),
            "deliberation_number": number,
            "votes": [data.votes_for, data.votes_against, data.votes_abstaining],
            "selected": sorted(selected_ids),
            "not_selected": sorted(by_id.keys() - selected_ids),
            "territories": [t.pk for t in territories],
        },
    )
    mails = []
    for application in candidates:
        selected = application.pk in selected_ids
        recipients = _recipients(application)
        record(
            Action.DECISION_NOTIFIED,
            actor=by,
            organisation=application.municipality,
            obj=application,
            request=request,
            details={
                "call": call.pk,
                "decision": application.status,
                "recipients": recipients,
                "deliberation_number": number,
            },
        )
        context = {
            "application": application,
            "call": call,
            "vote": vote,
            "funder": funder,
            "booklets": planned.get(application.pk, application.booklets_requested or 0),
        }
        template = f"selection/email/{'selected' if selected else 'not_selected'}.txt"
        subject = f"{call.title} : candidature de {application.commune.name} " + (
            "retenue" if selected else "non retenue"
        )
        mails.append((subject, render_to_string(template, context), recipients))

    def send_all() -> None:
        for subject, body, recipients in mails:
            if recipients:
                send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)

    transaction.on_commit(send_all)
    return vote
