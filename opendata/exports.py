"""Open-data exports: the national « Lieux de médiation numérique » CSV (schema v1.0.2) and the
data·inclusion structures and services (validated with the data-inclusion-schema package)."""

import csv
import datetime
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from data_inclusion.schema import v1 as di
from django.utils import timezone

from operators.models import Place, Service
from operators.places import SCHEMA_LABELS

from . import queries

SOURCE = "Passnum"
DI_SOURCE = "passnum"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas" / "lieux-mediation-numerique"
SCHEMA_PATH = SCHEMA_DIR / "schema.json"
NO_SIRET = "00000000000000"  # the national schema's value for a place without SIRET


def _schema() -> dict:
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


# The columns of the national schema, in its order (read from the committed copy).
COLUMNS: list[str] = [field["name"] for field in _schema()["fields"]]
SCHEMA_VERSION: str = _schema()["version"]


def place_id(place: Place) -> str:
    """Stable identifier: never reused, never changes with the place's name or address."""
    return f"passnum-lieu-{place.pk}"


def _join(field: str, values: Iterable[str]) -> str:
    labels = SCHEMA_LABELS[field]
    out: list[str] = []
    for value in values or []:
        label = labels.get(value)
        if label and label not in out:
            out.append(label)
    return "|".join(out)


def _date_maj(place: Place) -> datetime.date:
    # Never after today (data·inclusion refuses future dates; server and Paris may differ).
    return min(timezone.localdate(place.updated_at), datetime.date.today())


def _coordinate(value) -> str:
    return "" if value is None else format(value.normalize(), "f")


def place_row(place: Place) -> dict[str, str]:
    fees = "Gratuit sous condition" if place.accepts_passes else ""
    row = {
        "id": place_id(place),
        "pivot": place.operator.siret or NO_SIRET,
        "nom": place.name,
        "commune": place.commune.name,
        "code_postal": place.postal_code,
        "code_insee": place.commune_id,
        "adresse": place.address,
        "complement_adresse": place.address_complement,
        "latitude": _coordinate(place.latitude),
        "longitude": _coordinate(place.longitude),
        "typologie": _join("typology", place.typology),
        "telephone": place.phone,
        "courriels": place.email,
        "site_web": place.website,
        "horaires": place.opening_hours,
        "presentation_resume": place.summary,
        "presentation_detail": place.description,
        "source": SOURCE,
        "itinerance": "",
        "structure_parente": place.operator.name,
        "date_maj": _date_maj(place).isoformat(),
        "services": _join("services", place.services),
        "publics_specifiquement_adresses": _join("publics", place.publics),
        "prise_en_charge_specifique": _join("specific_support", place.specific_support),
        "frais_a_charge": fees,
        "dispositif_programmes_nationaux": _join("national_programmes", place.national_programmes),
        "formations_labels": _join("labels", place.labels),
        "autres_formations_labels": "",
        "modalites_acces": _join("access_modalities", place.access_modalities),
        "modalites_accompagnement": _join("support_modalities", place.support_modalities),
        "fiche_acces_libre": place.accessibility_url,
        "prise_rdv": place.appointment_url,
    }
    return {column: row.get(column, "") for column in COLUMNS}


def csv_lines(places: Iterable[Place] | None = None) -> Iterator[str]:
    """The CSV, line by line: a header then one quoted line per place (like the example)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writeheader()
    yield flush()
    for place in queries.published_places().iterator() if places is None else places:
        writer.writerow(place_row(place))
        yield flush()


def places_csv() -> str:
    return "".join(csv_lines())


# --- data·inclusion -------------------------------------------------------------------------

DI_THEMATIQUES = {
    Service.Theme.AIDE_DEMARCHES: di.Thematique.NUMERIQUE__ACCEDER_A_DES_SERVICES_EN_LIGNE,
    Service.Theme.MATERIEL: di.Thematique.NUMERIQUE__ACQUERIR_UN_EQUIPEMENT,
    Service.Theme.CONNEXION: di.Thematique.NUMERIQUE__ACCEDER_A_UNE_CONNEXION_INTERNET,
}
DI_DEFAULT_THEMATIQUE = di.Thematique.NUMERIQUE__MAITRISER_LES_FONDAMENTAUX_DU_NUMERIQUE
DI_NETWORKS = {
    "aidants-connect": "aidants-connect",
    "conseillers-numeriques": "conseillers-numeriques",
    "france-services": "france-service",
    "emmaus-connect": "emmaus",
    "relais-numerique-emmaus-connect": "emmaus",
    "la-croix-rouge": "croix-rouge",
    "point-d-acces-numerique-caf": "caf",
    "grande-ecole-du-numerique": "grandes-ecoles-du-numerique",
}
DI_PUBLICS = {
    "jeunes": di.Public.JEUNES,
    "etudiants": di.Public.ETUDIANTS,
    "familles-enfants": di.Public.FAMILLES,
    "seniors": di.Public.SENIORS,
    "femmes": di.Public.FEMMES,
}


def _text_or_none(text: str) -> str | None:
    text = (text or "").strip()
    return text[:10000] if len(text) >= 5 else None


def structure_id(place: Place) -> str:
    return f"{DI_SOURCE}--{place_id(place)}"


def structure(place: Place) -> di.Structure:
    """A place as a data·inclusion structure (the pydantic model validates every field)."""
    return di.Structure(
        source=DI_SOURCE,
        id=structure_id(place),
        nom=place.name[:150],
        date_maj=_date_maj(place),
        description=_text_or_none(place.description or place.summary),
        siret=place.operator.siret or None,
        commune=place.commune.name,
        code_postal=place.postal_code,
        code_insee=place.commune_id,
        adresse=place.address,
        complement_adresse=place.address_complement or None,
        latitude=float(place.latitude) if place.latitude is not None else None,
        longitude=float(place.longitude) if place.longitude is not None else None,
        telephone=place.phone or None,
        courriel=place.email or None,
        site_web=place.website or None,
        horaires_accueil=place.opening_hours or None,
        accessibilite_lieu=place.accessibility_url or None,
        reseaux_porteurs={
            di.ReseauPorteur(DI_NETWORKS[slug])
            for slug in place.national_programmes
            if slug in DI_NETWORKS
        }
        or None,
    )


def service(place: Place, item: Service) -> di.Service:
    """A catalogue service offered at a place, as a data·inclusion service."""
    description = item.description.strip()
    if len(description) < 5:
        description = (
            f"{item.get_theme_display()} : "
            f"{'atelier collectif' if item.is_collective else 'accompagnement individuel'} "
            f"de {item.duration_minutes} minutes."
        )
    publics = {DI_PUBLICS[p] for p in place.publics if p in DI_PUBLICS} or {di.Public.TOUS_PUBLICS}
    modes = {di.ModeAccueil.EN_PRESENTIEL}
    if "a-distance" in place.support_modalities:
        modes.add(di.ModeAccueil.A_DISTANCE)
    return di.Service(
        source=DI_SOURCE,
        structure_id=structure_id(place),
        id=f"{DI_SOURCE}--{place_id(place)}-service-{item.pk}",
        nom=(item.title if len(item.title) >= 3 else f"{item.title} (service)")[:150],
        description=description,
        date_maj=_date_maj(place),
        type=di.TypeService.ATELIER if item.is_collective else di.TypeService.ACCOMPAGNEMENT,
        thematiques={DI_THEMATIQUES.get(item.theme, DI_DEFAULT_THEMATIQUE)},
        frais=di.Frais.GRATUIT if place.accepts_passes else None,
        frais_precisions=(
            f"Gratuit avec {item.price_in_passes} pass numérique"
            f"{'s' if item.price_in_passes > 1 else ''}."
        )
        if place.accepts_passes
        else None,
        publics=publics,
        commune=place.commune.name,
        code_postal=place.postal_code,
        code_insee=place.commune_id,
        adresse=place.address,
        latitude=float(place.latitude) if place.latitude is not None else None,
        longitude=float(place.longitude) if place.longitude is not None else None,
        telephone=place.phone or None,
        courriel=place.email or None,
        modes_accueil=modes,
        horaires_accueil=place.opening_hours or None,
    )


def _dump(model) -> dict:
    return model.model_dump(mode="json", exclude_none=True)


def structures_data() -> list[dict]:
    return [_dump(structure(place)) for place in queries.published_places()]


def services_data() -> list[dict]:
    places = list(queries.published_places())
    by_operator: dict[int, list[Service]] = {}
    for item in queries.published_services():
        by_operator.setdefault(item.operator_id, []).append(item)
    return [
        _dump(service(place, item))
        for place in places
        for item in by_operator.get(place.operator_id, [])
    ]
