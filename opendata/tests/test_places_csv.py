"""The national « Lieux de médiation numérique » CSV export (schema v1.0.2)."""

import csv
import io
import json

import pytest
from django.urls import reverse
from frictionless import Resource, Schema

from opendata import exports

pytestmark = pytest.mark.django_db

SCHEMA = exports.SCHEMA_DIR / "schema.json"


def _download(client) -> str:
    response = client.get(reverse("opendata:places_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content).decode("utf-8")


def _validate(text: str):
    resource = Resource(
        data=text.encode("utf-8"),
        format="csv",
        encoding="utf-8",
        schema=Schema.from_descriptor(json.loads(SCHEMA.read_text(encoding="utf-8"))),
    )
    return resource.validate()


def test_committed_schema_is_v1_0_2_and_the_example_validates():
    descriptor = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert descriptor["version"] == "v1.0.2"
    example = (exports.SCHEMA_DIR / "exemple-valide.csv").read_text(encoding="utf-8")
    assert _validate(example).valid


def test_export_validates_with_frictionless(client, published):
    text = _download(client)
    report = _validate(text)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_layout_follows_the_schema(client, published):
    text = _download(client)
    rows = list(csv.reader(io.StringIO(text)))
    descriptor = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert rows[0] == [field["name"] for field in descriptor["fields"]]
    assert all(len(row) == len(rows[0]) for row in rows)
    assert text.splitlines()[1].startswith('"passnum-lieu-')  # quoted like the example
    records = list(csv.DictReader(io.StringIO(text)))
    # Only the qualified, active places of qualified operators.
    assert [r["nom"] for r in records] == ["Espace numérique des Tilleuls", "Permanence mairie"]
    full, bare = records
    place = published["full"]
    assert full["id"] == f"passnum-lieu-{place.pk}"
    assert full["pivot"] == "73282932000074"
    assert full["source"] == "Passnum"
    assert full["date_maj"] == place.updated_at.date().isoformat() or len(full["date_maj"]) == 10
    assert full["frais_a_charge"] == "Gratuit sous condition"
    assert bare["frais_a_charge"] == ""
    assert full["services"] == (
        "Aide aux démarches administratives|Accès internet et matériel informatique"
    )
    assert full["publics_specifiquement_adresses"] == "Seniors|Familles et/ou enfants"
    assert full["dispositif_programmes_nationaux"] == "Conseillers numériques|France Services"
    assert full["modalites_accompagnement"] == "Accompagnement individuel|À distance"
    assert full["typologie"] == "ASSO|TIERS_LIEUX"
    assert full["code_insee"] == "93001" and full["commune"] == "Aubervilliers"
    assert full["latitude"] == "48.914" and full["longitude"] == "2.382"
    assert full["horaires"] == "Mo-Fr 09:00-12:00,14:00-18:00; PH off"


def test_ids_are_stable_across_edits(client, published):
    first = list(csv.DictReader(io.StringIO(_download(client))))
    place = published["full"]
    place.name = "Nouveau nom"
    place.save()
    second = list(csv.DictReader(io.StringIO(_download(client))))
    assert {r["id"] for r in first} == {r["id"] for r in second}


def test_empty_export_still_has_the_header(client):
    text = _download(client)
    assert text.count("\n") == 1
    assert _validate(text).valid
