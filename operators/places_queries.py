"""Reads for an operator's places and service catalogue (views load objects only through here,
after the membership check of organisations.queries)."""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from organisations.models import Organisation

from .models import Place, Service


def places_of(operator: Organisation) -> QuerySet[Place]:
    return (
        Place.objects.filter(operator=operator)
        .select_related("commune")
        .order_by("-is_active", "name", "pk")
    )


def place_of_or_404(operator: Organisation, place_id: int) -> Place:
    """A place of this operator; another operator's place is a 404, like an unknown one."""
    return get_object_or_404(
        Place.objects.select_related("commune"), pk=place_id, operator=operator
    )


def services_of(operator: Organisation) -> QuerySet[Service]:
    return Service.objects.filter(operator=operator).order_by("-is_active", "title", "pk")


def service_of_or_404(operator: Organisation, service_id: int) -> Service:
    return get_object_or_404(Service, pk=service_id, operator=operator)


def require_operator(organisation: Organisation) -> Organisation:
    if organisation.kind != Organisation.Kind.OPERATOR:
        raise Http404("Cette organisation n'est pas un opérateur de médiation numérique.")
    return organisation
