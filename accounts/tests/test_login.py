import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from journal.models import JournalEntry
from passnum.testing import PASSWORD, make_member, make_user

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


def test_passwords_are_hashed_with_argon2():
    user = make_user()
    assert user.password.startswith("argon2")
    assert "Argon2PasswordHasher" in settings.PASSWORD_HASHERS[-2]  # production hasher listed


def test_email_is_case_insensitive_and_unique():
    make_user("Camille@Exemple.fr")
    assert User.objects.get(email="camille@exemple.fr")
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError, wrapped differently per backend
        from django.db import transaction

        with transaction.atomic():
            User.objects.create_user(email="CAMILLE@exemple.fr", password="x")


def test_login_reaches_the_workspace(client):
    membership = make_member()
    response = client.post(LOGIN, {"email": membership.user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(response["Location"])
    assert home.status_code == 302  # one organisation: straight to its workspace
    assert home["Location"] == reverse("organisations:detail", args=[membership.organisation_id])
    assert JournalEntry.objects.filter(action="LOGIN", actor=membership.user).exists()


def test_wrong_password_gets_a_french_error(client):
    user = make_user()
    response = client.post(LOGIN, {"email": user.email, "password": "mauvais"})
    assert response.status_code == 400
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()
    assert JournalEntry.objects.filter(action="LOGIN_FAILED").count() == 1


def test_login_is_throttled_after_repeated_failures(client):
    user = make_user()
    for _ in range(settings.LOGIN_THROTTLE_PER_EMAIL):
        assert client.post(LOGIN, {"email": user.email, "password": "mauvais"}).status_code == 400
    # Even the right password is refused while the throttle holds.
    response = client.post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert JournalEntry.objects.filter(action="LOGIN_THROTTLED").exists()


def test_throttle_per_ip_covers_many_emails(client, settings):
    settings.LOGIN_THROTTLE_PER_IP = 3
    for i in range(3):
        client.post(LOGIN, {"email": f"inconnu{i}@exemple.fr", "password": "x"})
    user = make_user()
    assert client.post(LOGIN, {"email": user.email, "password": PASSWORD}).status_code == 429


def test_next_is_followed_only_when_safe(client):
    make_member(user=make_user("a@exemple.fr"))
    response = client.post(
        LOGIN + "?next=https://malveillant.example/",
        {"email": "a@exemple.fr", "password": PASSWORD},
    )
    assert response["Location"] == reverse("core:home")


def test_logout_requires_post(client):
    client.force_login(make_user())
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_account_page_edits_profile(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:account"), {"first_name": "Nadia", "last_name": "Durand", "phone": ""}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.get_full_name() == "Nadia Durand"
