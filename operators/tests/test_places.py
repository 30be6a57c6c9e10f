"""Places and service catalogue: services (writes) and views, with permissions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from geo.models import Commune
from journal.models import JournalEntry
from operators import places as services
from operators.models import OperatorProfile, Place, Qualification, Service
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune():
    return Commune.objects.create(insee_code="93001", name="Aubervilliers", department="93")


@pytest.fixture
def operator():
    org = make_org("Assoc Clic", kind=Organisation.Kind.OPERATOR, siret="73282932000074")
    OperatorProfile.objects.create(organisation=org)
    return org


@pytest.fixture
def admin(operator):
    return make_member(operator, role=Role.ADMIN)


def place_data(**overrides):
    data = {
        "name": "Espace numérique des Tilleuls",
        "address": "1 rue de la Paix",
        "address_complement": "",
        "postal_code": "93300",
        "commune": "93001",
        "latitude": "48.914",
        "longitude": "2.382",
        "opening_hours": "Mo-Fr 09:00-12:00,14:00-18:00; PH off",
        "phone": "01 23 45 67 89",
        "email": "contact@tilleuls.example",
        "website": "https://tilleuls.example",
        "accessibility_url": "https://acceslibre.beta.gouv.fr/app/93-aubervilliers/a/x/erp/y/",
        "appointment_url": "",
        "summary": "Un espace numérique de quartier.",
        "description": "",
        "services": ["aide-aux-demarches-administratives", "acces-a-une-connexion-internet"],
        "publics": ["seniors"],
        "specific_support": ["surdite"],
        "national_programmes": ["conseillers-numeriques", "france-services"],
        "labels": [],
        "access_modalities": ["se-presenter", "telephoner"],
        "support_modalities": ["accompagnement-individuel"],
        "typology": ["ASSO"],
        "accepts_passes": "on",
    }
    data.update(overrides)
    return data


def make_place(operator, commune, **overrides) -> Place:
    defaults = {
        "name": "Lieu",
        "address": "2 rue Haute",
        "postal_code": "93300",
        "commune": commune,
    }
    defaults.update(overrides)
    return Place.objects.create(operator=operator, **defaults)


# --- Services ---------------------------------------------------------------------------------


def test_create_place_cleans_and_journals(operator, admin, commune):
    data = place_data(commune="93001", latitude=Decimal("48.914"), longitude=Decimal("2.382"))
    data["accepts_passes"] = True
    place = services.create_place(operator, data, by=admin.user)
    place.refresh_from_db()
    assert place.operator == operator
    assert place.commune == commune
    assert place.phone == "+33123456789"
    assert place.opening_hours == "Mo-Fr 09:00-12:00,14:00-18:00; PH off"
    assert place.qualification == Qualification.SUBMITTED
    assert place.national_programmes == ["conseillers-numeriques", "france-services"]
    entry = JournalEntry.objects.get(object_id=str(place.pk))
    assert entry.action == JournalEntry.Action.ORGANISATION_UPDATED
    assert entry.details["action"] == "place_created"


def test_update_of_another_operators_place_is_refused_and_changes_nothing(admin, commune):
    other = make_org(kind=Organisation.Kind.OPERATOR)
    foreign = make_place(other, commune, name="Lieu de B")
    with pytest.raises(services.PlaceError) as excinfo:
        services.update_place(
            admin.organisation, foreign.pk, place_data(name="Piraté"), by=admin.user
        )
    assert "n'appartient pas à votre organisation" in str(excinfo.value)
    foreign.refresh_from_db()
    assert foreign.name == "Lieu de B"
    with pytest.raises(services.PlaceError):
        services.set_place_active(admin.organisation, foreign.pk, False, by=admin.user)
    foreign.refresh_from_db()
    assert foreign.is_active


def test_bad_place_data_is_refused_with_french_errors(operator, admin, commune):
    with pytest.raises(services.PlaceError) as excinfo:
        services.create_place(
            operator,
            place_data(opening_hours="Lu 9h-12h", commune="99999", phone="12", postal_code="9"),
            by=admin.user,
        )
    errors = excinfo.value.errors
    assert errors["opening_hours"].startswith("Horaires illisibles : « Lu »")
    assert "Commune inconnue" in errors["commune"] and "99999" in errors["commune"]
    assert "Téléphone illisible" in errors["phone"]
    assert "5 chiffres" in errors["postal_code"]
    assert not Place.objects.exists()
    assert not JournalEntry.objects.exists()


def test_deactivate_twice_is_refused(operator, admin, commune):
    place = make_place(operator, commune)
    services.set_place_active(operator, place.pk, False, by=admin.user)
    with pytest.raises(services.PlaceError, match="déjà désactivé"):
        services.set_place_active(operator, place.pk, False, by=admin.user)
    services.set_place_active(operator, place.pk, True, by=admin.user)
    place.refresh_from_db()
    assert place.is_active


def test_service_catalogue_price_bounds(operator, admin):
    data = {
        "title": "Atelier smartphone",
        "theme": "maitrise-des-outils-numeriques",
        "is_collective": True,
        "duration_minutes": 90,
        "price_in_passes": 21,
        "description": "",
    }
    with pytest.raises(services.PlaceError) as excinfo:
        services.create_service(operator, data, by=admin.user)
    assert "entre 1 et 20 pass" in excinfo.value.errors["price_in_passes"]
    assert not Service.objects.exists()
    data["price_in_passes"] = 2
    service = services.create_service(operator, data, by=admin.user)
    assert service.is_collective and service.price_in_passes == 2
    other = make_org(kind=Organisation.Kind.OPERATOR)
    with pytest.raises(services.PlaceError):
        services.update_service(other, service.pk, data | {"title": "Piraté"}, by=admin.user)
    service.refresh_from_db()
    assert service.title == "Atelier smartphone"


# --- Views ------------------------------------------------------------------------------------


def test_admin_creates_a_place_through_the_form(client, operator, admin, commune):
    client.force_login(admin.user)
    response = client.get(reverse("operators:place_create", args=[operator.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "(format OpenStreetMap)" in content and "<legend>" in content
    response = client.post(reverse("operators:place_create", args=[operator.pk]), place_data())
    assert response.status_code == 302
    place = Place.objects.get()
    assert place.operator == operator and place.accepts_passes
    assert place.services == [
        "aide-aux-demarches-administratives",
        "acces-a-une-connexion-internet",
    ]
    listing = client.get(reverse("operators:places", args=[operator.pk]))
    assert "Espace numérique des Tilleuls" in listing.content.decode()


def test_member_edits_and_deactivates(client, operator, commune):
    member = make_member(operator, role=Role.MEMBER)
    place = make_place(operator, commune, name="Ancien nom")
    client.force_login(member.user)
    url = reverse("operators:place_edit", args=[operator.pk, place.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, place_data(name="Nouveau nom"))
    assert response.status_code == 302
    place.refresh_from_db()
    assert place.name == "Nouveau nom"
    client.post(reverse("operators:place_deactivate", args=[operator.pk, place.pk]))
    place.refresh_from_db()
    assert not place.is_active


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"opening_hours": "Lu 9h-12h"}, "Horaires illisibles : « Lu »"),
        ({"commune": "99999"}, "Commune inconnue"),
        ({"latitude": "48.9", "longitude": ""}, "ou aucune des deux"),
        ({"accessibility_url": "https://example.com/fiche"}, "Acceslibre"),
    ],
)
def test_bad_input_in_the_form_changes_nothing(
    client, operator, admin, commune, overrides, message
):
    place = make_place(operator, commune, name="Intact", opening_hours="Mo 09:00-12:00")
    client.force_login(admin.user)
    response = client.post(
        reverse("operators:place_edit", args=[operator.pk, place.pk]), place_data(**overrides)
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content and "Rien n'a été enregistré" in content
    place.refresh_from_db()
    assert place.name == "Intact" and place.opening_hours == "Mo 09:00-12:00"
    assert not JournalEntry.objects.exists()


def test_other_operator_gets_404_everywhere(client, operator, commune):
    place = make_place(operator, commune, name="Lieu de A")
    service = Service.objects.create(
        operator=operator, title="Aide", theme="maitrise-des-outils-numeriques"
    )
    other = make_org(kind=Organisation.Kind.OPERATOR)
    stranger = make_member(other, role=Role.ADMIN)
    client.force_login(stranger.user)
    # Operator A's pages, seen by a member of B: 404.
    for name, args in [
        ("operators:places", [operator.pk]),
        ("operators:place_create", [operator.pk]),
        ("operators:place_edit", [operator.pk, place.pk]),
        ("operators:catalogue", [operator.pk]),
        ("operators:catalogue_edit", [operator.pk, service.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    # A's place through B's own pages (a place outside the operator): 404 too.
    assert client.get(reverse("operators:place_edit", args=[other.pk, place.pk])).status_code == 404
    response = client.post(reverse("operators:place_edit", args=[other.pk, place.pk]), place_data())
    assert response.status_code == 404
    response = client.post(reverse("operators:place_deactivate", args=[other.pk, place.pk]))
    assert response.status_code == 404
    response = client.post(reverse("operators:catalogue_deactivate", args=[other.pk, service.pk]))
    assert response.status_code == 404
    place.refresh_from_db()
    service.refresh_from_db()
    assert place.name == "Lieu de A" and place.is_active and service.is_active


def test_readonly_member_sees_but_cannot_write(client, operator, commune):
    place = make_place(operator, commune)
    reader = make_member(operator, role=Role.READONLY)
    client.force_login(reader.user)
    listing = client.get(reverse("operators:places", args=[operator.pk]))
    assert listing.status_code == 200
    assert "Nouveau lieu" not in listing.content.decode()
    assert client.get(reverse("operators:place_create", args=[operator.pk])).status_code == 403
    response = client.post(reverse("operators:place_deactivate", args=[operator.pk, place.pk]))
    assert response.status_code == 403
    assert client.get(reverse("operators:catalogue_create", args=[operator.pk])).status_code == 403
    place.refresh_from_db()
    assert place.is_active


def test_non_operator_organisation_has_no_places(client):
    prescriber = make_member(role=Role.ADMIN)
    client.force_login(prescriber.user)
    url = reverse("operators:places", args=[prescriber.organisation_id])
    assert client.get(url).status_code == 404


def test_empty_states_and_pagination(client, operator, admin, commune):
    client.force_login(admin.user)
    assert (
        "Aucun lieu déclaré"
        in client.get(reverse("operators:places", args=[operator.pk])).content.decode()
    )
    assert (
        "Le catalogue est vide"
        in client.get(reverse("operators:catalogue", args=[operator.pk])).content.decode()
    )
    for i in range(30):
        make_place(operator, commune, name=f"Lieu {i:02d}")
    page2 = client.get(reverse("operators:places", args=[operator.pk]), {"page": 2})
    assert "Page 2 sur 2" in page2.content.decode()


def test_catalogue_through_the_form(client, operator, admin):
    client.force_login(admin.user)
    url = reverse("operators:catalogue_create", args=[operator.pk])
    bad = {
        "title": "Atelier",
        "theme": "maitrise-des-outils-numeriques",
        "is_collective": "1",
        "duration_minutes": "90",
        "price_in_passes": "0",
        "description": "",
    }
    response = client.post(url, bad)
    assert response.status_code == 400 and not Service.objects.exists()
    response = client.post(url, bad | {"price_in_passes": "3"})
    assert response.status_code == 302
    service = Service.objects.get()
    assert service.is_collective and service.price_in_passes == 3 and service.duration_minutes == 90
    edit = reverse("operators:catalogue_edit", args=[operator.pk, service.pk])
    client.post(edit, bad | {"price_in_passes": "1", "is_collective": "0", "title": "Permanence"})
    service.refresh_from_db()
    assert service.title == "Permanence" and not service.is_collective
    client.post(reverse("operators:catalogue_deactivate", args=[operator.pk, service.pk]))
    service.refresh_from_db()
    assert not service.is_active
    listing = client.get(reverse("operators:catalogue", args=[operator.pk])).content.decode()
    assert "Permanence" in listing and "retiré" in listing


# --- Place qualification ----------------------------------------------------------------------


def test_issuer_qualifies_then_suspends_a_place_with_a_reason(operator, commune):
    place = make_place(operator, commune)
    issuer = make_member(make_org(kind=Organisation.Kind.ISSUER), role=Role.ADMIN)
    services.decide_place(place.pk, "start_review", by=issuer.user, reviewer=issuer.organisation)
    services.decide_place(place.pk, "qualify", by=issuer.user, reviewer=issuer.organisation)
    place.refresh_from_db()
    assert place.qualification == Qualification.QUALIFIED
    with pytest.raises(services.PlaceError) as excinfo:
        services.decide_place(place.pk, "suspend", by=issuer.user, reviewer=issuer.organisation)
    assert excinfo.value.errors["reason"] == "Indiquez le motif de cette décision."
    services.decide_place(
        place.pk, "suspend", by=issuer.user, reviewer=issuer.organisation, reason="Contrôle"
    )
    place.refresh_from_db()
    assert place.qualification == Qualification.SUSPENDED
    entry = JournalEntry.objects.filter(details__action="place_qualification").first()
    assert entry.details["reason"] == "Contrôle" and entry.organisation == operator


def test_impossible_place_decisions_change_nothing(operator, admin, commune):
    place = make_place(operator, commune)
    issuer = make_member(make_org(kind=Organisation.Kind.ISSUER), role=Role.ADMIN)
    with pytest.raises(services.PlaceError, match="n'est pas possible dans cet état"):
        services.decide_place(place.pk, "reinstate", by=issuer.user, reviewer=issuer.organisation)
    with pytest.raises(services.PlaceError, match="Seuls l'émetteur et le commanditaire"):
        services.decide_place(place.pk, "qualify", by=admin.user, reviewer=operator)
    place.refresh_from_db()
    assert place.qualification == Qualification.SUBMITTED
    assert not JournalEntry.objects.exists()


def test_postal_code_must_match_the_commune_when_known(operator, admin, commune):
    commune.postal_codes = ["93300"]
    commune.save()
    with pytest.raises(services.PlaceError) as excinfo:
        services.create_place(operator, place_data(postal_code="75013"), by=admin.user)
    assert excinfo.value.errors["postal_code"] == (
        "Le code postal 75013 n'est pas celui de Aubervilliers (93300)."
    )
    assert not Place.objects.exists()
    assert services.create_place(operator, place_data(), by=admin.user).postal_code == "93300"


def test_an_empty_post_is_an_error_not_a_blank_form(client, operator, admin, commune):
    client.force_login(admin.user)
    response = client.post(reverse("operators:place_create", args=[operator.pk]), {})
    assert response.status_code == 400
    assert not Place.objects.exists()


def test_the_database_refuses_half_a_position(operator, commune):
    """NULL passes a CHECK: the constraint asks for both coordinates or neither."""
    from django.db import IntegrityError, transaction

    place = make_place(operator, commune, latitude=Decimal("48.9"), longitude=Decimal("2.38"))
    for values in ({"longitude": None}, {"latitude": None}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Place.objects.filter(pk=place.pk).update(**values)
    Place.objects.filter(pk=place.pk).update(latitude=None, longitude=None)
