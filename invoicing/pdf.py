"""PDF documents (ReportLab, A4): the invoice, the credit note, the « état contradictoire » that
the issuer and the funder sign at the end of validity, and the State co-financing report.

The documents are drawn from the stored figures of the invoice and credit note (never
recomputed), so a document downloaded twice is the same. Wording on tax stays neutral: amounts
are « hors taxes » (the research notes state the upstream fee is « HT », and nothing about the
VAT status of the pass value).
"""

from __future__ import annotations

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from core.pdf import BODY, BOLD, HEADING, SMALL, TITLE, build, count, grid, para, safe
from ledger.templatetags.ledger_money import format_euros

from .models import CreditNote, Invoice
from .queries import CofinancingReport, Statement


def _money(cents: int) -> str:
    return format_euros(cents)


def _party(title: str, name: str, siret: str, address: str) -> list:
    lines = [f"<b>{safe(title)}</b>", safe(name)]
    if address:
        lines.append(safe(address))
    lines.append(safe(f"SIRET : {siret}" if siret else "SIRET : non renseigné"))
    return [Paragraph("<br/>".join(lines), BODY)]


def _parties_table(doc) -> Table:
    table = Table(
        [
            [
                _party("Émetteur", doc.issuer_name, doc.issuer_siret, doc.issuer_address),
                _party("Destinataire", doc.funder_name, doc.funder_siret, doc.funder_address),
            ]
        ],
        colWidths=[88 * mm, 88 * mm],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


# --- Invoice -----------------------------------------------------------------------------------


def render_invoice(invoice: Invoice) -> bytes:
    story: list = [
        para(f"Facture n° {invoice.number}", TITLE),
        para(f"Date d'émission : {invoice.issued_on:%d/%m/%Y}"),
        Spacer(1, 4 * mm),
        _parties_table(invoice),
        Spacer(1, 4 * mm),
        para(f"Programme : {invoice.programme_name}"),
        para(f"Commande : {invoice.order_reference}"),
        para(
            "Référence de paiement (n° de mandat) : "
            + (invoice.payment_reference or "à communiquer par le commanditaire")
        ),
        para("Détail", HEADING),
    ]
    rows: list[list] = [["Désignation", "Quantité", "Prix unitaire HT", "Montant HT"]]
    if invoice.includes_face_value:
        rows.append(
            [
                para(
                    f"Valeur faciale des pass numériques de la commande {invoice.order_reference}"
                ),
                count(invoice.pass_count),
                _money(invoice.face_value_cents),
                _money(invoice.face_value_total_cents),
            ]
        )
    percent = f"{invoice.fee_basis_points / 100:.2f}".replace(".", ",").rstrip("0").rstrip(",")
    rows.append(
        [
            para(
                f"Frais contributifs amont : {percent} % de la valeur commandée "
                f"({_money(invoice.fee_base_cents)}), arrondis au centime le plus proche"
            ),
            "1",
            _money(invoice.fee_cents),
            _money(invoice.fee_cents),
        ]
    )
    rows.append(["", "", "Total HT", _money(invoice.total_cents)])
    table = grid(rows, [86 * mm, 22 * mm, 34 * mm, 34 * mm])
    table.setStyle(TableStyle([("FONT", (2, -1), (-1, -1), "Helvetica-Bold", 9.5)]))
    story += [table, Spacer(1, 5 * mm)]
    story.append(para("Montants exprimés hors taxes (HT)."))
    if not invoice.includes_face_value:
        story.append(
            para(
                "La valeur des pass n'est pas facturée : le commanditaire paie lui-même les "
                "opérateurs, par son comptable public."
            )
        )
    else:
        story.append(
            para(
                "Les pass non utilisés à la fin de leur validité (tolérance comprise) donnent "
                "lieu à un avoir sur la base de leur seule valeur faciale, après un état "
                "contradictoire signé par les deux parties."
            )
        )
    story.append(
        para(
            f"À rappeler lors du paiement : facture {invoice.number}, commande "
            f"{invoice.order_reference}."
        )  # fmt: skip
    )
    return build(story, title=f"Facture {invoice.number}", author=invoice.issuer_name)


# --- Credit note -------------------------------------------------------------------------------


def render_credit_note(note: CreditNote) -> bytes:
    story: list = [
        para(f"Avoir n° {note.number}", TITLE),
        para(f"Date d'émission : {note.issued_on:%d/%m/%Y}"),
        para(
            f"Se rapporte à la facture n° {note.invoice.number} du "
            f"{note.invoice.issued_on:%d/%m/%Y}"
        ),  # fmt: skip
        Spacer(1, 4 * mm),
        _parties_table(note),
        Spacer(1, 4 * mm),
        para(f"Programme : {note.programme_name}"),
        para(f"Commande : {note.order_reference}"),
        para(f"Fin de validité, tolérance comprise : {note.redeemable_until:%d/%m/%Y}"),
        para("Détail", HEADING),
    ]
    rows = [
        ["Désignation", "Quantité", "Prix unitaire HT", "Montant HT"],
        [
            para("Pass expirés sans avoir été utilisés"),
            count(note.expired_count),
            _money(note.face_value_cents),
            _money(note.expired_count * note.face_value_cents),
        ],
        [
            para("Pass annulés (perdus, volés, détruits ou bloqués), jamais utilisés"),
            count(note.cancelled_count),
            _money(note.face_value_cents),
            _money(note.cancelled_count * note.face_value_cents),
        ],
        ["", "", "Total de l'avoir HT", _money(note.amount_cents)],
    ]
    table = grid(rows, [86 * mm, 22 * mm, 34 * mm, 34 * mm])
    table.setStyle(TableStyle([("FONT", (2, -1), (-1, -1), "Helvetica-Bold", 9.5)]))
    story += [
        table,
        Spacer(1, 5 * mm),
        para(
            "Avoir établi sur la base de la seule valeur faciale des pass non utilisés ; les "
            "frais contributifs amont ne sont pas crédités. Montants hors taxes (HT). Les "
            "chiffres sont ceux de l'état contradictoire de la commande."
        ),
    ]
    return build(story, title=f"Avoir {note.number}", author=note.issuer_name)


# --- État contradictoire -----------------------------------------------------------------------


def _signature_block(title: str, name: str) -> list:
    return [
        Paragraph(f"<b>{safe(title)}</b><br/>{safe(name)}", BODY),
        Spacer(1, 3 * mm),
        para("Nom et qualité du signataire :", SMALL),
        Spacer(1, 7 * mm),
        para("Date :", SMALL),
        Spacer(1, 7 * mm),
        para("Signature :", SMALL),
        Spacer(1, 22 * mm),
    ]


def render_contradictory_statement(statement: Statement) -> bytes:
    """The figures of the order at the end of validity, for both parties to sign. With a
    credit note, its stored figures and number; before, the figures as they are now."""
    order, note, invoice = statement.order, statement.credit_note, statement.invoice
    now = timezone.localtime()
    face = order.face_value_cents
    if note is not None:
        used, reimbursed, reimbursed_cents = (
            note.used_count,
            note.reimbursed_count,
            (note.reimbursed_cents),
        )
        expired, cancelled, credited = note.expired_count, note.cancelled_count, note.credited_count
    else:
        f = statement.figures
        used, reimbursed, reimbursed_cents = f["used"], f["reimbursed"], statement.reimbursed_cents
        expired, cancelled = f["expired"], f["cancelled"]
        credited = expired + cancelled
    issuer = order.issuer.name if order.issuer_id else "—"
    story: list = [
        para("État contradictoire de fin de validité", TITLE),
        para(f"Commande {order.reference} — {order.programme.name}", BOLD),
        para(
            f"Entre {issuer} (émetteur) et {order.funder.name} (commanditaire). Pass valables "
            f"jusqu'au {order.valid_until:%d/%m/%Y}, acceptés jusqu'au "
            f"{order.redeemable_until:%d/%m/%Y} (tolérance de {order.tolerance_days} jours)."
        ),
        para(
            f"Chiffres arrêtés par l'avoir n° {note.number} du {note.issued_on:%d/%m/%Y}."
            if note
            else f"Chiffres du registre au {now:%d/%m/%Y à %H:%M} (avant l'émission de l'avoir)."
        ),
        para("Chiffres de la commande", HEADING),
    ]
    rows = [
        ["", "Pass", "Valeur faciale"],
        ["Pass commandés", count(order.pass_count), _money(order.face_value_total_cents)],
        ["Pass utilisés (encaissés par les opérateurs)", count(used), _money(used * face)],
        ["   dont remboursés aux opérateurs", count(reimbursed), _money(reimbursed_cents)],
        ["Pass expirés, jamais utilisés", count(expired), _money(expired * face)],
        ["Pass annulés, jamais utilisés", count(cancelled), _money(cancelled * face)],
        ["Pass non utilisés, à créditer", count(credited), _money(credited * face)],
    ]
    story.append(grid(rows, [100 * mm, 30 * mm, 46 * mm]))
    story.append(Spacer(1, 3 * mm))
    story.append(
        para(
            f"Contrôle : {count(used)} utilisés + {count(credited)} non utilisés = "
            f"{count(used + credited)} pass pour {count(order.pass_count)} commandés."
        )
    )
    if invoice is not None:
        story.append(para("Facture et avoir", HEADING))
        money_rows = [
            ["", "Montant HT"],
            [
                f"Facture n° {invoice.number} du {invoice.issued_on:%d/%m/%Y}",
                _money(invoice.total_cents),
            ],  # fmt: skip
            [
                f"Avoir n° {note.number}" if note else "Avoir à établir (pass non utilisés)",
                _money(credited * face if invoice.includes_face_value else 0),
            ],
            [
                "Reste dû par le commanditaire",
                _money(
                    invoice.total_cents - (credited * face if invoice.includes_face_value else 0)
                ),
            ],
        ]
        story.append(grid(money_rows, [130 * mm, 46 * mm]))
    story += [
        Spacer(1, 6 * mm),
        para(
            "Les deux parties reconnaissent l'exactitude des chiffres ci-dessus, tirés du "
            "registre des pass de la plateforme."
        ),
        Spacer(1, 5 * mm),
    ]
    signatures = Table(
        [
            [
                _signature_block("Pour l'émetteur", issuer),
                _signature_block("Pour le commanditaire", order.funder.name),
            ]
        ],
        colWidths=[88 * mm, 88 * mm],
    )
    signatures.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (0, 0), 0.5, colors.black),
                ("BOX", (1, 0), (1, 0), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(signatures)
    return build(story, title=f"État contradictoire {order.reference}", author=order.funder.name)


# --- Co-financing report -----------------------------------------------------------------------


def render_cofinancing(report: CofinancingReport) -> bytes:
    programme = report.programme
    total = report.total
    story: list = [
        para("Cofinancement de l'État — pass numériques utilisés", TITLE),
        para(f"{programme.name} — {programme.funder.name}", BOLD),
        para(f"Période : pass utilisés {report.period_label}."),
        para(
            f"Règle PIC du programme : {programme.get_pic_rule_display()}. Objectif : "
            f"{programme.pic_target_percent} % des pass à des publics PIC. Part atteinte : "
            f"{str(total.pic_share).replace('.', ',')} % — objectif "
            f"{'atteint' if report.target_met else 'non atteint'}."
        ),
        para(
            "Montant éligible : 50 % de la valeur des pass utilisés, arrondi au centime "
            "supérieur à partir du demi-centime ; « non renseigné » : pass utilisés sans "
            "bénéficiaire enregistré ou dont le niveau de diplôme n'est pas communiqué.",
            SMALL,
        ),
        Spacer(1, 4 * mm),
    ]
    header = [
        "Territoire",
        "Utilisés",
        "Valeur",
        "PIC",
        "Hors PIC",
        "Non rens.",
        "Part PIC",
        "QPV",
        "Éligible (50 %)",
    ]

    def line(row, bold=False) -> list:
        return [
            Paragraph(safe(row.label), BOLD if bold else SMALL),
            count(row.used),
            _money(row.value_cents),
            count(row.pic),
            count(row.not_pic),
            count(row.unknown),
            f"{str(row.pic_share).replace('.', ',')} %",
            count(row.qpv),
            _money(row.eligible_cents),
        ]

    rows = [header] + [line(r) for r in report.rows] + [line(total, bold=True)]
    widths = [70 * mm, 20 * mm, 30 * mm, 18 * mm, 20 * mm, 20 * mm, 20 * mm, 18 * mm, 33 * mm]
    story.append(grid(rows, widths))
    if not report.rows:
        story.append(para("Aucun pass utilisé sur cette période."))
    return build(
        story,
        title=f"Cofinancement {programme.name}",
        author=programme.funder.name,
        pagesize=landscape(A4),
    )
