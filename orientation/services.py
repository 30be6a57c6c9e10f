"""Writes for orientation: the public listing of a prescriber structure, and the import of past
hand-outs from a spreadsheet (all lines or none, French errors line by line)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from beneficiaries.models import Beneficiary
from geo.models import Commune
from journal.models import JournalEntry
from journal.services import record
from ledger import custody
from ledger.models import Pass, PassStatus
from organisations.models import Organisation

from .models import HandoutImport, ImportedHandout, PrescriberListing

# The Coop de la médiation numérique's age bands: a short code for spreadsheets, and the Coop's
# value (``beneficiaries.models.AgeBand``), which is stored.
AGE_BANDS: list[tuple[str, str, str]] = [
    ("-12", "moins_de_douze", "Moins de 12 ans"),
    ("12-17", "douze_dix_huit", "12 à 17 ans"),
    ("18-24", "dix_huit_vingt_quatre", "18 à 24 ans"),
    ("25-39", "vingt_cinq_trente_neuf", "25 à 39 ans"),
    ("40-59", "quarante_cinquante_neuf", "40 à 59 ans"),
    ("60-69", "soixante_soixante_neuf", "60 à 69 ans"),
    ("70+", "soixante_dix_plus", "70 ans et plus"),
    ("NC", "non_communique", "Non communiqué"),
]
COLUMNS = ["date", "pass", "beneficiaire", "tranche_age", "commune_insee"]
NEW_PREFIX = "NOUVEAU"
MAX_LINES = 5000
MAX_BYTES = 2_000_000


class ImportRefused(Exception):
    """The file is refused; ``errors`` lists every problem, line by line, in French."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ParsedLine:
    number: int
    handed_out_on: date
    pass_obj: Pass
    person: str
    age_band: str
    commune: Commune | None


@dataclass
class ImportResult:
    handout_import: HandoutImport
    lines: int
    beneficiaries: list[Beneficiary] = field(default_factory=list)


@transaction.atomic
def save_listing(
    organisation: Organisation,
    *,
    by,
    is_listed: bool,
    public_address: str,
    public_phone: str,
    public_hours: str,
    public_note: str,
    request=None,
) -> PrescriberListing:
    """A prescriber's admin opts in (or out) and sets the public contact of the structure."""
    if organisation.kind != Organisation.Kind.PRESCRIBER:
        raise ValueError("Seule une structure prescriptrice peut figurer sur cette page.")
    listing, _ = PrescriberListing.objects.select_for_update().get_or_create(
        organisation=organisation
    )
    listing.is_listed = is_listed
    listing.public_address = public_address.strip()
    listing.public_phone = public_phone.strip()
    listing.public_hours = public_hours.strip()
    listing.public_note = public_note.strip()
    listing.updated_by = by
    listing.save()
    record(
        JournalEntry.Action.ORGANISATION_UPDATED,
        actor=by,
        organisation=organisation,
        obj=listing,
        request=request,
        details={"operation": "prescriber_listing", "is_listed": is_listed},
    )
    return listing


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(["Le fichier n'est pas un texte lisible (UTF-8 ou Windows-1252)."])


def _parse_date(raw: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def parse_handouts(organisation: Organisation, data: bytes) -> list[ParsedLine]:
    """Check every line; raise ImportRefused with all the errors found (nothing is written)."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(["Le fichier dépasse 2 Mo : découpez-le en plusieurs fichiers."])
    text = _decode(data)
    if not text.strip():
        raise ImportRefused(["Le fichier est vide."])
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    if header != COLUMNS:
        raise ImportRefused(
            [
                "Ligne 1 : les colonnes attendues sont, dans cet ordre : "
                f"{' ; '.join(COLUMNS)} (colonnes lues : {' ; '.join(header) or 'aucune'})."
            ]
        )
    errors: list[tuple[int, str]] = []
    raw_lines: list[tuple[int, list[str]]] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(COLUMNS):
            errors.append(
                (number, f"Ligne {number} : {len(row)} colonnes au lieu de {len(COLUMNS)}.")
            )
            continue
        raw_lines.append((number, [cell.strip() for cell in row]))
    if len(raw_lines) > MAX_LINES:
        raise ImportRefused([f"Le fichier a plus de {MAX_LINES} lignes : découpez-le."])
    if not raw_lines and not errors:
        raise ImportRefused(["Le fichier ne contient aucune remise."])

    serials = {row[1].upper() for _, row in raw_lines}
    passes = {p.serial: p for p in Pass.objects.filter(serial__in=serials)}
    references = {
        row[2].upper() for _, row in raw_lines if not row[2].upper().startswith(NEW_PREFIX)
    }
    known = set(
        Beneficiary.objects.filter(prescriber=organisation, reference__in=references).values_list(
            "reference", flat=True
        )
    )
    communes = {
        c.insee_code: c
        for c in Commune.objects.filter(insee_code__in={row[4].upper() for _, row in raw_lines})
    }
    bands = {short: coop for short, coop, _ in AGE_BANDS}
    bands.update({coop.upper(): coop for _, coop, _ in AGE_BANDS})
    today = timezone.localdate()
    seen_serials: dict[str, int] = {}
    parsed: list[ParsedLine] = []
    for number, (raw_date, serial, person, band, insee) in raw_lines:
        line_errors = []
        handed_out_on = _parse_date(raw_date)
        if handed_out_on is None:
            line_errors.append(f"date « {raw_date} » illisible (attendu JJ/MM/AAAA)")
        elif handed_out_on > today:
            line_errors.append(f"date {handed_out_on:%d/%m/%Y} dans le futur")
        serial = serial.upper()
        pass_obj = passes.get(serial)
        if not serial:
            line_errors.append("n° de pass manquant")
        elif serial in seen_serials:
            line_errors.append(f"pass {serial} déjà présent ligne {seen_serials[serial]}")
        elif pass_obj is None:
            line_errors.append(f"pass {serial} inconnu")
        elif pass_obj.holder_id != organisation.pk or pass_obj.status != PassStatus.IN_STOCK:
            line_errors.append(
                f"pass {serial} absent du stock de la structure (déjà remis, utilisé, "
                "annulé ou détenu ailleurs)"
            )
        if serial:
            seen_serials.setdefault(serial, number)
        person = person.upper()
        if not person:
            line_errors.append(
                f"bénéficiaire manquant (référence B-XXXX-XXXX ou {NEW_PREFIX}-1, {NEW_PREFIX}-2…)"
            )
        elif not person.startswith(NEW_PREFIX) and person not in known:
            line_errors.append(f"bénéficiaire {person} inconnu dans votre structure")
        if band and band.upper() not in bands:
            shorts = ", ".join(short for short, _, _ in AGE_BANDS)
            line_errors.append(f"tranche d'âge « {band} » inconnue (valeurs : {shorts})")
        band = bands.get(band.upper(), "")
        commune = None
        if insee:
            commune = communes.get(insee.upper())
            if commune is None:
                line_errors.append(f"commune « {insee} » inconnue (code INSEE à 5 caractères)")
        if line_errors:
            errors.append((number, f"Ligne {number} : " + " ; ".join(line_errors) + "."))
            continue
        parsed.append(ParsedLine(number, handed_out_on, pass_obj, person, band, commune))
    if errors:
        raise ImportRefused([message for _, message in sorted(errors)])
    return parsed


def _describe_new_person(beneficiary: Beneficiary, group: list[ParsedLine]) -> None:
    """A person created by the import gets the age band and commune of its lines, when the
    beneficiary record has those fields."""
    names = {f.name for f in Beneficiary._meta.get_fields()}
    changes: dict = {}
    band = next((line.age_band for line in group if line.age_band), "")
    commune = next((line.commune for line in group if line.commune), None)
    if band and "age_band" in names:
        changes["age_band"] = band
    if commune is not None and "commune" in names:
        changes["commune"] = commune
    if changes:
        Beneficiary.objects.filter(pk=beneficiary.pk).update(**changes)


@transaction.atomic
def import_handouts(
    organisation: Organisation, data: bytes, *, file_name: str, by=None, request=None
) -> ImportResult:
    """Import past hand-outs: every line, or nothing. The ledger part goes through
    ``ledger.custody.hand_out`` (conditional update and DISTRIBUTED events)."""
    if organisation.kind != Organisation.Kind.PRESCRIBER:
        raise ImportRefused(["Seule une structure prescriptrice importe des remises."])
    lines = parse_handouts(organisation, data)
    groups: dict[str, list[ParsedLine]] = defaultdict(list)
    for line in lines:
        groups[line.person].append(line)
    handout_import = HandoutImport.objects.create(
        organisation=organisation,
        file_name=file_name[:200],
        line_count=len(lines),
        beneficiary_count=len(groups),
        imported_by=by,
    )
    beneficiaries = []
    for person, group in groups.items():
        existing = None
        if not person.startswith(NEW_PREFIX):
            existing = Beneficiary.objects.get(prescriber=organisation, reference=person)
        try:
            beneficiary = custody.hand_out(
                [line.pass_obj for line in group],
                prescriber=organisation,
                by=by,
                beneficiary=existing,
                request=request,
            )
        except custody.CustodyError as exc:
            numbers = ", ".join(str(line.number) for line in group)
            label = "Lignes" if len(group) > 1 else "Ligne"
            raise ImportRefused([f"{label} {numbers} : {exc}"]) from exc
        if existing is None:
            _describe_new_person(beneficiary, group)
        beneficiaries.append(beneficiary)
        ImportedHandout.objects.bulk_create(
            ImportedHandout(
                handout_import=handout_import,
                line_number=line.number,
                pass_obj=line.pass_obj,
                beneficiary=beneficiary,
                handed_out_on=line.handed_out_on,
                age_band=line.age_band,
                commune=line.commune,
            )
            for line in group
        )
    record(
        JournalEntry.Action.ORGANISATION_UPDATED,
        actor=by,
        organisation=organisation,
        obj=handout_import,
        request=request,
        details={
            "operation": "import_handouts",
            "file": file_name[:200],
            "lines": len(lines),
            "beneficiaries": len(groups),
        },
    )
    return ImportResult(handout_import, len(lines), beneficiaries)
