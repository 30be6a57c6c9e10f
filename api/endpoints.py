"""API endpoints. Access checks go through organisations.queries, as in the web views."""

from django.http import HttpRequest
from ninja import Path, Router
from ninja.pagination import paginate

from organisations import queries as organisation_queries

from .pagination import Pagination
from .schemas import (
    ErrorOut,
    MemberOut,
    MeOut,
    MyOrganisationOut,
    OrganisationOut,
    ValidationErrorOut,
)

AUTH_ERRORS = {401: ErrorOut}
NOT_FOUND = {404: ErrorOut}
INVALID = {422: ValidationErrorOut}

router = Router()

OrganisationId = Path(..., description="Identifiant de l'organisation.")


@router.get(
    "/me",
    response={200: MeOut, **AUTH_ERRORS},
    tags=["Compte"],
    operation_id="me",
    summary="Mon compte",
    description="L'utilisateur authentifié et ses adhésions actives.",
)
def me(request: HttpRequest):
    user = request.user
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "memberships": list(organisation_queries.memberships_for(user)),
    }


@router.get(
    "/organisations",
    response={200: list[MyOrganisationOut], **AUTH_ERRORS, **INVALID},
    tags=["Organisations"],
    operation_id="list_organisations",
    summary="Mes organisations",
    description="Les organisations actives dont vous êtes membre actif, avec votre rôle.",
)
@paginate(Pagination)
def list_organisations(request: HttpRequest):
    return organisation_queries.memberships_for(request.user)


@router.get(
    "/organisations/{organisation_id}",
    response={200: OrganisationOut, **AUTH_ERRORS, **NOT_FOUND, **INVALID},
    tags=["Organisations"],
    operation_id="get_organisation",
    summary="Une organisation",
    description=(
        "Le détail d'une organisation dont vous êtes membre actif. Une organisation dont vous "
        "n'êtes pas membre répond 404, comme si elle n'existait pas."
    ),
)
def get_organisation(request: HttpRequest, organisation_id: int = OrganisationId):
    membership = organisation_queries.get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    organisation.role = membership.role  # read by OrganisationOut
    return organisation


@router.get(
    "/organisations/{organisation_id}/members",
    response={200: list[MemberOut], **AUTH_ERRORS, **NOT_FOUND, **INVALID},
    tags=["Organisations"],
    operation_id="list_organisation_members",
    summary="Membres d'une organisation",
    description=(
        "Les membres actifs d'une organisation dont vous êtes membre actif, quel que soit votre "
        "rôle (lecture seule comprise, comme dans l'interface). Sinon : 404."
    ),
)
@paginate(Pagination)
def list_organisation_members(request: HttpRequest, organisation_id: int = OrganisationId):
    membership = organisation_queries.get_membership_or_404(request.user, organisation_id)
    return organisation_queries.members_of(membership.organisation, include_inactive=False)
