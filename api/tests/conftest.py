"""Fixtures of the API tests: two organisations, their members, and tokens."""

import pytest
from django.test import Client

from accounts.models import User
from api import services
from organisations.models import Membership, Organisation, Role

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def org_a(db):
    return Organisation.objects.create(
        kind=Organisation.Kind.PRESCRIBER, name="Centre social Les Tilleuls", city="Montreuil"
    )


@pytest.fixture
def org_b(db):
    return Organisation.objects.create(kind=Organisation.Kind.OPERATOR, name="Fablab de Bondy")


@pytest.fixture
def user(org_a):
    """Camille, admin of organisation A."""
    camille = User.objects.create_user(
        email="camille.martin@tilleuls.example",
        password=PASSWORD,
        first_name="Camille",
        last_name="Martin",
    )
    Membership.objects.create(user=camille, organisation=org_a, role=Role.ADMIN)
    return camille


@pytest.fixture
def other_user(org_b):
    """Sami, member of organisation B only."""
    sami = User.objects.create_user(
        email="sami.benali@fablab.example", password=PASSWORD, first_name="Sami"
    )
    Membership.objects.create(user=sami, organisation=org_b, role=Role.MEMBER)
    return sami


@pytest.fixture
def make_token():
    def make(owner: User, name: str = "Script de suivi"):
        return services.create_token(owner, name, actor=owner)

    return make


@pytest.fixture
def token(user, make_token):
    """(ApiToken, clear token) of ``user``."""
    return make_token(user)


@pytest.fixture
def api_client(token):
    """A test client that sends ``user``'s token on every request."""
    return Client(headers={"Authorization": f"Bearer {token[1]}"})


def bearer(clear: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {clear}"})
