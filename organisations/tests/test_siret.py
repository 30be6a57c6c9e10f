import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from organisations.models import Organisation
from organisations.validators import validate_siret
from passnum.testing import make_org

# 73282932000074 is a well-known valid SIRET (used in python-stdnum's own examples).
VALID = "73282932000074"


def test_valid_siret_passes():
    validate_siret(VALID)
    validate_siret("732 829 320 00074")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("73282932000075", "clé de contrôle"),
        ("7328293200007", "14 chiffres (et non 13)"),
        ("7328293200007A", "que des chiffres"),
    ],
)
def test_invalid_siret_gets_a_french_message(value, message):
    with pytest.raises(ValidationError) as exc:
        validate_siret(value)
    assert message in exc.value.messages[0]


@pytest.mark.django_db
def test_siret_is_validated_by_full_clean():
    org = Organisation(kind=Organisation.Kind.OPERATOR, name="Asso", siret="12345678901234")
    with pytest.raises(ValidationError) as exc:
        org.full_clean()
    assert "siret" in exc.value.message_dict


@pytest.mark.django_db
def test_siret_is_unique_when_given_and_optional_otherwise():
    make_org(siret=VALID)
    make_org(siret=None)
    make_org(siret="")  # stored as NULL: several organisations may have none
    assert Organisation.objects.filter(siret__isnull=True).count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        make_org(siret=VALID)


@pytest.mark.django_db
def test_database_refuses_a_malformed_siret():
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(kind="OPERATOR", name="X", siret="ABC")


@pytest.mark.django_db
def test_database_refuses_an_unknown_kind():
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(kind="BANK", name="X")
