"""A scripted programme run through the real ledger services, with figures known by hand.

Order of 4 booklets × 10 passes (40 passes), issued on 01/03/2021.
- Aubervilliers (territory A) receives booklets 1 and 2, gives booklet 1 to the CCAS and returns
  booklet 2 to the funder: net allocation 10.
- Saint-Denis (territory B) receives booklet 3 and gives it to the social centre: 10.
- The CCAS hands out 8 passes on 10/03/2021 10:00:
  b1 (job seeker, CAP-BEP, QPV) 2 passes; b2 (job seeker, bac) 2; b3 (18–24, no diploma,
  unemployed) 1; b4 (bac + 2, QPV) 3.
  PIC under BELOW_BAC: b1 + b3 = 3/8 = 37,5 % (alert); under UP_TO_BAC: b1 + b2 + b3 = 5/8.
  QPV: b1 + b4 = 5/8 = 62,5 %.
- Redemptions in A: b4 same day (0 day, association), b1 on 12/03 (2 days, association) and
  15/03 (5 days, association), b2 on 20/03 (10 days, company). Delays 0, 2, 5, 10: median 3,5.
  Use rate 4/8 = 50 %; association share 3/4 = 75 %.
- The social centre hands 2 passes to b5 (job seeker, no diploma) on 20/03/2021 and one is used
  on 02/04/2021 (13 days, association). B: PIC 100 %, QPV 0 %, use 50 %, median 13.
- Programme: distributed 10, redeemed 5 (March 4, April 1), delays 0, 2, 5, 10, 13: median 5;
  PIC 5/10 = 50 % (BELOW_BAC) or 7/10 = 70 % (UP_TO_BAC); QPV 50 %; association 4/5 = 80 %.
- Stock at the end: funder 20 (booklets 2 and 4), CCAS 2, social centre 8.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from beneficiaries.models import AgeBand, Beneficiary, DiplomaLevel, QpvAnswer, SocialStatus
from ledger import codes, custody, redemption
from ledger.models import Booklet, Order, Pass, TransferKind
from ledger.tests import factories
from operators.models import OperatorProfile, Place, Qualification, Service
from organisations.models import Membership, Organisation, Role
from passnum.testing import make_member, make_org
from programmes.models import Programme, Territory

PARIS = ZoneInfo("Europe/Paris")


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=PARIS)


@dataclass
class Scenario:
    programme: Programme
    order: Order
    funder: Organisation
    funder_admin: Membership
    town_a: Organisation
    town_b: Organisation
    territory_a: Territory
    territory_b: Territory
    ccas: Organisation
    centre: Organisation
    hub: Organisation
    town_a_member: Membership
    town_b_member: Membership
    hub_member: Membership


def _company_operator():
    from django.utils import timezone

    org = make_org(
        "Numérique Services SARL",
        kind=Organisation.Kind.OPERATOR,
        legal_category=Organisation.LegalCategory.COMPANY,
    )
    OperatorProfile.objects.create(
        organisation=org, qualification=Qualification.QUALIFIED, decided_at=timezone.now()
    )
    place = Place.objects.create(
        operator=org,
        name="Boutique numérique",
        address="2 avenue de la Gare",
        postal_code="93300",
        commune=factories.commune(),
        qualification=Qualification.QUALIFIED,
    )
    service = Service.objects.create(
        operator=org, title="Atelier", theme=Service.Theme.AIDE_DEMARCHES, price_in_passes=1
    )
    return org, place, service


def _person(prescriber, programme, **fields) -> Beneficiary:
    return Beneficiary.objects.create(prescriber=prescriber, programme=programme, **fields)


def _redeem(op, pass_: Pass, order: Order) -> None:
    org, place, service = op
    member = Membership.objects.filter(organisation=org).first()
    redemption.redeem(
        operator=org,
        place=place,
        service=service,
        items=[(pass_.serial, codes.pass_code(order.key_id, pass_.serial))],
        idempotency_key=str(uuid.uuid4()),
        by=member.user,
    )


def build(pic_rule: str = Programme.PicRule.BELOW_BAC) -> Scenario:
    with time_machine.travel(at(2021, 3, 1), tick=False):
        programme = factories.programme(pic_rule=pic_rule)
        funder = programme.funder
        funder_admin = make_member(funder, Role.ADMIN)
        hub = make_org("Hub Francil'IN", kind=Organisation.Kind.HUB)
        programme.hub = hub
        programme.save(update_fields=["hub"])
        town_a = make_org("Ville d'Aubervilliers", kind=Organisation.Kind.MUNICIPALITY)
        town_b = make_org("Ville de Saint-Denis", kind=Organisation.Kind.MUNICIPALITY)
        territory_a = Territory.objects.create(
            programme=programme,
            municipality=town_a,
            commune=factories.commune(),
            joined_on=date(2021, 3, 1),
        )
        territory_b = Territory.objects.create(
            programme=programme,
            municipality=town_b,
            commune=factories.commune("93066", "Saint-Denis"),
            joined_on=date(2021, 3, 1),
        )
        town_a_member = make_member(town_a, Role.MEMBER)
        town_b_member = make_member(town_b, Role.MEMBER)
        hub_member = make_member(hub, Role.READONLY)
        ccas = make_org("CCAS d'Aubervilliers", kind=Organisation.Kind.PRESCRIBER, parent=town_a)
        centre = make_org("Centre social Floréal", kind=Organisation.Kind.PRESCRIBER, parent=town_b)
        ccas_member = make_member(ccas, Role.MEMBER)
        centre_member = make_member(centre, Role.MEMBER)
        assoc = factories.operator()
        make_member(assoc[0], Role.MEMBER)
        company = _company_operator()
        make_member(company[0], Role.MEMBER)

        order = factories.order(programme, booklets=4, valid_until=date(2021, 12, 31))
        b1, b2, b3, _b4 = Booklet.objects.filter(order=order).order_by("number")
        by = funder_admin.user
        t = custody.transfer_booklets([b1, b2], town_a, by=by, from_holder=funder)
        custody.acknowledge_transfer(t, by=town_a_member.user)
        t = custody.transfer_booklets([b3], town_b, by=by, from_holder=funder)
        custody.acknowledge_transfer(t, by=town_b_member.user)
        t = custody.transfer_booklets([b1], ccas, by=town_a_member.user, from_holder=town_a)
        custody.acknowledge_transfer(t, by=ccas_member.user)
        t = custody.transfer_booklets([b3], centre, by=town_b_member.user, from_holder=town_b)
        custody.acknowledge_transfer(t, by=centre_member.user)
        t = custody.transfer_booklets(
            [b2], funder, by=town_a_member.user, from_holder=town_a, kind=TransferKind.RETURN
        )
        custody.acknowledge_transfer(t, by=by)

    p1 = list(Pass.objects.filter(booklet=b1).order_by("number"))
    p3 = list(Pass.objects.filter(booklet=b3).order_by("number"))
    with time_machine.travel(at(2021, 3, 10), tick=False):
        people = {
            "b1": _person(
                ccas,
                programme,
                job_seeker=True,
                diploma_level=DiplomaLevel.CAP_BEP,
                lives_in_qpv=QpvAnswer.YES,
            ),
            "b2": _person(ccas, programme, job_seeker=True, diploma_level=DiplomaLevel.BAC),
            "b3": _person(
                ccas,
                programme,
                age_band=AgeBand.FROM_18,
                diploma_level=DiplomaLevel.NONE,
                social_status=SocialStatus.UNEMPLOYED,
            ),
            "b4": _person(
                ccas, programme, diploma_level=DiplomaLevel.BAC_2, lives_in_qpv=QpvAnswer.YES
            ),
        }
        who = ccas_member.user
        custody.hand_out(p1[0:2], prescriber=ccas, by=who, beneficiary=people["b1"])
        custody.hand_out(p1[2:4], prescriber=ccas, by=who, beneficiary=people["b2"])
        custody.hand_out(p1[4:5], prescriber=ccas, by=who, beneficiary=people["b3"])
        custody.hand_out(p1[5:8], prescriber=ccas, by=who, beneficiary=people["b4"])
        _redeem(assoc, p1[5], order)  # b4, same day
    for when, pass_, op in [
        (at(2021, 3, 12), p1[0], assoc),
        (at(2021, 3, 15), p1[1], assoc),
        (at(2021, 3, 20, 18), p1[2], company),
    ]:
        with time_machine.travel(when, tick=False):
            _redeem(op, pass_, order)
    with time_machine.travel(at(2021, 3, 20), tick=False):
        b5 = _person(centre, programme, job_seeker=True, diploma_level=DiplomaLevel.NONE)
        custody.hand_out(p3[0:2], prescriber=centre, by=centre_member.user, beneficiary=b5)
    with time_machine.travel(at(2021, 4, 2), tick=False):
        _redeem(assoc, p3[0], order)
    order.refresh_from_db()
    return Scenario(
        programme=programme,
        order=order,
        funder=funder,
        funder_admin=funder_admin,
        town_a=town_a,
        town_b=town_b,
        territory_a=territory_a,
        territory_b=territory_b,
        ccas=ccas,
        centre=centre,
        hub=hub,
        town_a_member=town_a_member,
        town_b_member=town_b_member,
        hub_member=hub_member,
    )
