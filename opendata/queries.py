"""Reads for the open-data exports: only what may be published."""

from django.db.models import QuerySet

from operators.models import Place, Qualification, Service
from organisations.models import Organisation


def published_places() -> QuerySet[Place]:
    """The qualified, active places of qualified, active operators."""
    return (
        Place.objects.filter(
            is_active=True,
            qualification=Qualification.QUALIFIED,
            operator__is_active=True,
            operator__kind=Organisation.Kind.OPERATOR,
            operator__operator_profile__qualification=Qualification.QUALIFIED,
        )
        .select_related("commune", "operator")
        .order_by("pk")
    )


def published_services() -> QuerySet[Service]:
    """Active services of the operators that have at least one published place."""
    operators = published_places().values("operator_id")
    return Service.objects.filter(is_active=True, operator_id__in=operators).order_by("pk")
