import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/referentiel/communes/"


def codes(response) -> list[str]:
    return [c.insee_code for c in response.context["page"].object_list]


def test_url():
    assert reverse("geo:communes") == URL


def test_anonymous_is_redirected_to_login(client, communes):
    response = client.get(URL, {"q": "Paris"})
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert "next=" in response["Location"]


def test_search_by_name(user_client, communes):
    response = user_client.get(URL, {"q": "aubervilliers"})
    assert response.status_code == 200
    assert codes(response) == ["93001"]
    content = response.content.decode()
    assert "Aubervilliers" in content and "Plaine Commune" in content
    assert "Métropole du Grand Paris" in content


def test_search_by_name_ignores_hyphens(user_client, communes):
    response = user_client.get(URL, {"q": "saint denis"})
    assert set(codes(response)) == {"93066", "93039"}  # Saint-Denis, L'Île-Saint-Denis


def test_search_by_insee_code(user_client, communes):
    assert codes(user_client.get(URL, {"q": "93001"})) == ["93001"]
    assert codes(user_client.get(URL, {"q": " 75115 "})) == ["75115"]


def test_search_by_postal_code(user_client, communes):
    assert codes(user_client.get(URL, {"q": "93300"})) == ["93001"]
    # Paris lists every postal code of its arrondissements.
    assert sorted(codes(user_client.get(URL, {"q": "75013"}))) == ["75056", "75113"]
    # The start of a postal code, or a department.
    by_prefix = codes(user_client.get(URL, {"q": "9330"}))
    assert "93001" in by_prefix and all(code.startswith("93") for code in by_prefix)


def test_arrondissement_shows_its_parent_and_inherited_epci(user_client, communes):
    response = user_client.get(URL, {"q": "75113"})
    content = response.content.decode()
    assert "Paris 13e Arrondissement" in content
    assert "(Paris)" in content
    assert "Métropole du Grand Paris" in content


def test_no_result(user_client, communes):
    response = user_client.get(URL, {"q": "Introuvableville"})
    assert response.status_code == 200
    assert "Aucune commune ne correspond" in response.content.decode()


def test_empty_reference(user_client):
    response = user_client.get(URL)
    assert "Le référentiel est vide" in response.content.decode()


def test_pagination(user_client, communes):
    first = user_client.get(URL)
    page = first.context["page"]
    assert page.paginator.count == 157
    assert page.paginator.num_pages == 4
    assert len(page.object_list) == 50
    assert "157 résultats" in first.content.decode()
    assert "Page 1 sur 4" in first.content.decode()

    second = user_client.get(URL, {"page": 2})
    assert second.context["page"].number == 2
    assert not set(codes(first)) & set(codes(second))

    last = user_client.get(URL, {"page": 99})
    assert last.context["page"].number == 4
    assert len(last.context["page"].object_list) == 7

    filtered = user_client.get(URL, {"q": "paris", "page": 1})
    content = filtered.content.decode()
    assert "q=paris&amp;page=2" not in content  # 21 results (Paris and its arrondissements)
    assert filtered.context["page"].paginator.count == 21
