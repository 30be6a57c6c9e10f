"""The orientation letter (PDF), the places search and the facilitators' page."""

import io

import pytest
from pypdf import PdfReader

from journal.models import JournalEntry
from ledger.tests import factories
from organisations.models import Organisation, Role
from orientation import queries
from orientation.letter import BODY_SIZE
from orientation.models import PrescriberListing
from passnum.testing import make_member, make_org, make_user

from .helpers import client_for, hand_out, other_member, places_nearby, prescriber_with_stock

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), " ".join(page.extract_text() for page in reader.pages)


def test_letter_lists_nearby_qualified_places_and_the_prescriber():
    c = prescriber_with_stock()
    places = places_nearby()
    beneficiary = hand_out(c, count=3)
    url = f"/orientation/{c.prescriber.pk}/lettre/{beneficiary.pk}.pdf"
    response = client_for(c.prescriber_user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert beneficiary.reference in response["Content-Disposition"]
    pages, text = pdf_text(response.content)
    text = " ".join(text.split())
    assert pages == 1
    # Same commune first: the three places of Aubervilliers, then Saint-Denis (same department).
    for place in places:
        assert place.name in text
    assert "Pas Encore Qualifié" not in text
    assert beneficiary.reference in text
    assert "Vous avez 3 pass" in text
    assert "jusqu'au 31/12/2099 inclus" in text
    assert "Du lundi au vendredi" in text
    assert "01 02 03 04 05" in text
    assert "CCAS d'Aubervilliers" in text and "01 48 39 50 00" in text
    assert BODY_SIZE >= 14


def test_suggestions_same_commune_first_and_at_most_five():
    places = places_nearby()
    for i in range(3):
        factories.operator(f"Autre lieu {i}")
    found = queries.suggested_places(factories.commune(), [])
    assert len(found) == 5
    assert all(p.commune_id == "93001" for p in found)
    assert places[3] not in found
    assert queries.suggested_places(None, []) == []


def test_letter_permissions():
    c = prescriber_with_stock()
    beneficiary = hand_out(c, count=1)
    url = f"/orientation/{c.prescriber.pk}/lettre/{beneficiary.pk}.pdf"
    # Another structure's member: 404, whether through its own id or the prescriber's.
    stranger = other_member()
    assert client_for(stranger).get(url).status_code == 404
    own_org = stranger.memberships.get().organisation_id
    url_other = f"/orientation/{own_org}/lettre/{beneficiary.pk}.pdf"
    assert client_for(stranger).get(url_other).status_code == 404
    # A read-only member of the structure may print the letter; anonymous users log in first.
    reader = make_user()
    make_member(c.prescriber, Role.READONLY, user=reader)
    assert client_for(reader).get(url).status_code == 200
    from django.test import Client

    assert Client().get(url).status_code == 302
    # The funder (not a member of the prescriber) gets 404 too.
    assert client_for(c.funder_user).get(url).status_code == 404


def test_places_search_for_prescribers():
    c = prescriber_with_stock()
    places_nearby()
    client = client_for(c.prescriber_user)
    response = client.get(f"/orientation/{c.prescriber.pk}/lieux/")
    assert response.status_code == 200
    assert "Lieu Clic Solidaire" in response.content.decode()
    assert "Lieu Emmaüs Connect" not in response.content.decode()  # default: own commune
    response = client.get(
        f"/orientation/{c.prescriber.pk}/lieux/", {"commune": "Saint-Denis", "service": ""}
    )
    body = response.content.decode()
    assert "Lieu Emmaüs Connect" in body and "Lieu Clic Solidaire" not in body
    response = client.get(f"/orientation/{c.prescriber.pk}/lieux/", {"commune": "Lyon"})
    assert "Aucun lieu qualifié" in response.content.decode()
    response = client.get(f"/orientation/{c.prescriber.pk}/lieux/", {"service": "inconnu"})
    assert response.status_code == 200 and "Aucun lieu" in response.content.decode()
    assert (
        client_for(other_member()).get(f"/orientation/{c.prescriber.pk}/lieux/").status_code == 404
    )


def test_facilitators_page_lists_only_structures_that_opt_in():
    commune = factories.commune()
    listed = make_org("CCAS d'Aubervilliers", commune=commune)
    hidden = make_org("Mission locale", commune=commune)
    PrescriberListing.objects.create(
        organisation=listed, is_listed=True, public_address="6 rue Charron", public_phone="01 48"
    )
    PrescriberListing.objects.create(organisation=hidden, is_listed=False, public_phone="09")
    from django.test import Client

    client = Client()
    body = client.get("/orientation/ou-obtenir-des-pass/", {"commune": "Aubervilliers"}).content
    body = body.decode()
    assert "CCAS d&#x27;Aubervilliers" in body and "6 rue Charron" in body
    assert "Mission locale" not in body
    assert "CCAS" in client.get("/orientation/ou-obtenir-des-pass/?commune=93001").content.decode()
    body = client.get("/orientation/ou-obtenir-des-pass/?commune=Lyon").content.decode()
    assert "Aucune structure de cette commune" in body
    body = client.get("/orientation/ou-obtenir-des-pass/").content.decode()
    assert "Indiquez votre commune" in body


def test_listing_edit_by_admins_only():
    org = make_org("CCAS", commune=factories.commune())
    admin = make_user()
    make_member(org, Role.ADMIN, user=admin)
    url = f"/orientation/{org.pk}/fiche-publique/"
    client = client_for(admin)
    assert client.get(url).status_code == 200
    # Listed without any contact: French error, nothing saved.
    response = client.post(url, {"is_listed": "on"})
    assert response.status_code == 200
    assert "au moins une adresse ou un téléphone" in response.content.decode()
    assert not PrescriberListing.objects.exists()
    response = client.post(
        url, {"is_listed": "on", "public_address": "6 rue Charron", "public_hours": "lundi"}
    )
    assert response.status_code == 302
    listing = PrescriberListing.objects.get(organisation=org)
    assert listing.is_listed and listing.public_address == "6 rue Charron"
    entry = JournalEntry.objects.filter(action=JournalEntry.Action.ORGANISATION_UPDATED).first()
    assert entry.details["operation"] == "prescriber_listing"
    for role in (Role.MEMBER, Role.READONLY):
        user = make_user()
        make_member(org, role, user=user)
        assert client_for(user).post(url, {"public_phone": "1"}).status_code == 403
    assert client_for(other_member()).get(url).status_code == 404
    # Not a prescriber structure: 404.
    funder = make_org("Financeur", kind=Organisation.Kind.FUNDER)
    funder_admin = make_user()
    make_member(funder, Role.ADMIN, user=funder_admin)
    assert (
        client_for(funder_admin).get(f"/orientation/{funder.pk}/fiche-publique/").status_code == 404
    )


def test_suggestions_follow_the_persons_needs_and_commune():
    c = prescriber_with_stock()
    places = places_nearby()
    # The place offering the need through its catalogue comes first, then nearby places
    # complete the list.
    from operators.models import Service

    helper = places[3]
    Service.objects.create(
        operator=helper.operator, title="Premiers pas", theme=Service.Theme.MAITRISE_OUTILS
    )
    beneficiary = hand_out(c, count=2)
    from beneficiaries.models import Beneficiary

    Beneficiary.objects.filter(pk=beneficiary.pk).update(
        needs=[Service.Theme.MAITRISE_OUTILS], commune_id="93066"
    )
    beneficiary.refresh_from_db()
    found = queries.suggested_places(queries.commune_of(beneficiary), queries.needs_of(beneficiary))
    assert found[0] == helper
    response = client_for(c.prescriber_user).get(
        f"/orientation/{c.prescriber.pk}/lettre/{beneficiary.pk}.pdf"
    )
    _, text = pdf_text(response.content)
    assert "Pour vous aider : maîtrise des outils numériques du quotidien." in " ".join(
        text.split()
    )
    assert len(found) == 4 and set(found) == set(places)
    # Without a commune recorded, the structure's commune is used.
    Beneficiary.objects.filter(pk=beneficiary.pk).update(commune=None, needs=[])
    beneficiary.refresh_from_db()
    assert queries.commune_of(beneficiary) == c.prescriber.commune
    found = queries.suggested_places(queries.commune_of(beneficiary), queries.needs_of(beneficiary))
    assert [p.commune_id for p in found] == ["93001", "93001", "93001", "93066"]


def test_places_search_by_public_and_accessibility():
    c = prescriber_with_stock()
    places = places_nearby()
    from operators.models import Place

    Place.objects.filter(pk=places[0].pk).update(publics=["seniors"], specific_support=["surdite"])
    client = client_for(c.prescriber_user)
    url = f"/orientation/{c.prescriber.pk}/lieux/"
    body = client.get(url, {"commune": "93001", "public": "seniors"}).content.decode()
    assert places[0].name in body and places[1].name not in body
    body = client.get(url, {"commune": "", "accessibilite": "surdite"}).content.decode()
    assert places[0].name in body and places[2].name not in body


def test_workspace_links_follow_the_role():
    c = prescriber_with_stock()
    url = f"/orientation/{c.prescriber.pk}/suivi/"
    body = client_for(c.prescriber_user).get(url).content.decode()  # MEMBER
    assert "Chercher un lieu" in body and "Importer des remises" not in body
    admin = make_user()
    make_member(c.prescriber, Role.ADMIN, user=admin)
    body = client_for(admin).get(url).content.decode()
    assert "Importer des remises" in body and "Fiche publique" in body
