"""The decision as a PDF: the call, the Bureau's vote (date, deliberation number, votes), the
selected communes with their carnets, and the communes not selected."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ami.models import Application, Call

from .models import BureauVote

MARGIN = 18 * mm


def _safe(text: str) -> str:
    """Standard PDF fonts lack some Unicode spaces and dashes: use their plain forms."""
    return escape(
        str(text)
        .replace("\u202f", " ")
        .replace("\u00a0", " ")
        .replace("\u2011", "-")
        .replace("\u2013", "-")
        .replace("\u2014", "-")
    )


def _number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def render_decision(
    call: Call,
    vote: BureauVote,
    selected: list[tuple[Application, int]],
    not_selected: list[Application],
) -> bytes:
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=11, leading=15)
    title = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=17, leading=22)
    heading = ParagraphStyle(
        "heading", fontName="Helvetica-Bold", fontSize=13, leading=17, spaceBefore=10, spaceAfter=4
    )
    funder = call.programme.funder
    story: list = [
        Paragraph(_safe(funder.name), body),
        Spacer(1, 3 * mm),
        Paragraph("Décision de sélection des territoires d'expérimentation", title),
        Spacer(1, 2 * mm),
        Paragraph(_safe(call.title), body),
        Paragraph(_safe(f"Programme : {call.programme.name}"), body),
        Paragraph("Vote du Bureau", heading),
        Paragraph(
            _safe(
                f"Délibération n° {vote.deliberation_number} du {vote.voted_on:%d/%m/%Y}. "
                f"Voix pour : {vote.votes_for} ; voix contre : {vote.votes_against} ; "
                f"abstentions : {vote.votes_abstaining}."
            ),
            body,
        ),
        Paragraph(
            _safe(f"Communes retenues ({len(selected)})"),
            heading,
        ),
    ]
    if selected:
        data = [["Commune", "Code INSEE", "Carnets prévus"]]
        for application, booklets in selected:
            data.append(
                [_safe(application.commune.name), application.commune_id, _number(booklets)]
            )
        data.append(["Total", "", _number(sum(b for _, b in selected))])
        table = Table(data, colWidths=[90 * mm, 35 * mm, 40 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 10),
                    ("FONT", (0, 1), (-1, -1), "Helvetica", 10),
                    ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 10),
                    ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        story.append(table)
    else:
        story.append(Paragraph("Aucune commune n'est retenue.", body))
    story.append(Paragraph(_safe(f"Communes non retenues ({len(not_selected)})"), heading))
    if not_selected:
        for application in not_selected:
            story.append(
                Paragraph(_safe(f"{application.commune.name} ({application.commune_id})"), body)
            )
    else:
        story.append(Paragraph("Aucune.", body))
    story.append(Spacer(1, 8 * mm))
    recorded = timezone.localtime(vote.recorded_at)
    story.append(
        Paragraph(
            _safe(f"Vote enregistré dans Passnum le {recorded:%d/%m/%Y à %H:%M}."),
            ParagraphStyle("small", parent=body, fontSize=9, textColor=colors.grey),
        )
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Décision - {call.title}"[:200],
        author=funder.name,
        lang="fr-FR",
    )
    doc.build(story)
    return buffer.getvalue()
