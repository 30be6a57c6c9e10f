"""Writes: create a person's record with the diagnostic, export one person's data (journaled)
and anonymise the records past the retention period."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from journal.models import JournalEntry
from journal.services import record
from organisations.models import Organisation

from . import diagnostic, queries
from .eligibility import pic_eligibility, rule_for
from .models import Beneficiary, Gender, QpvAnswer


class BeneficiaryError(Exception):
    """Bad input: the message is French and shown as is; nothing was changed."""


def _record_fields(record_data: dict[str, Any]) -> dict[str, Any]:
    """The record's field values (with PIC eligibility), or BeneficiaryError in French."""
    data = dict(record_data)
    consent = bool(data.get("contact_consent"))
    if not consent and (data.get("phone") or data.get("email")):
        raise BeneficiaryError(
            "Un téléphone ou un e-mail ne s'enregistre qu'avec l'accord de la personne."
        )
    qpv = data.get("qpv")
    commune = data.get("commune")
    if qpv is not None:
        if data.get("lives_in_qpv") != QpvAnswer.YES:
            raise BeneficiaryError(
                "Un quartier prioritaire ne s'indique que si la personne y habite."
            )
        if commune is None or not qpv.communes.filter(pk=commune.pk).exists():
            raise BeneficiaryError(
                f"Le quartier {qpv.code} n'est pas un quartier prioritaire de la commune choisie."
            )
    since: date | None = data.get("job_seeker_since")
    if since is not None:
        if not data.get("job_seeker"):
            raise BeneficiaryError("« Demandeur d'emploi depuis » suppose que la personne l'est.")
        since = since.replace(day=1)
    programme = data.get("programme")
    eligible, basis = pic_eligibility(
        rule=rule_for(programme),
        diploma_level=data["diploma_level"],
        job_seeker=bool(data.get("job_seeker")),
        age_band=data["age_band"],
        social_status=data["social_status"],
    )
    return {
        "programme": programme,
        "age_band": data["age_band"],
        "gender": data.get("gender") or Gender.UNKNOWN,
        "social_status": data["social_status"],
        "diploma_level": data["diploma_level"],
        "job_seeker": bool(data.get("job_seeker")),
        "job_seeker_since": since,
        "commune": commune,
        "lives_in_qpv": data.get("lives_in_qpv") or QpvAnswer.UNKNOWN,
        "qpv": qpv,
        "contact_consent": consent,
        "phone": (data.get("phone") or "").strip() if consent else "",
        "email": (data.get("email") or "").strip() if consent else "",
        "notes": (data.get("notes") or "").strip(),
        "pic_eligible": eligible,
        "pic_basis": basis,
    }


def create_beneficiary(
    *,
    prescriber: Organisation,
    by,
    record_data: dict[str, Any],
    answers: dict[str, Any],
    request=None,
) -> Beneficiary:
    """Create the pseudonymous record with its diagnostic result and PIC eligibility."""
    if prescriber.kind != Organisation.Kind.PRESCRIBER:
        raise BeneficiaryError("Seule une structure prescriptrice suit des bénéficiaires.")
    try:
        result = diagnostic.evaluate(answers)
    except diagnostic.DiagnosticError as exc:
        raise BeneficiaryError(str(exc)) from exc
    fields = _record_fields(record_data)
    with transaction.atomic():
        beneficiary = Beneficiary.objects.create(
            prescriber=prescriber,
            created_by=by,
            consent_at=timezone.now() if fields["contact_consent"] else None,
            diagnostic_answers=diagnostic.validate(answers),
            diagnostic_score=result.score,
            autonomy_level=result.level,
            needs=result.needs,
            recommended_passes=result.recommended_passes,
            **fields,
        )
    return beneficiary


def update_beneficiary(
    beneficiary: Beneficiary, *, by, record_data: dict[str, Any], request=None
) -> Beneficiary:
    """Correct the record (not the diagnostic); PIC eligibility is derived again.

    Withdrawing consent erases the phone and e-mail. An anonymised record cannot change: the
    update is conditional on ``anonymised_at IS NULL`` and its row count is checked.
    """
    fields = _record_fields(record_data)
    now = timezone.now()
    if fields["contact_consent"]:
        fields["consent_at"] = (
            beneficiary.consent_at
            if beneficiary.contact_consent and beneficiary.consent_at
            else now
        )
    else:
        fields["consent_at"] = None
    with transaction.atomic():
        updated = Beneficiary.objects.filter(pk=beneficiary.pk, anonymised_at__isnull=True).update(
            updated_at=now, **fields
        )
        if updated != 1:
            raise BeneficiaryError(
                "Cette fiche est anonymisée (durée de conservation dépassée) : "
                "elle ne se modifie plus."
            )
    beneficiary.refresh_from_db()
    return beneficiary


def export_beneficiary(beneficiary: Beneficiary, *, by, request=None) -> dict[str, Any]:
    """One person's data as a dict; the export itself is journaled."""
    with transaction.atomic():
        payload = queries.export_payload(beneficiary)
        record(
            JournalEntry.Action.ORGANISATION_UPDATED,
            actor=by,
            organisation=beneficiary.prescriber,
            obj=beneficiary,
            request=request,
            details={"export": {"beneficiary": beneficiary.reference}},
        )
    return payload


PURGED_FIELDS = [
    "phone",
    "email",
    "notes",
    "contact_consent",
    "consent_at",
    "gender",
    "diagnostic_answers",
    "created_at",
    "updated_at",
    "job_seeker_since",
    "anonymised_at",
]


def _month_start(moment: datetime) -> datetime:
    """The first instant of the moment's month, in the local time zone."""
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    references: list[str]


def retention_cutoff(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    months = now.year * 12 + now.month - 1 - settings.PERSONAL_DATA_RETENTION_MONTHS
    year, month = divmod(months, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def purge_personal_data(*, now: datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Anonymise the records whose last event is older than the retention period.

    Cleared: contact details and consent, free text, gender, the diagnostic's detailed answers;
    exact dates become the first day of their month. Kept (statistics stay identical): age band,
    social status, diploma level, job-seeker flag, PIC flag and basis, QPV answer and code,
    commune, autonomy level, needs and recommended passes.
    """
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    stale = queries.stale_beneficiaries(cutoff)
    references = list(stale.order_by("pk").values_list("reference", flat=True))
    if dry_run or not references:
        return PurgeResult(cutoff, references)
    with transaction.atomic():
        # Lock the candidates, then check again: an event since the first read keeps a record.
        candidates = list(
            Beneficiary.objects.select_for_update()
            .filter(reference__in=references, anonymised_at__isnull=True)
            .values_list("pk", flat=True)
        )
        rows = list(
            queries.stale_beneficiaries(cutoff)
            .filter(pk__in=candidates)
            .order_by("pk")
            .values_list("pk", "reference")
        )
        references = [reference for _, reference in rows]
        people = list(Beneficiary.objects.filter(pk__in=[pk for pk, _ in rows]))
        for person in people:
            person.phone = person.email = person.notes = ""
            person.contact_consent = False
            person.consent_at = None
            person.gender = Gender.UNKNOWN
            person.diagnostic_answers = {}
            person.created_at = _month_start(person.created_at)
            person.updated_at = _month_start(person.updated_at)
            if person.job_seeker_since is not None:
                person.job_seeker_since = person.job_seeker_since.replace(day=1)
            person.anonymised_at = now
        # bulk_update() sets the fields as given (auto_now does not apply to it).
        Beneficiary.objects.bulk_update(people, PURGED_FIELDS, batch_size=500)
    return PurgeResult(cutoff, references)
