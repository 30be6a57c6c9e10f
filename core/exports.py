"""Table exports for French spreadsheet users: CSV for Excel (``;`` separated, UTF-8 with BOM)
and XLSX (openpyxl, write-only so that large tables stream row by row).

Every export of the platform goes through ``table_response``: a view builds a header and rows
(plain Python values: str, int, date, datetime, Decimal, bool, None) and picks the format.
Amounts in cents are best exported as ``cents_to_euros`` (a Decimal), which both formats show as
euros with a decimal comma in a French spreadsheet.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def cents_to_euros(cents: int | None) -> Decimal | None:
    """1234 → Decimal('12.34'), exact (no float)."""
    if cents is None:
        return None
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return str(value)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A CSV for French Excel: UTF-8 with a BOM, ``;`` separators, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_value(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        # Spreadsheets have no time zones: write the Paris wall-clock time.
        return timezone.make_naive(timezone.localtime(value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    return value


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence], sheet_title: str = "Export"
) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "Export")
    bold = Font(bold=True)
    header_cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            value = _xlsx_value(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, datetime):
                cell.number_format = "DD/MM/YYYY HH:MM"
            elif isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_response(
    fmt: str,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    sheet_title: str = "Export",
) -> HttpResponse:
    """An attachment response; ``filename`` has no extension. ``fmt`` is "csv" or "xlsx"
    (anything else is a 404 for the caller to raise before calling)."""
    if fmt == "xlsx":
        content, content_type = xlsx_bytes(header, rows, sheet_title), XLSX_CONTENT_TYPE
    else:
        content, content_type = csv_bytes(header, rows), CSV_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def read_xlsx(content: bytes) -> list[list]:
    """Parse an XLSX back into rows of values (tests and imports)."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]
