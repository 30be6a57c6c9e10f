import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from geo.models import Commune
from journal.models import JournalEntry
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def commune():
    return Commune.objects.create(insee_code="93001", name="Aubervilliers", department="93")


def _data(**overrides):
    data = {
        "name": "Centre social Les Tilleuls",
        "siret": "732 829 320 00074",
        "legal_category": "ASSOCIATION",
        "address": "1 rue de la Paix",
        "postal_code": "93300",
        "city": "Aubervilliers",
        "commune": "93001",
        "email": "contact@tilleuls.example",
        "phone": "",
        "website": "",
    }
    data.update(overrides)
    return data


def test_admin_edits_and_the_change_is_journaled(client, commune):
    admin = make_member(role=Role.ADMIN)
    client.force_login(admin.user)
    url = reverse("organisations:edit", args=[admin.organisation_id])
    response = client.post(url, _data())
    assert response.status_code == 302
    org = Organisation.objects.get(pk=admin.organisation_id)
    assert org.siret == "73282932000074"
    assert org.commune == commune
    entry = JournalEntry.objects.get(action="ORGANISATION_UPDATED")
    assert entry.details["changed"]["siret"] == "73282932000074"


def test_bad_input_gets_french_errors_and_changes_nothing(client, commune):
    admin = make_member(role=Role.ADMIN)
    before = admin.organisation.name
    client.force_login(admin.user)
    url = reverse("organisations:edit", args=[admin.organisation_id])
    response = client.post(url, _data(name="Nouveau nom", siret="12345678901234", commune="99999"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "clé de contrôle" in body
    assert "aucune commune connue" in body
    assert "Rien n'a été enregistré" in body
    admin.organisation.refresh_from_db()
    assert admin.organisation.name == before
    assert not JournalEntry.objects.filter(action="ORGANISATION_UPDATED").exists()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.READONLY])
def test_only_admins_edit(client, role):
    membership = make_member(role=role)
    client.force_login(membership.user)
    url = reverse("organisations:edit", args=[membership.organisation_id])
    assert client.get(url).status_code == 403
    assert client.post(url, _data()).status_code == 403


def test_other_organisation_is_404(client):
    admin = make_member(role=Role.ADMIN)
    other = make_org()
    client.force_login(admin.user)
    assert client.get(reverse("organisations:edit", args=[other.pk])).status_code == 404


def test_funder_uploads_a_logo_checked_on_its_content(client, settings, tmp_path, commune):
    settings.MEDIA_ROOT = tmp_path
    admin = make_member(make_org("Métropole", kind=Organisation.Kind.FUNDER), Role.ADMIN)
    client.force_login(admin.user)
    url = reverse("organisations:edit", args=[admin.organisation_id])
    fake = SimpleUploadedFile("logo.png", b"<script>alert(1)</script>", "image/png")
    response = client.post(url, _data(brand_colour="#0B5394", logo=fake, siret=""))
    assert response.status_code == 200
    assert "PNG, JPEG ou WebP" in response.content.decode()

    logo = SimpleUploadedFile("logo.png", PNG, "image/png")
    response = client.post(url, _data(brand_colour="#0B5394", logo=logo, siret=""))
    assert response.status_code == 302, response.context["form"].errors
    org = Organisation.objects.get(pk=admin.organisation_id)
    assert org.brand_colour == "#0b5394"
    served = client.get(reverse("core:theme_logo", args=[org.pk]))
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == PNG
    assert str(tmp_path) in org.logo.path  # private storage, outside the static root


def test_non_funders_have_no_colour_nor_logo_fields(client):
    admin = make_member(role=Role.ADMIN)
    client.force_login(admin.user)
    body = client.get(reverse("organisations:edit", args=[admin.organisation_id])).content.decode()
    assert "brand_colour" not in body and 'name="logo"' not in body
