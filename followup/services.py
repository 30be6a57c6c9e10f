"""Every write of the territories' follow-up: one transaction each, the rows concerned locked,
a journal entry each. Views call these; nothing else writes the follow-up tables.

Who may write is checked by the views (membership and role) and again here (the organisation
acting must be the programme's hub, its funder or the territory's municipality)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme, Territory

from . import queries
from .models import (
    MINUTES_MAX_BYTES,
    CommitteeAttendance,
    ExperienceFeedback,
    FeedbackStatus,
    FollowupCommittee,
    Minutes,
    SharingMeeting,
    SharingMeetingTerritory,
    TrainingAttendance,
    TrainingSession,
)
from .richtext import MAX_CHARS, sanitise

Action = JournalEntry.Action
PDF_SIGNATURE = b"%PDF-"


class FollowupError(Exception):
    """A business rule refused the write; the message is French and shown to the user."""


# --- Shared helpers -------------------------------------------------------------------------


def check_pdf(upload: UploadedFile) -> None:
    """Refuse anything but a non-empty PDF of at most 5 MB (its content is checked, not its
    name). Raises FollowupError with a French message."""
    if upload.size == 0:
        raise FollowupError("Le fichier est vide.")
    if upload.size > MINUTES_MAX_BYTES:
        size_mb = f"{upload.size / 1024 / 1024:.1f}".replace(".", ",")
        raise FollowupError(f"Le fichier pèse {size_mb} Mo : 5 Mo au plus.")
    upload.seek(0)
    head = upload.read(len(PDF_SIGNATURE))
    upload.seek(0)
    if head != PDF_SIGNATURE:
        raise FollowupError(
            "Le compte rendu doit être un fichier PDF (son contenu a été vérifié, pas seulement "
            "son nom)."
        )


@dataclass
class MinutesInput:
    """What the user gave for minutes: text (sanitised here), an optional new PDF, and whether
    to remove the current PDF."""

    text: str = ""
    upload: UploadedFile | None = None
    remove_pdf: bool = False
    stored_name: str = ""  # set once the new PDF is in storage (to delete it if the write fails)


def _apply_minutes(obj: Minutes, minutes: MinutesInput) -> list[str]:
    """Set the minutes on ``obj`` (not saved). Returns the stored files to delete once the
    transaction commits. A new PDF is written to storage here; the caller deletes it if the
    transaction fails (``_cleanup_upload``)."""
    if len(minutes.text or "") > MAX_CHARS:
        raise FollowupError("Le compte rendu compte au plus 50 000 caractères.")
    obj.minutes_html = sanitise(minutes.text)
    to_delete = []
    if minutes.upload is not None:
        check_pdf(minutes.upload)
        if obj.minutes_file:
            to_delete.append(obj.minutes_file.name)
        obj.minutes_file.save("compte-rendu.pdf", minutes.upload, save=False)
        minutes.stored_name = obj.minutes_file.name
        obj.minutes_file_name = (minutes.upload.name or "compte-rendu.pdf")[:200]
        obj.minutes_file_size = minutes.upload.size
    elif minutes.remove_pdf and obj.minutes_file:
        to_delete.append(obj.minutes_file.name)
        obj.minutes_file = ""
        obj.minutes_file_name = ""
        obj.minutes_file_size = None
    return to_delete


def _delete_files_on_commit(obj: Minutes, names: Sequence[str]) -> None:
    storage = obj.minutes_file.storage
    for name in names:
        transaction.on_commit(lambda name=name: storage.delete(name))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _split_names(names: Iterable[str]) -> list[str]:
    seen, result = set(), []
    for raw in names:
        name = " ".join((raw or "").split())[:200]
        if name and name.lower() not in seen:
            seen.add(name.lower())
            result.append(name)
    return result


# --- Référents ------------------------------------------------------------------------------


@transaction.atomic
def set_referents(
    territory: Territory,
    users: Iterable[User],
    *,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> list[User]:
    """Replace the territory's référents. Only the municipality's admins may; référents are
    active members of the municipality."""
    _require(
        queries.is_municipality_of(organisation, territory),
        "Seule la collectivité du territoire désigne ses référents.",
    )
    territory = Territory.objects.select_for_update(of=("self",)).get(pk=territory.pk)
    _require(
        Membership.active.filter(
            user=by, organisation=territory.municipality, role=Role.ADMIN
        ).exists(),
        "Seuls les administrateurs de la collectivité désignent les référents.",
    )
    users = list({u.pk: u for u in users}.values())
    allowed = set(queries.referent_candidates(territory).values_list("pk", flat=True))
    strangers = [u for u in users if u.pk not in allowed]
    if strangers:
        raise FollowupError(
            "Un référent doit être un membre actif de la collectivité : "
            + ", ".join(u.email for u in strangers)
            + "."
        )
    before = sorted(territory.referents.values_list("email", flat=True))
    territory.referents.set(users)
    after = sorted(u.email for u in users)
    record(
        Action.REFERENT_CHANGED,
        actor=by,
        organisation=organisation,
        obj=territory,
        request=request,
        details={"before": before, "after": after},
    )
    return users


# --- Trainings, committees and sharing meetings: what they share -----------------------------


Event = TypeVar("Event", TrainingSession, SharingMeeting, FollowupCommittee)


@dataclass(frozen=True)
class _EventKind:
    """A training, a committee or a meeting: the fields a form sets, what it belongs to
    (``parent``: programme or territory), and its refusals."""

    model: type
    parent: str
    fields: tuple[str, ...]
    place_of: str
    moved: str
    no_territory: str = ""
    foreign_territory: str = ""
    # Deletion: the journal action, the related rows that say who was present, the refusals.
    deleted: str = ""
    presence: tuple[str, str] = ("attendances", "attended")
    admin_only: str = ""
    gone: str = ""


TRAINING = _EventKind(
    model=TrainingSession,
    parent="programme",
    fields=(
        "audience",
        "title",
        "starts_at",
        "duration_minutes",
        "is_remote",
        "place",
        "trainer",
        "description",
    ),
    place_of="de la session",
    moved="Une session ne change pas de programme.",
    no_territory="Choisissez au moins un territoire concerné.",
    foreign_territory="Les territoires concernés doivent appartenir au programme.",
    deleted=Action.TRAINING_DELETED,
    admin_only=(
        "Des présences sont enregistrées pour cette session : seul un administrateur du hub peut "
        "la supprimer."
    ),
    gone="Cette session de formation a déjà été supprimée.",
)
COMMITTEE = _EventKind(
    model=FollowupCommittee,
    parent="territory",
    fields=("held_at", "is_remote", "place", "agenda"),
    place_of="du comité",
    moved="Ce comité concerne un autre territoire.",
    deleted=Action.COMMITTEE_DELETED,
    admin_only=(
        "Des présences sont enregistrées pour ce comité : seul un administrateur du hub peut le "
        "supprimer."
    ),
    gone="Ce comité de suivi a déjà été supprimé.",
)
MEETING = _EventKind(
    model=SharingMeeting,
    parent="programme",
    fields=("held_at", "is_remote", "place", "topic", "agenda"),
    place_of="de la réunion",
    moved="Une réunion ne change pas de programme.",
    no_territory="Invitez au moins un territoire.",
    foreign_territory="Les territoires invités doivent appartenir au programme.",
    deleted=Action.SHARING_MEETING_DELETED,
    presence=("invitees", "present"),
    admin_only=(
        "Des territoires sont notés présents à cette réunion : seul un administrateur du "
        "commanditaire peut la supprimer."
    ),
    gone="Cette réunion de partage d'expérience a déjà été supprimée.",
)


def _require_territories(
    kind: _EventKind, territories: Sequence[Territory], programme: Programme
) -> None:
    if not territories:
        raise FollowupError(kind.no_territory)
    if any(t.programme_id != programme.pk for t in territories):
        raise FollowupError(kind.foreign_territory)


def _require_place(kind: _EventKind, data: dict[str, Any]) -> None:
    if not data.get("is_remote") and not (data.get("place") or "").strip():
        raise FollowupError(f"Indiquez le lieu {kind.place_of}, ou cochez « à distance ».")


def _new_or_locked(
    kind: _EventKind,
    event: Event | None,
    owner: Programme | Territory,
    *,
    by: User,
    data: dict[str, Any],
) -> tuple[Event, bool]:
    """A new unsaved event of ``owner`` (its ``kind.parent``), or the existing one locked (it
    cannot move to another owner), with ``data``'s ``kind.fields`` copied on it. Returns it and
    whether it is new. Call within a transaction."""
    created = event is None
    if created:
        event = kind.model(**{kind.parent: owner}, created_by=by)
    else:
        event = _locked_or_gone(kind, event)
        if getattr(event, f"{kind.parent}_id") != owner.pk:
            raise FollowupError(kind.moved)
    for field in kind.fields:
        if field in data:
            setattr(event, field, data[field])
    return event, created


def _kind_of(event: Event) -> _EventKind:
    return {TrainingSession: TRAINING, FollowupCommittee: COMMITTEE, SharingMeeting: MEETING}[
        type(event)
    ]


def present_count(event: Event) -> int:
    """How many attendees (training, committee) or invited territories (meeting) are recorded
    as present."""
    related, flag = _kind_of(event).presence
    return getattr(event, related).filter(**{flag: True}).count()


def deletion_refusal(event: Event, *, by: User, organisation: Organisation) -> str:
    """Why ``by`` may not delete ``event`` (French), or "" when they may. Rule: an event with
    someone recorded as present is evidence reported to the funder (attendance rates, the
    evaluation report); only an administrator of the organiser deletes it. Otherwise (a
    cancelled session, a committee or meeting without presences) any writer may."""
    if not present_count(event):
        return ""
    if Membership.active.filter(user=by, organisation=organisation, role=Role.ADMIN).exists():
        return ""
    return _kind_of(event).admin_only


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y %H:%M}"


def _delete_event(
    event: Event,
    *,
    details: dict[str, Any],
    by: User,
    organisation: Organisation,
    request: HttpRequest | None,
) -> dict[str, Any]:
    """Delete a locked event (its attendance or invitation rows go with it) after the rule
    check, journaled with ``details`` (the row is gone afterwards). Its stored minutes PDF, if
    any, is deleted from storage once the transaction commits, never before. Call within a
    transaction."""
    kind = _kind_of(event)
    refusal = deletion_refusal(event, by=by, organisation=organisation)
    if refusal:
        raise FollowupError(f"{refusal} Rien n'a été supprimé.")
    related, flag = kind.presence
    rows = getattr(event, related).all()
    details = {**details, "rows": rows.count(), "present": rows.filter(**{flag: True}).count()}
    stored = ""
    if isinstance(event, Minutes):
        stored = event.minutes_file.name if event.minutes_file else ""
        details["minutes_text"] = bool(event.minutes_html)
        details["minutes_pdf"] = event.minutes_file_name if stored else ""
    record(
        kind.deleted,
        actor=by,
        organisation=organisation,
        obj=event,
        request=request,
        details=details,
    )
    event.delete()
    if stored:
        _delete_files_on_commit(event, [stored])
    return details


def _locked_or_gone(kind: _EventKind, event: Event, *related: str) -> Event:
    locked = (
        kind.model.objects.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk=event.pk)
        .first()
    )
    if locked is None:
        raise FollowupError(kind.gone)
    return locked


# --- Trainings ------------------------------------------------------------------------------


@transaction.atomic
def save_training(
    session: TrainingSession | None,
    *,
    programme: Programme,
    territories: Iterable[Territory],
    data: dict[str, Any],
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> TrainingSession:
    """Create (``session`` None) or update a training session of the programme's hub.

    ``data``: audience, title, starts_at, duration_minutes, is_remote, place, trainer,
    description."""
    _require(
        queries.is_hub_of(organisation, programme),
        "Seul le hub du programme enregistre ses formations.",
    )
    territories = list(territories)
    _require_territories(TRAINING, territories, programme)
    _require_place(TRAINING, data)
    session, created = _new_or_locked(TRAINING, session, programme, by=by, data=data)
    if session.is_remote:
        session.place = session.place.strip()
    session.full_clean(exclude=["territories", "created_by", "programme"])
    session.save()
    session.territories.set(territories)
    record(
        Action.TRAINING_RECORDED,
        actor=by,
        organisation=organisation,
        obj=session,
        request=request,
        details={
            "event": "created" if created else "updated",
            "programme": programme.pk,
            "audience": session.audience,
            "territories": sorted(t.pk for t in territories),
        },
    )
    return session


@transaction.atomic
def set_training_attendance(
    session: TrainingSession,
    *,
    registered: Iterable[Organisation],
    attended: Iterable[Organisation],
    registered_names: Iterable[str] = (),
    attended_names: Iterable[str] = (),
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> list[TrainingAttendance]:
    """Replace a session's attendance list: organisations (among the prescribers and operators
    of the concerned territories) and people without an account, each registered, present, or
    both (a present organisation that had not registered is a walk-in)."""
    session = _locked_or_gone(TRAINING, session, "programme")
    _require(
        queries.is_hub_of(organisation, session.programme),
        "Seul le hub du programme enregistre les présences.",
    )
    candidates = {o.pk: o for o in queries.training_candidates(session)}
    registered_ids = {o.pk for o in registered}
    attended_ids = {o.pk for o in attended}
    strangers = (registered_ids | attended_ids) - candidates.keys()
    if strangers:
        raise FollowupError(
            "Seules les structures prescriptrices et les opérateurs des territoires concernés "
            "peuvent être inscrits."
        )
    names_registered = _split_names(registered_names)
    names_attended = _split_names(attended_names)
    by_name: dict[str, dict] = {}
    for name in names_registered:
        by_name[name.lower()] = {"name": name, "registered": True, "attended": False}
    for name in names_attended:
        by_name.setdefault(name.lower(), {"name": name, "registered": False, "attended": False})
        by_name[name.lower()]["attended"] = True
    session.attendances.all().delete()
    rows = [
        TrainingAttendance(
            session=session,
            organisation=candidates[pk],
            registered=pk in registered_ids,
            attended=pk in attended_ids,
        )
        for pk in sorted(registered_ids | attended_ids)
    ] + [
        TrainingAttendance(
            session=session,
            person_name=v["name"],
            registered=v["registered"],
            attended=v["attended"],
        )
        for v in by_name.values()
    ]
    TrainingAttendance.objects.bulk_create(rows)
    present = sum(1 for r in rows if r.attended)
    record(
        Action.TRAINING_RECORDED,
        actor=by,
        organisation=organisation,
        obj=session,
        request=request,
        details={
            "event": "attendance",
            "registered": sum(1 for r in rows if r.registered),
            "attended": present,
            "attendees": len(rows),
        },
    )
    return rows


@transaction.atomic
def delete_training(
    session: TrainingSession,
    *,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """Delete a training session of the programme's hub, with its attendance list (see
    ``deletion_refusal`` for who may once someone was present). Returns the journal details,
    whose ``description`` names what was deleted."""
    session = _locked_or_gone(TRAINING, session, "programme")
    _require(
        queries.is_hub_of(organisation, session.programme),
        "Seul le hub du programme supprime ses formations.",
    )
    territories = session.territories.select_related("commune").order_by("commune__name")
    return _delete_event(
        session,
        details={
            "description": f"Session « {session.title} » du {_when(session.starts_at)}",
            "programme": session.programme_id,
            "audience": session.audience,
            "starts_at": session.starts_at.isoformat(),
            "trainer": session.trainer,
            "territories": [t.commune.name for t in territories],
        },
        by=by,
        organisation=organisation,
        request=request,
    )


# --- Follow-up committees -------------------------------------------------------------------


@transaction.atomic
def _save_committee(
    committee: FollowupCommittee | None,
    territory: Territory,
    data: dict[str, Any],
    minutes: MinutesInput,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None,
) -> FollowupCommittee:
    _require(
        queries.is_hub_of(organisation, territory.programme),
        "Seul le hub du programme organise les comités de suivi.",
    )
    _require_place(COMMITTEE, data)
    if not (data.get("agenda") or "").strip():
        raise FollowupError("Indiquez l'ordre du jour du comité.")
    committee, created = _new_or_locked(COMMITTEE, committee, territory, by=by, data=data)
    to_delete = _apply_minutes(committee, minutes)
    committee.save()
    _delete_files_on_commit(committee, to_delete)
    record(
        Action.FOLLOWUP_MEETING_RECORDED,
        actor=by,
        organisation=organisation,
        obj=committee,
        request=request,
        details={
            "event": "created" if created else "updated",
            "territory": territory.pk,
            "minutes_pdf": bool(committee.minutes_file),
        },
    )
    return committee


def save_committee(
    committee: FollowupCommittee | None,
    *,
    territory: Territory,
    data: dict[str, Any],
    minutes: MinutesInput | None = None,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> FollowupCommittee:
    """Create or update a territory's follow-up committee (the hub's writers): date, place,
    agenda and minutes (sanitised text and/or a checked PDF). A refused write stores nothing."""
    minutes = minutes or MinutesInput()
    try:
        return _save_committee(committee, territory, data, minutes, by, organisation, request)
    except Exception:
        _cleanup_upload(minutes)
        raise


def _cleanup_upload(minutes: MinutesInput) -> None:
    """A failed write may have stored the new PDF before failing: delete it."""
    if minutes.stored_name:
        FollowupCommittee._meta.get_field("minutes_file").storage.delete(minutes.stored_name)
        minutes.stored_name = ""


@transaction.atomic
def set_committee_attendance(
    committee: FollowupCommittee,
    *,
    present: Iterable[Organisation],
    names: Iterable[str] = (),
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> list[CommitteeAttendance]:
    """Replace who attended a committee: organisations (the municipality, hub, funder, the
    territory's prescribers and operators) and people named in free text."""
    committee = _locked_or_gone(
        COMMITTEE, committee, "territory__programme", "territory__municipality"
    )
    territory = committee.territory
    _require(
        queries.is_hub_of(organisation, territory.programme),
        "Seul le hub du programme enregistre les présences.",
    )
    candidates = {o.pk: o for o in queries.committee_candidates(territory)}
    ids = {o.pk for o in present}
    if ids - candidates.keys():
        raise FollowupError(
            "Seuls la collectivité, le hub, le commanditaire et les structures du territoire "
            "peuvent figurer parmi les présents."
        )
    committee.attendances.all().delete()
    rows = [
        CommitteeAttendance(committee=committee, organisation=candidates[pk], attended=True)
        for pk in sorted(ids)
    ] + [
        CommitteeAttendance(committee=committee, person_name=name, attended=True)
        for name in _split_names(names)
    ]
    CommitteeAttendance.objects.bulk_create(rows)
    record(
        Action.FOLLOWUP_MEETING_RECORDED,
        actor=by,
        organisation=organisation,
        obj=committee,
        request=request,
        details={"event": "attendance", "territory": territory.pk, "attended": len(rows)},
    )
    return rows


@transaction.atomic
def delete_committee(
    committee: FollowupCommittee,
    *,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """Delete a territory's follow-up committee with its attendance and its minutes (the PDF
    leaves the storage after the commit). Returns the journal details."""
    committee = _locked_or_gone(COMMITTEE, committee, "territory__programme", "territory__commune")
    territory = committee.territory
    _require(
        queries.is_hub_of(organisation, territory.programme),
        "Seul le hub du programme supprime les comités de suivi.",
    )
    return _delete_event(
        committee,
        details={
            "description": (
                f"Comité de suivi de {territory.commune.name} du {_when(committee.held_at)}"
            ),
            "territory": territory.pk,
            "held_at": committee.held_at.isoformat(),
            "agenda": committee.agenda[:500],
        },
        by=by,
        organisation=organisation,
        request=request,
    )


# --- Retour d'expérience --------------------------------------------------------------------

FEEDBACK_FIELDS = (
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
# What a feedback needs before it can be submitted (the seed's expectations).
REQUIRED_FOR_SUBMISSION = {
    "passes_distributed": "le nombre de pass remis",
    "people_reached": "le nombre de personnes accompagnées",
    "prescribers_mobilised": "le nombre de structures prescriptrices mobilisées",
    "operators_mobilised": "le nombre d'opérateurs mobilisés",
    "what_worked": "ce qui a fonctionné",
    "difficulties": "les difficultés rencontrées",
    "would_continue": "si la commune souhaite poursuivre",
}
SUBMITTED_MESSAGE = "Le retour d'expérience a été transmis : il ne peut plus être modifié."


def _check_feedback_figures(values: dict[str, Any]) -> None:
    people = values.get("people_reached")
    for field, label in (("pic_people", "publics PIC"), ("qpv_people", "habitants des QPV")):
        part = values.get(field)
        if people is not None and part is not None and part > people:
            raise FollowupError(
                f"Le nombre de {label} ({part}) dépasse celui des personnes accompagnées "
                f"({people})."
            )


@transaction.atomic
def save_feedback(
    territory: Territory,
    data: dict[str, Any],
    *,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> ExperienceFeedback:
    """Save the territory's retour d'expérience as a draft (created on first save). Refused once
    submitted."""
    _require(
        queries.is_municipality_of(organisation, territory),
        "Seule la collectivité du territoire remplit son retour d'expérience.",
    )
    territory = Territory.objects.select_for_update(of=("self",)).get(pk=territory.pk)
    feedback = (
        ExperienceFeedback.objects.select_for_update(of=("self",))
        .filter(territory=territory, programme=territory.programme_id)
        .first()
    )
    if feedback is not None and feedback.is_submitted:
        raise FollowupError(SUBMITTED_MESSAGE)
    if feedback is None:
        feedback = ExperienceFeedback(
            territory=territory, programme_id=territory.programme_id, created_by=by
        )
    before = {field: getattr(feedback, field) for field in FEEDBACK_FIELDS}
    for field in FEEDBACK_FIELDS:
        if field in data:
            value = data[field]
            setattr(feedback, field, value.strip() if isinstance(value, str) else value)
    _check_feedback_figures({f: getattr(feedback, f) for f in FEEDBACK_FIELDS})
    created = feedback.pk is None
    try:
        with transaction.atomic():
            feedback.save()
    except IntegrityError as exc:
        raise FollowupError(
            "Ce territoire a déjà un retour d'expérience pour ce programme."
        ) from exc
    record(
        Action.FEEDBACK_DRAFT_SAVED,
        actor=by,
        organisation=organisation,
        obj=feedback,
        request=request,
        details={
            "event": "created" if created else "updated",
            "territory": territory.pk,
            "programme": territory.programme_id,
            "changed": [f for f in FEEDBACK_FIELDS if getattr(feedback, f) != before[f]],
        },
    )
    return feedback


@transaction.atomic
def submit_feedback(
    feedback: ExperienceFeedback,
    *,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> ExperienceFeedback:
    """Submit the draft: complete or refused with the missing answers; then frozen. The status
    changes through a conditional update, so two submissions cannot both succeed."""
    feedback = (
        ExperienceFeedback.objects.select_for_update(of=("self",))
        .select_related("territory__programme")
        .get(pk=feedback.pk)
    )
    _require(
        queries.is_municipality_of(organisation, feedback.territory),
        "Seule la collectivité du territoire transmet son retour d'expérience.",
    )
    if feedback.is_submitted:
        raise FollowupError(SUBMITTED_MESSAGE)
    missing = [
        label
        for field, label in REQUIRED_FOR_SUBMISSION.items()
        if getattr(feedback, field) in (None, "")
    ]
    if missing:
        raise FollowupError(
            "Le retour d'expérience n'est pas transmis : indiquez " + ", ".join(missing) + "."
        )
    now = timezone.now()
    changed = ExperienceFeedback.objects.filter(pk=feedback.pk, status=FeedbackStatus.DRAFT).update(
        status=FeedbackStatus.SUBMITTED, submitted_at=now, submitted_by=by, updated_at=now
    )
    if changed != 1:
        raise FollowupError(SUBMITTED_MESSAGE)
    feedback.refresh_from_db()
    record(
        Action.FEEDBACK_SUBMITTED,
        actor=by,
        organisation=organisation,
        obj=feedback,
        request=request,
        details={
            "territory": feedback.territory_id,
            "programme": feedback.programme_id,
            "would_continue": feedback.would_continue,
        },
    )
    return feedback


# --- Sharing meetings -----------------------------------------------------------------------


@transaction.atomic
def _save_meeting(
    meeting: SharingMeeting | None,
    programme: Programme,
    data: dict[str, Any],
    invited: list[Territory],
    minutes: MinutesInput,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None,
) -> SharingMeeting:
    _require(
        queries.is_funder_of(organisation, programme),
        "Seul le commanditaire du programme organise les réunions de partage d'expérience.",
    )
    _require_territories(MEETING, invited, programme)
    _require_place(MEETING, data)
    meeting, created = _new_or_locked(MEETING, meeting, programme, by=by, data=data)
    to_delete = _apply_minutes(meeting, minutes)
    meeting.save()
    _delete_files_on_commit(meeting, to_delete)
    invited_ids = {t.pk for t in invited}
    meeting.invitees.exclude(territory_id__in=invited_ids).delete()
    existing = set(meeting.invitees.values_list("territory_id", flat=True))
    SharingMeetingTerritory.objects.bulk_create(
        [
            SharingMeetingTerritory(meeting=meeting, territory_id=pk)
            for pk in sorted(invited_ids - existing)
        ]
    )
    record(
        Action.SHARING_MEETING_RECORDED,
        actor=by,
        organisation=organisation,
        obj=meeting,
        request=request,
        details={
            "event": "created" if created else "updated",
            "programme": programme.pk,
            "invited": len(invited_ids),
            "minutes_pdf": bool(meeting.minutes_file),
        },
    )
    return meeting


def save_meeting(
    meeting: SharingMeeting | None,
    *,
    programme: Programme,
    data: dict[str, Any],
    invited: Iterable[Territory],
    minutes: MinutesInput | None = None,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> SharingMeeting:
    """Create or update a funder's réunion de partage d'expérience and its invited territories
    (presence flags of territories still invited are kept)."""
    minutes = minutes or MinutesInput()
    try:
        return _save_meeting(
            meeting, programme, data, list(invited), minutes, by, organisation, request
        )
    except Exception:
        _cleanup_upload(minutes)
        raise


@transaction.atomic
def set_meeting_presence(
    meeting: SharingMeeting,
    *,
    present: Iterable[Territory],
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> int:
    """Mark which invited territories came. Returns how many were present."""
    meeting = _locked_or_gone(MEETING, meeting, "programme")
    _require(
        queries.is_funder_of(organisation, meeting.programme),
        "Seul le commanditaire du programme enregistre les présences.",
    )
    ids = {t.pk for t in present}
    invited = set(meeting.invitees.values_list("territory_id", flat=True))
    if ids - invited:
        raise FollowupError("Seuls les territoires invités peuvent être présents.")
    meeting.invitees.update(present=False)
    count = meeting.invitees.filter(territory_id__in=ids).update(present=True)
    record(
        Action.SHARING_MEETING_RECORDED,
        actor=by,
        organisation=organisation,
        obj=meeting,
        request=request,
        details={"event": "attendance", "invited": len(invited), "present": count},
    )
    return count


@transaction.atomic
def delete_meeting(
    meeting: SharingMeeting,
    *,
    by: User,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """Delete a funder's sharing meeting with its invitations and its minutes (the PDF leaves
    the storage after the commit). Returns the journal details."""
    meeting = _locked_or_gone(MEETING, meeting, "programme")
    _require(
        queries.is_funder_of(organisation, meeting.programme),
        "Seul le commanditaire du programme supprime ses réunions de partage d'expérience.",
    )
    invited = meeting.invitees.select_related("territory__commune").order_by(
        "territory__commune__name"
    )
    return _delete_event(
        meeting,
        details={
            "description": f"Réunion « {meeting.topic} » du {_when(meeting.held_at)}",
            "programme": meeting.programme_id,
            "held_at": meeting.held_at.isoformat(),
            "invited": [i.territory.commune.name for i in invited],
        },
        by=by,
        organisation=organisation,
        request=request,
    )


def record_minutes_download(
    obj: Minutes, *, by: User, organisation: Organisation, request: HttpRequest | None
) -> None:
    """Journal a download of a committee's or a meeting's minutes PDF."""
    record(
        Action.MINUTES_DOWNLOADED,
        actor=by,
        organisation=organisation,
        obj=obj,
        request=request,
        details={"file": obj.minutes_file_name, "size": obj.minutes_file_size},
    )


def record_export(
    name: str, *, by: User, organisation: Organisation, request: HttpRequest | None, rows: int
) -> None:
    record(
        Action.EXPORT_DOWNLOADED,
        actor=by,
        organisation=organisation,
        request=request,
        details={"export": name, "rows": rows},
    )
