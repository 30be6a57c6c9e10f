"""The public directory: only qualified places of qualified operators, filters, pagination, the
place page and the map data (no tiles configured)."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from directory import queries
from directory.opening_hours import humanise
from ledger.tests import factories
from operators.models import OperatorProfile, Place, Qualification, Service
from passnum.testing import make_user

pytestmark = pytest.mark.django_db


def add_place(org, name, commune=None, **extra) -> Place:
    defaults = {
        "address": "3 place de la République",
        "postal_code": "93300",
        "qualification": Qualification.QUALIFIED,
    }
    defaults.update(extra)
    return Place.objects.create(
        operator=org, name=name, commune=commune or factories.commune(), **defaults
    )


def names(response) -> list[str]:
    return [p.name for p in response.context["page"].object_list]


def map_json(response) -> dict:
    match = re.search(
        r'<script id="places-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "places-data JSON missing"
    return json.loads(match.group(1))


@pytest.fixture
def world():
    saint_denis = factories.commune("93066", "Saint-Denis")
    saint_denis.postal_codes = ["93200", "93210"]
    saint_denis.save()
    org, place, service = factories.operator("Clic Solidaire")
    Place.objects.filter(pk=place.pk).update(
        latitude=Decimal("48.914"),
        longitude=Decimal("2.382"),
        publics=["seniors"],
        specific_support=["Surdité"],
        opening_hours="Mo-Fr 09:30-12:30,14:00-18:00; Sa off",
        phone="01 23 45 67 89",
        national_programmes=["France Services"],
        accessibility_url="https://acceslibre.beta.gouv.fr/app/erp/lieu-1/",
    )
    Service.objects.create(
        operator=org,
        title="Atelier parentalité",
        theme=Service.Theme.PARENTALITE,
        price_in_passes=2,
        is_collective=True,
        duration_minutes=120,
    )
    other, other_place, _ = factories.operator("Numérique Pour Tous", place_commune=saint_denis)
    Place.objects.filter(pk=other_place.pk).update(
        postal_code="93200",
        latitude=Decimal("48.936"),
        longitude=Decimal("2.357"),
        publics=["Familles et/ou enfants", "Étudiants"],
    )
    no_pass = add_place(other, "Médiathèque sans pass", saint_denis, accepts_passes=False)
    in_review = add_place(org, "Lieu en examen", qualification=Qualification.IN_REVIEW)
    inactive = add_place(org, "Lieu fermé", is_active=False)
    unqualified_org, unqualified_place, _ = factories.operator("Candidat", qualified=False)
    suspended, suspended_place, _ = factories.operator("Structure suspendue")
    OperatorProfile.objects.filter(organisation=suspended).update(
        qualification=Qualification.SUSPENDED,
        decided_by=make_user(),
        decision_reason="Pièces justificatives expirées.",
    )
    return {
        "place": Place.objects.get(pk=place.pk),
        "other_place": Place.objects.get(pk=other_place.pk),
        "no_pass": no_pass,
        "hidden": [in_review, inactive, unqualified_place, suspended_place],
        "org": org,
    }


def get(params=None):
    return Client().get(reverse("directory:index"), params or {})


def test_only_qualified_places_of_qualified_operators_accepting_passes(world):
    response = get()
    assert response.status_code == 200
    assert names(response) == ["Lieu Clic Solidaire", "Lieu Numérique Pour Tous"]
    for place in world["hidden"]:
        assert place.name not in response.content.decode()


def test_suspended_operator_places_are_hidden_everywhere(world):
    suspended = world["hidden"][3]
    assert not queries.qualified_places().filter(pk=suspended.pk).exists()
    assert Client().get(reverse("directory:place", args=[suspended.pk])).status_code == 404
    for place in world["hidden"]:
        assert Client().get(reverse("directory:place", args=[place.pk])).status_code == 404


def test_filter_all_places_includes_those_not_accepting_passes(world):
    response = get({"tous": "on"})
    assert "Médiathèque sans pass" in names(response)
    assert len(names(response)) == 3


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Saint-Denis", ["Lieu Numérique Pour Tous"]),
        ("saint-den", ["Lieu Numérique Pour Tous"]),
        ("93066", ["Lieu Numérique Pour Tous"]),
        ("93210", ["Lieu Numérique Pour Tous"]),
        ("93300", ["Lieu Clic Solidaire"]),
        ("Aubervilliers", ["Lieu Clic Solidaire"]),
        ("Marseille", []),
    ],
)
def test_filter_by_commune_name_insee_or_postal_code(world, term, expected):
    assert names(get({"commune": term})) == expected


def test_filter_by_service_of_the_catalogue_or_of_the_place(world):
    assert names(get({"service": Service.Theme.PARENTALITE})) == ["Lieu Clic Solidaire"]
    Place.objects.filter(pk=world["other_place"].pk).update(
        services=["Loisirs et créations numériques"]
    )
    assert names(get({"service": Service.Theme.LOISIRS})) == ["Lieu Numérique Pour Tous"]
    assert len(names(get({"service": Service.Theme.AIDE_DEMARCHES}))) == 2
    assert names(get({"service": Service.Theme.CONNEXION})) == []


def test_filter_by_public_slug_or_label(world):
    assert names(get({"public": "seniors"})) == ["Lieu Clic Solidaire"]
    assert names(get({"public": "etudiants"})) == ["Lieu Numérique Pour Tous"]
    assert names(get({"public": "familles-enfants"})) == ["Lieu Numérique Pour Tous"]
    assert names(get({"public": "femmes"})) == []


def test_filter_by_accessibility(world):
    assert names(get({"accessibilite": "acceslibre"})) == ["Lieu Clic Solidaire"]
    assert names(get({"accessibilite": "surdite"})) == ["Lieu Clic Solidaire"]
    assert names(get({"accessibilite": "deficience-visuelle"})) == []


def test_filter_by_insee_codes_from_the_check_page(world):
    assert names(get({"insee": "93066"})) == ["Lieu Numérique Pour Tous"]
    assert len(names(get({"insee": "93001,93066"}))) == 2


def test_bad_input_gets_a_french_error_and_no_results(world):
    response = get({"service": "inconnu"})
    assert response.status_code == 200
    assert names(response) == []
    assert "Sélectionnez un choix valide" in response.content.decode()
    response = get({"insee": "93001,pas-un-code"})
    assert names(response) == []
    assert "Code INSEE invalide" in response.content.decode()


def test_empty_state(world):
    response = get({"commune": "Marseille"})
    assert "Aucun lieu qualifié ne correspond à votre recherche" in response.content.decode()


def test_pagination_keeps_the_filters(world):
    for i in range(25):
        add_place(world["org"], f"Antenne {i:02d}")
    first = get({"commune": "Aubervilliers"})
    assert first.context["page"].paginator.count == 26
    assert len(names(first)) == 20
    body = first.content.decode()
    assert "commune=Aubervilliers&amp;page=2" in body
    second = get({"commune": "Aubervilliers", "page": "2"})
    assert len(names(second)) == 6
    assert set(names(first)).isdisjoint(names(second))


def test_map_without_tiles_renders_with_correct_json(world, settings):
    settings.MAP_TILE_URL = ""
    response = get()
    body = response.content.decode()
    assert 'data-tile-url=""' in body
    assert "vendor/leaflet/leaflet.js" in body
    assert "js/map.js" in body
    assert "Le fond de carte n'est pas configuré" in body
    data = map_json(response)
    place = world["place"]
    assert data["places"][0] == {
        "id": place.pk,
        "name": "Lieu Clic Solidaire",
        "address": "1 rue de la Mairie, 93300 Aubervilliers",
        "lat": 48.914,
        "lng": 2.382,
        "url": f"/lieux/{place.pk}/",
    }
    assert [p["name"] for p in data["places"]] == [
        "Lieu Clic Solidaire",
        "Lieu Numérique Pour Tous",
    ]
    # Filters apply to the map too; no inline script other than the JSON data.
    assert [p["name"] for p in map_json(get({"commune": "93066"}))["places"]] == [
        "Lieu Numérique Pour Tous"
    ]
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", body)
    assert all('type="application/json"' in attrs for attrs in scripts)


def test_map_tile_url_from_settings(world, settings):
    settings.MAP_TILE_URL = "https://tuiles.exemple.fr/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Contributeurs OpenStreetMap"
    body = get().content.decode()
    assert 'data-tile-url="https://tuiles.exemple.fr/{z}/{x}/{y}.png"' in body
    assert "© Contributeurs OpenStreetMap" in body


def test_place_page(world):
    place = world["place"]
    response = Client().get(reverse("directory:place", args=[place.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 rue de la Mairie" in body
    assert "93300 Aubervilliers" in body
    assert "Du lundi au vendredi : 09:30 – 12:30, 14:00 – 18:00" in body
    assert "Le samedi : fermé" in body
    assert "01 23 45 67 89" in body
    assert "Atelier démarches en ligne" in body
    assert "Atelier parentalité" in body
    assert "2 pass" in body and "120 min" in body
    assert "Seniors" in body
    assert "Surdité" in body
    assert "https://acceslibre.beta.gouv.fr/app/erp/lieu-1/" in body
    assert "France Services" in body
    assert [p["id"] for p in map_json(response)["places"]] == [place.pk]
    assert "Aucun programme de pass en cours ne couvre cette commune." in body


def test_place_page_lists_the_running_pass_programmes_of_its_commune(world):
    with time_machine.travel(datetime(2021, 10, 15, 12, 0, tzinfo=UTC)):
        factories.programme()  # 2021-2022, perimeter Aubervilliers and Saint-Denis
        response = Client().get(reverse("directory:place", args=[world["place"].pk]))
    body = response.content.decode()
    assert "Pass numérique Grand Paris 2021" in body
    assert "financé par Métropole du Grand Paris, jusqu'au 31/12/2022" in body


def test_unknown_place_is_404(world):
    assert Client().get(reverse("directory:place", args=[999999])).status_code == 404


def test_opening_hours_not_understood_are_shown_as_written():
    assert humanise("Mo-Fr 09:00-17:00; sunrise-sunset") == [
        "Du lundi au vendredi : 09:00 – 17:00",
        "sunrise-sunset",
    ]
    assert humanise("") == []


def test_pass_check_page_links_to_the_directory_on_the_pass_perimeter(world):
    from ledger.models import Pass
    from ledger.tests.test_redemption import code_of, distribute

    order = factories.order(booklets=1)
    pass_ = distribute(Pass.objects.filter(order=order).select_related("order")[:1])[0]
    url = reverse("pass_check:check", kwargs={"serial": pass_.serial, "code": code_of(pass_)})
    body = Client().get(url).content.decode()
    link = "/lieux/?insee=93001%2C93066"
    assert link in body
    assert len(names(Client().get(link))) == 2


def test_map_data_is_escaped(world):
    Place.objects.filter(pk=world["place"].pk).update(name="</script><b>Lieu</b>")
    response = get()
    assert "</script><b>" not in response.content.decode()
    assert "</script><b>Lieu</b>" in [p["name"] for p in map_json(response)["places"]]
