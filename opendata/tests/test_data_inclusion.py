"""Structures and services in the data·inclusion schema, validated by its package."""

import pytest
from data_inclusion.schema import v1 as di
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_structures_validate_with_the_package(client, published):
    response = client.get(reverse("opendata:di_structures"))
    assert response.status_code == 200
    data = response.json()
    assert [item["nom"] for item in data] == ["Espace numérique des Tilleuls", "Permanence mairie"]
    for item in data:
        di.Structure.model_validate(item)
    full = data[0]
    assert full["id"] == f"passnum--passnum-lieu-{published['full'].pk}"
    assert full["source"] == "passnum"
    assert full["siret"] == "73282932000074"
    assert full["code_insee"] == "93001"
    assert full["horaires_accueil"] == "Mo-Fr 09:00-12:00,14:00-18:00; PH off"
    assert set(full["reseaux_porteurs"]) == {"conseillers-numeriques", "france-service"}
    assert "reseaux_porteurs" not in data[1]
    assert full["accessibilite_lieu"].startswith("https://acceslibre.beta.gouv.fr/")


def test_services_validate_with_the_package(client, published):
    response = client.get(reverse("opendata:di_services"))
    assert response.status_code == 200
    data = response.json()
    # Two active services at each of the two published places; retired and foreign ones left out.
    assert len(data) == 4
    structures = {item["id"] for item in client.get(reverse("opendata:di_structures")).json()}
    for item in data:
        model = di.Service.model_validate(item)
        assert model.structure_id in structures
    names = {item["nom"] for item in data}
    assert names == {"Aide aux démarches", "Atelier smartphone"}
    workshop = next(
        item
        for item in data
        if item["nom"] == "Atelier smartphone"
        and item["structure_id"].endswith(str(published["full"].pk))
    )
    assert workshop["type"] == "atelier"
    assert workshop["frais"] == "gratuit"
    assert "2 pass" in workshop["frais_precisions"]
    assert set(workshop["publics"]) == {"seniors", "familles"}
    assert set(workshop["modes_accueil"]) == {"en-presentiel", "a-distance"}
    assert workshop["thematiques"] == ["numerique--maitriser-les-fondamentaux-du-numerique"]


def test_empty_exports(client):
    assert client.get(reverse("opendata:di_structures")).json() == []
    assert client.get(reverse("opendata:di_services")).json() == []
