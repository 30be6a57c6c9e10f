"""Print files of an order: the printer's PDF and the variable-data CSV.

Layout of the PDF (A4 portrait, one file per order)
    For each booklet: one cover page, then the booklet's passes, PASSES_PER_PAGE (5) per A4 page,
    each pass a 190 × 55 mm card, with cut marks in the margins at every card edge. A booklet of
    10 passes takes 1 + 2 = 3 pages, a booklet of 5 passes 1 + 1 = 2 pages:
        pages = booklets × (1 + ceil(passes_per_booklet / 5))      (see page_count)

Speed and memory
    ReportLab's canvas keeps every finished page (its uncompressed content stream) in memory until
    save(). StreamingCanvas swaps in a StreamingDocument that writes each page dictionary and its
    compressed content stream to the output as soon as the page is finished, and keeps only the
    object number and file offset of each; the shared objects (fonts, the logo image, the page
    tree, the catalog) are written by save() at the end, with the cross-reference table. Memory
    therefore stays flat: a few dozen bytes of bookkeeping per page, never the pages themselves.
    QR codes: the mask pattern is fixed (mask 0, which the QR standard allows; every reader
    decodes any mask): segno's automatic choice evaluates the 8 masks. Even so segno takes 3 ms
    a code, so _AffineQr builds the module matrix from a few precomputed XORs (a QR code of
    fixed version, level and mask is an affine function of its data bits; the tests compare it
    with segno's), and each code is placed on the page as a 1-bit inline image mask (dark
    modules in black, scaled without interpolation): a 33 × 33 code is 165 bytes.
    Texts: the operators of a card's texts (and of a cover's) are drawn once through the canvas
    with placeholders for the serial and the code, captured, and reused for every card by
    string replacement: ReportLab's drawString (metrics, escaping, encoding) ran 9 times a pass.
    The logo is read once (one ImageReader) and stored once in the PDF (one XObject, drawn on
    every page that shows it).

Variable-data CSV
    serial;code;qr_payload;booklet_serial;value_eur;valid_until — machine headers for the
    printer's pipeline, « ; » separator, value in euros with a decimal comma (10,00), dates as
    DD/MM/YYYY. The download adds a UTF-8 byte-order mark (for Excel); the variable_data command
    writes to standard output without one (for pipes).
"""

import io
import logging
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, TextIO

import segno
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen import canvas as rl_canvas

from journal.models import JournalEntry
from journal.services import record
from organisations.models import Membership
from organisations.queries import get_admin_membership_or_404

from . import codes
from .exceptions import LedgerError
from .models import Booklet, Order, Pass

logger = logging.getLogger(__name__)

Progress = Callable[..., None]

PASSES_PER_PAGE = 5
PAGE_WIDTH, PAGE_HEIGHT = A4
CARD_WIDTH, CARD_HEIGHT = 190 * mm, 55 * mm
CARD_X = (PAGE_WIDTH - CARD_WIDTH) / 2
CARD_TOP = (PAGE_HEIGHT + PASSES_PER_PAGE * CARD_HEIGHT) / 2
CUT_MARK = 5 * mm  # length of a cut mark, drawn in the margin, 1 mm away from the card
QR_SIZE = 44 * mm  # including the quiet zone
QR_MASK = 0
LOGO_MAX_PIXELS = (1200, 1200)
LOGO_FORM = "logo"
LOGO_FORM_HEIGHT = 100.0  # points; the form is scaled where it is drawn
CSV_HEADER = ["serial", "code", "qr_payload", "booklet_serial", "value_eur", "valid_until"]
NBSP = "\u00a0"
HOW_TO = (
    "Comment utiliser ce pass : présentez-le dans un lieu de médiation numérique partenaire, "
    "qui le scanne (QR code) ou saisit son numéro et son code."
)
PRINT_CHUNK = 2_000  # passes read from the database at a time
# Placeholders of the card text template (plain ASCII: PDF strings keep them as they are).
_SERIAL_SLOT = "@@serial@@"
_CODE_SLOT = "@@code@@"


# --- Formats --------------------------------------------------------------------------------


def format_euros(cents: int, *, space: str = NBSP) -> str:
    """1234567 → « 12 345,67 € » (French format, no-break spaces)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", space)
    return f"{sign}{grouped},{rest:02d}{space}€"


def format_euros_plain(cents: int) -> str:
    """1000 → « 10,00 » (CSV: no thousands separator, no currency sign)."""
    euros, rest = divmod(cents, 100)
    return f"{euros},{rest:02d}"


def page_count(order: Order, booklets: int | None = None) -> int:
    count = order.booklet_count if booklets is None else booklets
    return count * (1 + -(-order.passes_per_booklet // PASSES_PER_PAGE))


# --- Streaming ReportLab document -----------------------------------------------------------


class _PageKids:
    """The Kids array of the page tree, formatted from the object numbers of the written pages
    (not a PDFObject: ReportLab formats it with str())."""

    def __init__(self, numbers: array):
        self.numbers = numbers

    def __str__(self) -> str:
        return "[ " + "\n ".join(f"{n} 0 R" for n in self.numbers) + " ]"


class _StreamedPages(pdfdoc.PDFPages):
    """The page tree: keeps only the object numbers of the pages already written."""

    def __init__(self):
        super().__init__()
        self.numbers = array("Q")

    def check_format(self, document) -> None:
        self.Kids = _PageKids(self.numbers)
        self.Count = len(self.numbers)


class _StreamFile(pdfdoc.PDFFile):
    """ReportLab's output collector, writing to a stream instead of a list of strings."""

    def __init__(self, out: BinaryIO, pdf_version):
        self.strings = []
        self.write = out.write
        self.offset = 0
        self.add(
            pdfdoc.pdfdocEnc("%PDF-{}.{}".format(*pdf_version))
            + b"\n%\223\214\213\236 ReportLab Generated PDF document (Passnum)\n"
        )

    def format(self, document) -> bytes:
        return b""


class StreamingDocument(pdfdoc.PDFDocument):
    """A PDFDocument that writes each finished page (dictionary and content stream) at once and
    then forgets it, keeping only its file offset (8 bytes) and, for a page, its object number."""

    def __init__(self, out: BinaryIO, **kwargs):
        super().__init__(**kwargs)
        self.Pages = self.Catalog.Pages = _StreamedPages()
        self._file = _StreamFile(out, self._pdfVersion)
        self._offsets = array("Q", [0])  # by object number

    def _write(self, name: str, forget: bool) -> int:
        number, _ = self.idToObjectNumberAndVersion[name]
        data = pdfdoc.PDFIndirectObject(name, self.idToObject[name]).format(self)
        if len(self._offsets) <= number:
            self._offsets.extend([0] * (number + 1 - len(self._offsets)))
        self._offsets[number] = self._file.add(data)
        if forget:
            del self.idToObject[name], self.idToObjectNumberAndVersion[name]
            del self.numberToId[number]
        return number

    def addPage(self, page) -> None:
        name = self.thisPageName()
        self.Reference(page, name)
        self.pageCounter += 1
        self.inObject = None
        # Deflate only: ReportLab's default adds ASCII85, pure Python and 25 % bigger.
        stream = pdfdoc.PDFStream()
        stream.filters = [pdfdoc.PDFZCompress]
        stream.content = page.stream
        stream.__Comment__ = "page stream"
        page.Contents = stream
        # Formatting the page registers its content stream (and the page tree, kept for later).
        self.Pages.numbers.append(self._write(name, forget=True))
        self._write(page.Contents.__InternalName__, forget=True)

    def format(self) -> bytes:
        """Write the objects not written yet, then the cross-reference table and the trailer."""
        self.encrypt.prepare(self)
        cat, info = self.Catalog, self.info
        self.Reference(cat)
        self.Reference(info)
        file = self._file
        self._PDFDocument__accum__ = file
        number = 0
        while number < self.objectcounter:  # formatting may register more objects
            number += 1
            if number in self.numberToId:
                self._write(self.numberToId[number], forget=False)
        del self._PDFDocument__accum__
        size = self.objectcounter + 1
        offsets = self._offsets
        if len(offsets) != size or 0 in offsets[1:]:
            raise RuntimeError("PDF : un objet n'a pas été écrit.")
        xref_offset = file.add(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for start in range(1, size, 1000):
            file.add(
                "".join(f"{offset:010d} 00000 n \n" for offset in offsets[start : start + 1000])
            )
        trailer = pdfdoc.PDFTrailer(
            startxref=xref_offset,
            Size=size,
            Root=self.Reference(cat),
            Info=self.Reference(info),
            Encrypt=None,
            ID=self.ID(),
        )
        file.add(trailer.format(self))
        return b""


class StreamingCanvas(rl_canvas.Canvas):
    """A canvas whose pages go to ``out`` as soon as they are finished (flat memory)."""

    def __init__(self, out: BinaryIO, **kwargs):
        super().__init__(out, **kwargs)
        self._doc = StreamingDocument(
            out,
            compression=self._pageCompression,
            invariant=self._doc.invariant,
            pdfVersion=self._doc._pdfVersion,
        )
        self._make_preamble()  # registers the initial font in the new document


# --- Drawing --------------------------------------------------------------------------------


def qr_matrix(payload: str) -> tuple:
    """The module matrix as segno builds it (the reference for the fast encoder below)."""
    return segno.make(payload, error="m", micro=False, mask=QR_MASK).matrix


class _AffineQr:
    """QR matrices of same-length byte-mode payloads, without running the QR encoder each time.

    With the version, the error level and the mask fixed, a QR code is an affine function of
    its data bits over GF(2): the data codewords are the payload's bytes, the Reed-Solomon
    error-correction codewords are GF(2^8)-linear (so GF(2)-linear) in them, the placement is
    a fixed permutation and the mask, format and version information are fixed XORs. So
        matrix(p) = matrix(base) XOR (XOR of delta(i, b) for each bit b of byte i where p
                                       differs from base)
    where delta(i, b) = matrix(base with bit b of byte i flipped) XOR matrix(base). Each delta
    is computed once with segno (lazily: only the bits that do vary, about 110 for our payloads;
    the host never does), then a pass costs a few dozen big-integer XORs instead of the
    encoder's 3 ms. A matrix is held as one integer: the 1-bit image of the code, row by row,
    each row padded to whole bytes, 1 = dark module.
    """

    def __init__(self, base: bytes):
        qr = segno.make(base, error="m", micro=False, mask=QR_MASK)
        self.version, self.error = qr.version, qr.error
        self.size = len(qr.matrix)
        self.row_bytes = (self.size + 7) // 8
        self.base = base
        self.base_value = self._value(qr.matrix)
        self.deltas: dict[tuple[int, int], int] = {}

    @staticmethod
    def _value(matrix) -> int:
        n = len(matrix)
        pad = -n % 8
        value = 0
        for row in matrix:
            bits = 0
            for dark in row:
                bits = (bits << 1) | (1 if dark else 0)
            value = (value << (n + pad)) | (bits << pad)
        return value

    def _delta(self, index: int, bit: int) -> int:
        key = (index, bit)
        delta = self.deltas.get(key)
        if delta is None:
            flipped = bytearray(self.base)
            flipped[index] ^= 1 << bit
            qr = segno.make(
                bytes(flipped),
                error=self.error,
                version=self.version,
                mode="byte",
                mask=QR_MASK,
                micro=False,
                boost_error=False,
            )
            delta = self.deltas[key] = self._value(qr.matrix) ^ self.base_value
        return delta

    def image(self, data: bytes) -> bytes:
        """The 1-bit image of ``data``'s code (same length as the base)."""
        value = self.base_value
        for index, (a, b) in enumerate(zip(data, self.base, strict=True)):
            diff = a ^ b
            while diff:
                low = diff & -diff
                value ^= self._delta(index, low.bit_length() - 1)
                diff ^= low
        return value.to_bytes(self.row_bytes * self.size)


_AFFINE_QR: dict[int, _AffineQr] = {}  # by payload length (one per host in practice)


def qr_image(payload: str) -> tuple[int, bytes]:
    """(n, image): the payload's QR code as an n × n 1-bit image (rows padded to whole bytes,
    1 = dark), the same modules as qr_matrix(payload).

    Pass URLs (ASCII with lower-case letters, so always in byte mode) go through _AffineQr;
    anything else through segno directly."""
    data = payload.encode("ascii", "replace")
    if not payload.isascii() or not any(0x61 <= c <= 0x7A for c in data):
        matrix = qr_matrix(payload)
        n = len(matrix)
        return n, _AffineQr._value(matrix).to_bytes((n + 7) // 8 * n)
    model = _AFFINE_QR.get(len(data))
    if model is None:
        model = _AFFINE_QR[len(data)] = _AffineQr(data)
    return model.size, model.image(data)


def qr_operators(image: bytes, n: int, x: float, y: float, size: float) -> str:
    """PDF operators drawing the QR code in the square (x, y, size), which includes a 4-module
    quiet zone: the code's 1-bit image as an inline image mask (dark modules painted in the
    fill colour, black), scaled without interpolation, hex-encoded in the page stream."""
    module = size / (n + 8)
    side = n * module
    return (
        f"q {side:.3f} 0 0 {side:.3f} {x + 4 * module:.3f} {y + 4 * module:.3f} cm\n"
        f"BI /W {n} /H {n} /IM true /BPC 1 /D [1 0] /F /AHx ID\n{image.hex()}>\nEI Q"
    )


def _logo_reader(order: Order) -> ImageReader | None:
    """One ImageReader for the whole file: the order's logo, or else the funder's."""
    field = order.logo if order.logo else order.funder.logo
    if not field:
        return None
    try:
        with field.open("rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.warning("Order %s: logo unreadable, printed without it", order.pk, exc_info=True)
        return None
    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    image.thumbnail(LOGO_MAX_PIXELS)  # 60 mm at 500 dpi is plenty for print
    return ImageReader(image)


class _Printer:
    """Draws covers and pass cards of one order; every per-order text is computed once."""

    def __init__(self, order: Order, out: BinaryIO):
        self.order = order
        self.canvas = StreamingCanvas(out, pagesize=A4, pageCompression=1, invariant=0)
        self.canvas.setTitle(f"Pass numériques — commande {order.reference}")
        self.canvas.setAuthor(order.funder.name)
        self.canvas.setCreator("Passnum")
        self.logo = _logo_reader(order)
        if self.logo is not None:
            self._define_logo_form()
        self.funder = order.funder.name
        self.programme = order.programme.name
        self.value = format_euros(order.face_value_cents)
        self.valid = f"Valable jusqu'au {order.valid_until:%d/%m/%Y}"
        self.text_lines = simpleSplit(order.print_text or "", "Helvetica", 7.5, 120 * mm)[:3]
        self.how_to = simpleSplit(HOW_TO, "Helvetica-Oblique", 6.5, 120 * mm)[:2]
        self.cut_marks = self._cut_mark_operators()
        self.card_texts = [self._card_text(slot) for slot in range(PASSES_PER_PAGE)]
        self.cover_texts: dict[int, str] = {}

    def _define_logo_form(self) -> None:
        """The logo as one form XObject: stored once, drawn by reference on every page."""
        width, height = self.logo.getSize()
        self.logo_size = (LOGO_FORM_HEIGHT * width / height, LOGO_FORM_HEIGHT)
        c = self.canvas
        c.beginForm(LOGO_FORM, 0, 0, *self.logo_size)
        c.drawImage(self.logo, 0, 0, *self.logo_size, mask="auto")
        c.endForm()

    def _logo(self, x: float, y: float, max_w: float, max_h: float) -> None:
        if self.logo is None:
            return
        width, height = self.logo_size
        scale = min(max_w / width, max_h / height)
        c = self.canvas
        c.saveState()
        c.transform(scale, 0, 0, scale, x, y)
        c.doForm(LOGO_FORM)
        c.restoreState()

    def cover(self, booklet_serial: str, passes: int) -> None:
        c = self.canvas
        top = PAGE_HEIGHT - 25 * mm
        self._logo(25 * mm, top - 25 * mm, 60 * mm, 25 * mm)
        text = self.cover_texts.get(passes)
        if text is None:
            text = self.cover_texts[passes] = self._cover_text(passes)
        c.addLiteral(text.replace(_SERIAL_SLOT, booklet_serial, 1))
        c.showPage()

    def _cover_text(self, passes: int) -> str:
        """The operators of a cover's texts (booklets of ``passes`` passes), with a placeholder
        for the booklet serial: drawn once through the canvas, captured (as _card_text)."""
        c, order = self.canvas, self.order
        top = PAGE_HEIGHT - 25 * mm
        mark = len(c._code)
        c.setFont("Helvetica-Bold", 14)
        c.drawString(25 * mm, top - 35 * mm, self.funder)
        c.setFont("Helvetica-Bold", 26)
        c.drawString(25 * mm, top - 60 * mm, self.programme[:40])
        c.setFont("Helvetica", 16)
        c.drawString(25 * mm, top - 80 * mm, f"Carnet n° {_SERIAL_SLOT}")
        c.drawString(
            25 * mm,
            top - 92 * mm,
            f"{passes} pass de {self.value} — valeur totale "
            f"{format_euros(passes * order.face_value_cents)}",
        )
        c.drawString(25 * mm, top - 104 * mm, self.valid)
        c.setFont("Helvetica", 10)
        y = top - 120 * mm
        for line in simpleSplit(order.print_text or "", "Helvetica", 10, 160 * mm)[:8]:
            c.drawString(25 * mm, y, line)
            y -= 13
        c.setFont("Helvetica", 9)
        c.drawString(25 * mm, 20 * mm, f"Commande {order.reference}")
        return self._captured(mark, _SERIAL_SLOT)

    def _captured(self, mark: int, *slots: str) -> str:
        """The operators the canvas received since ``mark``, taken back from the page."""
        c = self.canvas
        text = "\n".join(c._code[mark:])
        del c._code[mark:]
        if any(text.count(slot) != 1 for slot in slots):
            raise RuntimeError("PDF : gabarit de texte inattendu.")
        return text

    def _cut_mark_operators(self) -> str:
        gap = 1 * mm
        left, right = CARD_X, CARD_X + CARD_WIDTH
        bottom = CARD_TOP - PASSES_PER_PAGE * CARD_HEIGHT
        ops = ["q 0.3 w 0 G"]
        for i in range(PASSES_PER_PAGE + 1):
            y = CARD_TOP - i * CARD_HEIGHT
            ops.append(f"{left - gap - CUT_MARK:.2f} {y:.2f} m {left - gap:.2f} {y:.2f} l")
            ops.append(f"{right + gap:.2f} {y:.2f} m {right + gap + CUT_MARK:.2f} {y:.2f} l")
        for x in (left, right):
            ops.append(f"{x:.2f} {CARD_TOP + gap:.2f} m {x:.2f} {CARD_TOP + gap + CUT_MARK:.2f} l")
            ops.append(f"{x:.2f} {bottom - gap:.2f} m {x:.2f} {bottom - gap - CUT_MARK:.2f} l")
        ops.append("S Q")
        return "\n".join(ops)

    def _card_text(self, slot: int) -> str:
        """The PDF operators of every text of a card in this slot, with placeholders for the
        serial and the code: drawn once through the canvas (which escapes, encodes and sets
        the fonts), captured, then reused for every card by string replacement."""
        c = self.canvas
        top = CARD_TOP - slot * CARD_HEIGHT
        bottom = top - CARD_HEIGHT
        tx = CARD_X + 6 * mm
        mark = len(c._code)
        c.setFont("Helvetica-Bold", 9)
        c.drawString(tx + (33 * mm if self.logo else 0), top - 9 * mm, self.funder)
        c.setFont("Helvetica-Bold", 20)
        c.drawString(tx, top - 23 * mm, f"Pass numérique {self.value}")
        c.setFont("Helvetica", 10)
        c.drawString(tx, top - 30 * mm, f"N° {_SERIAL_SLOT}")
        c.setFont("Courier-Bold", 11)
        c.drawString(tx + 45 * mm, top - 30 * mm, f"Code : {_CODE_SLOT}")
        c.setFont("Helvetica", 8.5)
        c.drawString(tx, top - 36 * mm, self.valid)
        y = top - 41 * mm
        c.setFont("Helvetica", 7.5)
        for line in self.text_lines:
            c.drawString(tx, y, line)
            y -= 8.5
        c.setFont("Helvetica-Oblique", 6.5)
        y = bottom + 3 * mm + 7.5 * (len(self.how_to) - 1)
        for line in self.how_to:
            c.drawString(tx, y, line)
            y -= 7.5
        return self._captured(mark, _SERIAL_SLOT, _CODE_SLOT)

    def card(self, slot: int, serial: str) -> None:
        c = self.canvas
        code = codes.pass_code(self.order.key_id, serial)
        top = CARD_TOP - slot * CARD_HEIGHT
        bottom = top - CARD_HEIGHT
        qr_x = CARD_X + CARD_WIDTH - QR_SIZE - 4 * mm
        n, image = qr_image(codes.qr_payload(serial, code))
        c.addLiteral(qr_operators(image, n, qr_x, bottom + (CARD_HEIGHT - QR_SIZE) / 2, QR_SIZE))
        self._logo(CARD_X + 6 * mm, top - 14 * mm, 30 * mm, 10 * mm)
        c.addLiteral(
            self.card_texts[slot]
            .replace(_SERIAL_SLOT, codes.format_serial(serial), 1)
            .replace(_CODE_SLOT, codes.format_code(code), 1)
        )

    def pass_page(self, serials: list[str]) -> None:
        self.canvas.addLiteral(self.cut_marks)
        for slot, serial in enumerate(serials):
            self.card(slot, serial)
        self.canvas.showPage()

    def booklet(self, booklet_serial: str, serials: list[str]) -> None:
        self.cover(booklet_serial, len(serials))
        for start in range(0, len(serials), PASSES_PER_PAGE):
            self.pass_page(serials[start : start + PASSES_PER_PAGE])

    def save(self) -> None:
        self.canvas.save()


def _passes_by_booklet(
    order: Order, booklets: Iterable[Booklet] | None
) -> Iterator[tuple[str, list[str]]]:
    """(booklet serial, pass serials) in number order, read in chunks (flat memory)."""
    qs = Pass.objects.filter(order_id=order.pk)
    if booklets is not None:
        qs = qs.filter(booklet__in=booklets)
    rows = qs.order_by("number").values_list("booklet__serial", "serial")
    current, serials = None, []
    for booklet_serial, serial in rows.iterator(chunk_size=PRINT_CHUNK):
        if booklet_serial != current:
            if current is not None:
                yield current, serials
            current, serials = booklet_serial, []
        serials.append(serial)
    if current is not None:
        yield current, serials


def write_order_pdf(
    order: Order,
    out: BinaryIO,
    progress: Progress | None = None,
    booklets: Iterable[Booklet] | None = None,
) -> dict:
    """Write the printer's PDF of an issued order to ``out`` page by page (see the module doc).

    ``booklets`` limits the file to some of the order's booklets (a reprint). ``progress`` is
    called as progress(done, total, message) with booklets as the unit. Returns counts."""
    progress = progress or (lambda *args, **kwargs: None)
    total = order.booklet_count if booklets is None else len(list(booklets))
    printer = _Printer(order, out)
    progress(0, total, "Impression des carnets")
    done = passes = 0
    for booklet_serial, serials in _passes_by_booklet(order, booklets):
        printer.booklet(booklet_serial, serials)
        done += 1
        passes += len(serials)
        progress(done, total)
    printer.save()
    return {"booklets": done, "passes": passes, "pages": page_count(order, done)}


def variable_data_rows(order: Order) -> Iterator[list[str]]:
    value = format_euros_plain(order.face_value_cents)
    valid = f"{order.valid_until:%d/%m/%Y}"
    rows = (
        Pass.objects.filter(order_id=order.pk)
        .order_by("number")
        .values_list("serial", "booklet__serial")
    )
    for serial, booklet_serial in rows.iterator(chunk_size=PRINT_CHUNK):
        code = codes.pass_code(order.key_id, serial)
        yield [serial, code, codes.qr_payload(serial, code), booklet_serial, value, valid]


def csv_line(fields: list[str]) -> str:
    """One CSV line, « ; »-separated (our fields never hold « ; », quotes nor line breaks)."""
    return ";".join(fields) + "\r\n"


def iter_variable_data_csv(order: Order, *, bom: bool = True) -> Iterator[str]:
    if bom:
        yield "\ufeff"
    yield csv_line(CSV_HEADER)
    for row in variable_data_rows(order):
        yield csv_line(row)


def write_variable_data_csv(order: Order, out: TextIO, *, bom: bool = True) -> int:
    """Write the variable-data CSV row by row; returns the number of passes written.

    With ``bom`` (the default, for files opened in Excel) the output starts with a UTF-8 BOM."""
    rows = 0
    for line in iter_variable_data_csv(order, bom=bom):
        out.write(line)
        rows += 1
    return rows - (2 if bom else 1)


def print_file_dir():
    return settings.MEDIA_ROOT / "print"


# --- Loading and journaling -----------------------------------------------------------------


class PrintError(LedgerError):
    code = "print"


def printable_order(order_id: int) -> Order:
    """The order to print, or PrintError (French) when it does not exist or is not issued."""
    order = (
        Order.objects.select_related("funder", "issuer", "programme").filter(pk=order_id).first()
    )
    if order is None:
        raise PrintError(f"Commande introuvable : {order_id}.", code="not_found")
    ensure_printable(order)
    return order


def ensure_printable(order: Order) -> None:
    if not order.is_issued:
        raise PrintError(
            f"Les pass de la commande {order.reference} ne sont pas encore émis : "
            "il n'y a rien à imprimer avant l'émission.",
            code="not_issued",
        )


def record_download(
    order: Order,
    *,
    file: str,
    organisation,
    actor=None,
    request=None,
    actor_label: str = "",
    **details,
) -> JournalEntry:
    """Journal one download of a print file (« pdf » or « csv »): they hold the pass codes."""
    return record(
        JournalEntry.Action.PRINT_DOWNLOADED,
        actor=actor,
        organisation=organisation,
        obj=order,
        request=request,
        actor_label=actor_label,
        details={"file": file, "reference": order.reference, **details},
    )


def format_size(size: int) -> str:
    """« 1,5 Mo », « 820 Ko » (French decimal comma)."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} Mo".replace(".", ",")
    return f"{max(1, round(size / 1000))} Ko"


def order_for_print_admin(user, order_id: int) -> tuple[Order, Membership]:
    """The order and the user's admin membership of its funder or of its issuer.

    404 for an unknown order and for anyone who belongs to neither organisation; 403 for a
    member of one of them who is not an admin of either (get_admin_membership_or_404)."""
    order = (
        Order.objects.select_related("funder", "issuer", "programme").filter(pk=order_id).first()
    )
    if order is None:
        raise Http404("Commande introuvable.")
    denied: PermissionDenied | None = None
    for organisation_id in (order.funder_id, order.issuer_id):
        if organisation_id is None:
            continue
        try:
            return order, get_admin_membership_or_404(user, organisation_id)
        except PermissionDenied as exc:
            denied = exc
        except Http404:
            continue
    if denied is not None:
        raise PermissionDenied(
            "Seuls les administrateurs du commanditaire ou de l'émetteur de la commande peuvent "
            "imprimer ses pass."
        )
    raise Http404("Commande introuvable.")
