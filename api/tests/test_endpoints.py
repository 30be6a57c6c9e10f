"""The endpoints: who I am, my organisations, and nothing of the others'."""

import pytest
from django.utils import timezone

from accounts.models import User
from organisations.models import Membership, Organisation, Role

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_me(api_client, user, org_a, org_b):
    funder = Organisation.objects.create(kind=Organisation.Kind.FUNDER, name="Métropole")
    Membership.objects.create(user=user, organisation=funder, role=Role.READONLY)
    # Neither a deactivated membership nor one in a deactivated organisation is listed.
    Membership.objects.create(
        user=user,
        organisation=org_b,
        role=Role.MEMBER,
        is_active=False,
        deactivated_at=timezone.now(),
    )
    closed = Organisation.objects.create(
        kind=Organisation.Kind.HUB, name="Hub fermé", is_active=False
    )
    Membership.objects.create(user=user, organisation=closed, role=Role.ADMIN)

    response = api_client.get("/api/v1/me")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = response.json()
    assert {k: data[k] for k in ("id", "email", "first_name", "last_name")} == {
        "id": user.pk,
        "email": "camille.martin@tilleuls.example",
        "first_name": "Camille",
        "last_name": "Martin",
    }
    memberships = [
        (m["organisation"]["id"], m["organisation"]["name"], m["organisation"]["kind"], m["role"])
        for m in data["memberships"]
    ]
    assert memberships == [
        (org_a.pk, "Centre social Les Tilleuls", "PRESCRIBER", "ADMIN"),
        (funder.pk, "Métropole", "FUNDER", "READONLY"),
    ]
    assert data["memberships"][0]["role_label"] == "Administrateur"
    assert data["memberships"][0]["organisation"]["kind_label"] == "Structure prescriptrice"


def test_my_organisations(api_client, user, org_a, org_b, other_user):
    response = api_client.get("/api/v1/organisations")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": org_a.pk,
                "name": org_a.name,
                "kind": "PRESCRIBER",
                "kind_label": "Structure prescriptrice",
                "role": "ADMIN",
                "role_label": "Administrateur",
            }
        ],
        "count": 1,
    }


def test_organisations_are_paginated(api_client, user):
    for i in range(3):
        organisation = Organisation.objects.create(
            kind=Organisation.Kind.OPERATOR, name=f"Lieu {i}"
        )
        Membership.objects.create(user=user, organisation=organisation, role=Role.MEMBER)
    data = api_client.get("/api/v1/organisations?limit=2&offset=1").json()
    assert data["count"] == 4
    assert [o["name"] for o in data["items"]] == ["Lieu 0", "Lieu 1"]


def test_organisation_detail(api_client, org_a):
    parent = Organisation.objects.create(kind=Organisation.Kind.MUNICIPALITY, name="Montreuil")
    org_a.parent = parent
    org_a.save()
    response = api_client.get(f"/api/v1/organisations/{org_a.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == org_a.pk
    assert data["name"] == "Centre social Les Tilleuls"
    assert data["city"] == "Montreuil"
    assert data["siret"] is None
    assert data["commune"] is None
    assert data["parent"] == {
        "id": parent.pk,
        "name": "Montreuil",
        "kind": "MUNICIPALITY",
        "kind_label": "Collectivité",
    }
    assert (data["role"], data["role_label"]) == ("ADMIN", "Administrateur")
    assert data["legal_category_label"] == "Autre"


@pytest.mark.parametrize("suffix", ["", "/members"])
def test_member_of_a_gets_404_on_b(api_client, org_b, other_user, suffix):
    response = api_client.get(f"/api/v1/organisations/{org_b.pk}{suffix}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Organisation introuvable."}
    # Exactly as for an organisation that does not exist.
    missing = api_client.get(f"/api/v1/organisations/{org_b.pk + 1000}{suffix}")
    assert missing.status_code == 404
    assert missing.json() == response.json()


@pytest.mark.parametrize("suffix", ["", "/members"])
def test_deactivated_member_gets_404(user, token, org_a, suffix):
    Membership.objects.filter(user=user, organisation=org_a).update(
        is_active=False, deactivated_at=timezone.now()
    )
    response = bearer(token[1]).get(f"/api/v1/organisations/{org_a.pk}{suffix}")
    assert response.status_code == 404


def test_members(api_client, user, org_a, other_user):
    Membership.objects.create(user=other_user, organisation=org_a, role=Role.READONLY)
    gone = User.objects.create_user(email="parti@tilleuls.example")
    Membership.objects.create(
        user=gone,
        organisation=org_a,
        role=Role.MEMBER,
        is_active=False,
        deactivated_at=timezone.now(),
    )
    response = api_client.get(f"/api/v1/organisations/{org_a.pk}/members")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    members = {m["email"]: m for m in data["items"]}
    assert set(members) == {user.email, other_user.email}  # not the deactivated one
    assert members[user.email]["first_name"] == "Camille"
    assert members[user.email]["last_name"] == "Martin"
    assert members[user.email]["user_id"] == user.pk
    assert members[other_user.email]["role"] == "READONLY"
    assert members[other_user.email]["role_label"] == "Lecture seule"


def test_read_only_member_sees_the_members(org_a, user, other_user, make_token):
    Membership.objects.create(user=other_user, organisation=org_a, role=Role.READONLY)
    _token, clear = make_token(other_user)
    response = bearer(clear).get(f"/api/v1/organisations/{org_a.pk}/members")
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_validation_errors_are_in_french(api_client, org_a):
    response = api_client.get(f"/api/v1/organisations/{org_a.pk}/members?limit=0")
    assert response.status_code == 422
    data = response.json()
    assert data["detail"] == "La requête est invalide : vérifiez les paramètres envoyés."
    assert data["errors"] == [
        {
            "loc": ["query", "limit"],
            "type": "greater_than_equal",
            "message": "La valeur doit être supérieure ou égale à 1.",
        }
    ]
    response = api_client.get("/api/v1/organisations/abc")
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Un nombre entier est attendu."


def test_wrong_method_and_unknown_path_answer_json_in_french(api_client):
    response = api_client.post("/api/v1/me")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json() == {"detail": "Méthode HTTP non autorisée sur cette adresse."}
    for path in ("/api/v1/", "/api/v1/inconnu", "/api/v1/organisations/1/inconnu"):
        response = api_client.get(path)
        assert response.status_code == 404
        assert response.json()["detail"].startswith("Adresse inconnue dans l'API.")
