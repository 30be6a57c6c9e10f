"""``manage.py api_token EMAIL [--name NAME]``: prints the token, and only the token."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from api.models import ApiToken
from journal.models import JournalEntry

from .conftest import bearer

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_a_working_token_and_nothing_else(user):
    out, err = run("Camille.Martin@Tilleuls.example", "--name", "Import nocturne")
    clear = out.strip()
    assert out == clear + "\n"
    assert clear.startswith("pn_")
    token = ApiToken.objects.get(user=user)
    assert token.name == "Import nocturne"
    response = bearer(clear).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    entry = JournalEntry.objects.get(action=JournalEntry.Action.API_TOKEN_CREATED)
    assert entry.actor is None
    assert entry.actor_label == "ligne de commande (manage.py api_token)"
    assert entry.details["user"] == user.email


def test_default_name(user):
    run(user.email)
    assert ApiToken.objects.get(user=user).name == "Jeton créé en ligne de commande"


def test_unknown_email(db):
    with pytest.raises(CommandError, match="Aucun utilisateur n'a l'adresse e-mail"):
        run("personne@nulle-part.example")
    assert not ApiToken.objects.exists()


def test_inactive_user(user):
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="désactivé"):
        run(user.email)
