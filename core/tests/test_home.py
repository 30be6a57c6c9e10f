import pytest
from django.urls import reverse

from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user

pytestmark = pytest.mark.django_db


def test_anonymous_sees_the_landing_page(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Passnum, les pass numériques de bout en bout" in body
    assert 'lang="fr"' in body


def test_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"


def test_user_with_several_organisations_chooses(client):
    user = make_user()
    a = make_member(make_org("Opérateur A", kind=Organisation.Kind.OPERATOR), user=user)
    b = make_member(make_org("Hub B", kind=Organisation.Kind.HUB), Role.READONLY, user=user)
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "Opérateur A" in body and "Hub B" in body
    assert "Espace opérateur" not in body  # missions are summarised, titles on workspaces
    response = client.post(reverse("organisations:switch"), {"organisation": b.organisation_id})
    assert response.status_code == 302
    assert client.session["current_organisation_id"] == b.organisation_id
    page = client.get(reverse("organisations:detail", args=[a.organisation_id]))
    assert "Espace opérateur" in page.content.decode()
    assert client.session["current_organisation_id"] == a.organisation_id


def test_user_without_organisation_gets_guidance(client):
    client.force_login(make_user())
    assert "aucune organisation" in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        (Organisation.Kind.FUNDER, "Espace commanditaire"),
        (Organisation.Kind.MUNICIPALITY, "Espace collectivité"),
        (Organisation.Kind.HUB, "Espace hub territorial"),
        (Organisation.Kind.PRESCRIBER, "Espace prescripteur"),
        (Organisation.Kind.OPERATOR, "Espace opérateur"),
        (Organisation.Kind.ISSUER, "Espace émetteur"),
    ],
)
def test_each_role_has_its_workspace(client, kind, title):
    membership = make_member(make_org(kind=kind))
    client.force_login(membership.user)
    response = client.get(reverse("organisations:detail", args=[membership.organisation_id]))
    assert title in response.content.decode()


def test_theme_css_uses_the_funder_colour(client):
    funder = make_org("Métropole", kind=Organisation.Kind.FUNDER, brand_colour="#0b5394")
    response = client.get(reverse("core:theme", args=[funder.pk]))
    assert response["Content-Type"].startswith("text/css")
    assert "--brand: #0b5394" in response.content.decode()
    prescriber = make_member(make_org(parent=funder))
    client.force_login(prescriber.user)
    page = client.get(reverse("organisations:detail", args=[prescriber.organisation_id]))
    assert reverse("core:theme", args=[funder.pk]) in page.content.decode()


def test_theme_css_only_for_funders(client):
    other = make_org(kind=Organisation.Kind.OPERATOR)
    assert client.get(reverse("core:theme", args=[other.pk])).status_code == 404


def test_health(client):
    response = client.get(reverse("core:health"))
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("name", ["core:accessibility", "core:personal_data"])
def test_public_pages(client, name):
    assert client.get(reverse(name)).status_code == 200
