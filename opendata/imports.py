"""Import of places from a national-schema CSV (« Lieux de médiation numérique » v1.0.2), to
pre-fill operators' places from the national map.

The whole file is read and checked first: one bad line and nothing is written (French errors
naming the line). Lines whose `pivot` (SIRET) matches no operator are skipped and reported;
places already known (same operator, name and commune) are skipped too. Imported places await
their qualification and do not accept passes until their operator says so.
"""

import contextlib
import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from journal.models import JournalEntry
from journal.services import record
from operators import places as place_services
from operators.models import Place, Qualification
from organisations.models import Organisation

REQUIRED_COLUMNS = ["id", "pivot", "nom", "code_postal", "code_insee", "adresse"]
LIST_COLUMNS = {
    "publics_specifiquement_adresses": "publics",
    "prise_en_charge_specifique": "specific_support",
    "dispositif_programmes_nationaux": "national_programmes",
    "formations_labels": "labels",
    "modalites_acces": "access_modalities",
    "modalites_accompagnement": "support_modalities",
}


class ImportFileError(Exception):
    """The file is refused as a whole; ``errors`` are French, one per bad line."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    skipped_unknown_pivot: list[str] = field(default_factory=list)
    skipped_existing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def _from_labels(name: str, labels: list[str], line: int) -> list[str]:
    by_label = {label: slug for slug, label in place_services.VOCABULARIES[name]}
    slugs = []
    for label in labels:
        if label not in by_label:
            raise ValidationError(f"ligne {line} : valeur inconnue « {label} »")
        slugs.append(by_label[label])
    return slugs


def _services_from_labels(labels: list[str], line: int) -> list[str]:
    slugs: list[str] = []
    for label in labels:
        if label not in place_services.SERVICES_FROM_LABEL:
            raise ValidationError(f"ligne {line} : service inconnu « {label} »")
        slugs.extend(place_services.SERVICES_FROM_LABEL[label])
    return slugs


def _decimal(value: str, line: int, column: str):
    from decimal import Decimal, InvalidOperation

    if not (value or "").strip():
        return None
    try:
        return Decimal(value.strip()).quantize(Decimal("0.000001"))
    except InvalidOperation as exc:
        raise ValidationError(f"ligne {line} : {column} « {value} » n'est pas un nombre") from exc


def _place_data(row: dict[str, str], line: int, report: ImportReport) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": (row.get("nom") or "").strip()[:200],
        "address": (row.get("adresse") or "").strip()[:250],
        "address_complement": (row.get("complement_adresse") or "").strip()[:250],
        "postal_code": (row.get("code_postal") or "").strip(),
        "commune": (row.get("code_insee") or "").strip(),
        "latitude": _decimal(row.get("latitude", ""), line, "latitude"),
        "longitude": _decimal(row.get("longitude", ""), line, "longitude"),
        "email": (_split(row.get("courriels", "")) or [""])[0],
        "website": (_split(row.get("site_web", "")) or [""])[0],
        "accessibility_url": (row.get("fiche_acces_libre") or "").strip(),
        "appointment_url": (row.get("prise_rdv") or "").strip(),
        "summary": (row.get("presentation_resume") or "").strip()[:280],
        "description": (row.get("presentation_detail") or "").strip(),
        "typology": [
            code
            for code in _split(row.get("typologie", ""))
            if code in place_services.SCHEMA_LABELS["typology"]
        ],
        "services": _services_from_labels(_split(row.get("services", "")), line),
        "accepts_passes": False,
    }
    for column, name in LIST_COLUMNS.items():
        data[name] = _from_labels(name, _split(row.get(column, "")), line)
    # Hours and phone outside our subset are left empty (the operator completes them), not fatal.
    for column, key, cleaner in (
        ("horaires", "opening_hours", place_services.clean_opening_hours),
        ("telephone", "phone", place_services.clean_phone),
        ("fiche_acces_libre", "accessibility_url", place_services.clean_accessibility_url),
    ):
        raw = (row.get(column) or "").strip()
        try:
            data[key] = cleaner(raw)
        except ValidationError as exc:
            data[key] = ""
            report.warnings.append(f"ligne {line} : {column} ignoré ({exc.messages[0]})")
    return data


def read_places(text: str) -> tuple[list[tuple[int, Organisation, dict[str, Any]]], ImportReport]:
    """Parse and check the whole file; raises ImportFileError listing the bad lines."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFileError(
            [
                "ligne 1 : ce n'est pas un fichier du schéma national des lieux de médiation "
                f"numérique (colonnes manquantes : {', '.join(missing)})"
            ]
        )
    operators = {
        org.siret: org
        for org in Organisation.objects.filter(kind=Organisation.Kind.OPERATOR, siret__isnull=False)
    }
    errors: list[str] = []
    rows: list[tuple[int, Organisation, dict[str, Any]]] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(f"ligne {line} : plus de colonnes que l'en-tête")
            continue
        pivot = (row.get("pivot") or "").strip()
        operator = operators.get(pivot)
        if operator is None:
            report.skipped_unknown_pivot.append(
                f"ligne {line} : « {row.get('nom', '')} » ignoré, aucun opérateur de SIRET "
                f"« {pivot} »"
            )
            continue
        try:
            data = _place_data(row, line, report)
            cleaned = place_services._validate_place(data)
        except ValidationError as exc:
            errors.append(exc.messages[0])
            continue
        except place_services.PlaceError as exc:
            errors.append(f"ligne {line} : " + " ".join(exc.errors.values()))
            continue
        rows.append((line, operator, cleaned))
    if errors:
        raise ImportFileError(errors)
    return rows, report


class _DryRun(Exception):
    pass


def import_places(text: str, *, by=None, dry_run: bool = False) -> ImportReport:
    """Create the places of ``text`` (a CSV of the national schema) in one transaction; with
    ``dry_run`` the same work is done then rolled back."""
    rows, report = read_places(text)
    with contextlib.suppress(_DryRun):
        _write(rows, report, by=by, dry_run=dry_run)
    return report


def _write(rows, report: ImportReport, *, by, dry_run: bool) -> None:
    with transaction.atomic():
        for line, operator, cleaned in rows:
            if Place.objects.filter(
                operator=operator, name=cleaned["name"], commune=cleaned["commune"]
            ).exists():
                report.skipped_existing.append(
                    f"ligne {line} : « {cleaned['name']} » existe déjà chez {operator.name}"
                )
                continue
            place = Place.objects.create(
                operator=operator, qualification=Qualification.SUBMITTED, **cleaned
            )
            report.created.append(f"ligne {line} : « {place.name} » ({operator.name})")
            record(
                JournalEntry.Action.ORGANISATION_UPDATED,
                actor=by,
                organisation=operator,
                obj=place,
                details={"action": "place_imported", "line": line},
            )
        record(
            JournalEntry.Action.REFERENCE_DATA_IMPORTED,
            actor=by,
            details={
                "what": "lieux de médiation numérique (schéma national)",
                "created": len(report.created),
                "skipped_unknown_pivot": len(report.skipped_unknown_pivot),
                "skipped_existing": len(report.skipped_existing),
            },
        )
        if dry_run:
            raise _DryRun
