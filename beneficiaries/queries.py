"""Reads: a prescriber's people, one person, the structure's figures and the aggregates that
funders and hubs may see (counts and shares only, never an individual record)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, DateTimeField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Replace
from django.http import Http404

from ledger.models import Pass, PassEvent
from organisations.models import Organisation

from .diagnostic import coop_themes
from .eligibility import pic_eligibility
from .models import Beneficiary, QpvAnswer


def with_last_event(qs: QuerySet[Beneficiary]) -> QuerySet[Beneficiary]:
    """Annotate ``last_event_at``: the latest of the record's change and its passes' events."""
    latest_event = (
        PassEvent.objects.filter(beneficiary=OuterRef("pk"))
        .order_by()
        .values("beneficiary")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    return qs.annotate(
        last_event_at=Greatest(
            "updated_at",
            Coalesce(Subquery(latest_event, output_field=DateTimeField()), "updated_at"),
        )
    )


def beneficiaries_of(prescriber: Organisation, search: str = "") -> QuerySet[Beneficiary]:
    qs = Beneficiary.objects.filter(prescriber=prescriber).select_related("commune")
    compact = "".join(ch for ch in search.upper() if ch.isalnum())
    if compact:
        # « b 7k3m9qx2 », « B-7K3M-9QX2 » and « 7K3M » all find B-7K3M-9QX2.
        qs = qs.annotate(compact_reference=Replace("reference", Value("-"), Value(""))).filter(
            compact_reference__contains=compact
        )
    return qs.annotate(pass_count=Count("passes")).order_by("-created_at", "-pk")


def get_beneficiary_or_404(prescriber: Organisation, pk: int) -> Beneficiary:
    beneficiary = (
        Beneficiary.objects.filter(prescriber=prescriber, pk=pk)
        .select_related("commune", "qpv", "programme", "prescriber")
        .first()
    )
    if beneficiary is None:
        raise Http404("Bénéficiaire introuvable.")
    return beneficiary


def passes_of(beneficiary: Beneficiary) -> QuerySet[Pass]:
    return (
        Pass.objects.filter(beneficiary=beneficiary)
        .select_related("order", "redemption__place", "redemption__operator")
        .order_by("number")
    )


def stale_beneficiaries(before: datetime) -> QuerySet[Beneficiary]:
    """Records not yet anonymised whose last event is older than ``before``."""
    return with_last_event(Beneficiary.objects.filter(anonymised_at__isnull=True)).filter(
        last_event_at__lt=before
    )


def _share(part: int, total: int) -> float:
    return round(100 * part / total, 1) if total else 0.0


def aggregates_for(
    organisations: Iterable[Organisation], rule: str | None = None
) -> dict[str, Any]:
    """Counts and shares over the prescribers' people, without any individual record.

    ``pic_share`` uses the eligibility stored with each record (its programme's rule); with
    ``rule`` the eligibility is recomputed under that rule (to compare the two readings).
    Shares are percentages with one decimal; the QPV share counts « oui » answers over all people.
    """
    people = Beneficiary.objects.filter(prescriber__in=list(organisations))
    total = people.count()
    qpv = people.filter(lives_in_qpv=QpvAnswer.YES).count()
    handed = Pass.objects.filter(beneficiary__in=people).order_by()
    if rule is None:
        pic_people = people.filter(pic_eligible=True).count()
        counts = handed.aggregate(
            total=Count("pk"), pic=Count("pk", filter=Q(beneficiary__pic_eligible=True))
        )
        passes, pic_passes = counts["total"], counts["pic"]
    else:
        rows = people.values("pk", "diploma_level", "job_seeker", "age_band", "social_status")
        pic_ids = {
            row["pk"]
            for row in rows.iterator()
            if pic_eligibility(
                rule=rule,
                diploma_level=row["diploma_level"],
                job_seeker=row["job_seeker"],
                age_band=row["age_band"],
                social_status=row["social_status"],
            )[0]
        }
        pic_people = len(pic_ids)
        per_person = handed.values_list("beneficiary_id").annotate(n=Count("pk"))
        passes = pic_passes = 0
        for beneficiary_id, n in per_person:
            passes += n
            pic_passes += n if beneficiary_id in pic_ids else 0
    return {
        "people": total,
        "passes_handed_out": passes,
        "pic_people": pic_people,
        "pic_share": _share(pic_people, total),
        "pic_passes": pic_passes,
        "pic_pass_share": _share(pic_passes, passes),
        "qpv_people": qpv,
        "qpv_share": _share(qpv, total),
    }


def export_payload(beneficiary: Beneficiary) -> dict[str, Any]:
    """Everything stored about one person (for the right of access), as JSON-ready data."""
    b = beneficiary
    return {
        "reference": b.reference,
        "structure": b.prescriber.name,
        "programme": b.programme.name if b.programme else None,
        "cree_le": b.created_at.isoformat(),
        "modifie_le": b.updated_at.isoformat(),
        "tranche_age": b.age_band,
        "genre": b.gender,
        "situation": b.social_status,
        "niveau_diplome": b.diploma_level,
        "demandeur_emploi": b.job_seeker,
        "demandeur_emploi_depuis": b.job_seeker_since.strftime("%Y-%m")
        if b.job_seeker_since
        else None,
        "commune_insee": b.commune_id,
        "habite_qpv": b.lives_in_qpv,
        "qpv": b.qpv_id,
        "consentement_contact": b.contact_consent,
        "consentement_le": b.consent_at.isoformat() if b.consent_at else None,
        "telephone": b.phone,
        "email": b.email,
        "remarques": b.notes,
        "public_pic": b.pic_eligible,
        "motif_pic": b.pic_basis,
        "diagnostic": {
            "reponses": b.diagnostic_answers,
            "score": b.diagnostic_score,
            "autonomie": b.autonomy_level,
            "besoins": b.needs,
            "thematiques_coop": coop_themes(b.diagnostic_answers),
            "pass_recommandes": b.recommended_passes,
        },
        "pass": [
            {
                "numero": p.serial,
                "etat": p.status,
                "remis_le": p.distributed_at.isoformat() if p.distributed_at else None,
                "utilise_le": p.redeemed_at.isoformat() if p.redeemed_at else None,
            }
            for p in passes_of(b)
        ],
        "anonymise_le": b.anonymised_at.isoformat() if b.anonymised_at else None,
    }


def prescribers_overseen_by(organisation: Organisation) -> list[Organisation]:
    """The prescriber structures whose aggregates a funder, hub or municipality may read."""
    from programmes.models import Territory

    kinds = Organisation.Kind
    if organisation.kind == kinds.MUNICIPALITY:
        towns = Organisation.objects.filter(pk=organisation.pk)
    elif organisation.kind == kinds.FUNDER:
        towns = Organisation.objects.filter(
            Q(parent=organisation, kind=kinds.MUNICIPALITY)
            | Q(
                pk__in=Territory.objects.filter(programme__funder=organisation).values(
                    "municipality"
                )
            )
        )
    elif organisation.kind == kinds.HUB:
        towns = Organisation.objects.filter(
            pk__in=Territory.objects.filter(programme__hub=organisation).values("municipality")
        )
    else:
        return []
    return list(
        Organisation.objects.filter(kind=kinds.PRESCRIBER, parent__in=towns, is_active=True)
        .select_related("parent")
        .order_by("parent__name", "name")
    )
