"""manage.py import_places FILE.csv: pre-fill places from a national-schema CSV."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from geo.models import Commune
from journal.models import JournalEntry
from opendata import exports
from operators.models import Place, Qualification

from .conftest import make_operator

pytestmark = pytest.mark.django_db

EXAMPLE = (exports.SCHEMA_DIR / "exemple-valide.csv").read_text(encoding="utf-8")


@pytest.fixture
def reims():
    return Commune.objects.create(insee_code="51454", name="Reims", department="51")


@pytest.fixture
def operator():
    return make_operator("Assoc Clic", "73282932000074")


def _rows(**overrides_by_line) -> list[dict[str, str]]:
    base = next(csv.DictReader(io.StringIO(EXAMPLE)))
    base["pivot"] = "73282932000074"
    return [base | overrides for overrides in overrides_by_line.get("lines", [{}])]


def _write(tmp_path, rows: list[dict[str, str]], header: list[str] | None = None):
    path = tmp_path / "lieux.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header or exports.COLUMNS, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row.get(key, "") for key in (header or exports.COLUMNS)})
    return path


def _run(path) -> str:
    out = io.StringIO()
    call_command("import_places", str(path), stdout=out)
    return out.getvalue()


def test_imports_the_national_example_for_a_known_operator(tmp_path, reims, operator):
    path = _write(
        tmp_path,
        _rows(lines=[{}, {"id": "structure-2", "pivot": "11111111111111", "nom": "Inconnu"}]),
    )
    output = _run(path)
    place = Place.objects.get()
    assert place.operator == operator
    assert place.name == "Anonymal" and place.commune == reims and place.postal_code == "51100"
    assert place.opening_hours == "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    assert place.phone == "+33180059880"
    assert place.email == "contact@laquincaillerie.tl"
    assert place.website == "https://www.laquincaillerie.tl/"
    assert place.services == [
        "maitrise-des-outils-numeriques",
        "insertion-professionnelle-via-le-numerique",
        "loisirs-et-creations-numeriques",
    ]
    assert place.publics == ["jeunes", "femmes"]
    assert place.national_programmes == [
        "aidants-connect",
        "conseillers-numeriques",
        "la-croix-rouge",
    ]
    assert place.typology == ["ASSO", "TIERS_LIEUX"]
    assert place.qualification == Qualification.SUBMITTED and not place.accepts_passes
    assert "1 lieu(x) créé(s)" in output
    assert "ligne 3" in output and "aucun opérateur de SIRET « 11111111111111 »" in output
    assert JournalEntry.objects.filter(action=JournalEntry.Action.REFERENCE_DATA_IMPORTED).exists()
    # Run again: nothing duplicated.
    output = _run(path)
    assert Place.objects.count() == 1
    assert "déjà présent" in output.lower()


def test_a_bad_line_refuses_the_whole_file(tmp_path, reims, operator):
    path = _write(
        tmp_path,
        _rows(lines=[{}, {"id": "structure-2", "services": "Cours de cuisine"}]),
    )
    with pytest.raises(CommandError) as excinfo:
        _run(path)
    message = str(excinfo.value)
    assert "rien n'a été importé" in message
    assert "ligne 3 : service inconnu « Cours de cuisine »" in message
    assert not Place.objects.exists()
    assert not JournalEntry.objects.exists()


def test_unknown_commune_names_the_line(tmp_path, reims, operator):
    path = _write(tmp_path, _rows(lines=[{"code_insee": "99999"}]))
    with pytest.raises(CommandError, match=r"ligne 2 : Commune inconnue"):
        _run(path)
    assert not Place.objects.exists()


def test_not_a_national_schema_file(tmp_path, operator):
    path = tmp_path / "autre.csv"
    path.write_text("nom;adresse\nA;B\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"ligne 1 : ce n'est pas un fichier du schéma national"):
        _run(path)
    with pytest.raises(CommandError, match="Fichier introuvable"):
        _run(tmp_path / "absent.csv")
    assert not Place.objects.exists()


def test_hours_outside_the_subset_are_left_empty_with_a_warning(tmp_path, reims, operator):
    path = _write(tmp_path, _rows(lines=[{"horaires": "Mo-Fr 09:00-12:00 || Jan off"}]))
    output = _run(path)
    place = Place.objects.get()
    assert place.opening_hours == ""
    assert "ligne 2 : horaires ignoré (Horaires illisibles" in output


def test_export_then_import_round_trip(tmp_path, client, published):
    text = exports.places_csv()
    Place.objects.all().delete()
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    _run(path)
    names = sorted(Place.objects.values_list("name", flat=True))
    assert names == ["Espace numérique des Tilleuls", "Permanence mairie"]
    full = Place.objects.get(name="Espace numérique des Tilleuls")
    # The schema merges two of our themes into one value: both come back.
    assert "acces-a-une-connexion-internet" in full.services
    assert full.specific_support == ["surdite", "langues-etrangeres-anglais"]


def test_simulation_writes_nothing(tmp_path, reims, operator):
    path = _write(tmp_path, _rows())
    out = io.StringIO()
    call_command("import_places", str(path), "--simulation", stdout=out)
    assert "1 lieu(x) créé(s)" in out.getvalue()
    assert "Simulation : rien n'a été enregistré." in out.getvalue()
    assert not Place.objects.exists()
    assert not JournalEntry.objects.exists()
