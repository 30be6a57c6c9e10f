"""Reads for orientation: suggested places, the facilitators' page, follow-up of a structure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, IntegerField, Min, Q, QuerySet, Value, When
from django.utils import timezone

from beneficiaries.models import Beneficiary
from directory import queries as directory_queries
from geo.models import Commune
from ledger.models import Pass, PassStatus
from operators.models import Place
from organisations.models import Organisation

from .models import PrescriberListing

MIN_SUGGESTIONS = 3
MAX_SUGGESTIONS = 5
DEFAULT_UNUSED_DAYS = 30
# Names the beneficiaries app may give to the consent and contact fields (issue 5, point 3).
CONSENT_FIELDS = ("follow_up_consent", "contact_consent", "consent_follow_up", "consent")
CONTACT_FIELDS = ("phone", "email", "contact_phone", "contact_email", "contact")


def _field_names(model) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


def consent_field() -> str | None:
    names = _field_names(Beneficiary)
    return next((name for name in CONSENT_FIELDS if name in names), None)


def contact_fields() -> list[str]:
    names = _field_names(Beneficiary)
    return [name for name in CONTACT_FIELDS if name in names]


def beneficiary_of(organisation: Organisation, beneficiary_id: int) -> Beneficiary | None:
    """A beneficiary of this prescriber structure only (another structure's → None)."""
    return Beneficiary.objects.filter(prescriber=organisation, pk=beneficiary_id).first()


def commune_of(beneficiary: Beneficiary) -> Commune | None:
    """The person's commune of residence when recorded, else the structure's commune."""
    commune = getattr(beneficiary, "commune", None)
    if isinstance(commune, Commune):
        return commune
    return beneficiary.prescriber.commune


def needs_of(beneficiary: Beneficiary) -> list[str]:
    """The national services the person needs (empty when not recorded)."""
    from operators.models import Service

    needs = getattr(beneficiary, "needs", None)
    if not isinstance(needs, list):
        return []
    themes = set(Service.Theme.values)
    return [n for n in needs if n in themes]


def suggested_places(
    commune: Commune | None, needs: list[str], limit: int = MAX_SUGGESTIONS
) -> list[Place]:
    """Qualified places accepting passes offering one of ``needs``: same commune first, then
    the same department. Without a match on needs, any qualified place nearby."""
    base = directory_queries.qualified_places().filter(accepts_passes=True)
    if commune is None:
        return []
    codes = [commune.insee_code] + ([commune.parent_id] if commune.parent_id else [])
    nearby = base.filter(
        Q(commune_id__in=codes)
        | Q(commune__parent_id__in=codes)
        | Q(commune__department=commune.department)
    )
    found: list[Place] = []
    seen: set[int] = set()
    queries = []
    for theme in needs:
        queries.append(
            directory_queries.search_places(directory_queries.DirectoryFilters(service=theme))
        )
    queries.append(nearby)
    for qs in queries:
        ranked = (
            qs.filter(pk__in=nearby.values("pk"))
            .annotate(
                distance=Case(
                    When(Q(commune_id__in=codes) | Q(commune__parent_id__in=codes), then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .select_related("commune", "operator")
            .order_by("distance", "commune__name", "name", "pk")
        )
        for place in ranked[:limit]:
            if place.pk not in seen and len(found) < limit:
                seen.add(place.pk)
                found.append(place)
        if len(found) >= MIN_SUGGESTIONS and needs:
            break
    return found


def valid_until_of(beneficiary: Beneficiary) -> date | None:
    """The last day the person's unused passes are valid (the earliest order's end)."""
    return (
        Pass.objects.filter(beneficiary=beneficiary, status=PassStatus.DISTRIBUTED)
        .aggregate(until=Min("order__valid_until"))
        .get("until")
    )


def unused_pass_count(beneficiary: Beneficiary) -> int:
    return Pass.objects.filter(beneficiary=beneficiary, status=PassStatus.DISTRIBUTED).count()


@dataclass
class PersonFollowUp:
    beneficiary: Beneficiary
    handed_out: int = 0
    unused: int = 0
    uses: list[Pass] = field(default_factory=list)


def beneficiaries_of(organisation: Organisation) -> QuerySet[Beneficiary]:
    return Beneficiary.objects.filter(prescriber=organisation).order_by("-created_at", "-pk")


def follow_up(beneficiaries: list[Beneficiary]) -> list[PersonFollowUp]:
    """For each person of the page: passes handed out, still unused, and each use (where,
    when)."""
    rows = {b.pk: PersonFollowUp(b) for b in beneficiaries}
    passes = (
        Pass.objects.filter(beneficiary_id__in=rows)
        .select_related("redemption__place__commune", "redemption__service")
        .order_by("redeemed_at", "number")
    )
    for p in passes:
        row = rows[p.beneficiary_id]
        row.handed_out += 1
        if p.status == PassStatus.DISTRIBUTED:
            row.unused += 1
        if p.redemption_id:
            row.uses.append(p)
    return list(rows.values())


def unused_after(organisation: Organisation, days: int) -> QuerySet[Beneficiary]:
    """People of the structure holding passes handed out more than ``days`` days ago and
    still unused."""
    limit = timezone.now() - timedelta(days=days)
    ids = Pass.objects.filter(
        beneficiary__prescriber=organisation,
        status=PassStatus.DISTRIBUTED,
        distributed_at__lte=limit,
    ).values("beneficiary_id")
    return (
        Beneficiary.objects.filter(pk__in=ids)
        .annotate(first_handed_out=Min("passes__distributed_at"))
        .order_by("first_handed_out", "pk")
    )


def listing_of(organisation: Organisation) -> PrescriberListing | None:
    return PrescriberListing.objects.filter(organisation=organisation).first()


def listed_prescribers(term: str) -> QuerySet[PrescriberListing]:
    """Structures that opted in, in the commune searched (name, postal or INSEE code)."""
    qs = PrescriberListing.objects.filter(
        is_listed=True,
        organisation__is_active=True,
        organisation__kind=Organisation.Kind.PRESCRIBER,
    ).select_related("organisation", "organisation__commune")
    term = term.strip()
    if not term:
        return qs.none()
    if term.isdigit() or (len(term) == 5 and term[:2].upper() in ("2A", "2B")):
        qs = qs.filter(
            Q(organisation__commune_id=term.upper())
            | Q(organisation__commune__parent_id=term.upper())
            | directory_queries._json_list_has("organisation__commune__postal_codes", term)
        )
    else:
        qs = qs.filter(
            Q(organisation__commune__name__icontains=term)
            | Q(organisation__commune__parent__name__icontains=term)
        )
    return qs.order_by("organisation__name", "pk")
