"""The acknowledgement of receipt of a submitted application, as a PDF (ReportLab).

It is rebuilt from the database each time (same content): the call, the commune, the date and
time of submission in Paris time, the receipt number, and each document with its SHA-256, so
that anyone can check later that a file is the one submitted."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from . import queries
from .models import Application

MARGIN = 18 * mm


def _safe(text: str) -> str:
    """Standard PDF fonts lack some Unicode spaces and dashes: use their plain forms."""
    return escape(
        str(text)
        .replace("\u202f", " ")
        .replace("\u2011", "-")
        .replace("\u2013", "-")
        .replace("\u2014", "-")
    )


def render_receipt(application: Application) -> bytes:
    call = application.call
    number = queries.receipt_number(application)
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=10.5, leading=14)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11)
    mono = ParagraphStyle("mono", parent=small, fontName="Courier", fontSize=7.5, leading=9.5)
    title = ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=17, leading=22)
    heading = ParagraphStyle(
        "heading", parent=body, fontName="Helvetica-Bold", fontSize=12, leading=16, spaceBefore=8
    )
    submitter = application.submitted_by
    who = (submitter.get_full_name() or submitter.email) if submitter else ""
    story = [
        Paragraph("Accusé de réception de candidature", title),
        Spacer(1, 4 * mm),
        Paragraph(f"<b>Numéro :</b> {_safe(number)}", body),
        Paragraph(f"<b>Appel :</b> {_safe(call.title)}", body),
        Paragraph(f"<b>Programme :</b> {_safe(call.programme.name)}", body),
        Paragraph(
            f"<b>Commune :</b> {_safe(application.commune.name)} "
            f"(code INSEE {_safe(application.commune_id)})",
            body,
        ),
        Paragraph(f"<b>Collectivité :</b> {_safe(application.municipality.name)}", body),
        Paragraph(
            "<b>Déposée le :</b> "
            f"{_safe(queries.format_paris(application.submitted_at))} (heure de Paris)",
            body,
        ),
        Paragraph(f"<b>Déposée par :</b> {_safe(who)}", body),
        Paragraph(
            f"<b>Date limite de l'appel :</b> {_safe(queries.format_paris(call.deadline))}", body
        ),
        Paragraph("Pièces déposées", heading),
    ]
    rows = [
        [
            Paragraph("<b>Pièce</b>", small),
            Paragraph("<b>Fichier</b>", small),
            Paragraph("<b>Empreinte SHA-256</b>", small),
        ]
    ]
    for document in application.documents.select_related("required_document").order_by(
        "required_document__position", "pk"
    ):
        rows.append(
            [
                Paragraph(_safe(document.required_document.label), small),
                Paragraph(
                    f"{_safe(document.original_name)}<br/>{document.size:,} octets".replace(
                        ",", " "
                    ),
                    small,
                ),
                Paragraph(_safe(document.sha256), mono),
            ]
        )
    width = A4[0] - 2 * MARGIN
    table = Table(rows, colWidths=[width * 0.32, width * 0.28, width * 0.40], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.94, 0.96)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 6 * mm),
        Paragraph(
            "La candidature a été enregistrée avant la date limite ; elle n'est plus modifiable. "
            "L'empreinte SHA-256 de chaque fichier permet de vérifier qu'il est celui déposé.",
            small,
        ),
    ]
    if call.contact_email:
        story.append(Paragraph(f"Contact : {_safe(call.contact_email)}", small))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Accusé de réception {number}",
        author="Passnum",
        subject=call.title,
    )
    doc.build(story)
    return buffer.getvalue()
