from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from followup import services

PARIS = ZoneInfo("Europe/Paris")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def pdf(name="compte-rendu.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def training(w, *, territories=None, audience="PRESCRIBERS", title="Prescrire le pass numérique"):
    return services.save_training(
        None,
        programme=w.programme,
        territories=territories or [w.territory_a],
        data={
            "audience": audience,
            "title": title,
            "starts_at": paris(2021, 11, 18, 14, 0),
            "duration_minutes": 180,
            "is_remote": False,
            "place": "Maison des associations, Aubervilliers",
            "trainer": "Hugo Francilin",
            "description": "Diagnostic, prescription, orientation et suivi.",
        },
        by=w.hub_member,
        organisation=w.hub,
    )


def committee(w, territory=None, **minutes):
    return services.save_committee(
        None,
        territory=territory or w.territory_a,
        data={
            "held_at": paris(2021, 12, 7, 10, 0),
            "is_remote": False,
            "place": "Mairie d'Aubervilliers",
            "agenda": "Bilan des premiers mois ; volumes distribués.",
        },
        minutes=services.MinutesInput(**minutes),
        by=w.hub_member,
        organisation=w.hub,
    )


def meeting(w, invited=None):
    return services.save_meeting(
        None,
        programme=w.programme,
        data={
            "held_at": paris(2022, 3, 15, 9, 30),
            "is_remote": True,
            "place": "",
            "topic": "Atteindre les publics PIC",
            "agenda": "Retours des territoires.",
        },
        invited=invited or [w.territory_a, w.territory_b],
        by=w.funder_admin,
        organisation=w.funder,
    )
