"""The house style of Passnum's PDF documents (ReportLab, A4): paragraph styles, the grid of
tables with a header row, French number formats, a safe way to turn text (and sanitised HTML)
into ReportLab paragraphs, page numbers with a footer, and the document builder.

ReportLab's ``Paragraph`` reads a small XML markup: every text given to it goes through
``safe`` (escaped, and characters the standard PDF fonts lack replaced by their plain forms).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

MARGIN = 16 * mm
BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11)
SMALL_RIGHT = ParagraphStyle("small_right", parent=SMALL, alignment=TA_RIGHT)
BOLD = ParagraphStyle("bold", parent=BODY, fontName="Helvetica-Bold")
TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=17, leading=21, spaceAfter=6)
HEADING = ParagraphStyle(
    "heading", fontName="Helvetica-Bold", fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
)
SUBHEADING = ParagraphStyle(
    "subheading", parent=BODY, fontName="Helvetica-Bold", spaceBefore=6, spaceAfter=2
)
GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 9.5),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa5b1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
    ]
)

# Characters the standard PDF fonts (WinAnsi) lack, and their plain forms.
PLAIN_FORMS = (("\u202f", " "), ("\u2011", "-"), ("\u2013", "-"), ("\u2212", "-"))


def plain(text: str) -> str:
    """Text the standard fonts can draw (a table cell drawn as a string)."""
    text = str(text)
    for char, form in PLAIN_FORMS:
        text = text.replace(char, form)
    return text


def safe(text: str) -> str:
    """Text ready for a ReportLab ``Paragraph``: plain forms, then XML-escaped."""
    return escape(plain(text))


def para(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(safe(text), style)


def count(n: int) -> str:
    """1234 → « 1 234 » (no-break space)."""
    return f"{n:,}".replace(",", "\u00a0")


def grid(rows: list[list], widths: list[float], style: list | None = None) -> Table:
    """A table whose first row is a header, repeated on each page, in the house grid."""
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    if style:
        table.setStyle(TableStyle(style))
    return table


NUMBER = re.compile(r"[\d\s,.:/%—-]*\d[\d\s,.:/%—-]*(?: jours?)?")


def _cell(value, column: int):
    """A string cell as a wrapped paragraph; numbers, dates and counts right-aligned."""
    if not isinstance(value, str):
        return value
    numeric = column > 0 and NUMBER.fullmatch(value) is not None
    return Paragraph(safe(value), SMALL_RIGHT if numeric else SMALL)


def header_table(header: list[str], rows: list[list], widths: list[float]) -> Table:
    """``grid`` with a header row of plain strings; text cells wrap within their column."""
    cells = [[_cell(c, i) for i, c in enumerate(row)] for row in rows]
    return grid([[Paragraph(f"<b>{safe(h)}</b>", SMALL) for h in header], *cells], widths)


# --- Sanitised HTML → plain paragraphs ------------------------------------------------------


class _Blocks(HTMLParser):
    BLOCKS = {"p", "h3", "h4", "li", "blockquote", "tr", "ul", "ol", "table", "div"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.cells = 0

    def flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text and text != "-":
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS or tag == "br":
            self.flush()
        if tag == "li":
            self.current.append("- ")
        if tag == "tr":
            self.cells = 0
        if tag in ("td", "th"):
            if self.cells:
                self.current.append(" | ")
            self.cells += 1

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.flush()

    def handle_data(self, data):
        self.current.append(data)


def html_paragraphs(html: str) -> list[str]:
    """The text of (sanitised) HTML as plain paragraphs, list items prefixed with « - »,
    table cells separated by « | ». Markup is dropped: escape the result (``para``)."""
    parser = _Blocks()
    parser.feed(html or "")
    parser.close()
    parser.flush()
    return parser.blocks


# --- Document ---------------------------------------------------------------------------------


def numbered_canvas(footer: str) -> type:
    """A canvas class that writes ``footer`` and « page N sur M » at the bottom of each page
    (M is known once every page is laid out: pages are kept, then drawn)."""

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                width, _ = self._pagesize
                self.setFont("Helvetica", 8)
                self.setFillColor(colors.HexColor("#4a5561"))
                self.drawString(MARGIN, 9 * mm, footer.replace("\u202f", " "))
                self.drawRightString(width - MARGIN, 9 * mm, f"Page {number} sur {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def build(
    story: list,
    *,
    title: str,
    author: str,
    pagesize=A4,
    footer: str | None = None,
) -> bytes:
    """The PDF of ``story``; with ``footer``, a footer and page numbers on each page."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + (6 * mm if footer else 0),
        title=safe(title),
        author=safe(author),
        lang="fr-FR",
    )
    kwargs: dict[str, Callable] = {}
    if footer is not None:
        kwargs["canvasmaker"] = numbered_canvas(footer)
    doc.build(story, **kwargs)
    return buffer.getvalue()
