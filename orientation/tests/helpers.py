"""Helpers (no tests) for the orientation tests: a prescriber with passes in stock, places."""

from django.test import Client

from ledger import custody
from ledger.models import Pass
from ledger.tests import factories
from ledger.tests.test_custody_helpers import Chain, chain, down_to_prescriber
from operators.models import Place, Service
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def prescriber_with_stock(booklets: int = 1) -> Chain:
    c = chain(booklets=booklets)
    Organisation.objects.filter(pk=c.prescriber.pk).update(
        commune=factories.commune(), phone="01 48 39 50 00", address="6 rue Charron"
    )
    c.prescriber.refresh_from_db()
    down_to_prescriber(c)
    return c


def hand_out(c: Chain, count: int = 3, beneficiary=None):
    passes = list(
        Pass.objects.filter(holder=c.prescriber, status="IN_STOCK").order_by("number")[:count]
    )
    return custody.hand_out(
        passes, prescriber=c.prescriber, by=c.prescriber_user, beneficiary=beneficiary
    )


def places_nearby() -> list[Place]:
    """Three qualified places in Aubervilliers, one in Saint-Denis (same department), and an
    unqualified one that must never be suggested."""
    places = []
    for name in ("Clic Solidaire", "Numérique Pour Tous", "Les Petits Débrouillards"):
        _, place, _ = factories.operator(name)
        Place.objects.filter(pk=place.pk).update(
            phone="01 02 03 04 05", opening_hours="Mo-Fr 09:30-12:30,14:00-18:00"
        )
        places.append(place)
    _, far, _ = factories.operator(
        "Emmaüs Connect", place_commune=factories.commune("93066", "Saint-Denis")
    )
    places.append(far)
    factories.operator("Pas Encore Qualifié", qualified=False)
    return places


def other_member(role: str = Role.ADMIN):
    """A member of another prescriber structure."""
    user = make_user()
    make_member(make_org("Autre CCAS"), role, user=user)
    return user


__all__ = ["Service", "client_for", "hand_out", "other_member", "places_nearby"]
