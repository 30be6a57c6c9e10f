"""Reference data imports: communes, EPCI and EPT, and the list of QPV.

Communes, EPCI and EPT come from the official `@etalab/decoupage-administratif` npm package
(communes.json, epci.json, ept.json). QPV come from the ANCT list « Liste des quartiers prioritaires
de la politique de la ville 2024 » (CSV). Both imports read and check the whole source before
writing anything, write in one transaction, and are idempotent: a second run changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from journal.models import JournalEntry
from journal.services import record

from .models import Commune, Intercommunality, Qpv

DEFAULT_DECOUPAGE_DIR = (
    Path(settings.BASE_DIR) / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
)

INSEE_CODE_RE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
SIREN_RE = re.compile(r"^[0-9]{9}$")
QPV_CODE_RE = re.compile(r"^Q[NP][0-9A-Z]{6}$")

COMMUNE_TYPE = "commune-actuelle"
ARRONDISSEMENT_TYPE = "arrondissement-municipal"
SKIPPED_TYPES = frozenset({"commune-deleguee", "commune-associee"})
# "MET69" is the Métropole de Lyon, a collectivité à statut particulier: a métropole for us.
EPCI_KINDS = {
    "METRO": Intercommunality.Kind.METRO,
    "MET69": Intercommunality.Kind.METRO,
    "CU": Intercommunality.Kind.CU,
    "CA": Intercommunality.Kind.CA,
    "CC": Intercommunality.Kind.CC,
}
WRITE_BATCH = 2000

# The fields compared to decide whether a commune changed, in this order.
COMMUNE_FIELDS = (
    "name",
    "kind",
    "department",
    "region",
    "postal_codes",
    "population",
    "parent_id",
    "epci_id",
    "ept_id",
)

Progress = Callable[[int, int], None]


class ReferenceDataError(Exception):
    """The source is unusable. The message is in French and meant for the person importing."""


def format_count(n: int) -> str:
    """34969 -> "34 969" (narrow no-break space), as French typography wants."""
    return f"{n:,}".replace(",", "\u202f")


# --- Communes, EPCI, EPT ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What `import_communes` did. `communes` and `arrondissements` count the source; `created`,
    `updated` and `unchanged` count both together; `skipped` counts communes déléguées and
    associées; `absent_from_source` counts communes in the database that the source no longer
    has (they are kept: other records may point to them)."""

    communes: int
    arrondissements: int
    epci: int
    ept: int
    skipped: int
    created: int
    updated: int
    unchanged: int
    intercommunalities_created: int
    intercommunalities_updated: int
    intercommunalities_deleted: int
    absent_from_source: int
    duration: float
    source_version: str = ""

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.updated
            or self.intercommunalities_created
            or self.intercommunalities_updated
            or self.intercommunalities_deleted
        )

    def summary(self) -> str:
        n = format_count
        version = f" (découpage administratif {self.source_version})" if self.source_version else ""
        duration = f"{self.duration:.1f}".replace(".", ",")
        lines = [
            f"Référentiel des communes importé en {duration} s{version}.",
            f"- {n(self.communes)} communes et {n(self.arrondissements)} arrondissements "
            f"municipaux : {n(self.created)} créés, {n(self.updated)} mis à jour, "
            f"{n(self.unchanged)} inchangés.",
            f"- {n(self.epci)} EPCI et {n(self.ept)} EPT : {n(self.intercommunalities_created)} "
            f"créés, {n(self.intercommunalities_updated)} mis à jour, "
            f"{n(self.intercommunalities_deleted)} supprimés (absents de la source).",
            f"- Communes déléguées ou associées ignorées : {n(self.skipped)}.",
        ]
        if self.absent_from_source:
            lines.append(
                f"- {n(self.absent_from_source)} communes déjà en base sont absentes de la "
                "source : elles sont conservées (elles peuvent être référencées)."
            )
        return "\n".join(lines)

    def details(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration"] = round(self.duration, 2)
        return data


@dataclass(frozen=True)
class _Source:
    communes: dict[str, tuple]  # insee code -> values in COMMUNE_FIELDS order
    intercommunalities: dict[str, tuple[str, str]]  # SIREN -> (name, kind)
    epci: int
    ept: int
    skipped: int


def _read_json_list(path: Path) -> list[dict]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReferenceDataError(f"Fichier introuvable : {path}.") from None
    except OSError as exc:
        raise ReferenceDataError(f"Lecture impossible de {path} : {exc.strerror}.") from exc
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceDataError(f"{path.name} n'est pas un fichier JSON valide ({exc}).") from exc
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ReferenceDataError(f"{path.name} : une liste d'objets JSON est attendue.")
    if not data:
        raise ReferenceDataError(f"{path.name} est vide.")
    return data


def _text(entry: dict, key: str, where: str, *, required: bool = True) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ReferenceDataError(f"{where} : champ « {key} » manquant ou invalide.")
    return value.strip()


def _where(filename: str, index: int, entry: dict) -> str:
    code = entry.get("code")
    return f"{filename}, entrée n° {index + 1}" + (f" ({code})" if isinstance(code, str) else "")


def _parse_communes(entries: list[dict]) -> tuple[dict[str, dict], int]:
    communes: dict[str, dict] = {}
    skipped = 0
    for index, entry in enumerate(entries):
        where = _where("communes.json", index, entry)
        kind = entry.get("type")
        if kind in SKIPPED_TYPES:
            skipped += 1
            continue
        if kind not in (COMMUNE_TYPE, ARRONDISSEMENT_TYPE):
            raise ReferenceDataError(f"{where} : type de commune inconnu « {kind} ».")
        code = _text(entry, "code", where)
        if not INSEE_CODE_RE.match(code):
            raise ReferenceDataError(f"{where} : code INSEE invalide « {code} ».")
        if code in communes:
            raise ReferenceDataError(f"{where} : le code INSEE {code} apparaît deux fois.")
        department = _text(entry, "departement", where)
        region = _text(entry, "region", where, required=False)
        if len(department) > 3 or len(region) > 3:
            raise ReferenceDataError(f"{where} : code de département ou de région invalide.")
        postal_codes = entry.get("codesPostaux", [])
        if not isinstance(postal_codes, list) or not all(
            isinstance(pc, str) and re.fullmatch(r"[0-9]{5}", pc) for pc in postal_codes
        ):
            raise ReferenceDataError(f"{where} : codes postaux invalides.")
        population = entry.get("population")
        if population is not None and (
            isinstance(population, bool) or not isinstance(population, int) or population < 0
        ):
            raise ReferenceDataError(f"{where} : population invalide.")
        parent = None
        if kind == ARRONDISSEMENT_TYPE:
            parent = _text(entry, "commune", where)
        communes[code] = {
            "name": _text(entry, "nom", where)[:200],
            "kind": Commune.Kind.ARRONDISSEMENT if parent else Commune.Kind.COMMUNE,
            "department": department,
            "region": region,
            "postal_codes": list(postal_codes),
            "population": population,
            "parent_id": parent,
            "epci_id": None,
            "ept_id": None,
        }
    if not communes:
        raise ReferenceDataError("communes.json ne contient aucune commune actuelle.")
    for code, values in communes.items():
        parent = values["parent_id"]
        if parent and communes.get(parent, {}).get("kind") != Commune.Kind.COMMUNE:
            raise ReferenceDataError(
                f"communes.json : l'arrondissement {code} est rattaché à la commune {parent}, "
                "absente de la source."
            )
    return communes, skipped


def _attach_members(
    filename: str,
    entries: list[dict],
    communes: dict[str, dict],
    intercommunalities: dict[str, tuple[str, str]],
    field: str,
) -> None:
    """Read EPCI (field "epci_id") or EPT (field "ept_id") and attach their member communes."""
    for index, entry in enumerate(entries):
        where = _where(filename, index, entry)
        code = _text(entry, "code", where)
        if not SIREN_RE.match(code):
            raise ReferenceDataError(f"{where} : SIREN invalide « {code} ».")
        if code in intercommunalities:
            raise ReferenceDataError(f"{where} : le SIREN {code} apparaît deux fois.")
        nature = entry.get("type")
        if field == "ept_id":
            if nature != "EPT":
                raise ReferenceDataError(f"{where} : nature « {nature} » au lieu de « EPT ».")
            kind = Intercommunality.Kind.EPT
        elif nature in EPCI_KINDS:
            kind = EPCI_KINDS[nature]
        else:
            raise ReferenceDataError(f"{where} : nature d'EPCI inconnue « {nature} ».")
        intercommunalities[code] = (_text(entry, "nom", where)[:200], kind)
        members = entry.get("membres")
        if not isinstance(members, list) or not members:
            raise ReferenceDataError(f"{where} : liste « membres » manquante ou vide.")
        for member in members:
            member_code = member.get("code") if isinstance(member, dict) else None
            commune = communes.get(member_code) if isinstance(member_code, str) else None
            if commune is None or commune["kind"] != Commune.Kind.COMMUNE:
                raise ReferenceDataError(
                    f"{where} : le membre « {member_code} » n'est pas une commune de communes.json."
                )
            if commune[field] is not None:
                raise ReferenceDataError(
                    f"{where} : la commune {member_code} appartient déjà à {commune[field]}."
                )
            commune[field] = code


def read_decoupage(source_dir: Path) -> _Source:
    """Read and check the three files; raise ReferenceDataError on the first problem."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise ReferenceDataError(f"Dossier source introuvable : {source_dir}.")
    communes, skipped = _parse_communes(_read_json_list(source_dir / "communes.json"))
    intercommunalities: dict[str, tuple[str, str]] = {}
    epcis = _read_json_list(source_dir / "epci.json")
    epts = _read_json_list(source_dir / "ept.json")
    _attach_members("epci.json", epcis, communes, intercommunalities, "epci_id")
    _attach_members("ept.json", epts, communes, intercommunalities, "ept_id")
    return _Source(
        communes={code: tuple(v[f] for f in COMMUNE_FIELDS) for code, v in communes.items()},
        intercommunalities=intercommunalities,
        epci=len(epcis),
        ept=len(epts),
        skipped=skipped,
    )


def _source_version(source_dir: Path) -> str:
    try:
        package = json.loads((Path(source_dir).parent / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        return ""
    return str(package.get("version", "")) if isinstance(package, dict) else ""


def import_communes(source_dir: Path, progress: Progress | None = None) -> ImportResult:
    """Import (or update) communes, arrondissements, EPCI and EPT from the découpage files.

    `progress`, if given, is called after each batch of communes written with (rows written so far,
    rows to write). Raises ReferenceDataError, with nothing changed, if the source is unusable.
    """
    started = time.monotonic()
    source = read_decoupage(source_dir)

    with transaction.atomic():
        existing_intercos = {
            code: (name, kind)
            for code, name, kind in Intercommunality.objects.values_list("code", "name", "kind")
        }
        interco_rows = [
            Intercommunality(code=code, name=name, kind=kind)
            for code, (name, kind) in source.intercommunalities.items()
            if existing_intercos.get(code) != (name, kind)
        ]
        Intercommunality.objects.bulk_create(
            interco_rows,
            batch_size=WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "kind"],
        )
        interco_created = sum(1 for row in interco_rows if row.code not in existing_intercos)

        existing = {
            row[0]: row[1:]
            for row in Commune.objects.values_list("insee_code", *COMMUNE_FIELDS).iterator(
                chunk_size=5000
            )
        }
        # Communes before arrondissements, so that parents are written first.
        to_write = sorted(
            (code for code, values in source.communes.items() if existing.get(code) != values),
            key=lambda code: (source.communes[code][1] != Commune.Kind.COMMUNE, code),
        )
        created = sum(1 for code in to_write if code not in existing)
        for start in range(0, len(to_write), WRITE_BATCH):
            batch = to_write[start : start + WRITE_BATCH]
            Commune.objects.bulk_create(
                [
                    Commune(
                        insee_code=code,
                        **dict(zip(COMMUNE_FIELDS, source.communes[code], strict=True)),
                    )
                    for code in batch
                ],
                update_conflicts=True,
                unique_fields=["insee_code"],
                update_fields=list(COMMUNE_FIELDS),
            )
            if progress is not None:
                progress(start + len(batch), len(to_write))

        # Intercommunalities gone from the source are deleted once no commune points to them.
        stale = set(existing_intercos) - set(source.intercommunalities)
        deleted = 0
        if stale:
            deleted, _ = Intercommunality.objects.filter(
                code__in=stale, communes__isnull=True, ept_communes__isnull=True
            ).delete()

        arrondissements = sum(
            1 for values in source.communes.values() if values[1] == Commune.Kind.ARRONDISSEMENT
        )
        result = ImportResult(
            communes=len(source.communes) - arrondissements,
            arrondissements=arrondissements,
            epci=source.epci,
            ept=source.ept,
            skipped=source.skipped,
            created=created,
            updated=len(to_write) - created,
            unchanged=len(source.communes) - len(to_write),
            intercommunalities_created=interco_created,
            intercommunalities_updated=len(interco_rows) - interco_created,
            intercommunalities_deleted=deleted,
            absent_from_source=len(set(existing) - set(source.communes)),
            duration=time.monotonic() - started,
            source_version=_source_version(source_dir),
        )
        record(
            JournalEntry.Action.REFERENCE_DATA_IMPORTED,
            details={"dataset": "communes", "source": str(source_dir), **result.details()},
        )
    return result


# --- QPV ---------------------------------------------------------------------------------------

# Columns of the ANCT list (listeqp2024-cog2024.csv): code_qp;lib_qp;insee_reg;lib_reg;insee_dep;
# lib_dep;insee_com;lib_com;siren_epci;lib_epci. One row per QPV; insee_com holds one code, or
# several separated by "; " for a QPV across communes. A file with one row per (QPV, commune) is
# read the same way. Only code_qp, lib_qp and insee_com are used.
QPV_COLUMNS = {
    "code_qp": ("code_qp",),
    "lib_qp": ("lib_qp", "nom_qp"),
    "insee_com": ("insee_com",),
}


@dataclass(frozen=True)
class QpvImportResult:
    qpvs: int
    created: int
    updated: int
    unchanged: int
    links_added: int
    links_removed: int
    communes: int
    absent_from_file: int
    encoding: str
    delimiter: str

    def summary(self) -> str:
        n = format_count
        text = (
            f"{n(self.qpvs)} quartiers prioritaires importés ({n(self.created)} créés, "
            f"{n(self.updated)} mis à jour, {n(self.unchanged)} inchangés), rattachés à "
            f"{n(self.communes)} communes ({n(self.links_added)} rattachements ajoutés, "
            f"{n(self.links_removed)} retirés)."
        )
        if self.absent_from_file:
            text += (
                f"\n{n(self.absent_from_file)} quartiers déjà en base sont absents du fichier : "
                "ils sont conservés."
            )
        return text


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _normalise_header(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def _insee_codes(cell: str) -> list[str]:
    """Commune codes of an insee_com cell: "93001", "1053", '="93001"', "93001; 93066"."""
    cell = cell.strip()
    if cell.startswith("="):  # Excel text formula, ="02691"
        cell = cell[1:]
    codes = []
    for part in re.split(r"[;,\s]+", cell.replace('"', " ")):
        code = part.strip().upper()
        if not code:
            continue
        if code.isdigit() and len(code) == 4:  # leading zero lost by a spreadsheet
            code = "0" + code
        codes.append(code)
    return codes


@dataclass(frozen=True)
class QpvFile:
    qpvs: dict[str, tuple[str, list[str]]]  # code -> (name, insee codes)
    lines: dict[tuple[str, str], int]  # (code, insee code) -> line of the file that gives it
    encoding: str
    delimiter: str


def read_qpv_csv(path: Path) -> QpvFile:
    """Read the QPV list and check the format of every field, but not whether the communes
    exist (import_qpv does). Raises ReferenceDataError naming the line at fault."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReferenceDataError(f"Fichier introuvable : {path}.") from None
    except OSError as exc:
        raise ReferenceDataError(f"Lecture impossible de {path} : {exc.strerror}.") from exc
    text, encoding = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ReferenceDataError(f"{path.name} est vide.") from None
    names = [_normalise_header(name) for name in header]
    index: dict[str, int] = {}
    for column, aliases in QPV_COLUMNS.items():
        found = next((names.index(alias) for alias in aliases if alias in names), None)
        if found is None:
            raise ReferenceDataError(
                f"{path.name}, ligne 1 : colonne « {column} » absente (colonnes attendues : "
                "code_qp, lib_qp, insee_com ; séparateur « ; » ou « , »)."
            )
        index[column] = found

    qpvs: dict[str, tuple[str, list[str]]] = {}
    lines: dict[tuple[str, str], int] = {}
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            cells = {column: row[i].strip() if i < len(row) else "" for column, i in index.items()}
            code = cells["code_qp"].upper()
            if not QPV_CODE_RE.match(code):
                raise ReferenceDataError(
                    f"{path.name}, ligne {line} : code QPV invalide « {cells['code_qp']} » "
                    "(format attendu : QN09301M)."
                )
            name = cells["lib_qp"]
            if not name:
                raise ReferenceDataError(f"{path.name}, ligne {line} : nom du quartier manquant.")
            communes = _insee_codes(cells["insee_com"])
            if not communes:
                raise ReferenceDataError(
                    f"{path.name}, ligne {line} : code commune manquant pour {code}."
                )
            for insee in communes:
                if not INSEE_CODE_RE.match(insee):
                    raise ReferenceDataError(
                        f"{path.name}, ligne {line} : code commune invalide « {insee} »."
                    )
            if code in qpvs:
                known_name, known_communes = qpvs[code]
                if known_name != name:
                    raise ReferenceDataError(
                        f"{path.name}, ligne {line} : le quartier {code} porte deux noms, "
                        f"« {known_name} » et « {name} »."
                    )
                known_communes.extend(c for c in communes if c not in known_communes)
            else:
                qpvs[code] = (name[:250], list(dict.fromkeys(communes)))
            for insee in communes:
                lines.setdefault((code, insee), line)
    except csv.Error as exc:
        raise ReferenceDataError(
            f"{path.name}, ligne {reader.line_num} : CSV mal formé, vérifiez les guillemets "
            f"({exc})."
        ) from exc
    if not qpvs:
        raise ReferenceDataError(f"{path.name} ne contient aucun quartier.")
    return QpvFile(qpvs, lines, encoding, {"\t": "tabulation"}.get(delimiter, delimiter))


def import_qpv(path: Path) -> QpvImportResult:
    """Import (or update) QPV and their communes from the ANCT CSV list.

    Raises ReferenceDataError, with nothing changed, on a bad file. QPV already in the database
    but absent from the file are kept (other records may point to them).
    """
    path = Path(path)
    source = read_qpv_csv(path)
    qpvs = source.qpvs
    wanted_codes = {insee for _, communes in qpvs.values() for insee in communes}
    known = set(
        Commune.objects.filter(insee_code__in=wanted_codes).values_list("insee_code", flat=True)
    )
    for code, (_, communes) in qpvs.items():
        for insee in communes:
            if insee not in known:
                raise ReferenceDataError(
                    f"{path.name}, ligne {source.lines[(code, insee)]} : commune {insee} "
                    "inconnue du référentiel (importez d'abord les communes : "
                    "manage.py import_communes)."
                )

    Link = Qpv.communes.through
    with transaction.atomic():
        existing = dict(Qpv.objects.values_list("code", "name"))
        rows = [
            Qpv(code=code, name=name)
            for code, (name, _) in qpvs.items()
            if existing.get(code) != name
        ]
        Qpv.objects.bulk_create(
            rows,
            batch_size=WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name"],
        )
        created = sum(1 for row in rows if row.code not in existing)

        wanted = {(code, insee) for code, (_, communes) in qpvs.items() for insee in communes}
        current = set(
            Link.objects.filter(qpv_id__in=list(qpvs)).values_list("qpv_id", "commune_id")
        )
        removed = current - wanted
        for code in {code for code, _ in removed}:
            Link.objects.filter(
                qpv_id=code, commune_id__in=[insee for c, insee in removed if c == code]
            ).delete()
        added = sorted(wanted - current)
        Link.objects.bulk_create(
            [Link(qpv_id=code, commune_id=insee) for code, insee in added],
            batch_size=WRITE_BATCH,
        )
        result = QpvImportResult(
            qpvs=len(qpvs),
            created=created,
            updated=len(rows) - created,
            unchanged=len(qpvs) - len(rows),
            links_added=len(added),
            links_removed=len(removed),
            communes=len(wanted_codes),
            absent_from_file=len(set(existing) - set(qpvs)),
            encoding=source.encoding,
            delimiter=source.delimiter,
        )
        record(
            JournalEntry.Action.REFERENCE_DATA_IMPORTED,
            details={"dataset": "qpv", "source": str(path), **asdict(result)},
        )
    return result


# --- Centres of communes (the steering maps) -------------------------------------------------


@dataclass
class LocateResult:
    """What ``locate_communes`` did: communes located (their centre written), and the failures
    as (commune, French reason); a failed commune is left as it was."""

    located: list[Commune]
    failures: list[tuple[Commune, str]]

    def summary(self) -> str:
        n = format_count
        lines = [
            f"Centres des communes : {n(len(self.located))} localisées, "
            f"{n(len(self.failures))} en échec."
        ]
        lines += [f"- {commune} : {reason}" for commune, reason in self.failures]
        return "\n".join(lines)


def communes_without_centre(
    programme_id: int | None = None, all_missing: bool = False
) -> QuerySet[Commune]:
    """The communes to geocode: by default those of territories (of one programme, or of all)
    without a centre; with ``all_missing``, every commune without one."""
    from programmes.models import Territory

    qs = Commune.objects.filter(latitude__isnull=True)
    if not all_missing:
        territories = Territory.objects.all()
        if programme_id is not None:
            territories = territories.filter(programme_id=programme_id)
        qs = qs.filter(insee_code__in=territories.values("commune_id"))
    return qs.distinct().order_by("insee_code")


def _write_centre(commune: Commune, latitude: Any, longitude: Any) -> None:
    """One UPDATE writes both coordinates: a commune is never half-located."""
    Commune.objects.filter(pk=commune.pk).update(latitude=latitude, longitude=longitude)
    commune.latitude, commune.longitude = latitude, longitude


def locate_communes(
    communes: Iterable[Commune],
    fetch: Callable[[str, float], bytes] | None = None,
    base_url: str | None = None,
) -> LocateResult:
    """Ask the national address API for the centre of each commune and write it. A failure
    (timeout, unreadable answer, no municipality with exactly this INSEE code) is reported and
    leaves that commune unchanged; the others are written."""
    from .geocoding import GeocodingError, locate

    result = LocateResult(located=[], failures=[])
    for commune in communes:
        try:
            centre = locate(commune.insee_code, commune.name, fetch=fetch, base_url=base_url)
        except GeocodingError as exc:
            result.failures.append((commune, str(exc)))
            continue
        _write_centre(commune, centre.latitude, centre.longitude)
        result.located.append(commune)
    if result.located:
        record(
            JournalEntry.Action.REFERENCE_DATA_IMPORTED,
            details={
                "dataset": "centres des communes (BAN)",
                "located": [c.insee_code for c in result.located],
                "failures": [c.insee_code for c, _ in result.failures],
            },
        )
    return result


CENTRE_COLUMNS = ("insee_code", "latitude", "longitude")


def load_centres_csv(path: Path, skip_unknown: bool = False) -> int:
    """Write the centres listed in a CSV file (``insee_code;latitude;longitude``, e.g.
    ``geo/data/centres_demo.csv``). The whole file is checked before anything is written (one
    transaction); communes absent from the reference data are an error, or skipped with
    ``skip_unknown`` (the demo, on a partial reference). Idempotent: returns the number of
    communes whose centre changed."""
    from decimal import Decimal, InvalidOperation

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ReferenceDataError(f"Fichier introuvable : {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"Lecture impossible de {path} : {exc}.") from exc
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    if not set(CENTRE_COLUMNS) <= set(reader.fieldnames or []):
        raise ReferenceDataError(
            f"{path.name} : colonnes attendues {', '.join(CENTRE_COLUMNS)} (séparateur « ; »)."
        )
    centres: dict[str, tuple[Decimal, Decimal]] = {}
    for number, row in enumerate(reader, start=2):
        code = (row["insee_code"] or "").strip()
        if not INSEE_CODE_RE.match(code):
            raise ReferenceDataError(f"{path.name}, ligne {number} : code INSEE invalide.")
        try:
            latitude = Decimal(row["latitude"].strip().replace(",", "."))
            longitude = Decimal(row["longitude"].strip().replace(",", "."))
        except (InvalidOperation, AttributeError):
            raise ReferenceDataError(
                f"{path.name}, ligne {number} : latitude ou longitude invalide."
            ) from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ReferenceDataError(
                f"{path.name}, ligne {number} : position hors des bornes (latitude −90 à 90, "
                "longitude −180 à 180)."
            )
        step = Decimal("0.000001")
        centres[code] = (latitude.quantize(step), longitude.quantize(step))
    known = {c.insee_code: c for c in Commune.objects.filter(insee_code__in=list(centres))}
    missing = sorted(set(centres) - set(known))
    if missing and not skip_unknown:
        raise ReferenceDataError(
            f"{path.name} : communes absentes du référentiel ({', '.join(missing)}). Lancez "
            "d'abord « manage.py import_communes »."
        )
    changed = 0
    with transaction.atomic():
        for code, (latitude, longitude) in centres.items():
            commune = known.get(code)
            if commune is None:
                continue
            if (commune.latitude, commune.longitude) != (latitude, longitude):
                _write_centre(commune, latitude, longitude)
                changed += 1
    return changed
