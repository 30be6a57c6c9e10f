import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.exports import cents_to_euros, csv_bytes, read_xlsx, table_response, xlsx_bytes

PARIS = ZoneInfo("Europe/Paris")
HEADER = ["Commune", "Montant (€)", "Date", "Horodatage", "Actif"]
ROWS = [
    [
        "Aubervilliers",
        cents_to_euros(123456),
        date(2021, 10, 15),
        datetime(2021, 10, 15, 18, 0, tzinfo=ZoneInfo("UTC")),
        True,
    ],
    ["Saint-Denis; « Plaine »", cents_to_euros(5), None, None, False],
]


def test_cents_to_euros_is_exact():
    assert cents_to_euros(123456) == Decimal("1234.56")
    assert cents_to_euros(None) is None


def test_csv_for_french_excel():
    data = csv_bytes(HEADER, ROWS)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    assert rows[1] == ["Aubervilliers", "1234,56", "15/10/2021", "15/10/2021 20:00", "oui"]
    assert rows[2][0] == "Saint-Denis; « Plaine »"
    assert rows[2][1] == "0,05"


def test_xlsx_round_trip():
    rows = read_xlsx(xlsx_bytes(HEADER, ROWS, "Candidatures"))
    assert rows[0] == HEADER
    assert rows[1][0] == "Aubervilliers"
    assert float(rows[1][1]) == 1234.56
    assert rows[1][3] == datetime(2021, 10, 15, 20, 0)


def test_table_response_headers():
    response = table_response("xlsx", "candidatures", HEADER, ROWS)
    assert response["Content-Disposition"] == 'attachment; filename="candidatures.xlsx"'
    response = table_response("csv", "candidatures", HEADER, ROWS)
    assert response["Content-Type"].startswith("text/csv")
