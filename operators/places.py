"""Writes for an operator's places and service catalogue, and the vocabularies of the national
« Lieux de médiation numérique » schema v1.0.2 (values stored as slugs in the Place's JSON lists,
exported as the schema's labels).

Every write checks that the object belongs to the operator with a conditional UPDATE whose row
count is checked, and is journaled in the same transaction.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from geo.models import Commune
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Organisation

from . import opening_hours
from .models import Place, Qualification, Service

# --- Vocabularies: (slug stored, label of the national schema) -------------------------------

SERVICE_LABELS: dict[str, str] = {
    Service.Theme.AIDE_DEMARCHES: "Aide aux démarches administratives",
    Service.Theme.MAITRISE_OUTILS: "Maîtrise des outils numériques du quotidien",
    Service.Theme.INSERTION_PRO: "Insertion professionnelle via le numérique",
    Service.Theme.UTILISATION_SECURISEE: "Utilisation sécurisée du numérique",
    Service.Theme.PARENTALITE: "Parentalité et éducation avec le numérique",
    Service.Theme.LOISIRS: "Loisirs et créations numériques",
    Service.Theme.CULTURE: "Compréhension du monde numérique",
    Service.Theme.MATERIEL: "Accès internet et matériel informatique",
    Service.Theme.CONNEXION: "Accès internet et matériel informatique",
}
# Schema label → our themes (the schema merges two of our nine into one value).
SERVICES_FROM_LABEL: dict[str, list[str]] = {
    "Aide aux démarches administratives": [Service.Theme.AIDE_DEMARCHES],
    "Maîtrise des outils numériques du quotidien": [Service.Theme.MAITRISE_OUTILS],
    "Insertion professionnelle via le numérique": [Service.Theme.INSERTION_PRO],
    "Utilisation sécurisée du numérique": [Service.Theme.UTILISATION_SECURISEE],
    "Parentalité et éducation avec le numérique": [Service.Theme.PARENTALITE],
    "Loisirs et créations numériques": [Service.Theme.LOISIRS],
    "Compréhension du monde numérique": [Service.Theme.CULTURE],
    "Accès internet et matériel informatique": [
        Service.Theme.MATERIEL,
        Service.Theme.CONNEXION,
    ],
    "Acquisition de matériel informatique à prix solidaire": [Service.Theme.MATERIEL],
}
PUBLICS = [
    ("jeunes", "Jeunes"),
    ("etudiants", "Étudiants"),
    ("familles-enfants", "Familles et/ou enfants"),
    ("seniors", "Seniors"),
    ("femmes", "Femmes"),
]
SPECIFIC_SUPPORT = [
    ("surdite", "Surdité"),
    ("handicaps-moteurs", "Handicaps moteurs"),
    ("handicaps-mentaux", "Handicaps mentaux"),
    ("illettrisme", "Illettrisme"),
    ("langues-etrangeres-anglais", "Langues étrangères (anglais)"),
    ("langues-etrangeres-autres", "Langues étrangères (autres)"),
    ("deficience-visuelle", "Déficience visuelle"),
]
NATIONAL_PROGRAMMES = [
    ("aidants-connect", "Aidants Connect"),
    ("bibliotheques-numerique-de-reference", "Bibliothèques numérique de référence"),
    ("certification-pix", "Certification PIX"),
    ("conseillers-numeriques", "Conseillers numériques"),
    ("emmaus-connect", "Emmaüs Connect"),
    ("france-services", "France Services"),
    ("grande-ecole-du-numerique", "Grande école du numérique"),
    ("la-croix-rouge", "La Croix Rouge"),
    ("point-d-acces-numerique-caf", "Point d'accès numérique CAF"),
    ("promeneurs-du-net", "Promeneurs du net"),
    ("relais-numerique-emmaus-connect", "Relais numérique (Emmaüs Connect)"),
]
LABELS = [
    ("mon-espace-sante", "Formé à « Mon Espace Santé »"),
    ("duplex", "Formé à « DUPLEX » (illettrisme)"),
    ("arnia-mednum-bfc", "Arnia/MedNum BFC (Bourgogne-Franche-Comté)"),
    ("collectif-reemploi-normandie", "Collectif ressources et acteurs réemploi (Normandie)"),
    ("fabriques-de-territoire", "Fabriques de Territoire"),
    ("eclaireurs-du-numerique", "Les Éclaireurs du numérique (Drôme)"),
    ("mes-papiers", "Mes Papiers (Métropole de Lyon)"),
    ("ordi-3-0", "ORDI 3.0"),
    ("sud-labs", "SUD LABS (PACA)"),
]
ACCESS_MODALITIES = [
    ("se-presenter", "Se présenter"),
    ("telephoner", "Téléphoner"),
    ("contacter-par-mail", "Contacter par mail"),
    ("prendre-un-rdv-en-ligne", "Prendre un RDV en ligne"),
    ("pas-de-public", "Ce lieu n'accueille pas de public"),
    ("fiche-de-prescription", "Envoyer un mail avec une fiche de prescription"),
]
SUPPORT_MODALITIES = [
    ("en-autonomie", "En autonomie"),
    ("accompagnement-individuel", "Accompagnement individuel"),
    ("atelier-collectif", "Dans un atelier collectif"),
    ("a-distance", "À distance"),
]
# Typologies of data·inclusion's structures (codes exported as is).
TYPOLOGIES = [
    ("ASSO", "Association"),
    ("BIB", "Bibliothèque, médiathèque"),
    ("CCAS", "Centre communal d'action sociale"),
    ("CS", "Centre social"),
    ("EPN", "Espace public numérique"),
    ("FABLAB", "Fablab"),
    ("MUNI", "Mairie"),
    ("PIMMS", "Point information médiation multi-services"),
    ("MQ", "Maison de quartier"),
    ("TIERS_LIEUX", "Tiers-lieu"),
    ("RFS", "France Services"),
    ("AUTRE", "Autre"),
]
VOCABULARIES: dict[str, list[tuple[str, str]]] = {
    "services": [(value, label) for value, label in Service.Theme.choices],
    "publics": PUBLICS,
    "specific_support": SPECIFIC_SUPPORT,
    "national_programmes": NATIONAL_PROGRAMMES,
    "labels": LABELS,
    "access_modalities": ACCESS_MODALITIES,
    "support_modalities": SUPPORT_MODALITIES,
    "typology": TYPOLOGIES,
}
# Labels of the national schema for each list field (services are mapped with SERVICE_LABELS).
SCHEMA_LABELS: dict[str, dict[str, str]] = {
    name: dict(pairs)
    for name, pairs in VOCABULARIES.items()
    if name not in ("services", "typology")
}
SCHEMA_LABELS["services"] = dict(SERVICE_LABELS)
SCHEMA_LABELS["typology"] = {code: code for code, _ in TYPOLOGIES}

PLACE_FIELDS = [
    "name",
    "address",
    "address_complement",
    "postal_code",
    "commune",
    "latitude",
    "longitude",
    "opening_hours",
    "phone",
    "email",
    "website",
    "accessibility_url",
    "appointment_url",
    "summary",
    "description",
    "accepts_passes",
    *VOCABULARIES.keys(),
]
SERVICE_FIELDS = [
    "title",
    "theme",
    "is_collective",
    "duration_minutes",
    "price_in_passes",
    "description",
]
PHONE_PATTERN = re.compile(r"^\+33\d{9}$|^\+(590|594|262|596|269|687|689|508|681)\d{6,9}$")


class PlaceError(Exception):
    """A refused write; ``errors`` maps field names (or "__all__") to French messages."""

    def __init__(self, errors: dict[str, str] | str):
        if isinstance(errors, str):
            errors = {"__all__": errors}
        self.errors = errors
        super().__init__(" ".join(errors.values()))


NOT_YOURS = "Ce lieu n'existe pas ou n'appartient pas à votre organisation : rien n'a été modifié."
SERVICE_NOT_YOURS = (
    "Ce service n'existe pas ou n'appartient pas à votre organisation : rien n'a été modifié."
)


# --- Field validators (shared by the forms, the services and the import) -----------------------


def clean_opening_hours(value: str) -> str:
    try:
        return opening_hours.normalise(value)
    except opening_hours.OpeningHoursError as exc:
        raise ValidationError(str(exc)) from exc


def clean_commune(insee_code: str) -> Commune:
    code = (insee_code or "").strip().upper()
    commune = Commune.objects.filter(insee_code=code).first() if code else None
    if commune is None:
        raise ValidationError(
            f"Commune inconnue : le code INSEE « {insee_code} » ne figure pas au référentiel "
            "des communes."
        )
    return commune


def clean_phone(value: str) -> str:
    """A French number in E.164 (+33…), as the national schema wants it; empty stays empty."""
    raw = re.sub(r"[\s.\-()]", "", value or "")
    if not raw:
        return ""
    if raw.startswith("0033"):
        raw = "+33" + raw[4:]
    if re.fullmatch(r"0\d{9}", raw):
        raw = "+33" + raw[1:]
    if not PHONE_PATTERN.match(raw):
        raise ValidationError(
            f"Téléphone illisible : « {value} ». Donnez un numéro français à 10 chiffres "
            "(01 23 45 67 89) ou au format international (+33 1 23 45 67 89)."
        )
    return raw


def clean_accessibility_url(value: str) -> str:
    if not value:
        return ""
    host = urlsplit(value).hostname or ""
    if not (host == "acceslibre.gouv.fr" or host.endswith(".acceslibre.gouv.fr")) and not (
        host == "acceslibre.beta.gouv.fr"
    ):
        raise ValidationError(
            "L'accessibilité se décrit par un lien vers la fiche du lieu sur Acceslibre "
            "(https://acceslibre.beta.gouv.fr/…)."
        )
    return value


def clean_choices(name: str, values: list[str]) -> list[str]:
    allowed = [slug for slug, _ in VOCABULARIES[name]]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError(f"Valeur inconnue : « {unknown[0]} ».")
    return [slug for slug in allowed if slug in values]  # vocabulary order, no duplicates


INVALID = object()


def _decimal_or_none(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return Decimal(str(value).strip()).quantize(Decimal("0.000001"))
    except InvalidOperation:
        return INVALID


def _validate_place(data: dict[str, Any]) -> dict[str, Any]:
    """Check every business rule again (the forms do too); returns the cleaned data."""
    errors: dict[str, str] = {}
    cleaned = dict(data)
    for field, cleaner in (
        ("opening_hours", clean_opening_hours),
        ("phone", clean_phone),
        ("accessibility_url", clean_accessibility_url),
    ):
        try:
            cleaned[field] = cleaner(data.get(field, "") or "")
        except ValidationError as exc:
            errors[field] = exc.messages[0]
    commune = data.get("commune")
    if not isinstance(commune, Commune):
        try:
            cleaned["commune"] = clean_commune(str(commune or ""))
        except ValidationError as exc:
            errors["commune"] = exc.messages[0]
    for name in VOCABULARIES:
        try:
            cleaned[name] = clean_choices(name, list(data.get(name) or []))
        except ValidationError as exc:
            errors[name] = exc.messages[0]
    postal_code = str(data.get("postal_code") or "")
    if not re.fullmatch(r"\d{5}", postal_code):
        errors["postal_code"] = "Le code postal compte 5 chiffres."
    elif isinstance(cleaned.get("commune"), Commune) and cleaned["commune"].postal_codes:
        commune = cleaned["commune"]
        if postal_code not in commune.postal_codes:
            errors["postal_code"] = (
                f"Le code postal {postal_code} n'est pas celui de {commune.name} "
                f"({', '.join(commune.postal_codes)})."
            )
    if not (data.get("name") or "").strip():
        errors["name"] = "Donnez un nom au lieu."
    if not (data.get("address") or "").strip():
        errors["address"] = "Donnez l'adresse du lieu."
    cleaned["accepts_passes"] = bool(data.get("accepts_passes"))
    lat, lon = _decimal_or_none(data.get("latitude")), _decimal_or_none(data.get("longitude"))
    cleaned["latitude"], cleaned["longitude"] = lat, lon
    if lat is INVALID or lon is INVALID:
        errors["latitude"] = "Les coordonnées sont des nombres décimaux (48.8566, 2.3522)."
    elif (lat is None) != (lon is None):
        errors["latitude"] = "Donnez la latitude et la longitude, ou aucune des deux."
    elif lat is not None:
        if not (Decimal(-90) <= lat <= Decimal(90)):
            errors["latitude"] = "La latitude est comprise entre -90 et 90."
        if not (Decimal(-180) <= lon <= Decimal(180)):
            errors["longitude"] = "La longitude est comprise entre -180 et 180."
    if errors:
        raise PlaceError(errors)
    return {field: cleaned.get(field) for field in PLACE_FIELDS if field in cleaned}


def _journal(
    operator: Organisation, obj, by, request: HttpRequest | None, what: str, **details
) -> None:
    record(
        JournalEntry.Action.ORGANISATION_UPDATED,
        actor=by,
        organisation=operator,
        obj=obj,
        request=request,
        details={"action": what, **details},
    )


# --- Places ---------------------------------------------------------------------------------


def create_place(
    operator: Organisation, data: dict[str, Any], *, by, request: HttpRequest | None = None
) -> Place:
    """A new place of ``operator``, awaiting its own qualification."""
    if operator.kind != Organisation.Kind.OPERATOR:
        raise PlaceError("Seul un opérateur de médiation numérique peut déclarer des lieux.")
    cleaned = _validate_place(data)
    with transaction.atomic():
        place = Place.objects.create(
            operator=operator, qualification=Qualification.SUBMITTED, **cleaned
        )
        _journal(operator, place, by, request, "place_created", place=place.name)
    return place


def update_place(
    operator: Organisation,
    place_id: int,
    data: dict[str, Any],
    *,
    by,
    request: HttpRequest | None = None,
) -> Place:
    """Change a place of ``operator``; a place of another operator is refused (nothing changes)."""
    cleaned = _validate_place(data)
    with transaction.atomic():
        # Conditional UPDATE: the WHERE clause carries the ownership check.
        count = Place.objects.filter(pk=place_id, operator=operator).update(**cleaned)
        if count != 1:
            raise PlaceError(NOT_YOURS)
        place = Place.objects.select_related("commune").get(pk=place_id)
        _journal(
            operator, place, by, request, "place_updated", fields=sorted(str(k) for k in cleaned)
        )
    return place


def set_place_active(
    operator: Organisation,
    place_id: int,
    active: bool,
    *,
    by,
    request: HttpRequest | None = None,
) -> Place:
    with transaction.atomic():
        count = Place.objects.filter(pk=place_id, operator=operator, is_active=not active).update(
            is_active=active
        )
        if count != 1:
            if not Place.objects.filter(pk=place_id, operator=operator).exists():
                raise PlaceError(NOT_YOURS)
            raise PlaceError("Ce lieu est déjà actif." if active else "Ce lieu est déjà désactivé.")
        place = Place.objects.get(pk=place_id)
        _journal(
            operator,
            place,
            by,
            request,
            "place_reactivated" if active else "place_deactivated",
            place=place.name,
        )
    return place


# --- Service catalogue ------------------------------------------------------------------------


def _validate_service(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = "Donnez un intitulé au service."
    if data.get("theme") not in Service.Theme.values:
        errors["theme"] = "Choisissez un des 9 services du schéma national."
    price = data.get("price_in_passes")
    if not isinstance(price, int) or not 1 <= price <= 20:
        errors["price_in_passes"] = "Le prix d'un service est compris entre 1 et 20 pass."
    duration = data.get("duration_minutes")
    if not isinstance(duration, int) or not 1 <= duration <= 24 * 60:
        errors["duration_minutes"] = "La durée est comprise entre 1 minute et 24 heures."
    if errors:
        raise PlaceError(errors)
    return {
        "title": title,
        "theme": data["theme"],
        "is_collective": bool(data.get("is_collective")),
        "duration_minutes": duration,
        "price_in_passes": price,
        "description": (data.get("description") or "").strip(),
    }


def create_service(
    operator: Organisation, data: dict[str, Any], *, by, request: HttpRequest | None = None
) -> Service:
    if operator.kind != Organisation.Kind.OPERATOR:
        raise PlaceError("Seul un opérateur de médiation numérique a un catalogue de services.")
    cleaned = _validate_service(data)
    with transaction.atomic():
        service = Service.objects.create(operator=operator, **cleaned)
        _journal(operator, service, by, request, "service_created", service=service.title)
    return service


def update_service(
    operator: Organisation,
    service_id: int,
    data: dict[str, Any],
    *,
    by,
    request: HttpRequest | None = None,
) -> Service:
    cleaned = _validate_service(data)
    with transaction.atomic():
        count = Service.objects.filter(pk=service_id, operator=operator).update(**cleaned)
        if count != 1:
            raise PlaceError(SERVICE_NOT_YOURS)
        service = Service.objects.get(pk=service_id)
        _journal(operator, service, by, request, "service_updated", service=service.title)
    return service


def set_service_active(
    operator: Organisation,
    service_id: int,
    active: bool,
    *,
    by,
    request: HttpRequest | None = None,
) -> Service:
    with transaction.atomic():
        count = Service.objects.filter(
            pk=service_id, operator=operator, is_active=not active
        ).update(is_active=active)
        if count != 1:
            if not Service.objects.filter(pk=service_id, operator=operator).exists():
                raise PlaceError(SERVICE_NOT_YOURS)
            raise PlaceError(
                "Ce service est déjà actif." if active else "Ce service est déjà retiré."
            )
        service = Service.objects.get(pk=service_id)
        _journal(
            operator,
            service,
            by,
            request,
            "service_reactivated" if active else "service_deactivated",
            service=service.title,
        )
    return service


# --- Place qualification (decided by the issuer or the funder, like the operator's) ------------

PLACE_TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    # action: (allowed sources, target, French label)
    "start_review": ((Qualification.SUBMITTED,), Qualification.IN_REVIEW, "prise en examen"),
    "qualify": (
        (Qualification.SUBMITTED, Qualification.IN_REVIEW),
        Qualification.QUALIFIED,
        "qualification",
    ),
    "refuse": (
        (Qualification.SUBMITTED, Qualification.IN_REVIEW),
        Qualification.REFUSED,
        "refus",
    ),
    "suspend": ((Qualification.QUALIFIED,), Qualification.SUSPENDED, "suspension"),
    "reinstate": ((Qualification.SUSPENDED,), Qualification.QUALIFIED, "rétablissement"),
    "dequalify": (
        (Qualification.QUALIFIED, Qualification.SUSPENDED),
        Qualification.DEQUALIFIED,
        "déqualification",
    ),
}
PLACE_DECISIONS_NEEDING_REASON = {"refuse", "suspend", "dequalify"}
REVIEWER_KINDS = (Organisation.Kind.ISSUER, Organisation.Kind.FUNDER)


def decide_place(
    place_id: int,
    action: str,
    *,
    by,
    reviewer: Organisation,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Place:
    """The issuer or the funder moves a place's qualification on (one conditional UPDATE).

    The caller has checked ``by``'s membership of ``reviewer``; the reason of a negative decision
    is kept in the journal (the Place has no reason field).
    """
    if reviewer.kind not in REVIEWER_KINDS:
        raise PlaceError("Seuls l'émetteur et le commanditaire qualifient les lieux.")
    transition = PLACE_TRANSITIONS.get(action)
    if transition is None:
        raise PlaceError("Décision inconnue.")
    sources, target, label = transition
    reason = (reason or "").strip()
    if action in PLACE_DECISIONS_NEEDING_REASON and not reason:
        raise PlaceError({"reason": "Indiquez le motif de cette décision."})
    with transaction.atomic():
        previous = Place.objects.filter(pk=place_id).values_list("qualification", flat=True).first()
        if previous is None:
            raise PlaceError("Ce lieu n'existe pas.")
        count = Place.objects.filter(pk=place_id, qualification__in=sources).update(
            qualification=target
        )
        if count != 1:
            place = Place.objects.get(pk=place_id)
            raise PlaceError(
                f"Impossible : le lieu est « {place.get_qualification_display()} », "
                f"la {label} n'est pas possible dans cet état."
            )
        place = Place.objects.select_related("operator").get(pk=place_id)
        _journal(
            place.operator,
            place,
            by,
            request,
            "place_qualification",
            decision=action,
            previous=previous,
            to=target,
            reason=reason,
            reviewer_organisation=reviewer.pk,
            reviewer_organisation_name=reviewer.name,
        )
    return place
