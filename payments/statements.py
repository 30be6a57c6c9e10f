"""An operator's statement for one payment line: PDF (ReportLab) and table exports."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ledger.templatetags.ledger_money import format_euros

from .models import PaymentLine
from .queries import STATEMENT_HEADER, statement_items


def statement_filename(line: PaymentLine) -> str:
    return f"releve-{line.run.reference}-{line.operator_id}"


def statement_pdf(line: PaymentLine) -> bytes:
    run = line.run
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Relevé de contre-paiement {run.reference}",
        author="Passnum",
    )

    def p(text: str, style: str = "Normal") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    status = line.get_status_display()
    if line.status == "PAID" and run.paid_on:
        status = f"Payée le {run.paid_on:%d/%m/%Y}"
    story = [
        p("Relevé de contre-paiement", "Title"),
        p(
            f"Opérateur : {line.operator.name}"
            + (f" — SIRET {line.operator.siret}" if line.operator.siret else "")
        ),
        p(f"Programme : {run.programme.name}"),
        p(f"Payeur : {run.payer.name}"),
        p(
            f"Campagne : {run.reference} — période du {run.period_start:%d/%m/%Y} "
            f"au {run.period_end:%d/%m/%Y}"
        ),
        p(f"Référence du virement : {line.end_to_end_id}"),
        *(
            [p(f"Date d'exécution demandée à la banque : {run.execution_date:%d/%m/%Y}")]
            if run.execution_date
            else []
        ),
        p(f"Compte crédité : {line.bank_account.holder} — {line.bank_account.masked_iban}"),
        p(
            f"État : {status}"
            + (f" (motif : {line.rejection_reason})" if line.rejection_reason else "")
        ),
        Spacer(1, 4 * mm),
        p(
            f"Pass : {line.pass_count} — montant brut {format_euros(line.gross_cents)} — "
            f"frais aval ({run.fee_basis_points / 100:.2f} %) {format_euros(line.fee_cents)} — "
            f"montant net {format_euros(line.net_cents)}".replace(".", ","),
            "Heading3",
        ),
        Spacer(1, 3 * mm),
    ]
    data = [STATEMENT_HEADER]
    for item in statement_items(line).iterator(chunk_size=2000):
        redemption = item.redemption_line.redemption
        data.append(
            [
                item.pass_obj.serial,
                timezone.localtime(item.pass_obj.redeemed_at).strftime("%d/%m/%Y %H:%M"),
                Paragraph(escape(redemption.place.name), styles["BodyText"]),
                Paragraph(escape(redemption.service.title), styles["BodyText"]),
                format_euros(item.amount_cents),
            ]
        )
    data.append(["Total", "", "", "", format_euros(line.gross_cents)])
    table = Table(data, colWidths=[28 * mm, 32 * mm, 50 * mm, 50 * mm, 20 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 9),
                ("ALIGN", (4, 0), (4, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#f2f2f2")]),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
