import pytest
from django.urls import reverse
from playwright.sync_api import expect


@pytest.mark.django_db
def test_index_lists_the_files(client, published):
    response = client.get(reverse("opendata:index"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "2 lieux publiés" in content and "version v1.0.2" in content
    assert reverse("opendata:places_csv") in content


@pytest.mark.django_db
def test_index_empty_state(client):
    assert "Aucun lieu qualifié" in client.get(reverse("opendata:index")).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_index_is_accessible(page, axe_check, browser_errors, published):
    page.goto("/opendata/")
    expect(page.get_by_role("heading", name="Données ouvertes")).to_be_visible()
    axe_check(page)
    assert browser_errors == []
