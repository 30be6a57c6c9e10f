"""« Rapport d'évaluation du territoire »: one territory's steering figures and follow-up, as an
A4 PDF (ReportLab, house style of ``core/pdf.py``).

The figures come from the rollup only (``queries.build_dashboard`` restricted to the territory,
never the ledger), the follow-up from ``followup.queries.territory_followup``. Aggregates only:
no beneficiary appears; referents and attendees are professional contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.text import slugify
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer

from core.pdf import (
    BOLD,
    HEADING,
    SMALL,
    SUBHEADING,
    TITLE,
    build,
    header_table,
    html_paragraphs,
    para,
)
from followup.queries import territory_followup
from programmes.models import Territory

from . import queries
from .models import Metric
from .templatetags.steering_format import cell, pct

PARIS = ZoneInfo("Europe/Paris")
WIDTH = 178 * mm  # A4 minus the margins
NOT_GIVEN = "non renseigné"


@dataclass
class ReportData:
    """Everything the report shows, as plain data."""

    territory: Territory
    dashboard: queries.Dashboard
    followup: dict[str, Any]
    generated_at: datetime

    @property
    def line(self) -> queries.Line:
        return self.dashboard.lines[0]


def report_data(territory: Territory, now: datetime | None = None) -> ReportData:
    """The territory's line of the rollup and its follow-up."""
    dashboard = queries.build_dashboard([territory.programme], territories=[territory])
    return ReportData(
        territory=territory,
        dashboard=dashboard,
        followup=territory_followup(territory),
        generated_at=now or timezone.now(),
    )


def filename(territory: Territory) -> str:
    commune = slugify(territory.commune.name) or "territoire"
    return f"rapport-evaluation-{commune}-{territory.programme_id}.pdf"


# --- French formats -------------------------------------------------------------------------


def when(value: datetime | date | None) -> str:
    """JJ/MM/AAAA HH:MM in Europe/Paris for a datetime, JJ/MM/AAAA for a date."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return timezone.localtime(value, PARIS).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def days(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{cell(float(value))} jour{'s' if value >= 2 else ''}"


def share(part: int | None, total: int | None) -> str:
    return pct(queries.percent(part, total)) if part is not None and total else "—"


def declared(value) -> str:
    if value is None:
        return NOT_GIVEN
    if isinstance(value, bool):
        return "oui" if value else "non"
    return cell(value)


# --- Sections -----------------------------------------------------------------------------


def _identity(data: ReportData) -> list:
    t, info = data.territory, data.followup["territory"]
    refreshed = data.dashboard.refreshed_at
    story = [
        para("Rapport d'évaluation du territoire", TITLE),
        para(f"{info['commune']} — {info['programme']}", BOLD),
        para(
            f"Collectivité : {info['municipality']} · Commune : {info['commune']} (code INSEE "
            f"{info['insee_code']}) · Commanditaire : {t.programme.funder.name} · Entrée dans le "
            f"programme le {when(info['joined_on'])}"
            + (" · Territoire d'expérimentation initial" if info["is_pilot"] else "")
            + f" · Carnets alloués : {cell(info['booklets_allocated'])}."
        ),
        Spacer(1, 2 * mm),
    ]
    if refreshed is None:
        story.append(
            para(
                "Chiffres non encore calculés : les indicateurs du programme n'ont jamais été "
                "calculés, les tableaux ci-dessous sont vides. Le commanditaire les calcule "
                "avec « Mettre à jour les chiffres » sur son tableau de bord.",
                BOLD,
            )
        )
    else:
        story.append(para(f"Chiffres au {when(refreshed)} (heure de Paris).", BOLD))
    story.append(
        para(
            "Ce rapport réunit le suivi des volumes de pass écoulés dans le territoire et les "
            "éléments de l'évaluation du dispositif (référents, formations, comités de suivi, "
            "retour d'expérience, partage d'expérience). Chiffres agrégés : aucune donnée "
            "personnelle de bénéficiaire n'y figure.",
            SMALL,
        )
    )
    return story


def _figures(data: ReportData) -> list:
    line, programme = data.line, data.territory.programme
    reimbursed = (
        cell(line.reimbursed)
        if data.dashboard.reimbursed_available
        else "à venir (contre-paiements)"
    )
    target = line.pic_target
    if line.pic_share is None:
        verdict = "aucun pass remis"
    elif line.below_pic_target:
        verdict = f"sous l'objectif de {target} %"
    else:
        verdict = f"objectif de {target} % atteint"
    rows = [
        ["Pass alloués au territoire (net)", cell(line.allocated)],
        ["Pass remis aux bénéficiaires", cell(line.distributed)],
        ["Pass utilisés", cell(line.redeemed)],
        ["Pass remboursés aux opérateurs", reimbursed],
        ["Taux d'utilisation (utilisés / remis)", pct(line.use_rate)],
        [
            "Part des pass remis à des publics PIC",
            f"{pct(line.pic_share)} — {verdict} "
            f"(règle : {programme.get_pic_rule_display().lower()})",
        ],
        ["Part des pass remis à des habitants de QPV", pct(line.qpv_share)],
        ["Part utilisée chez un opérateur associatif privé", pct(line.assoc_share)],
        ["Délai médian entre remise et utilisation", days(line.median_delay)],
    ]
    story = [
        para("Chiffres clés du territoire", HEADING),
        header_table(["Indicateur", "Valeur"], rows, [88 * mm, 90 * mm]),
    ]
    if line.below_pic_target:
        story.append(Spacer(1, 2 * mm))
        story.append(
            para(
                f"Alerte : la part PIC ({pct(line.pic_share)}) est sous l'objectif de "
                f"{target} % fixé par le programme.",
                BOLD,
            )
        )
    story.append(
        para(
            "Parts PIC et QPV : sur les pass remis. Part associative : sur les pass utilisés. "
            "Délai médian : jours entre la remise et l'utilisation (dates de Paris).",
            SMALL,
        )
    )
    return story


def _months(data: ReportData) -> list:
    story = [para("Par mois", HEADING)]
    if not data.dashboard.months:
        return story + [para("Aucun mouvement de pass enregistré pour ce territoire.")]
    paid = data.dashboard.reimbursed_available
    rows = [
        [
            m.label,
            cell(m.allocated),
            cell(m.distributed),
            cell(m.redeemed),
            cell(m.reimbursed) if paid else "à venir",
        ]
        for _, m in data.dashboard.months
    ]
    header = ["Mois", "Alloués (net)", "Remis", "Utilisés", "Remboursés"]
    return story + [header_table(header, rows, [38 * mm, 35 * mm, 35 * mm, 35 * mm, 35 * mm])]


def _stock(data: ReportData) -> list:
    d = data.dashboard
    story = [
        para("Stock des détenteurs du territoire", HEADING),
        para(
            f"Un carnet est dormant quand il n'a connu aucun mouvement depuis "
            f"{cell(d.dormant_days)} jours (état au calcul des chiffres).",
            SMALL,
        ),
    ]
    if not d.stock:
        return story + [para("Aucun pass en stock chez les détenteurs du territoire.")]
    rows = [
        [
            row.holder.name,
            row.holder.get_kind_display(),
            cell(row.in_stock),
            cell(row.booklets),
            cell(row.dormant_passes),
            cell(row.dormant_booklets),
            cell(row.age_days),
            cell(row.idle_days),
        ]
        for row in d.stock
    ]
    header = [
        "Détenteur",
        "Type",
        "Pass en stock",
        "Carnets",
        "Pass dormants",
        "Carnets dormants",
        "Détenu depuis (jours)",
        "Sans mouvement depuis (jours)",
    ]
    widths = [40 * mm, 26 * mm, 17 * mm, 16 * mm, 18 * mm, 18 * mm, 19 * mm, 24 * mm]
    return story + [header_table(header, rows, widths)]


def _countdown(data: ReportData) -> list:
    story = [para("Fin de validité des commandes en cours", HEADING)]
    items = data.dashboard.countdown
    if not items:
        return story + [para("Aucune commande en cours pour ce territoire.")]
    rows = []
    for item in items:
        left = (
            f"{cell(item.days_left)}"
            if item.days_left >= 0
            else f"dépassée de {cell(item.days_over)}"
        )
        rows.append(
            [
                item.order.reference,
                when(item.order.valid_until),
                left,
                when(item.stops_on),
                cell(item.in_stock),
                cell(item.distributed_open),
            ]
        )
    header = [
        "Commande",
        "Fin de validité",
        "Jours restants",
        "Arrêt des remises",
        "Pass en stock (territoire)",
        "Pass remis non utilisés",
    ]
    widths = [36 * mm, 26 * mm, 26 * mm, 28 * mm, 30 * mm, 32 * mm]
    return story + [header_table(header, rows, widths)]


def _referents(data: ReportData) -> list:
    story = [para("Référents du territoire", HEADING)]
    referents = data.followup["referents"]
    if not referents:
        return story + [para("Aucun référent désigné.")]
    for r in referents:
        contact = " · ".join(x for x in (r["name"], r["email"], r["phone"]) if x)
        story.append(para(f"- {contact}"))
    return story


def _trainings(data: ReportData) -> list:
    story = [para("Formations", HEADING)]
    trainings = data.followup["trainings"]
    if not trainings:
        return story + [para("Aucune formation enregistrée pour ce territoire.")]
    rows = []
    for t in trainings:
        rate = "—" if t["attendance_rate"] is None else f"{t['attendance_rate']}\u00a0%"
        where = t["where"] or "lieu non précisé"
        detail = f"{t['title']} ({t['audience_label'].lower()}) — {where}"
        if t["trainer"]:
            detail += f" — formateur : {t['trainer']}"
        rows.append(
            [
                when(t["starts_at"]),
                detail,
                cell(t["registered"]),
                f"{cell(t['attended'])} / {cell(t['attendees'])}",
                rate,
                cell(t["local_attended"]),
            ]
        )
    header = [
        "Date",
        "Session",
        "Inscrits",
        "Présents / participants",
        "Taux de présence",
        "Présents du territoire",
    ]
    widths = [27 * mm, 69 * mm, 16 * mm, 22 * mm, 22 * mm, 22 * mm]
    return story + [
        header_table(header, rows, widths),
        para(
            "Taux de présence : présents sur l'ensemble des participants (inscrits ou venus "
            "sans inscription). Présents du territoire : structures de la commune.",
            SMALL,
        ),
    ]


def _committees(data: ReportData) -> list:
    story = [para("Comités de suivi", HEADING)]
    committees = data.followup["committees"]
    if not committees:
        return story + [para("Aucun comité de suivi enregistré.")]
    for c in committees:
        block = [
            para(
                f"Comité du {when(c['held_at'])} — {c['where'] or 'lieu non précisé'}",
                SUBHEADING,
            ),
            para(f"Ordre du jour : {c['agenda'] or NOT_GIVEN}"),
            para(
                f"Présents ({cell(c['attended'])}) : "
                + (", ".join(c["attendees"]) if c["attendees"] else "présence non enregistrée")
            ),
        ]
        minutes = html_paragraphs(c["minutes_html"])
        if minutes:
            block.append(para("Compte rendu :", BOLD))
            block += [para(text) for text in minutes]
        elif not c["has_minutes_pdf"]:
            block.append(para("Compte rendu non encore enregistré."))
        if c["has_minutes_pdf"]:
            block.append(para("Compte rendu en PDF joint sur la plateforme.", SMALL))
        story.append(KeepTogether(block[:3]))
        story += block[3:]
    return story


def _feedback(data: ReportData) -> list:
    story = [para("Retour d'expérience", HEADING)]
    fb = data.followup["feedback"]
    if fb is None:
        return story + [para("Retour d'expérience non encore transmis.")]
    line = data.line
    pic_passes = line.counts[Metric.DISTRIBUTED_PIC]
    qpv_passes = line.counts[Metric.DISTRIBUTED_QPV]
    people = fb["people_reached"]

    def people_of(n):
        if n is None:
            return NOT_GIVEN
        return f"{cell(n)} personnes ({share(n, people)} des personnes accompagnées)"

    def passes_of(n):
        return f"{cell(n)} pass remis ({share(n, line.distributed)} des pass remis)"

    rows = [
        ["Carnets distribués", declared(fb["booklets_distributed"]), "non mesuré"],
        [
            "Pass remis aux bénéficiaires",
            declared(fb["passes_distributed"]),
            cell(line.distributed),
        ],
        ["Personnes accompagnées", declared(people), "non mesuré (la plateforme compte des pass)"],
        ["Publics PIC", people_of(fb["pic_people"]), passes_of(pic_passes)],
        ["Habitants de QPV", people_of(fb["qpv_people"]), passes_of(qpv_passes)],
        ["Prescripteurs mobilisés", declared(fb["prescribers_mobilised"]), "non mesuré"],
        ["Opérateurs mobilisés", declared(fb["operators_mobilised"]), "non mesuré"],
    ]
    story += [
        para(f"Transmis le {when(fb['submitted_at'])} par {fb['submitted_by']}."),
        Spacer(1, 2 * mm),
        header_table(
            ["", "Déclaré par la collectivité", "Mesuré par la plateforme"],
            rows,
            [50 * mm, 64 * mm, 64 * mm],
        ),
        para(
            "Mesuré : chiffres de la plateforme à la date indiquée en tête du rapport ; le "
            "retour d'expérience compte des personnes, la plateforme des pass.",
            SMALL,
        ),
    ]
    for label, key in (
        ("Publics atteints : commentaire", "publics_comment"),
        ("Réseau d'acteurs : commentaire", "actors_comment"),
        ("Ce qui a fonctionné", "what_worked"),
        ("Difficultés rencontrées", "difficulties"),
        ("Suggestions", "suggestions"),
    ):
        story.append(para(label, SUBHEADING))
        text = (fb[key] or "").strip()
        paragraphs = [p for p in text.splitlines() if p.strip()] or [NOT_GIVEN]
        story += [para(p) for p in paragraphs]
    story.append(para("Souhaite poursuivre le dispositif", SUBHEADING))
    story.append(para(declared(fb["would_continue"])))
    return story


def _meetings(data: ReportData) -> list:
    story = [para("Réunions de partage d'expérience", HEADING)]
    meetings = data.followup["sharing_meetings"]
    if not meetings:
        return story + [para("Aucune réunion de partage d'expérience.")]
    rows = [
        [
            when(m["held_at"]),
            m["topic"],
            m["where"] or "lieu non précisé",
            "présent" if m["present"] else "absent",
        ]
        for m in meetings
    ]
    header = ["Date", "Thème", "Lieu", "Territoire"]
    return story + [header_table(header, rows, [28 * mm, 72 * mm, 58 * mm, 20 * mm])]


# --- Document ---------------------------------------------------------------------------------


def render(data: ReportData) -> bytes:
    commune = data.followup["territory"]["commune"]
    story = _identity(data)
    for section in (_figures, _months, _stock, _countdown):
        story += section(data)
    story.append(CondPageBreak(90 * mm))
    story.append(para("Suivi du territoire", TITLE))
    for section in (_referents, _trainings, _committees, _feedback, _meetings):
        story += section(data)
    footer = f"Rapport d'évaluation — {commune} — généré le {when(data.generated_at)}"
    return build(
        story,
        title=f"Rapport d'évaluation du territoire — {commune}",
        author=data.territory.programme.funder.name,
        footer=footer,
    )


def territory_report(territory: Territory, now: datetime | None = None) -> bytes:
    return render(report_data(territory, now))
