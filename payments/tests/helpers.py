"""Builders for the counter-payment tests: a programme, an order, operators with bank accounts,
finance users on the payer, and redemptions at chosen dates (through the real ledger)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger import redemption as r
from ledger.models import Order, Pass
from ledger.tests import factories
from ledger.tests.test_redemption import item
from operators.models import BankAccount
from organisations.models import Membership, Organisation, Role
from passnum.testing import make_member, make_user
from payments.services import payer_for
from programmes.models import Programme

PARIS = ZoneInfo("Europe/Paris")
IBANS = [
    "FR1420041010050500013M02606",
    "FR7630006000011234567890189",
    "FR7630004000031234567890143",
    "FR7610107001011234567890129",
]
BAD_IBAN = "FR1520041010050500013M02606"  # right shape, wrong check digits
DEBTOR_IBAN = "FR7630004000031234567890143"


@dataclass
class World:
    programme: Programme
    order: Order
    passes: list[Pass]
    payer: Organisation
    operators: list[tuple] = field(default_factory=list)  # (org, place, service, user)
    finance: list = field(default_factory=list)  # two finance users of the payer
    keys: int = 0

    def redeem(self, op_index: int, passes: list[Pass], when: datetime | None = None):
        """One redemption per pass (the operator's service is worth one pass)."""
        org, place, service, user = self.operators[op_index]
        cache.clear()

        def go():
            outcomes = []
            for p in passes:
                self.keys += 1
                outcomes.append(
                    r.redeem(
                        operator=org,
                        place=place,
                        service=service,
                        items=[item(p)],
                        idempotency_key=f"k-{self.keys}",
                        by=user,
                    )
                )
            return outcomes

        if when is None:
            return go()
        with time_machine.travel(when, tick=False):
            return go()


def paris(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=PARIS)


def add_operator(w: World, name: str, *, iban: str | None = None, siret: str | None = None):
    org, place, service = factories.operator(name, place_commune=factories.commune())
    if siret:
        org.siret = siret
        org.save(update_fields=["siret"])
    user = make_user()
    make_member(org, Role.ADMIN, user=user)
    if iban is not None:
        BankAccount.objects.create(
            operator=org, holder=f"{name} (compte)", iban=iban, bic="BNPAFRPP", created_by=user
        )
    w.operators.append((org, place, service, user))
    return org


def finance_user(organisation: Organisation, *, verified_device: bool = True, role=Role.MEMBER):
    user = make_user()
    Membership.objects.create(user=user, organisation=organisation, role=role, is_finance=True)
    if verified_device:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


SIRETS = ["73282932000074", "55210055400013", "44306184100047", "35600000000048"]


def world(
    *,
    mode: str = Programme.PaymentMode.ISSUER,
    operators: int = 2,
    fee_bp: int = 400,
    booklets: int = 2,
    with_debtor: bool = True,
) -> World:
    prog = factories.programme(payment_mode=mode, downstream_fee_basis_points=fee_bp)
    order = factories.order(prog, booklets=booklets)
    passes = list(Pass.objects.filter(order=order).select_related("order").order_by("number"))
    w = World(programme=prog, order=order, passes=passes, payer=payer_for(prog))
    for i in range(operators):
        add_operator(w, f"Opérateur {chr(65 + i)}", iban=IBANS[i % len(IBANS)], siret=SIRETS[i])
    w.finance = [finance_user(w.payer), finance_user(w.payer)]
    if with_debtor and mode == Programme.PaymentMode.ISSUER:
        from payments.models import PayerBankAccount

        PayerBankAccount.objects.create(
            organisation=w.payer,
            name="Émetteur SAS",
            iban=DEBTOR_IBAN,
            bic="PSSTFRPPPAR",
            created_by=w.finance[0],
        )
    return w
