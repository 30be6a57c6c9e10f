"""Small builders shared by the test suites of every app (plain functions, no magic)."""

import itertools

from accounts.models import User
from organisations.models import Membership, Organisation, Role

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(email: str | None = None, **extra) -> User:
    email = email or f"personne{next(_counter)}@exemple.fr"
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def make_org(
    name: str | None = None, kind: str = Organisation.Kind.PRESCRIBER, **extra
) -> Organisation:
    return Organisation.objects.create(
        name=name or f"Structure {next(_counter)}", kind=kind, **extra
    )


def make_member(
    organisation: Organisation | None = None, role: str = Role.ADMIN, user: User | None = None
) -> Membership:
    return Membership.objects.create(
        user=user or make_user(), organisation=organisation or make_org(), role=role
    )
