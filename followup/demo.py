"""Demo of the territories' follow-up for « Pass numérique Grand Paris 2021 »: référents for the
16 pilot territories, the hub's trainings of prescribers and operators with their attendance,
follow-up committees with minutes, Aubervilliers' submitted retour d'expérience and Saint-Denis'
draft, and one experience-sharing meeting of the Métropole. Idempotent: what exists is kept."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import User
from core.demo import EMAIL_DOMAIN
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme, Territory

from . import queries, services
from .models import ExperienceFeedback, FollowupCommittee, SharingMeeting, TrainingSession

PARIS = ZoneInfo("Europe/Paris")
Kind = Organisation.Kind


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


TRAININGS = [
    {
        "title": "Prescrire le pass numérique : diagnostic, prescription, orientation et suivi",
        "audience": "PRESCRIBERS",
        "starts_at": _at(2021, 11, 18, 14, 0),
        "duration_minutes": 180,
        "is_remote": False,
        "place": "Maison des associations, 7 rue du Docteur Pesqué, Aubervilliers",
        "trainer": "Hugo Francilin (Hub Francil'IN)",
        "description": (
            "Les enjeux du pass numérique ; repérer et diagnostiquer les publics éloignés du "
            "numérique ; remettre les pass et orienter vers un lieu qualifié ; suivre les "
            "personnes ; prise en main des outils de la plateforme."
        ),
        "departments": ["93"],
    },
    {
        "title": "Prescrire le pass numérique (Hauts-de-Seine et Paris)",
        "audience": "PRESCRIBERS",
        "starts_at": _at(2021, 11, 25, 9, 30),
        "duration_minutes": 150,
        "is_remote": True,
        "place": "",
        "trainer": "Hugo Francilin (Hub Francil'IN)",
        "description": "La même session, à distance, pour les prescripteurs des Hauts-de-Seine "
        "et des arrondissements de Paris.",
        "departments": ["92", "75"],
    },
    {
        "title": "Opérateurs : qualifier son lieu et référencer ses offres",
        "audience": "OPERATORS",
        "starts_at": _at(2021, 12, 2, 14, 0),
        "duration_minutes": 120,
        "is_remote": False,
        "place": "Métropole du Grand Paris, 15-19 avenue Pierre Mendès-France, Paris 13e",
        "trainer": "Nadia Médiation (Hub Francil'IN)",
        "description": "Qualification du lieu, référencement des services d'accompagnement "
        "numérique, encaissement des pass et contre-paiement.",
        "departments": ["75", "92", "93", "94"],
    },
    {
        "title": "Opérateurs : outils créés et ressources pédagogiques",
        "audience": "OPERATORS",
        "starts_at": _at(2022, 1, 13, 10, 0),
        "duration_minutes": 90,
        "is_remote": True,
        "place": "",
        "trainer": "Nadia Médiation (Hub Francil'IN)",
        "description": "Les outils créés pour le dispositif et les ressources pédagogiques mises "
        "à disposition des médiateurs.",
        "departments": ["94", "93"],
    },
]

COMMITTEE_TERRITORIES = ["93001", "93066", "75113"]
COMMITTEES = [
    {
        "held_at": _at(2021, 12, 7, 10, 0),
        "agenda": "Lancement du déploiement : stratégie locale, prescripteurs identifiés, "
        "premières remises de carnets.",
        "minutes": (
            "<h3>Relevé de décisions</h3><ul><li>Les carnets sont confiés au CCAS et au centre "
            "social d'ici la fin du mois.</li><li>Le hub forme les nouveaux prescripteurs en "
            "janvier.</li><li>La commune relaie l'information dans son magazine.</li></ul>"
        ),
    },
    {
        "held_at": _at(2022, 3, 22, 14, 30),
        "agenda": "Point d'étape : volumes distribués, part des publics PIC, difficultés "
        "rencontrées par les opérateurs.",
        "minutes": (
            "<p>La part des publics PIC progresse mais reste sous l'objectif de 50 %.</p>"
            "<ul><li>Orienter davantage via la mission locale.</li><li>Ouvrir un créneau le "
            "samedi chez un opérateur.</li></ul>"
        ),
    },
]

FEEDBACK_AUBERVILLIERS = {
    "booklets_distributed": 420,
    "passes_distributed": 3650,
    "people_reached": 610,
    "pic_people": 318,
    "qpv_people": 402,
    "publics_comment": "Surtout des demandeurs d'emploi et des jeunes suivis par la mission "
    "locale ; beaucoup d'habitants des quartiers prioritaires.",
    "prescribers_mobilised": 9,
    "operators_mobilised": 5,
    "actors_comment": "Le CCAS, deux centres sociaux et la mission locale ont porté l'essentiel "
    "des prescriptions.",
    "what_worked": "La formation des prescripteurs par le hub et les permanences communes "
    "prescripteur-opérateur au centre social.",
    "difficulties": "Peu de créneaux le samedi ; des carnets restés au fond des tiroirs dans "
    "deux structures avant la relance.",
    "suggestions": "Une formation de rappel à six mois et un suivi mensuel des volumes écoulés.",
    "would_continue": True,
}
FEEDBACK_SAINT_DENIS_DRAFT = {
    "booklets_distributed": 510,
    "passes_distributed": 2900,
    "what_worked": "Les permanences à la médiathèque.",
}


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first()


def _admin_of(org: Organisation) -> User | None:
    membership = Membership.active.filter(organisation=org, role=Role.ADMIN).order_by("pk").first()
    return membership.user if membership else None


@transaction.atomic
def load(programme: Programme) -> dict:
    hub, funder = programme.hub, programme.funder
    hub_user = _user(f"hub@{EMAIL_DOMAIN}") or (hub and _admin_of(hub))
    funder_user = _user(f"metropole@{EMAIL_DOMAIN}") or _admin_of(funder)
    territories = {
        t.commune_id: t
        for t in Territory.objects.filter(programme=programme, is_pilot=True).select_related(
            "commune", "municipality"
        )
    }
    if hub is None or hub_user is None or funder_user is None or not territories:
        return {
            "lines": ["Suivi des territoires : démonstration non chargée (hub ou comptes absents)."]
        }

    # Référents: the demo référente in Aubervilliers, the municipality's admin elsewhere.
    referente = _user(f"referente.aubervilliers@{EMAIL_DOMAIN}")
    for code, territory in territories.items():
        if territory.referents.exists():
            continue
        admin = referente if code == "93001" and referente else _admin_of(territory.municipality)
        if admin is not None:
            services.set_referents(
                territory, [admin], by=admin, organisation=territory.municipality
            )

    # Trainings by the hub, with attendance.
    for spec in TRAININGS:
        session = TrainingSession.objects.filter(programme=programme, title=spec["title"]).first()
        if session is not None:
            continue
        concerned = [
            t for code, t in sorted(territories.items()) if code[:2] in spec["departments"]
        ]
        data = {k: v for k, v in spec.items() if k != "departments"}
        session = services.save_training(
            None,
            programme=programme,
            territories=concerned,
            data=data,
            by=hub_user,
            organisation=hub,
        )
        kind = Kind.PRESCRIBER if spec["audience"] == "PRESCRIBERS" else Kind.OPERATOR
        invited = [o for o in queries.training_candidates(session) if o.kind == kind]
        registered = [o for i, o in enumerate(invited) if i % 5 != 4]
        attended = [o for i, o in enumerate(registered) if i % 4 != 3]
        services.set_training_attendance(
            session,
            registered=registered,
            attended=attended,
            registered_names=["Mme Awa Diallo (conseillère numérique)"],
            attended_names=["Mme Awa Diallo (conseillère numérique)", "M. Karim Benali"],
            by=hub_user,
            organisation=hub,
        )

    # Follow-up committees, organised by the hub, with minutes and attendance.
    for code in COMMITTEE_TERRITORIES:
        territory = territories.get(code)
        if territory is None or territory.followup_committees.exists():
            continue
        place = f"Hôtel de ville — {territory.municipality.name}"
        for spec in COMMITTEES:
            committee = services.save_committee(
                None,
                territory=territory,
                data={
                    "held_at": spec["held_at"],
                    "is_remote": False,
                    "place": place,
                    "agenda": spec["agenda"],
                },
                minutes=services.MinutesInput(text=spec["minutes"]),
                by=hub_user,
                organisation=hub,
            )
            present = [
                o
                for o in queries.committee_candidates(territory)
                if o.kind != Kind.OPERATOR or o.name.startswith("Association")
            ]
            services.set_committee_attendance(
                committee,
                present=present,
                names=["Adjoint(e) au maire chargé(e) du numérique"],
                by=hub_user,
                organisation=hub,
            )

    # Retours d'expérience: Aubervilliers submitted, Saint-Denis in draft.
    aubervilliers = territories.get("93001")
    if aubervilliers and not ExperienceFeedback.objects.filter(territory=aubervilliers).exists():
        author = referente or _admin_of(aubervilliers.municipality)
        feedback = services.save_feedback(
            aubervilliers,
            FEEDBACK_AUBERVILLIERS,
            by=author,
            organisation=aubervilliers.municipality,
        )
        services.submit_feedback(feedback, by=author, organisation=aubervilliers.municipality)
    saint_denis = territories.get("93066")
    if saint_denis and not ExperienceFeedback.objects.filter(territory=saint_denis).exists():
        services.save_feedback(
            saint_denis,
            FEEDBACK_SAINT_DENIS_DRAFT,
            by=_admin_of(saint_denis.municipality),
            organisation=saint_denis.municipality,
        )

    # The Métropole's experience-sharing meeting.
    topic = "Atteindre les publics PIC : premiers enseignements des territoires"
    if not SharingMeeting.objects.filter(programme=programme, topic=topic).exists():
        ordered = [t for _, t in sorted(territories.items())]
        meeting = services.save_meeting(
            None,
            programme=programme,
            data={
                "held_at": _at(2022, 2, 10, 14, 0),
                "is_remote": False,
                "place": "Métropole du Grand Paris, 15-19 avenue Pierre Mendès-France, Paris 13e",
                "topic": topic,
                "agenda": "Tour de table des territoires ; la part des publics PIC ; les "
                "carnets dormants ; les suites du dispositif.",
            },
            invited=ordered,
            minutes=services.MinutesInput(
                text="<p>Douze territoires présents. Les communes qui s'appuient sur la mission "
                "locale et France Travail dépassent l'objectif de 50 % de publics PIC.</p>"
                "<ul><li>Partager les fiches de prescription d'Aubervilliers.</li>"
                "<li>Relancer les structures dont les carnets dorment.</li></ul>"
            ),
            by=funder_user,
            organisation=funder,
        )
        services.set_meeting_presence(
            meeting,
            present=[t for i, t in enumerate(ordered) if i % 4 != 3],
            by=funder_user,
            organisation=funder,
        )

    with_referent = sum(1 for t in territories.values() if t.referents.exists())
    return {
        "lines": [
            f"Suivi des territoires : {with_referent} territoires avec référent, "
            f"{TrainingSession.objects.filter(programme=programme).count()} formations du hub, "
            f"{FollowupCommittee.objects.filter(territory__programme=programme).count()} comités "
            "de suivi, un retour d'expérience transmis (Aubervilliers) et un brouillon "
            "(Saint-Denis), une réunion de partage d'expérience."
        ]
    }
