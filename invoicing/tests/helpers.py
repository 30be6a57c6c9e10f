"""Builders for the invoicing tests (plain functions, no tests here)."""

from dataclasses import dataclass
from datetime import date

import time_machine
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from ledger import custody
from ledger.models import Order, Pass
from ledger.tests import factories
from ledger.tests.test_custody_helpers import Chain, chain, down_to_prescriber
from organisations.models import Membership, Role
from passnum.testing import PASSWORD, make_member, make_user


def finance_member(organisation, role: str = Role.MEMBER, user: User | None = None) -> Membership:
    membership = make_member(organisation, role, user=user or make_user())
    Membership.objects.filter(pk=membership.pk).update(is_finance=True)
    membership.refresh_from_db()
    return membership


def verified_client(client, user: User):
    """Log in and verify a TOTP second factor through the real page."""
    client.login(email=user.email, password=PASSWORD)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    response = client.post(reverse("accounts:otp_verify"), {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    return client


@dataclass
class Ended:
    """An order past its end of validity with: used passes, cancelled ones, expired ones."""

    chain: Chain
    order: Order
    used: int
    cancelled: int
    expired: int


VALID_UNTIL = date(2030, 6, 30)  # tolerance 31 days: redeemable until 31/07/2030
AFTER_END = date(2030, 8, 1)


def ended_order(booklets: int = 2, used: int = 3, cancelled: int = 2) -> Ended:
    """``booklets`` × 10 passes: ``used`` redeemed at one operator, ``cancelled`` cancelled, the
    rest expired by the expiry job on 01/08/2030."""
    import uuid

    from ledger import codes, redemption

    c = chain(booklets=booklets, valid_until=VALID_UNTIL)
    down_to_prescriber(c, c.booklets()[:1])
    passes = list(Pass.objects.filter(booklet=c.booklets()[0]).order_by("number"))
    operator, place, service = factories.operator()
    mediator = make_member(operator, Role.MEMBER).user
    with time_machine.travel(date(2030, 5, 1), tick=False):
        custody.hand_out(passes[:used], prescriber=c.prescriber, by=c.prescriber_user)
        for p in passes[:used]:
            redemption.redeem(
                operator=operator,
                place=place,
                service=service,
                items=[(p.serial, codes.pass_code(c.order.key_id, p.serial))],
                idempotency_key=str(uuid.uuid4()),
                by=mediator,
            )
    if cancelled:
        custody.cancel_passes(
            passes[used : used + cancelled],
            by=c.prescriber_user,
            organisation=c.prescriber,
            reason="Carnet perdu",
        )
    with time_machine.travel(AFTER_END, tick=False):
        custody.expire_passes()
    c.order.refresh_from_db()
    return Ended(c, c.order, used, cancelled, booklets * 10 - used - cancelled)


def redeem_each(order: Order, passes, operator, place, service, by) -> None:
    """Redeem each pass alone (a 1-pass service), with its real code."""
    import uuid

    from ledger import codes, redemption

    for p in passes:
        redemption.redeem(
            operator=operator,
            place=place,
            service=service,
            items=[(p.serial, codes.pass_code(order.key_id, p.serial))],
            idempotency_key=str(uuid.uuid4()),
            by=by,
        )
