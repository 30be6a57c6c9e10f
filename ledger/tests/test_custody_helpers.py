"""Helpers (no tests) for the custody tests: funder → municipality → prescriber, with members."""

from dataclasses import dataclass

from accounts.models import User
from ledger.models import Booklet, Order
from ledger.tests import factories
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user


@dataclass
class Chain:
    order: Order
    funder: Organisation
    municipality: Organisation
    prescriber: Organisation
    funder_user: User
    municipality_user: User
    prescriber_user: User
    named: User

    def booklets(self) -> list[Booklet]:
        return list(Booklet.objects.filter(order=self.order).order_by("number"))


def chain(booklets: int = 4, **order_extra) -> Chain:
    order = factories.order(booklets=booklets, **order_extra)
    funder = order.funder
    municipality = make_org(
        "Ville d'Aubervilliers", kind=Organisation.Kind.MUNICIPALITY, parent=funder
    )
    prescriber = make_org(
        "CCAS d'Aubervilliers", kind=Organisation.Kind.PRESCRIBER, parent=municipality
    )
    funder_user, municipality_user, prescriber_user, named = (make_user() for _ in range(4))
    make_member(funder, Role.ADMIN, user=funder_user)
    make_member(municipality, Role.MEMBER, user=municipality_user)
    make_member(prescriber, Role.MEMBER, user=prescriber_user)
    make_member(prescriber, Role.MEMBER, user=named)
    return Chain(
        order,
        funder,
        municipality,
        prescriber,
        funder_user,
        municipality_user,
        prescriber_user,
        named,
    )


def down_to_prescriber(c: Chain, booklets: list[Booklet] | None = None) -> list[Booklet]:
    """Move booklets funder → municipality → prescriber, acknowledging each step."""
    from ledger import custody

    booklets = booklets if booklets is not None else c.booklets()
    t1 = custody.transfer_booklets(booklets, c.municipality, by=c.funder_user, from_holder=c.funder)
    custody.acknowledge_transfer(t1, by=c.municipality_user)
    t2 = custody.transfer_booklets(
        booklets, c.prescriber, by=c.municipality_user, from_holder=c.municipality
    )
    custody.acknowledge_transfer(t2, by=c.prescriber_user)
    return [Booklet.objects.get(pk=b.pk) for b in booklets]
