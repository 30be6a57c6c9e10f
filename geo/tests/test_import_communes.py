from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from geo.models import Commune, Intercommunality
from geo.queries import GRAND_PARIS_EPCI, members_of_epci, territories_of_metropole
from geo.services import ReferenceDataError, import_communes
from journal.models import JournalEntry

pytestmark = pytest.mark.django_db

PLAINE_COMMUNE = "200057867"
VALLEE_SUD = "200057966"
PARIS_EST_MARNE_BOIS = "200057941"


def test_counts(communes):
    assert communes.communes == 136  # 130 Grand Paris members, Lyon and 5 others
    assert communes.arrondissements == 21  # Paris's 20 + Lyon 1er
    assert communes.epci == 3
    assert communes.ept == 11
    assert communes.skipped == 1
    assert communes.created == 157
    assert (communes.updated, communes.unchanged) == (0, 0)
    assert Commune.objects.count() == 157
    assert Intercommunality.objects.count() == 14


def test_grand_paris_members_and_their_ept(communes):
    members = Commune.objects.filter(epci_id=GRAND_PARIS_EPCI)
    assert members.count() == 130
    assert all(c.kind == Commune.Kind.COMMUNE for c in members)
    assert members.filter(ept__isnull=True).get().insee_code == "75056"  # only Paris
    epts = Intercommunality.objects.filter(kind=Intercommunality.Kind.EPT)
    assert epts.count() == 11
    assert sum(ept.ept_communes.count() for ept in epts) == 129

    aubervilliers = Commune.objects.get(insee_code="93001")
    assert aubervilliers.name == "Aubervilliers"
    assert aubervilliers.ept_id == PLAINE_COMMUNE
    assert aubervilliers.ept.name == "Plaine Commune"
    assert aubervilliers.epci.name == "Métropole du Grand Paris"
    assert aubervilliers.epci.kind == Intercommunality.Kind.METRO
    assert aubervilliers.department == "93"
    assert aubervilliers.region == "11"
    assert aubervilliers.postal_codes == ["93300"]
    assert aubervilliers.population > 80_000
    assert Commune.objects.get(insee_code="92049").ept.name == "Vallée Sud-Grand Paris"
    assert Commune.objects.get(insee_code="92049").ept_id == VALLEE_SUD
    assert Commune.objects.get(insee_code="94080").ept.name == "Paris Est Marne et Bois"
    assert Commune.objects.get(insee_code="94080").ept_id == PARIS_EST_MARNE_BOIS


def test_paris_and_its_arrondissements(communes):
    paris = Commune.objects.get(insee_code="75056")
    assert paris.kind == Commune.Kind.COMMUNE
    assert paris.ept is None
    assert paris.epci_id == GRAND_PARIS_EPCI
    assert paris.arrondissements.count() == 20
    for code, name in [
        ("75113", "Paris 13e Arrondissement"),
        ("75115", "Paris 15e Arrondissement"),
    ]:
        arrondissement = Commune.objects.get(insee_code=code)
        assert arrondissement.name == name
        assert arrondissement.kind == Commune.Kind.ARRONDISSEMENT
        assert arrondissement.parent_id == "75056"
        # Arrondissements inherit the EPCI of their commune rather than holding it.
        assert arrondissement.epci is None and arrondissement.ept is None
    assert Commune.objects.get(insee_code="75113").postal_codes == ["75013"]
    with_arrondissements = members_of_epci(GRAND_PARIS_EPCI, include_arrondissements=True)
    assert with_arrondissements.count() == 150


def test_other_communes(communes):
    lyon = Commune.objects.get(insee_code="69123")
    assert lyon.epci.name == "Métropole de Lyon"
    assert lyon.epci.kind == Intercommunality.Kind.METRO  # "MET69" upstream
    assert Commune.objects.get(insee_code="69381").parent == lyon
    roissy = Intercommunality.objects.get(code="200055655")
    assert roissy.kind == Intercommunality.Kind.CA
    assert sorted(roissy.communes.values_list("insee_code", flat=True)) == ["95268", "95585"]
    saint_pierre = Commune.objects.get(insee_code="97502")
    assert (saint_pierre.department, saint_pierre.region, saint_pierre.epci) == ("975", "975", None)
    kerguelen = Commune.objects.get(insee_code="98412")
    assert kerguelen.postal_codes == [] and kerguelen.population is None


def test_commune_deleguee_is_skipped(communes):
    # Pierrefitte-sur-Seine (93059) is a commune déléguée of Saint-Denis since 2025.
    assert not Commune.objects.filter(insee_code="93059").exists()
    assert Commune.objects.get(insee_code="93066").ept_id == PLAINE_COMMUNE


def test_territories_of_metropole(communes):
    territories = territories_of_metropole()
    assert len(territories) == 12
    assert territories[0]["code"] == "75056"
    assert [c.insee_code for c in territories[0]["communes"]] == ["75056"]
    codes = [c.insee_code for t in territories for c in t["communes"]]
    assert len(codes) == len(set(codes)) == 130
    assert set(codes) == set(
        Commune.objects.filter(epci_id=GRAND_PARIS_EPCI).values_list("insee_code", flat=True)
    )
    plaine = next(t for t in territories if t["code"] == PLAINE_COMMUNE)
    assert plaine["name"] == "Plaine Commune"
    assert "93001" in [c.insee_code for c in plaine["communes"]]


def test_idempotent(communes, decoupage_dir, snapshot):
    before = snapshot()
    again = import_communes(decoupage_dir)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 157)
    assert again.intercommunalities_created == again.intercommunalities_updated == 0
    assert not again.changed
    after = snapshot()
    assert after["journal"] == before["journal"] + 1
    assert {k: v for k, v in after.items() if k != "journal"} == {
        k: v for k, v in before.items() if k != "journal"
    }


def test_updates_changed_rows(communes, source_copy):
    def rename(entries):
        for entry in entries:
            if entry["code"] == "93001":
                entry["nom"] = "Aubervilliers (nouveau nom)"
                entry["population"] = 90_000
        return entries

    def move_vincennes(entries):
        for ept in entries:
            if ept["code"] == PARIS_EST_MARNE_BOIS:
                ept["membres"] = [m for m in ept["membres"] if m["code"] != "94080"]
            if ept["code"] == PLAINE_COMMUNE:
                ept["nom"] = "Plaine Commune (EPT)"
                ept["membres"].append({"code": "94080", "nom": "Vincennes"})
        return entries

    source_copy("communes.json", rename)
    result = import_communes(source_copy("ept.json", move_vincennes))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 155)
    assert result.intercommunalities_updated == 1
    aubervilliers = Commune.objects.get(insee_code="93001")
    assert (aubervilliers.name, aubervilliers.population) == ("Aubervilliers (nouveau nom)", 90_000)
    assert Commune.objects.get(insee_code="94080").ept.name == "Plaine Commune (EPT)"


def test_intercommunality_gone_from_source_is_deleted(communes, source_copy):
    def drop_roissy(entries):
        return [e for e in entries if e["code"] != "200055655"]

    result = import_communes(source_copy("epci.json", drop_roissy))
    assert result.intercommunalities_deleted == 1
    assert not Intercommunality.objects.filter(code="200055655").exists()
    assert Commune.objects.get(insee_code="95585").epci is None


def test_journal_entry(communes):
    entry = JournalEntry.objects.get(action=JournalEntry.Action.REFERENCE_DATA_IMPORTED)
    assert entry.details["dataset"] == "communes"
    assert entry.details["created"] == 157
    assert entry.details["ept"] == 11


def test_command_prints_a_french_summary(db, decoupage_dir):
    out = StringIO()
    call_command("import_communes", "--source", str(decoupage_dir), stdout=out)
    text = out.getvalue()
    assert "Référentiel des communes importé" in text
    assert "136 communes et 21 arrondissements municipaux : 157 créés" in text
    assert "Communes déléguées ou associées ignorées : 1." in text


def test_command_if_empty_skips_when_loaded(communes, decoupage_dir, snapshot):
    before = snapshot()
    out = StringIO()
    call_command("import_communes", "--source", str(decoupage_dir), "--if-empty", stdout=out)
    assert "déjà chargé" in out.getvalue()
    assert snapshot() == before


def test_command_if_empty_imports_when_empty(db, decoupage_dir):
    call_command("import_communes", "--source", str(decoupage_dir), "--if-empty", stdout=StringIO())
    assert Commune.objects.count() == 157


def _unknown_ept_member(entries):
    entries[0]["membres"].append({"code": "99999"})
    return entries


def _arrondissement_without_parent(entries):
    for entry in entries:
        if entry["code"] == "75113":
            entry["commune"] = "75999"
    return entries


def _bad_insee_code(entries):
    entries[5]["code"] = "ABCDE"
    return entries


def _unknown_epci_type(entries):
    entries[0]["type"] = "SIVOM"
    return entries


def _two_epci(entries):
    entries[2]["membres"].append({"code": "93001"})
    return entries


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("communes.json", lambda _: '[{"code": "93001",', "n'est pas un fichier JSON valide"),
        ("communes.json", lambda _: {"communes": []}, "une liste d'objets JSON est attendue"),
        ("communes.json", lambda _: [], "communes.json est vide"),
        ("communes.json", _bad_insee_code, "code INSEE invalide « ABCDE »"),
        ("communes.json", _arrondissement_without_parent, "rattaché à la commune 75999"),
        ("epci.json", _unknown_epci_type, "nature d'EPCI inconnue « SIVOM »"),
        ("epci.json", _two_epci, "la commune 93001 appartient déjà à 200054781"),
        ("ept.json", _unknown_ept_member, "le membre « 99999 » n'est pas une commune"),
    ],
)
def test_broken_source_changes_nothing(communes, source_copy, snapshot, name, change, message):
    # Make the loaded data differ from the source, so that a partial import would show.
    Commune.objects.filter(insee_code="93001").update(name="Avant l'import")
    before = snapshot()
    source = source_copy(name, change)
    with pytest.raises(CommandError, match=message) as raised:
        call_command("import_communes", "--source", str(source), stdout=StringIO())
    assert "rien n'a été modifié" in str(raised.value)
    assert snapshot() == before


def test_missing_file(db, source_copy, snapshot):
    source = source_copy()
    (source / "ept.json").unlink()
    before = snapshot()
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("import_communes", "--source", str(source), stdout=StringIO())
    assert snapshot() == before


def test_missing_directory(db, tmp_path):
    with pytest.raises(ReferenceDataError, match="Dossier source introuvable"):
        import_communes(tmp_path / "absent")


def test_progress_callback(db, decoupage_dir):
    calls = []
    import_communes(decoupage_dir, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (157, 157)
