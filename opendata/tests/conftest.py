import pytest
from django.utils import timezone

from geo.models import Commune
from operators.models import OperatorProfile, Place, Qualification, Service
from organisations.models import Organisation
from passnum.testing import make_org, make_user


def make_operator(name: str, siret: str | None, qualification=Qualification.QUALIFIED):
    org = make_org(name, kind=Organisation.Kind.OPERATOR, siret=siret)
    decided = None if qualification in ("SUBMITTED", "IN_REVIEW") else timezone.now()
    OperatorProfile.objects.create(
        organisation=org,
        qualification=qualification,
        decided_at=decided,
        decided_by=make_user() if decided else None,
        decision_reason="" if decided is None or qualification == "QUALIFIED" else "Contrôle",
    )
    return org


@pytest.fixture
def commune():
    return Commune.objects.create(insee_code="93001", name="Aubervilliers", department="93")


@pytest.fixture
def published(commune):
    """A qualified operator with a full qualified place, a second place without options, and
    places that must stay out of the exports."""
    operator = make_operator("Assoc Clic", "73282932000074")
    full = Place.objects.create(
        operator=operator,
        name="Espace numérique des Tilleuls",
        address="1 rue de la Paix",
        address_complement="Bâtiment B",
        postal_code="93300",
        commune=commune,
        latitude="48.914000",
        longitude="2.382000",
        phone="+33123456789",
        email="contact@tilleuls.example",
        website="https://tilleuls.example/",
        opening_hours="Mo-Fr 09:00-12:00,14:00-18:00; PH off",
        accepts_passes=True,
        summary="Un espace numérique de quartier.",
        description="Accompagnement aux démarches en ligne et ateliers.",
        typology=["ASSO", "TIERS_LIEUX"],
        services=[
            "aide-aux-demarches-administratives",
            "acces-a-du-materiel-informatique",
            "acces-a-une-connexion-internet",
        ],
        publics=["seniors", "familles-enfants"],
        specific_support=["surdite", "langues-etrangeres-anglais"],
        national_programmes=["conseillers-numeriques", "france-services"],
        labels=["mon-espace-sante"],
        access_modalities=["se-presenter", "telephoner"],
        support_modalities=["accompagnement-individuel", "a-distance"],
        accessibility_url="https://acceslibre.beta.gouv.fr/app/93-aubervilliers/a/x/erp/y/",
        appointment_url="https://rdv.example/",
        qualification=Qualification.QUALIFIED,
    )
    bare = Place.objects.create(
        operator=operator,
        name="Permanence mairie",
        address="Place de la mairie",
        postal_code="93300",
        commune=commune,
        accepts_passes=False,
        qualification=Qualification.QUALIFIED,
    )
    Service.objects.create(
        operator=operator, title="Aide aux démarches", theme="aide-aux-demarches-administratives"
    )
    Service.objects.create(
        operator=operator,
        title="Atelier smartphone",
        theme="maitrise-des-outils-numeriques",
        is_collective=True,
        price_in_passes=2,
        description="Prendre en main son téléphone en petit groupe.",
    )
    Service.objects.create(
        operator=operator, title="Retiré", theme="loisirs-et-creations-numeriques", is_active=False
    )
    # Out of the exports: a place awaiting qualification, an inactive one, and the qualified
    # place of an operator that is not qualified.
    Place.objects.create(
        operator=operator,
        name="Pas encore qualifié",
        address="x",
        postal_code="93300",
        commune=commune,
    )
    Place.objects.create(
        operator=operator,
        name="Fermé",
        address="x",
        postal_code="93300",
        commune=commune,
        qualification=Qualification.QUALIFIED,
        is_active=False,
    )
    suspended = make_operator("Suspendu", "35600000000048", Qualification.SUSPENDED)
    Place.objects.create(
        operator=suspended,
        name="Lieu suspendu",
        address="x",
        postal_code="93300",
        commune=commune,
        qualification=Qualification.QUALIFIED,
    )
    Service.objects.create(
        operator=suspended, title="Hors export", theme="loisirs-et-creations-numeriques"
    )
    return {"operator": operator, "full": full, "bare": bare}
