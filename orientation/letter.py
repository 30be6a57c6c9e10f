"""The orientation letter: one A4 page in large type (body 14 pt) handed to the person."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer

from beneficiaries.models import Beneficiary
from directory import queries as directory_queries
from operators.models import Place, Service
from operators.opening_hours import OpeningHoursError, describe
from organisations.models import Organisation

BODY_SIZE = 14
TITLE_SIZE = 22
HEADING_SIZE = 17
MARGIN = 14 * mm
MIN_PLACES = 3


@dataclass
class LetterContent:
    beneficiary: Beneficiary
    prescriber: Organisation
    unused_passes: int
    valid_until: date | None
    places: list[Place]
    needs: list[str] = field(default_factory=list)


def hours_text(place: Place) -> str:
    if not place.opening_hours:
        return "Horaires : renseignez-vous par téléphone."
    try:
        lines = describe(place.opening_hours)
    except OpeningHoursError:
        return f"Horaires : {place.opening_hours}"
    return "Horaires : " + " ; ".join(lines) + "."


def access_text(place: Place) -> str:
    modalities = directory_queries.readable_list(place.access_modalities)
    text = ", ".join(modalities) if modalities else "Présentez-vous aux horaires d'ouverture"
    if place.appointment_url:
        text += f" (rendez-vous : {place.appointment_url})"
    return f"Comment y aller : {text}, avec vos pass et cette lettre."


def _pdf_safe(text: str) -> str:
    """Standard PDF fonts lack some Unicode spaces and dashes: use their plain forms."""
    return escape(text.replace("\u202f", " ").replace("\u2011", "-").replace("\u2013", "-"))


def _height(story: list, width: float) -> float:
    total = 0.0
    for flowable in story:
        _, height = flowable.wrap(width, 10_000)
        total += height + flowable.getSpaceBefore() + flowable.getSpaceAfter()
    return total


def render_letter(content: LetterContent) -> bytes:
    """One A4 page: when five places do not fit in large type, fewer are listed (three at
    least); only then would the page be shrunk."""
    width = A4[0] - 2 * MARGIN
    height = A4[1] - 2 * MARGIN
    places = list(content.places)
    story = _story(content, places)
    while len(places) > MIN_PLACES and _height(story, width) > height:
        places = places[:-1]
        story = _story(content, places)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title="Lettre d'orientation - pass numérique",
        author=content.prescriber.name,
        lang="fr-FR",
    )
    # One page whatever the length: shrink (last resort) rather than overflow.
    doc.build([KeepInFrame(width, height, story, mode="shrink")])
    return buffer.getvalue()


def _story(content: LetterContent, places: list[Place]) -> list:
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=BODY_SIZE, leading=17)
    small_gap = ParagraphStyle("place", parent=body, leftIndent=6 * mm, spaceAfter=4)
    title = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=TITLE_SIZE, leading=26)
    heading = ParagraphStyle(
        "heading", fontName="Helvetica-Bold", fontSize=HEADING_SIZE, leading=21, spaceBefore=8
    )
    place_name = ParagraphStyle("place_name", parent=body, fontName="Helvetica-Bold")
    story: list = [
        Paragraph("Votre pass numérique", title),
        Paragraph(_pdf_safe(f"Votre numéro : {content.beneficiary.reference}"), body),
        Spacer(1, 4 * mm),
        Paragraph("Comment utiliser vos pass", heading),
    ]
    count = content.unused_passes
    passes = f"{count} pass" if count else "vos pass"
    until = f" jusqu'au {content.valid_until:%d/%m/%Y} inclus" if content.valid_until else ""
    story.append(
        Paragraph(
            _pdf_safe(
                f"Vous avez {passes}. Chaque pass vaut un accompagnement au numérique dans "
                f"un lieu partenaire{until}. Apportez vos pass : le lieu les scanne, puis "
                "vous aide. Gardez-les dans un endroit sûr ; ils ne sont pas remboursés."
            ),
            body,
        )
    )
    story.append(Paragraph("Des lieux près de chez vous", heading))
    if content.needs:
        labels = dict(Service.Theme.choices)
        wanted = ", ".join(str(labels.get(n, n)).lower() for n in content.needs)
        story.append(Paragraph(_pdf_safe(f"Pour vous aider : {wanted}."), body))
    if places:
        for place in places:
            story.append(Paragraph(_pdf_safe(place.name), place_name))
            lines = [
                f"{place.address}"
                + (f", {place.address_complement}" if place.address_complement else "")
                + f", {place.postal_code} {place.commune.name}",
                hours_text(place),
            ]
            if place.phone:
                lines.append(f"Téléphone : {place.phone}")
            lines.append(access_text(place))
            story.append(Paragraph("<br/>".join(_pdf_safe(line) for line in lines), small_gap))
    else:
        story.append(
            Paragraph(
                "Votre conseiller vous indique les lieux partenaires. La liste est aussi en "
                "ligne, rubrique « Où utiliser un pass numérique ? ».",
                body,
            )
        )
    story.append(Paragraph("Votre contact", heading))
    org = content.prescriber
    contact = [org.name]
    if org.address:
        contact.append(org.address + (f", {org.commune.name}" if org.commune_id else ""))
    if org.phone:
        contact.append(f"Téléphone : {org.phone}")
    if org.email:
        contact.append(f"E-mail : {org.email}")
    story.append(Paragraph("<br/>".join(_pdf_safe(line) for line in contact), body))

    return story
