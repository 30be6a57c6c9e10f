"""The printer's PDF and the variable-data CSV (ledger/printing.py), the variable_data command."""

import io

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from PIL import Image

from journal.models import JournalEntry
from ledger import codes, printing
from ledger.models import Pass
from ledger.tests import factories

pytestmark = pytest.mark.django_db

PRINT_TEXT = "Offert par la Métropole du Grand Paris : bienvenue dans le numérique !"


def _png(colour=(200, 30, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def order(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    obj = factories.order(booklets=3, print_text=PRINT_TEXT)
    obj.funder.logo.save("logo.png", ContentFile(_png()), save=True)
    return obj


def _pdf(order, **kwargs) -> bytes:
    out = io.BytesIO()
    printing.write_order_pdf(order, out, **kwargs)
    return out.getvalue()


def test_page_count_is_a_simple_formula(order):
    data = _pdf(order)
    reader = pypdf.PdfReader(io.BytesIO(data))
    # 3 booklets × (1 cover + 10 passes / 5 per page)
    assert len(reader.pages) == 3 * (1 + 2) == printing.page_count(order)
    assert reader.metadata.title == f"Pass numériques — commande {order.reference}"


def test_five_pass_booklets(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    order = factories.order(booklets=2, passes_per_booklet=5)
    reader = pypdf.PdfReader(io.BytesIO(_pdf(order)))
    assert len(reader.pages) == 2 * (1 + 1) == printing.page_count(order)


def test_cover_page_texts(order):
    reader = pypdf.PdfReader(io.BytesIO(_pdf(order)))
    booklet = order.booklets.order_by("number").first()
    text = reader.pages[0].extract_text()
    assert "Métropole du Grand Paris" in text
    assert "Pass numérique Grand Paris 2021" in text
    assert f"Carnet n° {booklet.serial}" in text
    assert "10 pass de 10,00" in text and "100,00" in text
    assert "Valable jusqu'au 31/12/2099" in text
    assert "/XObject" in str(reader.pages[0]["/Resources"])  # the logo


def test_pass_page_has_serials_codes_and_decodable_qr_codes(order):
    data = _pdf(order)
    reader = pypdf.PdfReader(io.BytesIO(data))
    passes = list(Pass.objects.filter(order=order).order_by("number")[:5])
    text = reader.pages[1].extract_text()
    expected_payloads = set()
    for p in passes:
        code = codes.pass_code(order.key_id, p.serial)
        assert codes.format_serial(p.serial) in text
        assert codes.format_code(code) in text
        expected_payloads.add(codes.qr_payload(p.serial, code))
    assert "10,00" in text and "Valable jusqu'au 31/12/2099" in text
    assert "Métropole du Grand Paris" in text
    assert "Offert par la Métropole" in text
    assert "Comment utiliser ce pass" in text

    document = pypdfium2.PdfDocument(data)
    image = document[1].render(scale=200 / 72).to_pil()
    decoded = {barcode.text for barcode in zxingcpp.read_barcodes(image)}
    assert decoded == expected_payloads
    # the first pass's QR is the top card's: decode that card alone
    width, height = image.size
    top_card = image.crop((0, 0, width, height // 5 + 20))
    (barcode,) = zxingcpp.read_barcodes(top_card)
    first = passes[0]
    assert barcode.text == codes.qr_payload(
        first.serial, codes.pass_code(order.key_id, first.serial)
    )


def test_order_logo_wins_over_the_funders(order):
    order.logo.save("commande.png", ContentFile(_png((0, 90, 200))), save=True)
    reader = pypdf.PdfReader(io.BytesIO(_pdf(order)))
    images = reader.pages[0].images
    assert images and images[0].image.getpixel((10, 10)) == (0, 90, 200)


def test_without_any_logo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    order = factories.order(booklets=1)
    reader = pypdf.PdfReader(io.BytesIO(_pdf(order)))
    assert len(reader.pages) == 3
    assert not reader.pages[0].images


def test_some_booklets_only(order):
    booklets = list(order.booklets.order_by("number")[1:2])
    reader = pypdf.PdfReader(io.BytesIO(_pdf(order, booklets=booklets)))
    assert len(reader.pages) == 3
    assert booklets[0].serial in reader.pages[0].extract_text()


def test_progress_counts_booklets(order):
    calls = []
    printing.write_order_pdf(order, io.BytesIO(), progress=lambda *a: calls.append(a))
    assert calls[0] == (0, 3, "Impression des carnets")
    assert calls[-1] == (3, 3)


def test_euros_in_french():
    assert printing.format_euros(123456, space=" ") == "1 234,56 €"
    assert printing.format_euros(1000) == "10,00\u00a0€"
    assert printing.format_euros_plain(1000) == "10,00"


def test_variable_data_csv(order):
    out = io.StringIO()
    assert printing.write_variable_data_csv(order, out) == 30
    text = out.getvalue()
    assert text.startswith("\ufeff")
    lines = text[1:].splitlines()
    assert lines[0] == "serial;code;qr_payload;booklet_serial;value_eur;valid_until"
    assert len(lines) == 31
    first = Pass.objects.filter(order=order).select_related("booklet").order_by("number").first()
    serial, code, payload, booklet, value, valid = lines[1].split(";")
    assert serial == first.serial
    assert code == codes.pass_code(order.key_id, first.serial)
    assert payload == codes.qr_payload(serial, code)
    assert booklet == first.booklet.serial
    assert (value, valid) == ("10,00", "31/12/2099")


def test_variable_data_command_writes_to_stdout_without_bom(order):
    out = io.StringIO()
    call_command("variable_data", str(order.pk), stdout=out)
    text = out.getvalue()
    assert not text.startswith("\ufeff")
    lines = text.splitlines()
    assert lines[0].startswith("serial;code;")
    assert len(lines) == 31
    entry = JournalEntry.objects.get(action=JournalEntry.Action.PRINT_DOWNLOADED)
    assert entry.actor_label == "ligne de commande"
    assert entry.details["file"] == "csv"
    assert entry.organisation_id == order.issuer_id
    assert entry.object_id == str(order.pk)


def test_variable_data_command_refuses_unknown_or_not_issued_orders():
    with pytest.raises(CommandError, match="introuvable"):
        call_command("variable_data", "999999", stdout=io.StringIO())
    draft = factories.order(status="CONFIRMED")
    with pytest.raises(CommandError, match="pas encore émis"):
        call_command("variable_data", str(draft.pk), stdout=io.StringIO())
    assert not JournalEntry.objects.filter(action=JournalEntry.Action.PRINT_DOWNLOADED).exists()
