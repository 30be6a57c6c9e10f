"""A small world for the follow-up tests: one programme (funder, hub) with two territories
(Aubervilliers, Saint-Denis), their prescribers and operators, and a second programme with its
own hub and territory."""

from datetime import date
from types import SimpleNamespace

import pytest

from ledger.tests import factories
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org
from programmes.models import Programme, Territory

Kind = Organisation.Kind


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def live_world(transactional_db):
    from django.core.cache import cache

    cache.clear()
    return build_world()


def build_world() -> SimpleNamespace:
    programme = factories.programme()
    hub = make_org("Hub Francil'IN", kind=Kind.HUB, email="contact@hub.example")
    programme.hub = hub
    programme.save()
    aubervilliers = factories.commune()
    saint_denis = factories.commune("93066", "Saint-Denis")
    mun_a = make_org(
        "Ville d'Aubervilliers",
        kind=Kind.MUNICIPALITY,
        commune=aubervilliers,
        parent=programme.funder,
    )
    mun_b = make_org(
        "Ville de Saint-Denis", kind=Kind.MUNICIPALITY, commune=saint_denis, parent=programme.funder
    )
    territory_a = Territory.objects.create(
        programme=programme,
        municipality=mun_a,
        commune=aubervilliers,
        booklets_allocated=700,
        joined_on=date(2021, 3, 1),
        is_pilot=True,
    )
    territory_b = Territory.objects.create(
        programme=programme,
        municipality=mun_b,
        commune=saint_denis,
        booklets_allocated=900,
        joined_on=date(2021, 3, 1),
        is_pilot=True,
    )
    prescriber_a = make_org("CCAS d'Aubervilliers", kind=Kind.PRESCRIBER, commune=aubervilliers)
    operator_a = make_org("Clic Solidaire Aubervilliers", kind=Kind.OPERATOR, commune=aubervilliers)
    attached = make_org("Centre social Les Passerelles", kind=Kind.PRESCRIBER, parent=mun_a)
    prescriber_b = make_org("CCAS de Saint-Denis", kind=Kind.PRESCRIBER, commune=saint_denis)
    # A second programme, with another funder and hub, and one territory.
    other_funder = make_org("Département de l'Essonne", kind=Kind.FUNDER)
    other_hub = make_org("Hub du Sud", kind=Kind.HUB)
    other_programme = Programme.objects.create(
        funder=other_funder,
        hub=other_hub,
        name="Pass numérique Essonne",
        starts_on=date(2021, 1, 1),
        ends_on=date(2022, 12, 31),
        payment_mode=Programme.PaymentMode.PUBLIC_ACCOUNTING,
    )
    evry = factories.commune("91228", "Évry-Courcouronnes")
    mun_c = make_org("Ville d'Évry", kind=Kind.MUNICIPALITY, commune=evry)
    territory_c = Territory.objects.create(
        programme=other_programme, municipality=mun_c, commune=evry, joined_on=date(2021, 6, 1)
    )
    w = SimpleNamespace(
        programme=programme,
        funder=programme.funder,
        hub=hub,
        mun_a=mun_a,
        mun_b=mun_b,
        territory_a=territory_a,
        territory_b=territory_b,
        prescriber_a=prescriber_a,
        operator_a=operator_a,
        attached=attached,
        prescriber_b=prescriber_b,
        other_programme=other_programme,
        other_funder=other_funder,
        other_hub=other_hub,
        mun_c=mun_c,
        territory_c=territory_c,
    )
    w.funder_admin = make_member(w.funder, Role.ADMIN).user
    w.funder_readonly = make_member(w.funder, Role.READONLY).user
    w.hub_member = make_member(hub, Role.MEMBER).user
    w.hub_readonly = make_member(hub, Role.READONLY).user
    w.mun_a_admin = make_member(mun_a, Role.ADMIN).user
    w.mun_a_member = make_member(mun_a, Role.MEMBER).user
    w.mun_a_readonly = make_member(mun_a, Role.READONLY).user
    w.mun_b_admin = make_member(mun_b, Role.ADMIN).user
    w.other_hub_member = make_member(other_hub, Role.MEMBER).user
    w.other_funder_admin = make_member(other_funder, Role.ADMIN).user
    w.prescriber_a_member = make_member(prescriber_a, Role.MEMBER).user
    w.prescriber_b_member = make_member(prescriber_b, Role.MEMBER).user
    return w
