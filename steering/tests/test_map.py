"""The steering map: place figures from the rollup, territory positions, and each dashboard's
map data contains its slice only (a municipality never gets another municipality's places or
figures); the « Lieux » table exports."""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from geo.models import Commune
from operators.models import Place
from passnum.testing import PASSWORD
from steering import maps, queries, services

from .scenario import at, build

pytestmark = pytest.mark.django_db


def _locate(code: str, lat: str, lng: str) -> None:
    Commune.objects.filter(pk=code).update(latitude=Decimal(lat), longitude=Decimal(lng))


@pytest.fixture
def s():
    scenario = build()
    _locate("93001", "48.914", "2.382")  # Aubervilliers; Saint-Denis stays without a centre
    Place.objects.filter(name="Lieu Association Clic Solidaire").update(
        latitude=Decimal("48.910"), longitude=Decimal("2.380")
    )
    Place.objects.filter(name="Boutique numérique").update(
        latitude=Decimal("48.916"), longitude=Decimal("2.386")
    )
    with time_machine.travel(at(2021, 6, 30), tick=False):
        services.refresh_programme(scenario.programme)
    return scenario


def _places(dashboard) -> dict[str, int]:
    return {line.place.name: line.redeemed for line in dashboard.places}


def test_place_lines_whole_programme_and_municipality_slices(s):
    whole = queries.build_dashboard([s.programme])
    assert _places(whole) == {"Lieu Association Clic Solidaire": 4, "Boutique numérique": 1}
    assert [line.place.name for line in whole.places][0] == "Lieu Association Clic Solidaire"
    a = queries.build_dashboard([s.programme], territories=[s.territory_a])
    assert _places(a) == {"Lieu Association Clic Solidaire": 3, "Boutique numérique": 1}
    # Saint-Denis: only its own pass used at the association; never the company's place, where
    # only Aubervilliers' passes were used, nor Aubervilliers' passes at the association.
    b = queries.build_dashboard([s.programme], territories=[s.territory_b])
    assert _places(b) == {"Lieu Association Clic Solidaire": 1}


def test_dashboards_never_read_the_ledger(s):
    with CaptureQueriesContext(connection) as ctx:
        queries.build_dashboard([s.programme])
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "ledger_pass" not in sql and "ledger_redemption" not in sql


def test_map_data_positions_alerts_and_unknown_territories(s):
    data = maps.map_data(queries.build_dashboard([s.programme]))
    [circle] = data["circles"]
    assert (circle["name"], circle["lat"], circle["lng"]) == ("Aubervilliers", 48.914, 2.382)
    assert circle["value"] == 8 and circle["alert"] is True
    assert dict(circle["rows"]) == {
        "Pass remis": "8",
        "Pass utilisés": "4",
        "Taux d'utilisation": "50\u00a0%",
        "Part PIC": "37,5\u00a0% (objectif 50 %) — sous l'objectif",
        "Part QPV": "62,5\u00a0%",
    }
    assert data["unknown_territories"] == ["Saint-Denis"]
    places = {p["name"]: p for p in data["places"]}
    assert set(places) == {"Lieu Association Clic Solidaire", "Boutique numérique"}
    assoc = dict(places["Lieu Association Clic Solidaire"]["rows"])
    assert assoc["Pass utilisés"] == "4" and assoc["Opérateur"] == "Association Clic Solidaire"
    assert data["unknown_places"] == []

    _locate("93066", "48.936", "2.357")
    Place.objects.filter(name="Boutique numérique").update(latitude=None, longitude=None)
    data = maps.map_data(queries.build_dashboard([s.programme]))
    assert [c["name"] for c in data["circles"]] == ["Aubervilliers", "Saint-Denis"]
    assert data["circles"][1]["alert"] is False and data["unknown_territories"] == []
    assert data["unknown_places"] == ["Boutique numérique"]


def _map_json(response) -> dict:
    html = response.content.decode()
    match = re.search(
        r'<script id="steering-map-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, "the page carries the map data"
    return json.loads(match.group(1))


def _client(client, membership):
    client.login(email=membership.user.email, password=PASSWORD)
    return client


def test_funder_and_hub_pages_carry_the_whole_map(client, s):
    c = _client(client, s.funder_admin)
    response = c.get(reverse("steering:programme", args=[s.programme.pk]))
    html = response.content.decode()
    data = _map_json(response)
    assert [x["name"] for x in data["circles"]] == ["Aubervilliers"]
    assert len(data["places"]) == 2
    assert "Position inconnue : Saint-Denis." in html
    assert 'data-tile-url=""' in html  # no MAP_TILE_URL: a blank background, no tile request
    assert "vendor/leaflet/leaflet.js" in html and "js/map.js" in html
    assert "<caption>Lieux</caption>" in html

    client.logout()
    c = _client(client, s.hub_member)
    data = _map_json(c.get(reverse("steering:hub", args=[s.hub.pk])))
    assert [x["name"] for x in data["circles"]] == ["Aubervilliers"] and len(data["places"]) == 2


def test_municipality_page_carries_only_its_slice(client, s):
    _locate("93066", "48.936", "2.357")
    c = _client(client, s.town_b_member)
    response = c.get(reverse("steering:municipality", args=[s.town_b.pk]))
    data = _map_json(response)
    assert [x["name"] for x in data["circles"]] == ["Saint-Denis"]
    [place] = data["places"]
    assert place["name"] == "Lieu Association Clic Solidaire"
    assert dict(place["rows"])["Pass utilisés"] == "1"  # its pass, not Aubervilliers' 3
    html = response.content.decode()
    assert "Boutique numérique" not in html
    assert "37,5" not in json.dumps(data, ensure_ascii=False)  # no figure of Aubervilliers
    assert "Position inconnue" not in html
    # Another municipality's map: 404.
    assert c.get(reverse("steering:municipality", args=[s.town_a.pk])).status_code == 404
    url = reverse("steering:municipality_export", args=[s.town_a.pk, "lieux", "csv"])
    assert c.get(url).status_code == 404

    # The « Lieux » table exports, with the same slice.
    url = reverse("steering:municipality_export", args=[s.town_b.pk, "lieux", "csv"])
    content = c.get(url).content
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Lieu", "Opérateur", "Commune", "Pass utilisés", "Dont remboursés"],
        [
            "Lieu Association Clic Solidaire",
            "Association Clic Solidaire",
            "Aubervilliers",
            "1",
            "0",
        ],
    ]


def test_funder_exports_the_places_in_xlsx(client, s):
    from core.exports import read_xlsx

    c = _client(client, s.funder_admin)
    url = reverse("steering:programme_export", args=[s.programme.pk, "lieux", "xlsx"])
    response = c.get(url)
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    assert rows[0][:4] == ["Lieu", "Opérateur", "Commune", "Pass utilisés"]
    assert sorted((r[0], r[3]) for r in rows[1:]) == [
        ("Boutique numérique", 1),
        ("Lieu Association Clic Solidaire", 4),
    ]
