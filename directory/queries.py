"""Reads for the public directory of places (no login): only qualified, active places of
qualified operators are ever returned."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet
from django.urls import reverse

from operators.models import Place, Qualification, Service
from programmes.models import Programme

# Values of the national schema v1.0.2, with the slugs the application may store instead.
PUBLICS: list[tuple[str, str]] = [
    ("jeunes", "Jeunes"),
    ("etudiants", "Étudiants"),
    ("familles-enfants", "Familles et/ou enfants"),
    ("seniors", "Seniors"),
    ("femmes", "Femmes"),
]
SPECIFIC_SUPPORT: list[tuple[str, str]] = [
    ("surdite", "Surdité"),
    ("handicaps-moteurs", "Handicaps moteurs"),
    ("handicaps-mentaux", "Handicaps mentaux"),
    ("illettrisme", "Illettrisme"),
    ("langues-etrangeres-anglais", "Langues étrangères (anglais)"),
    ("langues-etrangeres-autres", "Langues étrangères (autres)"),
    ("deficience-visuelle", "Déficience visuelle"),
]
ACCESSLIBRE = "acceslibre"
ACCESSIBILITY: list[tuple[str, str]] = [
    (ACCESSLIBRE, "Fiche d'accessibilité Acceslibre disponible"),
    *SPECIFIC_SUPPORT,
]
# The 9 national services, as stored on places by the schema (label) or the application (slug).
SERVICE_LABELS_IN_SCHEMA: dict[str, str] = {
    Service.Theme.CULTURE: "Compréhension du monde numérique",
    Service.Theme.MATERIEL: "Accès internet et matériel informatique",
    Service.Theme.CONNEXION: "Accès internet et matériel informatique",
}
MAX_MAP_PLACES = 1000
MAX_INSEE_CODES = 300


@dataclass
class DirectoryFilters:
    """What the visitor asked for; every value is already checked against its vocabulary."""

    commune: str = ""
    insee_codes: list[str] = field(default_factory=list)
    service: str = ""
    public: str = ""
    accessibility: str = ""
    accepts_passes: bool = True


def _label_of(value: str, vocabulary: list[tuple[str, str]]) -> str:
    return dict(vocabulary).get(value, value)


def _json_list_has(field_name: str, *values: str) -> Q:
    """A JSON list holds one of ``values`` (slug or label), on SQLite and PostgreSQL alike.

    The list is searched as text for the quoted value: SQLite keeps the JSON as written by
    Python (non-ASCII escaped), PostgreSQL as jsonb text (non-ASCII kept), so both are tried.
    """
    condition = Q()
    for value in {v for v in values if v}:
        for needle in {json.dumps(value), json.dumps(value, ensure_ascii=False)}:
            condition |= Q(**{f"{field_name}__icontains": needle})
    return condition


def qualified_places() -> QuerySet[Place]:
    """Active, qualified places of active, qualified operators (suspended ones are hidden)."""
    return Place.objects.filter(
        is_active=True,
        qualification=Qualification.QUALIFIED,
        operator__is_active=True,
        operator__kind="OPERATOR",
        operator__operator_profile__qualification=Qualification.QUALIFIED,
    )


def search_places(filters: DirectoryFilters) -> QuerySet[Place]:
    qs = qualified_places()
    if filters.accepts_passes:
        qs = qs.filter(accepts_passes=True)
    if filters.insee_codes:
        qs = qs.filter(
            Q(commune_id__in=filters.insee_codes) | Q(commune__parent_id__in=filters.insee_codes)
        )
    term = filters.commune.strip()
    if term:
        if term.isdigit() or (len(term) == 5 and term[:2].upper() in ("2A", "2B")):
            qs = qs.filter(
                Q(commune_id=term.upper())
                | Q(postal_code=term)
                | Q(commune__parent_id=term.upper())
                | _json_list_has("commune__postal_codes", term)
            )
        else:
            qs = qs.filter(
                Q(commune__name__icontains=term) | Q(commune__parent__name__icontains=term)
            )
    if filters.service:
        theme = filters.service
        label = Service.Theme(theme).label
        offered_by_catalogue = Service.objects.filter(is_active=True, theme=theme).values(
            "operator_id"
        )
        qs = qs.filter(
            Q(operator_id__in=offered_by_catalogue)
            | _json_list_has("services", theme, label, SERVICE_LABELS_IN_SCHEMA.get(theme, ""))
        )
    if filters.public:
        qs = qs.filter(
            _json_list_has("publics", filters.public, _label_of(filters.public, PUBLICS))
        )
    if filters.accessibility == ACCESSLIBRE:
        qs = qs.exclude(accessibility_url="")
    elif filters.accessibility:
        qs = qs.filter(
            _json_list_has(
                "specific_support",
                filters.accessibility,
                _label_of(filters.accessibility, SPECIFIC_SUPPORT),
            )
        )
    return qs.select_related("commune", "operator").order_by("commune__name", "name", "pk")


def map_data(places: QuerySet[Place]) -> dict:
    """The markers of the map (places with coordinates), for ``json_script``."""
    rows = places.filter(latitude__isnull=False, longitude__isnull=False).values(
        "pk", "name", "address", "postal_code", "commune__name", "latitude", "longitude"
    )[:MAX_MAP_PLACES]
    return {
        "places": [
            {
                "id": row["pk"],
                "name": row["name"],
                "address": f"{row['address']}, {row['postal_code']} {row['commune__name']}",
                "lat": float(row["latitude"]),
                "lng": float(row["longitude"]),
                "url": reverse("directory:place", args=[row["pk"]]),
            }
            for row in rows
        ]
    }


def get_public_place(place_id: int) -> Place | None:
    return (
        qualified_places()
        .select_related("commune", "operator", "operator__operator_profile")
        .filter(pk=place_id)
        .first()
    )


def catalogue_of(place: Place) -> QuerySet[Service]:
    return Service.objects.filter(operator_id=place.operator_id, is_active=True).order_by(
        "title", "pk"
    )


def pass_programmes_at(place: Place, today: date) -> QuerySet[Programme]:
    """Pass programmes running today whose perimeter covers the place's commune."""
    communes = [place.commune_id]
    if place.commune.parent_id:
        communes.append(place.commune.parent_id)
    return (
        Programme.objects.filter(perimeter__in=communes, starts_on__lte=today, ends_on__gte=today)
        .select_related("funder")
        .distinct()
        .order_by("name", "pk")
    )


def readable_list(values: list, vocabulary: list[tuple[str, str]] | None = None) -> list[str]:
    """A JSON list of the place shown with labels (slugs translated when known)."""
    if not isinstance(values, list):
        return []
    mapping = dict(vocabulary or [])
    return [mapping.get(str(v), str(v)) for v in values if str(v).strip()]


def service_labels(values: list) -> list[str]:
    themes = dict(Service.Theme.choices)
    return readable_list(values, list(themes.items()))
