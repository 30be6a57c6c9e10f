"""Writes of the operators' onboarding and qualification (transactions, journal)."""

from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Membership, Organisation, Role

from .models import BankAccount, OperatorDocument, OperatorProfile, Qualification

Q = Qualification


class QualificationError(Exception):
    """A decision that the application's current state does not allow (message in French)."""


class SiretTaken(Exception):
    """Another organisation took this SIRET meanwhile (the database's unique index said so)."""

    def __init__(self) -> None:
        super().__init__("Ce SIRET est déjà utilisé par une autre structure.")


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    label: str


TRANSITIONS: dict[str, Transition] = {
    "start_review": Transition((Q.SUBMITTED,), Q.IN_REVIEW, "prise en examen"),
    "qualify": Transition((Q.IN_REVIEW,), Q.QUALIFIED, "qualification"),
    "refuse": Transition((Q.SUBMITTED, Q.IN_REVIEW), Q.REFUSED, "refus"),
    "suspend": Transition((Q.QUALIFIED,), Q.SUSPENDED, "suspension"),
    "reinstate": Transition((Q.SUSPENDED,), Q.QUALIFIED, "rétablissement"),
    "dequalify": Transition((Q.QUALIFIED, Q.SUSPENDED), Q.DEQUALIFIED, "déqualification"),
}
NEEDS_REASON = {"refuse", "suspend", "dequalify"}

IDENTITY_FIELDS = (
    "name",
    "siret",
    "legal_category",
    "address",
    "postal_code",
    "city",
    "email",
    "phone",
)
PROFILE_FIELDS = ("legal_representative_name", "legal_representative_role")


def _journal(
    operator: Organisation, by: User, request: HttpRequest | None, obj, details: dict[str, Any]
) -> None:
    record(
        JournalEntry.Action.ORGANISATION_UPDATED,
        actor=by,
        organisation=operator,
        obj=obj,
        request=request,
        details=details,
    )


@transaction.atomic
def create_operator(
    data: dict[str, Any], *, by: User, request: HttpRequest | None = None
) -> Organisation:
    """A logged-in user signs an operator up: the organisation, its admin, its application."""
    try:
        with transaction.atomic():
            operator = Organisation.objects.create(
                kind=Organisation.Kind.OPERATOR, **{f: data.get(f) or "" for f in IDENTITY_FIELDS}
            )
    except IntegrityError as exc:
        if data.get("siret") and Organisation.objects.filter(siret=data["siret"]).exists():
            raise SiretTaken from exc
        raise
    Membership.objects.create(user=by, organisation=operator, role=Role.ADMIN)
    profile = OperatorProfile.objects.create(
        organisation=operator,
        submitted_at=timezone.now(),
        **{f: data.get(f) or "" for f in PROFILE_FIELDS},
    )
    _journal(
        operator,
        by,
        request,
        profile,
        {"event": "operator_signup", "siret": operator.siret, "name": operator.name},
    )
    return operator


@transaction.atomic
def update_identity(
    operator: Organisation, data: dict[str, Any], *, by: User, request: HttpRequest | None = None
) -> OperatorProfile:
    """An operator's admin completes or corrects its identity and legal representative."""
    operator = Organisation.objects.select_for_update().get(pk=operator.pk)
    profile, created = OperatorProfile.objects.get_or_create(
        organisation=operator, defaults={"submitted_at": timezone.now()}
    )
    changed: dict[str, str] = {}
    for field in IDENTITY_FIELDS:
        value = data.get(field) or ""
        if str(getattr(operator, field) or "") != str(value):
            setattr(operator, field, value)
            changed[field] = str(value)
    for field in PROFILE_FIELDS:
        value = data.get(field) or ""
        if getattr(profile, field) != value:
            setattr(profile, field, value)
            changed[field] = value
    if profile.submitted_at is None:
        profile.submitted_at = timezone.now()
    try:
        with transaction.atomic():
            operator.save()
    except IntegrityError as exc:
        siret = data.get("siret")
        if siret and Organisation.objects.filter(siret=siret).exclude(pk=operator.pk).exists():
            raise SiretTaken from exc
        raise
    profile.save()
    if changed or created:
        _journal(operator, by, request, profile, {"event": "operator_identity", "changed": changed})
    return profile


@transaction.atomic
def save_questionnaire(
    operator: Organisation, answers: dict[str, Any], *, by: User, request: HttpRequest | None = None
) -> OperatorProfile:
    profile, _ = OperatorProfile.objects.get_or_create(
        organisation=operator, defaults={"submitted_at": timezone.now()}
    )
    OperatorProfile.objects.filter(pk=profile.pk).update(
        questionnaire=answers, updated_at=timezone.now()
    )
    profile.refresh_from_db()
    _journal(operator, by, request, profile, {"event": "operator_questionnaire"})
    return profile


@transaction.atomic
def change_bank_account(
    operator: Organisation,
    *,
    holder: str,
    iban: str,
    bic: str,
    by: User,
    request: HttpRequest | None = None,
) -> BankAccount:
    """Record new bank details (a new row; history is never edited).

    A qualified operator goes back to review: its payments wait for the reviewers' check.
    """
    profile, _ = OperatorProfile.objects.get_or_create(
        organisation=operator, defaults={"submitted_at": timezone.now()}
    )
    previous = BankAccount.objects.filter(operator=operator).first()
    account = BankAccount.objects.create(
        operator=operator, holder=holder, iban=iban, bic=bic, created_by=by
    )
    back_to_review = bool(
        OperatorProfile.objects.filter(pk=profile.pk, qualification=Q.QUALIFIED).update(
            qualification=Q.IN_REVIEW, updated_at=timezone.now()
        )
    )
    _journal(
        operator,
        by,
        request,
        account,
        {
            "event": "operator_bank_details",
            "iban_end": iban[-4:],
            "bic": bic,
            "holder": holder,
            "previous_iban_end": previous.iban[-4:] if previous else "",
            "back_to_review": back_to_review,
        },
    )
    account.sent_back_to_review = back_to_review
    return account


@transaction.atomic
def add_document(
    operator: Organisation,
    *,
    kind: str,
    upload: UploadedFile,
    content_type: str,
    by: User,
    request: HttpRequest | None = None,
) -> OperatorDocument:
    """Store a checked document under MEDIA_ROOT (a random name, outside the web root)."""
    document = OperatorDocument(
        operator=operator,
        kind=kind,
        original_name=(upload.name or "document")[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
    )
    document.file.save("document", upload, save=False)
    try:
        document.save()
        _journal(
            operator,
            by,
            request,
            document,
            {"event": "operator_document", "kind": kind, "size": upload.size},
        )
    except Exception:
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def decide(
    profile: OperatorProfile,
    action: str,
    *,
    by: User,
    reviewer: Organisation,
    reason: str = "",
    reference_number: str = "",
    request: HttpRequest | None = None,
) -> OperatorProfile:
    """A reviewer (issuer's or funder's admin) moves the application on: one conditional UPDATE."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise QualificationError("Décision inconnue.")
    reason = reason.strip()
    reference_number = reference_number.strip()
    if action in NEEDS_REASON and not reason:
        raise QualificationError("Indiquez le motif de cette décision.")
    if action == "qualify" and not (reference_number or profile.reference_number):
        raise QualificationError(
            "Indiquez le n° de référencement de l'émetteur pour qualifier l'opérateur."
        )
    now = timezone.now()
    changes: dict[str, Any] = {
        "qualification": transition.target,
        "decided_by": by,
        "decided_at": now,
        "decision_reason": reason,
        "updated_at": now,
    }
    if reference_number:
        changes["reference_number"] = reference_number
    previous = profile.qualification
    updated = OperatorProfile.objects.filter(
        pk=profile.pk, qualification__in=transition.sources
    ).update(**changes)
    if updated != 1:
        current = OperatorProfile.objects.get(pk=profile.pk)
        raise QualificationError(
            f"Impossible : la candidature est « {current.get_qualification_display()} », "
            f"la {transition.label} n'est pas possible dans cet état."
        )
    profile.refresh_from_db()
    _journal(
        profile.organisation,
        by,
        request,
        profile,
        {
            "event": "operator_qualification",
            "action": action,
            "from": previous,
            "to": transition.target,
            "reason": reason,
            "reference_number": profile.reference_number,
            "reviewer_organisation": reviewer.pk,
            "reviewer_organisation_name": reviewer.name,
        },
    )
    return profile
