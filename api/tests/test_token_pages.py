"""« Mon compte » › « Jetons d'API »: my tokens only, the clear token shown once."""

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from journal.models import JournalEntry

from .conftest import bearer

pytestmark = pytest.mark.django_db
LIST = reverse("api_tokens:list")


@pytest.fixture
def client_a(user):
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_is_sent_to_login(db, token):
    login = reverse("accounts:login")
    for method, url in [
        ("get", LIST),
        ("post", LIST),
        ("get", reverse("api_tokens:revoke", args=[token[0].pk])),
        ("post", reverse("api_tokens:revoke", args=[token[0].pk])),
    ]:
        response = getattr(Client(), method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_empty_state(client_a):
    response = client_a.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vous n'avez encore aucun jeton d'API." in html
    assert '<label for="id_name">Nom du jeton' in html


def test_create_shows_the_token_once_and_stores_only_its_hash(client_a, user):
    response = client_a.post(LIST, {"name": "  Tableau de bord  "})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    clear = re.search(r'id="new-token-value">(pn_[a-z2-7_]+)</p>', html)[1]
    assert "il ne sera plus jamais affiché" in html
    assert 'data-copy-target="new-token-value"' in html
    token = ApiToken.objects.get(user=user)
    assert token.name == "Tableau de bord"
    assert token.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert clear.startswith(f"pn_{token.prefix}_")
    # It works, and it is never shown again.
    assert bearer(clear).get("/api/v1/me").status_code == 200
    html = client_a.get(LIST).content.decode()
    assert clear not in html
    assert clear.split("_")[2] not in html
    assert f"pn_{token.prefix}_…" in html
    assert "Actif" in html


def test_create_needs_a_name(client_a):
    response = client_a.post(LIST, {"name": "   "})
    assert response.status_code == 200
    assert "Donnez un nom au jeton." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_list_shows_only_my_tokens(client_a, token, other_user, make_token):
    make_token(other_user, "Jeton de Sami")
    html = client_a.get(LIST).content.decode()
    assert "Script de suivi" in html
    assert "Jeton de Sami" not in html
    assert '<th scope="col">Statut</th>' in html
    assert "<caption" in html


def test_revoke_asks_for_confirmation_then_revokes(client_a, user, token):
    url = reverse("api_tokens:revoke", args=[token[0].pk])
    response = client_a.get(url)
    assert response.status_code == 200
    assert "Révoquer définitivement" in response.content.decode()
    token[0].refresh_from_db()
    assert token[0].revoked_at is None  # GET changes nothing

    response = client_a.post(url, follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "a été révoqué" in response.content.decode()
    token[0].refresh_from_db()
    assert token[0].revoked_at is not None
    assert bearer(token[1]).get("/api/v1/me").status_code == 401
    entry = JournalEntry.objects.get(action=JournalEntry.Action.API_TOKEN_REVOKED)
    assert entry.actor == user
    assert entry.object_id == str(token[0].pk)
    assert entry.ip_address == "127.0.0.1"


def test_revoking_twice_is_harmless(client_a, token):
    url = reverse("api_tokens:revoke", args=[token[0].pk])
    client_a.post(url)
    response = client_a.post(url, follow=True)
    assert "était déjà révoqué" in response.content.decode()
    assert JournalEntry.objects.filter(action=JournalEntry.Action.API_TOKEN_REVOKED).count() == 1


def test_another_users_token_is_404(other_user, token):
    client = Client()
    client.force_login(other_user)
    url = reverse("api_tokens:revoke", args=[token[0].pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    token[0].refresh_from_db()
    assert token[0].revoked_at is None
    assert bearer(token[1]).get("/api/v1/me").status_code == 200


def test_account_page_links_to_the_tokens(client_a):
    assert LIST in client_a.get(reverse("accounts:account")).content.decode()
