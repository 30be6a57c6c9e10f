"""Demo of the territories' follow-up for « Pass numérique Grand Paris 2021 »: référents for the
16 pilot territories, the hub's trainings of prescribers and operators with their attendance,
follow-up committees with minutes, Aubervilliers' submitted retour d'expérience and Saint-Denis'
draft, and one experience-sharing meeting of the Métropole. Idempotent: what exists is kept.

Dated on the ledger demo's timeline (``core.demo_ledger``: the order is created on day 0, about
eight months ago, the first booklets reach the territories from day 16, the first passes are
handed out from day 35): the trainings just before the first hand-outs, a launch committee in the
first month and a mid-term one four months later, the sharing meeting in between, the retour
d'expérience a few days ago with figures close to what the platform measures (counted by hand).
Each step runs under the demo clock (``core.demo_clock``) so its records are dated then."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from beneficiaries.models import Beneficiary, QpvAnswer
from core import demo_clock
from core.demo import EMAIL_DOMAIN
from core.demo_ledger import HISTORY_DAYS
from ledger.models import Booklet, Order, Pass
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme, Territory
from steering.services import pic_q

from . import queries, services
from .models import ExperienceFeedback, FollowupCommittee, SharingMeeting, TrainingSession

PARIS = ZoneInfo("Europe/Paris")
Kind = Organisation.Kind

# Days after the order (day 0 of the ledger demo); a weekend day moves to the Monday after.
TRAININGS = [
    {
        "title": "Prescrire le pass numérique : diagnostic, prescription, orientation et suivi",
        "audience": "PRESCRIBERS",
        "day": 27,
        "time": (14, 0),
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
        "day": 29,
        "time": (9, 30),
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
        "day": 31,
        "time": (14, 0),
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
        "day": 84,
        "time": (10, 0),
        "duration_minutes": 90,
        "is_remote": True,
        "place": "",
        "trainer": "Nadia Médiation (Hub Francil'IN)",
        "description": "Les outils créés pour le dispositif et les ressources pédagogiques mises "
        "à disposition des médiateurs, après les premières semaines d'accompagnement.",
        "departments": ["94", "93"],
    },
]

COMMITTEE_TERRITORIES = ["93001", "93066", "75113"]
COMMITTEES = [
    {
        "day": 21,  # first month: the first booklets have just reached the town hall
        "time": (10, 0),
        "agenda": "Lancement du déploiement : stratégie locale, prescripteurs identifiés, "
        "premières remises de carnets.",
        "minutes": (
            "<h3>Relevé de décisions</h3><ul><li>La première dotation de carnets, reçue par la "
            "mairie, est confiée au CCAS et au centre social dans les prochains jours.</li>"
            "<li>Le hub forme les prescripteurs la semaine prochaine, avant les premières "
            "remises aux habitants.</li><li>La commune relaie l'information dans son "
            "magazine.</li></ul>"
        ),
    },
    {
        "day": 140,  # about four months later
        "time": (14, 30),
        "agenda": "Point d'étape : volumes distribués, part des publics PIC, difficultés "
        "rencontrées par les opérateurs.",
        "minutes": (
            "<p>Les remises ont trouvé leur rythme depuis le lancement et la part des publics "
            "PIC dépasse l'objectif de 50 %. Une partie des pass remis n'est pas encore "
            "utilisée.</p><ul><li>Rappeler les personnes dont les pass dorment.</li><li>Ouvrir "
            "un créneau le samedi chez un opérateur.</li></ul>"
        ),
    },
]
MEETING_DAY = 105  # the sharing meeting, between the two committees

FEEDBACK_AUBERVILLIERS_TEXTS = {
    "publics_comment": "Surtout des demandeurs d'emploi, des jeunes sortis de l'école sans "
    "diplôme et des retraités ; une partie habite les quartiers prioritaires.",
    "actors_comment": "Le CCAS a porté l'essentiel des prescriptions, le centre social Les "
    "Passerelles le reste ; les deux associations de médiation de la ville ont accueilli les "
    "personnes.",
    "what_worked": "La formation des prescripteurs par le hub juste avant les premières remises "
    "et les permanences communes prescripteur-opérateur au centre social.",
    "difficulties": "Peu de créneaux le samedi ; un carnet égaré à la mairie après la première "
    "dotation, qu'il a fallu annuler ; des pass remis qui ne sont pas encore utilisés.",
    "suggestions": "Une formation de rappel pour les prescripteurs et un suivi mensuel des "
    "volumes écoulés.",
    "would_continue": True,
}
FEEDBACK_AUBERVILLIERS_SUBMITTED_DAYS_AGO = 6
FEEDBACK_SAINT_DENIS_DRAFT_TEXTS = {"what_worked": "Les permanences à la médiathèque."}
FEEDBACK_SAINT_DENIS_SAVED_DAYS_AGO = 3


def _day0(programme: Programme) -> date:
    """The ledger demo's day 0: the day its order was created (about eight months ago)."""
    order = Order.objects.filter(programme=programme).order_by("created_at").first()
    if order is not None:
        return timezone.localtime(order.created_at, PARIS).date()
    return timezone.localdate() - timedelta(days=HISTORY_DAYS)


def _moment(day0: date, days: int, hour: int, minute: int = 0) -> datetime:
    day = day0 + timedelta(days=days)
    if day.weekday() >= 5:  # a Saturday or a Sunday: the Monday after
        day += timedelta(days=7 - day.weekday())
    moment = datetime.combine(day, time(hour, minute), tzinfo=PARIS)
    return min(moment, timezone.now() - timedelta(hours=1))  # never in the future


def _next_morning(moment: datetime) -> datetime:
    """9:00 on the working day after ``moment`` (when its minutes and attendance are recorded)."""
    return _moment(timezone.localtime(moment, PARIS).date(), 1, 9)


def measured(territory: Territory, until: datetime) -> dict[str, int]:
    """What the platform counts for the territory up to ``until``: passes handed out by its
    prescribers, distinct people, of them PIC (the programme's rule) and QPV residents, the
    booklets its prescribers hold, the prescribers and operators with activity."""
    prescribers = Organisation.objects.filter(
        parent_id=territory.municipality_id, kind=Kind.PRESCRIBER
    )
    handed = Pass.objects.filter(
        order__programme_id=territory.programme_id,
        holder__in=prescribers,
        distributed_at__isnull=False,
        distributed_at__lte=until,
    )
    people = Beneficiary.objects.filter(pk__in=handed.values("beneficiary_id"))
    rule = territory.programme.pic_rule
    return {
        "passes": handed.count(),
        "people": people.count(),
        "pic": people.filter(pic_q(rule, prefix="")).count(),
        "qpv": people.filter(lives_in_qpv=QpvAnswer.YES).count(),
        "booklets": Booklet.objects.filter(
            Q(holder__in=prescribers) | Q(pk__in=handed.values("booklet_id"))
        ).count(),
        "prescribers": handed.values("holder_id").distinct().count(),
        "operators": Organisation.objects.filter(
            kind=Kind.OPERATOR, commune_id=territory.commune_id
        ).count(),
    }


def declared(figures: dict[str, int]) -> dict[str, int]:
    """The figures a town hall counts by hand from its prescribers' sheets: passes rounded down
    to the ten below, two people counted twice, a PIC person missed and one more QPV resident
    (the address checked by hand)."""
    people = figures["people"] + 2 if figures["people"] else 0
    return {
        "booklets_distributed": figures["booklets"],
        "passes_distributed": figures["passes"] - figures["passes"] % 10,
        "people_reached": people,
        "pic_people": min(people, max(0, figures["pic"] - 1)),
        "qpv_people": min(people, figures["qpv"] + 1 if figures["qpv"] else 0),
        "prescribers_mobilised": max(1, figures["prescribers"]),
        "operators_mobilised": max(1, figures["operators"]),
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

    day0 = _day0(programme)

    # Trainings by the hub, planned two weeks ahead, attendance recorded the same evening.
    for spec in TRAININGS:
        session = TrainingSession.objects.filter(programme=programme, title=spec["title"]).first()
        if session is not None:
            continue
        starts_at = _moment(day0, spec["day"], *spec["time"])
        concerned = [
            t for code, t in sorted(territories.items()) if code[:2] in spec["departments"]
        ]
        data = {k: v for k, v in spec.items() if k not in ("departments", "day", "time")}
        data["starts_at"] = starts_at
        with demo_clock.at(min(starts_at, _moment(day0, spec["day"] - 14, 11))):
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
        with demo_clock.at(_moment(timezone.localtime(starts_at, PARIS).date(), 0, 18)):
            services.set_training_attendance(
                session,
                registered=registered,
                attended=attended,
                registered_names=["Mme Awa Diallo (conseillère numérique)"],
                attended_names=["Mme Awa Diallo (conseillère numérique)", "M. Karim Benali"],
                by=hub_user,
                organisation=hub,
            )

    # Follow-up committees, organised by the hub, with minutes and attendance recorded the day
    # after.
    for code in COMMITTEE_TERRITORIES:
        territory = territories.get(code)
        if territory is None or territory.followup_committees.exists():
            continue
        place = f"Hôtel de ville — {territory.municipality.name}"
        for spec in COMMITTEES:
            held_at = _moment(day0, spec["day"], *spec["time"])
            with demo_clock.at(_next_morning(held_at)):
                committee = services.save_committee(
                    None,
                    territory=territory,
                    data={
                        "held_at": held_at,
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

    # Retours d'expérience: Aubervilliers submitted a few days ago, its figures counted by hand
    # from the prescribers' sheets; Saint-Denis in draft.
    today = timezone.localdate()
    aubervilliers = territories.get("93001")
    if aubervilliers and not ExperienceFeedback.objects.filter(territory=aubervilliers).exists():
        author = referente or _admin_of(aubervilliers.municipality)
        submitted_at = _moment(today, -FEEDBACK_AUBERVILLIERS_SUBMITTED_DAYS_AGO, 11, 20)
        drafted_at = submitted_at - timedelta(days=3, hours=-5)  # 16:20, three days before
        if drafted_at.weekday() >= 5:
            drafted_at -= timedelta(days=drafted_at.weekday() - 4)  # the Friday before
        data = declared(measured(aubervilliers, drafted_at)) | FEEDBACK_AUBERVILLIERS_TEXTS
        with demo_clock.at(drafted_at):
            feedback = services.save_feedback(
                aubervilliers, data, by=author, organisation=aubervilliers.municipality
            )
        with demo_clock.at(submitted_at):
            services.submit_feedback(feedback, by=author, organisation=aubervilliers.municipality)
    saint_denis = territories.get("93066")
    if saint_denis and not ExperienceFeedback.objects.filter(territory=saint_denis).exists():
        saved_on = today - timedelta(days=FEEDBACK_SAINT_DENIS_SAVED_DAYS_AGO)
        counted = declared(
            measured(saint_denis, datetime.combine(saved_on, time(0, 0), tzinfo=PARIS))
        )
        with demo_clock.at(_moment(saved_on, 0, 15)):
            services.save_feedback(
                saint_denis,
                {
                    "booklets_distributed": counted["booklets_distributed"],
                    "passes_distributed": counted["passes_distributed"],
                    **FEEDBACK_SAINT_DENIS_DRAFT_TEXTS,
                },
                by=_admin_of(saint_denis.municipality),
                organisation=saint_denis.municipality,
            )

    # The Métropole's experience-sharing meeting.
    topic = "Atteindre les publics PIC : premiers enseignements des territoires"
    if not SharingMeeting.objects.filter(programme=programme, topic=topic).exists():
        ordered = [t for _, t in sorted(territories.items())]
        held_at = _moment(day0, MEETING_DAY, 14)
        with demo_clock.at(_next_morning(held_at)):
            meeting = services.save_meeting(
                None,
                programme=programme,
                data={
                    "held_at": held_at,
                    "is_remote": False,
                    "place": "Métropole du Grand Paris, 15-19 avenue Pierre Mendès-France, "
                    "Paris 13e",
                    "topic": topic,
                    "agenda": "Tour de table des territoires ; la part des publics PIC ; les "
                    "carnets dormants ; les suites du dispositif.",
                },
                invited=ordered,
                minutes=services.MinutesInput(
                    text="<p>Douze territoires présents. Les communes qui s'appuient sur le "
                    "CCAS, la mission locale et France Travail dépassent l'objectif de 50 % de "
                    "publics PIC ; deux territoires restent en dessous.</p>"
                    "<ul><li>Partager les fiches de prescription d'Aubervilliers.</li>"
                    "<li>Relancer les structures dont les carnets dorment.</li></ul>"
                ),
                by=funder_user,
                organisation=funder,
            )
            services.set_meeting_presence(
                meeting,
                present=[t for i, t in enumerate(ordered) if i % 4 != 0],  # Aubervilliers there
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
