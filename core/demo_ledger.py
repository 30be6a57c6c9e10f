"""The ledger part of the Grand Paris demo: an activated order whose booklets are handed down to
every territory and its prescribers, with passes handed out, redeemed and a few cancelled.

Everything goes through the real services (events, conditional updates), so verify_ledger is
clean on the demo. Skipped when the programme already has an order (running the demo again is
safe)."""

import uuid
from datetime import date

from django.db import transaction
from django.utils import timezone

from beneficiaries.services import create_beneficiary
from ledger import codes, custody, redemption, services
from ledger.models import Booklet, Order, Pass, PassStatus
from operators.models import OperatorProfile, Place, Qualification, Service
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme

ORDER_BOOKLETS = 15_500  # the Grand Paris 2021 order: 155 000 passes
SHARE_TO_PRESCRIBERS = 0.4  # of a territory's booklets, handed on to its prescribers
BENEFICIARIES_PER_PRESCRIBER = 6
PASSES_PER_BENEFICIARY = 5

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


@transaction.atomic
def load_ledger_demo(programme: Programme, booklets: int = ORDER_BOOKLETS) -> dict:
    """``booklets`` scales the order (the tests use a small one); territories get their
    allocation in proportion."""
    if Order.objects.filter(programme=programme).exists():
        return {"skipped": True}
    funder = programme.funder
    funder_admin = _admin_of(funder)
    today = timezone.localdate()
    valid_until = date(today.year + 1, 12, 31)
    if programme.ends_on < valid_until:
        Programme.objects.filter(pk=programme.pk).update(ends_on=valid_until)

    order = services.create_order(
        programme,
        by=funder_admin,
        booklet_count=booklets,
        valid_until=valid_until,
        print_text="Ce pass vous donne droit à un accompagnement au numérique dans un lieu "
        "qualifié de la Métropole du Grand Paris.",
    )
    services.confirm_order(order, by=funder_admin)
    services.issue_order(order.pk, by=funder_admin)
    order.refresh_from_db()
    order = services.activate_order(order, "MANDAT-2021-0042", by=funder_admin)

    all_booklets = list(Booklet.objects.filter(order=order).order_by("number"))
    cursor = 0
    stats = {"territories": 0, "to_prescribers": 0, "handed_out": 0, "redeemed": 0, "cancelled": 0}
    sample = None
    for rank, territory in enumerate(
        programme.territories.select_related("municipality", "commune")
    ):
        town = territory.municipality
        allocation = max(4, territory.booklets_allocated * booklets // ORDER_BOOKLETS)
        mine = all_booklets[cursor : cursor + allocation]
        cursor += len(mine)
        town_user = _admin_of(town)
        transfer = custody.transfer_booklets(mine, town, by=funder_admin, from_holder=funder)
        custody.acknowledge_transfer(transfer, by=town_user)
        stats["territories"] += 1
        prescribers = list(town.children.filter(kind=Organisation.Kind.PRESCRIBER).order_by("pk"))
        share = max(1, int(len(mine) * SHARE_TO_PRESCRIBERS) // max(1, len(prescribers)))
        operators = list(
            Organisation.objects.filter(
                kind=Organisation.Kind.OPERATOR, commune=territory.commune
            ).order_by("pk")
        )
        setups = [_operator_setup(op) for op in operators]
        for index, prescriber in enumerate(prescribers):
            given = mine[index * share : (index + 1) * share]
            if not given:
                continue
            transfer = custody.transfer_booklets(given, prescriber, by=town_user, from_holder=town)
            stats["to_prescribers"] += len(given)
            prescriber_user = _admin_of(prescriber)
            if index == len(prescribers) - 1 and territory.commune_id == "93001":
                continue  # one receipt left to acknowledge, for the demo
            custody.acknowledge_transfer(transfer, by=prescriber_user)
            passes = list(
                Pass.objects.filter(booklet__in=given, status=PassStatus.IN_STOCK).order_by(
                    "number"
                )[: BENEFICIARIES_PER_PRESCRIBER * PASSES_PER_BENEFICIARY]
            )
            for start in range(0, len(passes), PASSES_PER_BENEFICIARY):
                group = passes[start : start + PASSES_PER_BENEFICIARY]
                person = PROFILES[(rank + start // PASSES_PER_BENEFICIARY) % len(PROFILES)]
                beneficiary = create_beneficiary(
                    prescriber=prescriber,
                    by=prescriber_user,
                    record_data={
                        **person,
                        "programme": programme,
                        "commune": territory.commune,
                    },
                    answers=DIAGNOSTIC,
                )
                custody.hand_out(
                    group, prescriber=prescriber, by=prescriber_user, beneficiary=beneficiary
                )
                stats["handed_out"] += len(group)
                # The person uses two of the five passes at a place of their commune.
                if setups:
                    operator = operators[start // PASSES_PER_BENEFICIARY % len(operators)]
                    place, offered = setups[start // PASSES_PER_BENEFICIARY % len(setups)]
                    for p in group[:2]:
                        code = codes.pass_code(order.key_id, p.serial)
                        redemption.redeem(
                            operator=operator,
                            place=place,
                            service=offered[0],
                            items=[(p.serial, code)],
                            idempotency_key=str(uuid.uuid4()),
                            by=_admin_of(operator),
                        )
                        stats["redeemed"] += 1
                    if sample is None:
                        sample = group[2]
        # A booklet lost at the town hall, in each territory.
        lost = list(Pass.objects.filter(booklet=mine[-1], holder=town, status=PassStatus.IN_STOCK))
        if lost:
            stats["cancelled"] += custody.cancel_passes(
                lost, by=town_user, organisation=town, reason="Perdu (démo)"
            )
    if sample is not None:
        stats["sample_serial"] = codes.format_serial(sample.serial)
        stats["sample_code"] = codes.format_code(codes.pass_code(order.key_id, sample.serial))
    stats["order"] = order.reference
    stats["passes"] = order.pass_count
    return stats
