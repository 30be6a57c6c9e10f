from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from geo.models import Commune, Qpv
from geo.services import ReferenceDataError, import_qpv, read_qpv_csv
from journal.models import JournalEntry

pytestmark = pytest.mark.django_db

HEADER = "code_qp;lib_qp;insee_reg;lib_reg;insee_dep;lib_dep;insee_com;lib_com;siren_epci;lib_epci"


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "qpv.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def row(code, name, insee, commune="X", delimiter=";"):
    cells = [code, name, "11", "Île-de-France", "93", "Seine-Saint-Denis", insee, commune]
    return delimiter.join([*cells, "200054781", "Métropole du Grand Paris"])


def links():
    return sorted(Qpv.communes.through.objects.values_list("qpv_id", "commune_id"))


def test_official_layout(communes, qpv_csv):
    result = import_qpv(qpv_csv)
    assert (result.qpvs, result.created, result.updated, result.unchanged) == (5, 5, 0, 0)
    assert result.encoding == "utf-8" and result.delimiter == ";"
    assert Qpv.objects.count() == 5
    assert Qpv.objects.get(code="QN09302M").name == "Maladrerie - Émile Dubois"
    assert links() == [
        ("QN06901M", "69123"),
        ("QN07513M", "75113"),
        ("QN09302M", "93001"),
        ("QN09305M", "93001"),
        ("QN09305M", "93066"),
        ("QN09318M", "93066"),  # written ="93066" (Excel text formula)
    ]
    assert result.communes == 4 and result.links_added == 6


def test_qpv_across_communes_is_linked_to_all_of_them(communes, qpv_csv):
    import_qpv(qpv_csv)
    landy = Qpv.objects.get(code="QN09305M")
    assert sorted(landy.communes.values_list("insee_code", flat=True)) == ["93001", "93066"]
    aubervilliers = Commune.objects.get(insee_code="93001")
    assert sorted(aubervilliers.qpvs.values_list("code", flat=True)) == ["QN09302M", "QN09305M"]


def test_one_row_per_commune_layout(communes, tmp_path):
    text = "\n".join(
        [
            HEADER,
            row("QN09305M", "Landy", "93001", "Aubervilliers"),
            row("QN09305M", "Landy", "93066", "Saint-Denis"),
        ]
    )
    import_qpv(write(tmp_path, text))
    assert links() == [("QN09305M", "93001"), ("QN09305M", "93066")]


def test_comma_delimiter_latin1_and_lost_leading_zero(communes, tmp_path):
    text = "\r\n".join(
        [
            "code_qp,lib_qp,insee_com,lib_com",
            'QN09302M,"Maladrerie, Émile Dubois",93001,Aubervilliers',
            'QN09305M,Landy,"93001, 93066","Aubervilliers, Saint-Denis"',
        ]
    )
    path = write(tmp_path, text, encoding="latin-1")
    result = import_qpv(path)
    assert result.encoding == "windows-1252" and result.delimiter == ","
    assert Qpv.objects.get(code="QN09302M").name == "Maladrerie, Émile Dubois"
    assert len(links()) == 3
    # A spreadsheet drops the leading zero of the Ain's codes: 1053 is 01053.
    assert read_qpv_csv(
        write(tmp_path, f"{HEADER}\n{row('QN00101M', 'Reyssouze', '1053')}", name="ain.csv")
    ).qpvs == {"QN00101M": ("Reyssouze", ["01053"])}


def test_utf8_without_bom(communes, tmp_path):
    import_qpv(
        write(tmp_path, f"{HEADER}\n{row('QN09302M', 'Maladrerie - Émile Dubois', '93001')}")
    )
    assert Qpv.objects.get().name == "Maladrerie - Émile Dubois"


def test_idempotent_and_updates(communes, qpv_csv, tmp_path, snapshot):
    import_qpv(qpv_csv)
    before = snapshot()
    again = import_qpv(qpv_csv)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert again.links_added == again.links_removed == 0
    after = snapshot()
    assert after["journal"] == before["journal"] + 1
    assert after["qpvs"] == before["qpvs"] and after["qpv_links"] == before["qpv_links"]

    # The ANCT renames a QPV and moves another: the import follows, and keeps absent QPV.
    text = "\n".join(
        [
            HEADER,
            row("QN09302M", "Maladrerie - Émile Dubois - Paul Bert", "93001"),
            row("QN09305M", "Landy - Plaine - Marcreux - Pressensé", "93066"),
        ]
    )
    result = import_qpv(write(tmp_path, text))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert (result.links_added, result.links_removed, result.absent_from_file) == (0, 1, 3)
    assert Qpv.objects.get(code="QN09302M").name.endswith("Paul Bert")
    assert list(Qpv.objects.get(code="QN09305M").communes.values_list("pk", flat=True)) == ["93066"]
    assert Qpv.objects.count() == 5


def test_journal_entry(communes, qpv_csv):
    import_qpv(qpv_csv)
    entry = JournalEntry.objects.filter(action=JournalEntry.Action.REFERENCE_DATA_IMPORTED).first()
    assert entry.details["dataset"] == "qpv"
    assert entry.details["created"] == 5


def test_command(communes, qpv_csv):
    out = StringIO()
    call_command("import_qpv", str(qpv_csv), stdout=out)
    assert "5 quartiers prioritaires importés (5 créés" in out.getvalue()
    assert "rattachés à 4 communes" in out.getvalue()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code;nom;commune\nQN09302M;Maladrerie;93001", "ligne 1 : colonne « code_qp » absente"),
        ("code_qp;lib_qp\nQN09302M;Maladrerie", "ligne 1 : colonne « insee_com » absente"),
        (
            f"{HEADER}\n{row('QN09302M', 'Maladrerie', '93001')}\n{row('QX123', 'Faux', '93001')}",
            "ligne 3 : code QPV invalide « QX123 »",
        ),
        (
            f"{HEADER}\n{row('QN09302M', 'Maladrerie', '93001')}\n{row('QN09303M', 'X', '93999')}",
            "ligne 3 : commune 93999 inconnue du référentiel",
        ),
        (
            f"{HEADER}\n\n{row('QN09302M', 'Maladrerie', '9300A')}",
            "ligne 3 : code commune invalide",
        ),
        (f"{HEADER}\n{row('QN09302M', '', '93001')}", "ligne 2 : nom du quartier manquant"),
        (f"{HEADER}\n{row('QN09302M', 'Maladrerie', '')}", "ligne 2 : code commune manquant"),
        (
            f"{HEADER}\n{row('QN09302M', 'Un', '93001')}\n{row('QN09302M', 'Deux', '93066')}",
            "ligne 3 : le quartier QN09302M porte deux noms",
        ),
        (HEADER, "ne contient aucun quartier"),
        (f'{HEADER}\n{row("QN09302M", "Mal", "93001")}\n"QN09303M;"X', "ligne 3 : CSV mal formé"),
        ("", "est vide"),
    ],
)
def test_bad_file_changes_nothing(communes, qpv_csv, tmp_path, snapshot, text, message):
    import_qpv(qpv_csv)
    before = snapshot()
    with pytest.raises(CommandError, match=message) as raised:
        call_command("import_qpv", str(write(tmp_path, text)), stdout=StringIO())
    assert "rien n'a été modifié" in str(raised.value)
    assert snapshot() == before


def test_missing_file(db, tmp_path):
    with pytest.raises(ReferenceDataError, match="Fichier introuvable"):
        import_qpv(tmp_path / "absent.csv")


def test_demo_file_matches_the_demo_communes(communes):
    from django.conf import settings

    result = import_qpv(settings.BASE_DIR / "geo" / "data" / "qpv_demo.csv")
    assert result.qpvs == 12
    hosts = set(Qpv.communes.through.objects.values_list("commune_id", flat=True))
    assert hosts == {"93001", "93066", "93029", "92050", "92025", "94028", "75113"}
