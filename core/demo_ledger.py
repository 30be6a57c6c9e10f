"""The ledger part of the Grand Paris demo: an activated order whose booklets are handed down to
every territory and its prescribers, with passes handed out, redeemed and a few cancelled.

Everything goes through the real services (events, conditional updates), so verify_ledger is
clean on the demo. Skipped when the programme already has an order (running the demo again is
safe)."""

import heapq
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from beneficiaries.eligibility import pic_eligibility, rule_for
from beneficiaries.services import create_beneficiary
from ledger import codes, custody, redemption, services
from ledger.models import Booklet, Order, Pass, PassStatus
from operators.models import OperatorProfile, Place, Qualification, Service
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme, Territory

from . import demo_clock

ORDER_BOOKLETS = 15_500  # the Grand Paris 2021 order: 155 000 passes
PASSES_PER_BOOKLET = 10

# Approximate town centres, for the demo places on the map (fictitious addresses).
TOWN_CENTRES = {
    "93001": (48.914, 2.382),
    "94016": (48.791, 2.335),
    "92025": (48.923, 2.252),
    "94028": (48.790, 2.455),
    "93029": (48.923, 2.445),
    "94043": (48.810, 2.358),
    "92049": (48.816, 2.316),
    "92050": (48.892, 2.207),
    "93049": (48.863, 2.506),
    "75113": (48.829, 2.362),
    "75115": (48.842, 2.300),
    "92062": (48.884, 2.238),
    "92063": (48.877, 2.189),
    "93066": (48.936, 2.357),
    "94068": (48.799, 2.494),
    "94080": (48.847, 2.438),
}

# The people the demo prescribers see (the record's fields; the diagnostic answers below). Four
# of the seven are PIC publics under the 2020 rule (job seekers below the bac, a young early
# school leaver), one more under the « up to the bac » rule; two live in a QPV. Each territory
# starts at a different person, so the PIC and QPV shares differ from one territory to another.
PROFILES = [
    {"age_band": "quarante_cinquante_neuf", "social_status": "sans_emploi",
     "diploma_level": "cap_bep", "job_seeker": True, "lives_in_qpv": "oui"},
    {"age_band": "dix_huit_vingt_quatre", "social_status": "sans_emploi",
     "diploma_level": "sans_diplome", "job_seeker": False, "lives_in_qpv": "non"},
    {"age_band": "soixante_dix_plus", "social_status": "retraite",
     "diploma_level": "bac_2", "job_seeker": False, "lives_in_qpv": "non"},
    {"age_band": "vingt_cinq_trente_neuf", "social_status": "sans_emploi",
     "diploma_level": "bac", "job_seeker": True, "lives_in_qpv": "inconnu"},
    {"age_band": "vingt_cinq_trente_neuf", "social_status": "sans_emploi",
     "diploma_level": "sans_diplome", "job_seeker": True, "lives_in_qpv": "oui"},
    {"age_band": "soixante_soixante_neuf", "social_status": "retraite",
     "diploma_level": "cap_bep", "job_seeker": False, "lives_in_qpv": "non"},
    {"age_band": "quarante_cinquante_neuf", "social_status": "en_emploi",
     "diploma_level": "cap_bep", "job_seeker": True, "lives_in_qpv": "non"},
]  # fmt: skip
DIAGNOSTIC = {
    "device": "1", "connection": "1", "use_device": "1", "email": "0", "attachment": "0",
    "search": "1", "procedures": "0", "security": "1", "goals": [], "time": "some",
}  # fmt: skip

SERVICES = [
    ("Atelier démarches en ligne (1 h)", Service.Theme.AIDE_DEMARCHES, 60, 1),
    ("Premiers pas sur smartphone (1 h)", Service.Theme.MAITRISE_OUTILS, 60, 1),
    ("Atelier sécurité numérique (2 h, collectif)", Service.Theme.UTILISATION_SECURISEE, 120, 2),
]


def _admin_of(org: Organisation):
    membership = (
        Membership.objects.filter(organisation=org, is_active=True, role=Role.ADMIN)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _operator_setup(operator: Organisation) -> tuple[Place, list[Service]]:
    OperatorProfile.objects.update_or_create(
        organisation=operator,
        defaults={
            "qualification": Qualification.QUALIFIED,
            "decided_at": timezone.now(),
            "reference_number": f"APTIC-DEMO-{operator.pk:04d}",
        },
    )
    lat, lon = TOWN_CENTRES.get(operator.commune_id, (None, None))
    offset = (operator.pk % 5) * 0.002
    place, _ = Place.objects.get_or_create(
        operator=operator,
        name=operator.name,
        defaults={
            "latitude": round(lat + offset, 6) if lat is not None else None,
            "longitude": round(lon - offset, 6) if lon is not None else None,
            "address": "12 rue de l'Exemple",
            "postal_code": operator.postal_code or "75000",
            "commune": operator.commune,
            "opening_hours": "Mo-Fr 09:30-12:30,14:00-18:00",
            "qualification": Qualification.QUALIFIED,
            "services": [
                "aide-aux-demarches-administratives",
                "maitrise-des-outils-numeriques",
                "utilisation-securisee-du-numerique",
            ],
            "publics": ["seniors", "familles-enfants"],
        },
    )
    offered = []
    for title, theme, minutes, price in SERVICES:
        service, _ = Service.objects.get_or_create(
            operator=operator,
            title=title,
            defaults={
                "theme": theme,
                "duration_minutes": minutes,
                "price_in_passes": price,
                "is_collective": price > 1,
            },
        )
        offered.append(service)
    return place, offered


# --- The history: about eight months of a programme, replayed through the real services ------

HISTORY_DAYS = 245  # the order is created about eight months ago
FIRST_HAND_OUT_DAY = 35  # prescribers start handing passes out in the second month
PEOPLE_PER_WEEK = 2.0  # beneficiaries a week for a territory of activity 1, once steady
RAMP_WEEKS = 10  # hand-outs grow for ten weeks, then stay steady (lower in August)
FIRST_SHARE = 0.6  # of a territory's hand-outs, by its first prescriber (the CCAS)

# How busy each territory is (1 = average), its share of PIC publics and its use rate.
ACTIVITY = {
    "93066": 2.0, "93001": 1.8, "75113": 1.6, "94028": 1.4, "92050": 1.3, "93029": 1.2,
    "75115": 1.0, "92025": 1.0, "92049": 0.8, "94016": 0.7, "92063": 0.6, "94068": 0.6,
    "94043": 0.6, "92062": 0.5, "94080": 0.4, "93049": 0.3,
}  # fmt: skip
PIC_SHARE = {"94080": 0.25, "92062": 0.3}  # below the 50 % target: the dashboard's PIC alert
DEFAULT_PIC_SHARE = 0.65
USE_RATE = {"93066": 0.8, "93001": 0.75, "75113": 0.75, "93049": 0.45, "94080": 0.5}
DEFAULT_USE_RATE = 0.65
# The second prescriber of Neuilly-Plaisance stops after two months: its booklets lie dormant.
DORMANT_PRESCRIBER = ("93049", 1)
DORMANT_AFTER_WEEKS = 8


class _Timeline:
    """Steps to run in date order, each under the demo clock (core.demo_clock)."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.counter = 0

    def add(self, moment: datetime, step: Callable[[], None]) -> None:
        if moment < self.until:  # what would happen later has not happened yet
            self.counter += 1
            heapq.heappush(self.queue, (moment, self.counter, step))

    def run_until(self, moment: datetime) -> None:
        while self.queue and self.queue[0][0] < moment:
            when, _, step = heapq.heappop(self.queue)
            with demo_clock.at(when):
                step()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _opening_day(day: date) -> date:
    """The places are open Monday to Saturday."""
    return day + timedelta(days=1) if day.weekday() == 6 else day


def _in_stock(holder: Organisation) -> int:
    return Pass.objects.filter(
        holder=holder, status=PassStatus.IN_STOCK, booklet__pending_transfer__isnull=True
    ).count()


def _free_booklets(holder: Organisation, count: int, exclude: set[int]) -> list[Booklet]:
    """``count`` booklets the holder may pass on (received, with passes in stock, not kept
    aside), in number order."""
    booklets = Booklet.objects.filter(holder=holder, pending_transfer__isnull=True)
    if holder.kind != Organisation.Kind.FUNDER:  # the funder's booklets are all whole
        booklets = booklets.filter(
            pk__in=Pass.objects.filter(holder=holder, status=PassStatus.IN_STOCK).values(
                "booklet_id"
            )
        )
    return list(booklets.exclude(pk__in=exclude).order_by("number")[:count])


@dataclass
class _Territory:
    territory: Territory
    town: Organisation
    town_user: object
    prescribers: list[tuple[Organisation, object]]
    operators: list[tuple[Organisation, object, Place, list[Service]]]
    allowance: int  # booklets the funder may still hand to the territory
    activity: float
    pic_share: float
    use_rate: float
    kept_aside: set[int] = field(default_factory=set)  # the booklet lost at the town hall
    people: int = 0


def _weekly_factor(week: int, monday: date) -> float:
    ramp = min(1.0, 0.3 + 0.7 * week / RAMP_WEEKS)
    return ramp * (0.5 if monday.month == 8 else 1.0)


@transaction.atomic
def load_ledger_demo(programme: Programme, booklets: int = ORDER_BOOKLETS) -> dict:
    """Replay about eight months of the programme through the real services: the order, the
    booklets handed down to the territories (a first dotation, then more as the stock runs low)
    and to their prescribers, passes handed out week after week (growing, then steady, lower in
    August; some territories much busier than others, two below the PIC target), redeemed a few
    days to weeks later at the places of the commune, a share never used, one prescriber idle
    for months (dormant stock), a booklet lost in each town hall and a receipt left to
    acknowledge in Aubervilliers. ``booklets`` scales the order and the activity (the tests use
    a small one). Deterministic (seeded) and skipped when the programme already has an order."""
    if Order.objects.filter(programme=programme).exists():
        return {"skipped": True}
    rng = random.Random(2021)  # noqa: S311 - demo data, not security
    real_now = timezone.now()
    today = timezone.localdate()
    valid_until = date(today.year + 1, 12, 31)
    if programme.ends_on < valid_until:
        Programme.objects.filter(pk=programme.pk).update(ends_on=valid_until)
    volume = min(1.0, booklets / ORDER_BOOKLETS * 8)
    funder = programme.funder
    funder_admin = _admin_of(funder)
    day0 = today - timedelta(days=HISTORY_DAYS)
    timeline = _Timeline(until=real_now - timedelta(minutes=5))
    stats = {"territories": 0, "to_prescribers": 0, "handed_out": 0, "redeemed": 0, "cancelled": 0}

    # The order: created, confirmed, issued, paid and activated in the first fortnight.
    with demo_clock.at(_at(day0, 10)):
        order = services.create_order(
            programme,
            by=funder_admin,
            booklet_count=booklets,
            valid_until=valid_until,
            print_text="Ce pass vous donne droit à un accompagnement au numérique dans un lieu "
            "qualifié de la Métropole du Grand Paris.",
        )
    with demo_clock.at(_at(day0 + timedelta(days=2), 15)):
        services.confirm_order(order, by=funder_admin)
    with demo_clock.at(_at(day0 + timedelta(days=6), 9)):
        services.issue_order(order.pk, by=funder_admin)
        order.refresh_from_db()
    with demo_clock.at(_at(day0 + timedelta(days=13), 11)):
        order = services.activate_order(order, "MANDAT-2021-0042", by=funder_admin)

    # The places and their services were qualified before the programme started.
    places: list[_Territory] = []
    with demo_clock.at(_at(day0, 9)):
        for territory in programme.territories.select_related("municipality", "commune"):
            code = territory.commune_id
            town = territory.municipality
            operators = []
            for op in Organisation.objects.filter(
                kind=Organisation.Kind.OPERATOR, commune=territory.commune
            ).order_by("pk"):
                place, offered = _operator_setup(op)
                operators.append((op, _admin_of(op), place, offered))
            prescribers = [
                (p, _admin_of(p))
                for p in town.children.filter(kind=Organisation.Kind.PRESCRIBER).order_by("pk")
            ]
            places.append(
                _Territory(
                    territory=territory,
                    town=town,
                    town_user=_admin_of(town),
                    prescribers=prescribers,
                    operators=operators,
                    allowance=max(4, territory.booklets_allocated * booklets // ORDER_BOOKLETS),
                    activity=ACTIVITY.get(code, 1.0),
                    pic_share=PIC_SHARE.get(code, DEFAULT_PIC_SHARE),
                    use_rate=USE_RATE.get(code, DEFAULT_USE_RATE),
                )
            )
    rule = rule_for(programme)
    pic = [p for p in PROFILES if pic_eligibility(rule=rule, **_eligibility_fields(p))[0]]
    not_pic = [p for p in PROFILES if p not in pic]

    def weekly_passes(t: _Territory) -> float:
        return t.activity * PEOPLE_PER_WEEK * volume * 4

    def send_to_town(t: _Territory, count: int, *, keep: int = 1, ack: bool = True):
        """The funder hands booklets to the town hall, which acknowledges two hours later
        (``keep``: booklets of the territory's allowance kept for the end of the demo)."""
        count = min(count, t.allowance - keep)
        if count <= 0:
            return None
        mine = _free_booklets(funder, count, set())
        t.allowance -= len(mine)
        transfer = custody.transfer_booklets(mine, t.town, by=funder_admin, from_holder=funder)
        if not t.kept_aside:  # the last booklet of the first dotation will be lost
            t.kept_aside.add(mine[-1].pk)
        if ack:
            timeline.add(
                timezone.now() + timedelta(hours=2),
                lambda: custody.acknowledge_transfer(transfer, by=t.town_user),
            )
        return transfer

    def send_to_prescriber(t: _Territory, index: int, count: int, ack: datetime | None) -> None:
        prescriber, user = t.prescribers[index]
        given = _free_booklets(t.town, count, t.kept_aside)
        if not given:
            return
        transfer = custody.transfer_booklets(given, prescriber, by=t.town_user, from_holder=t.town)
        stats["to_prescribers"] += len(given)
        if ack is not None:
            timeline.add(ack, lambda: custody.acknowledge_transfer(transfer, by=user))

    # The first dotation: every territory in the first month (eight weeks of hand-outs, and one
    # booklet that the town hall will lose), its prescribers in the following weeks.
    for rank, t in enumerate(places):
        when = _at(day0 + timedelta(days=16 + rank % 10), 10)
        first = 1 + math.ceil(weekly_passes(t) * 8 / PASSES_PER_BOOKLET)

        def first_dotation(t=t, first=first):
            if send_to_town(t, first) is not None:
                stats["territories"] += 1

        timeline.add(when, first_dotation)
        for index, _ in enumerate(t.prescribers):
            share = FIRST_SHARE if index == 0 else 1 - FIRST_SHARE
            count = max(1, math.ceil(weekly_passes(t) * share * 4 / PASSES_PER_BOOKLET))
            handed = when + timedelta(days=5 + 4 * index + rank % 7)

            def first_hand_down(t=t, index=index, count=count, handed=handed):
                send_to_prescriber(t, index, count, handed + timedelta(days=1, hours=1))

            timeline.add(handed, first_hand_down)

        # The lost booklet: cancelled by the town hall some weeks later.
        def lose(t=t):
            lost = list(
                Pass.objects.filter(
                    booklet_id__in=t.kept_aside, holder=t.town, status=PassStatus.IN_STOCK
                )
            )
            if lost:
                stats["cancelled"] += custody.cancel_passes(
                    lost, by=t.town_user, organisation=t.town, reason="Perdu (démo)"
                )

        timeline.add(when + timedelta(days=30 + 3 * rank), lose)

    def hand_out(t: _Territory, index: int, passes_wanted: int) -> None:
        prescriber, user = t.prescribers[index]
        group = list(
            Pass.objects.filter(
                holder=prescriber,
                status=PassStatus.IN_STOCK,
                booklet__pending_transfer__isnull=True,
            ).order_by("number")[:passes_wanted]
        )
        if not group:
            return
        is_pic = (t.people * t.pic_share + (0 if t.pic_share >= 0.5 else 0.5)) % 1 < t.pic_share
        profiles = pic if is_pic else not_pic
        person = profiles[(t.people + index) % len(profiles)]
        t.people += 1
        beneficiary = create_beneficiary(
            prescriber=prescriber,
            by=user,
            record_data={**person, "programme": programme, "commune": t.territory.commune},
            answers=DIAGNOSTIC,
        )
        custody.hand_out(group, prescriber=prescriber, by=user, beneficiary=beneficiary)
        stats["handed_out"] += len(group)
        if not t.operators:
            return
        operator, op_user, place, offered = t.operators[rng.randrange(len(t.operators))]
        handed_on = timezone.localdate()
        delay = 1 + min(75, int(rng.expovariate(1 / 10)))
        for p in group:
            if rng.random() >= t.use_rate:
                continue
            day = _opening_day(handed_on + timedelta(days=delay))
            moment = _at(day, 9, 30) + timedelta(minutes=rng.randrange(8 * 60))
            service = offered[rng.randrange(2)]  # the one-pass workshops

            def use(p=p, operator=operator, op_user=op_user, place=place, service=service):
                redemption.redeem(
                    operator=operator,
                    place=place,
                    service=service,
                    items=[(p.serial, codes.pass_code(order.key_id, p.serial))],
                    idempotency_key=str(uuid.uuid4()),
                    by=op_user,
                )
                stats["redeemed"] += 1

            timeline.add(moment, use)
            delay += 5 + rng.randrange(17)

    # Week after week: each prescriber plans its appointments; the town hall hands down
    # booklets when a prescriber's stock runs low, the funder when the town hall's does.
    start = day0 + timedelta(days=FIRST_HAND_OUT_DAY)
    first_monday = start + timedelta(days=(7 - start.weekday()) % 7)
    week = 0
    monday = first_monday
    while _at(monday, 8) < real_now:
        for t in places:
            planned: list[list[tuple[datetime, int]]] = []
            for index, _ in enumerate(t.prescribers):
                share = FIRST_SHARE if index == 0 else 1 - FIRST_SHARE
                rate = t.activity * PEOPLE_PER_WEEK * volume * share * _weekly_factor(week, monday)
                if (t.territory.commune_id, index) == DORMANT_PRESCRIBER and (
                    week >= DORMANT_AFTER_WEEKS
                ):
                    rate = 0
                people = int(rate + rng.random())
                planned.append(
                    [
                        (
                            _at(monday + timedelta(days=1 + rng.randrange(4)), 10)
                            + timedelta(minutes=rng.randrange(7 * 60)),
                            3 + rng.randrange(3),
                        )
                        for _ in range(people)
                    ]
                )

            def monday_tick(t=t, planned=planned, monday=monday, week=week):
                needs = []
                for index, appointments in enumerate(planned):
                    want = sum(n for _, n in appointments)
                    short = want - _in_stock(t.prescribers[index][0])
                    needs.append(max(0, math.ceil(short / PASSES_PER_BOOKLET)) if short > 0 else 0)
                missing = sum(needs) - len(_free_booklets(t.town, 100_000, t.kept_aside))
                if missing > 0:
                    send_to_town(t, missing + math.ceil(weekly_passes(t) * 5 / PASSES_PER_BOOKLET))
                for index, count in enumerate(needs):
                    if count:
                        timeline.add(
                            _at(monday, 14, 10 * index),
                            lambda t=t, index=index, count=count: send_to_prescriber(
                                t, index, count, _at(monday + timedelta(days=1), 9, 15)
                            ),
                        )
                for index, appointments in enumerate(planned):
                    for moment, n in appointments:
                        timeline.add(moment, lambda t=t, index=index, n=n: hand_out(t, index, n))

            timeline.add(_at(monday, 8), monday_tick)
        timeline.run_until(_at(monday + timedelta(days=7), 8))
        monday += timedelta(days=7)
        week += 1
    timeline.run_until(timeline.until)

    # A receipt left to acknowledge in Aubervilliers: booklets handed down two days ago.
    for t in places:
        if t.territory.commune_id == "93001" and len(t.prescribers) > 1:
            with demo_clock.at(min(_at(today - timedelta(days=2), 10), timeline.until)):
                if not _free_booklets(t.town, 1, t.kept_aside):
                    transfer = send_to_town(t, 1, keep=0, ack=False)
                    if transfer is not None:
                        custody.acknowledge_transfer(transfer, by=t.town_user)
                send_to_prescriber(t, len(t.prescribers) - 1, 1, ack=None)

    # The sample pass the demo prints: handed out in Aubervilliers, not used yet.
    sample = (
        Pass.objects.filter(
            order=order,
            status=PassStatus.DISTRIBUTED,
            holder__kind=Organisation.Kind.PRESCRIBER,
            holder__commune_id="93001",
        )
        .order_by("-distributed_at", "number")
        .first()
    )
    if sample is not None:
        stats["sample_serial"] = codes.format_serial(sample.serial)
        stats["sample_code"] = codes.format_code(codes.pass_code(order.key_id, sample.serial))
    stats["order"] = order.reference
    stats["passes"] = order.pass_count
    span = Pass.objects.filter(order=order).aggregate(
        first=Min("distributed_at"), last=Max("distributed_at")
    )
    if span["first"] is not None:
        first, last = timezone.localdate(span["first"]), timezone.localdate(span["last"])
        stats["months"] = (last.year - first.year) * 12 + last.month - first.month + 1
    return stats


def _eligibility_fields(person: dict) -> dict:
    return {
        "diploma_level": person["diploma_level"],
        "job_seeker": person["job_seeker"],
        "age_band": person["age_band"],
        "social_status": person["social_status"],
    }
