"""Bearer authentication: only a known, active token of an active user gets in."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from api import services
from api.auth import (
    INACTIVE_USER_MESSAGE,
    MALFORMED_MESSAGE,
    MISSING_MESSAGE,
    REVOKED_MESSAGE,
    UNKNOWN_MESSAGE,
)
from api.models import ApiToken, generate_token, is_well_formed

from .conftest import PASSWORD, bearer

pytestmark = pytest.mark.django_db
ME = "/api/v1/me"


def assert_401(response, message):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": message}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_valid_token_authenticates(user, token):
    response = bearer(token[1]).get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_token_format_and_entropy():
    clear, prefix = generate_token()
    assert is_well_formed(clear)
    scheme, visible, secret = clear.split("_")
    assert (scheme, visible) == ("pn", prefix)
    assert len(secret) * 5 >= 256  # base32: 5 bits a character
    assert len({generate_token()[0] for _ in range(50)}) == 50


def test_only_the_hash_is_stored(token):
    api_token, clear = token
    api_token.refresh_from_db()
    assert api_token.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    secret = clear.split("_")[2]
    row = ApiToken.objects.filter(pk=api_token.pk).values().get()
    assert not any(secret in str(value) for value in row.values())


def test_missing_token(db):
    assert_401(Client().get(ME), MISSING_MESSAGE)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer abc",
        "Bearer pn_abc_def",
        "Token pn_aaaaaaaa_" + "a" * 52,
        "Basic dXNlcjpwYXNz",
        "Bearer pn_AAAAAAAA_" + "A" * 52,  # upper case is not our alphabet
        "Bearer pn_aaaaaaaa_" + "a" * 51,
        "Bearer pn_aaaaaaaa_" + "a" * 52 + " extra",
        "pn_aaaaaaaa_" + "a" * 52,
    ],
)
def test_malformed_token(db, header):
    assert_401(Client(headers={"Authorization": header}).get(ME), MALFORMED_MESSAGE)


def test_unknown_token(db):
    clear, _prefix = generate_token()
    assert_401(bearer(clear).get(ME), UNKNOWN_MESSAGE)


def test_tampered_token(token):
    clear = token[1]
    tampered = clear[:-1] + ("a" if clear[-1] != "a" else "b")
    assert_401(bearer(tampered).get(ME), UNKNOWN_MESSAGE)


def test_revoked_token(user, token):
    services.revoke_token(token[0], actor=user)
    assert_401(bearer(token[1]).get(ME), REVOKED_MESSAGE)


def test_inactive_user(user, token):
    user.is_active = False
    user.save()
    assert_401(bearer(token[1]).get(ME), INACTIVE_USER_MESSAGE)


def test_an_invalid_token_never_falls_back_to_the_session(user):
    client = Client()
    client.force_login(user)
    assert client.get(ME).status_code == 200  # the session alone is accepted
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer " + generate_token()[0]
    assert_401(client.get(ME), UNKNOWN_MESSAGE)


def test_browser_session_of_inactive_user_is_refused(user):
    client = Client()
    client.login(email=user.email, password=PASSWORD)
    user.is_active = False
    user.save()
    assert_401(client.get(ME), MISSING_MESSAGE)


def test_last_used_at_is_written_at_most_once_a_minute(token, django_assert_num_queries):
    api_token, clear = token
    assert api_token.last_used_at is None
    client = bearer(clear)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(ME)
        api_token.refresh_from_db()
        assert api_token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        # token lookup + memberships: no UPDATE within the minute
        with django_assert_num_queries(2):
            client.get(ME)
        api_token.refresh_from_db()
        assert api_token.last_used_at == start
    later = start + timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        client.get(ME)
        api_token.refresh_from_db()
        assert api_token.last_used_at == later
