"""Reads, and the object-level permission helpers that every view and API endpoint uses.

A view never loads an organisation's object any other way than through a helper that checks the
user's active membership: a user of one organisation never sees another organisation's data.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Invitation, Membership, Organisation, Role, hash_token


def memberships_for(user) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.active.filter(user=user)
        .select_related("organisation", "organisation__parent")
        .order_by("organisation__name")
    )


def get_membership(user, organisation_id: int) -> Membership | None:
    if not user.is_authenticated:
        return None
    # One indexed row at most (unique user+organisation): no ordering, no extra join for sorting.
    # The operator profile comes in the same query (a LEFT JOIN): redemption checks it.
    return (
        Membership.active.filter(user=user, organisation_id=organisation_id)
        .select_related("organisation", "organisation__operator_profile")
        .order_by()
        .first()
    )


def get_membership_or_404(
    user, organisation_id: int, roles: Iterable[str] | None = None
) -> Membership:
    """The user's active membership of the organisation, or 404 when there is none.

    Non-members get a 404 rather than a 403, so that they cannot even learn that the
    organisation exists. Members whose role is not in ``roles`` get a 403.
    """
    membership = get_membership(user, organisation_id)
    if membership is None:
        raise Http404("Organisation introuvable.")
    if roles is not None and membership.role not in set(roles):
        raise PermissionDenied("Votre rôle dans cette organisation ne permet pas cette action.")
    return membership


def get_admin_membership_or_404(user, organisation_id: int) -> Membership:
    return get_membership_or_404(user, organisation_id, roles=[Role.ADMIN])


def get_writer_membership_or_404(user, organisation_id: int) -> Membership:
    return get_membership_or_404(user, organisation_id, roles=[Role.ADMIN, Role.MEMBER])


def members_of(organisation: Organisation, include_inactive: bool = True) -> QuerySet[Membership]:
    qs = Membership.objects.filter(organisation=organisation).select_related("user", "updated_by")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "user__last_name", "user__email")


def pending_invitations(organisation: Organisation) -> list[Invitation]:
    invitations = Invitation.objects.filter(
        organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")
    return [inv for inv in invitations if inv.is_pending]


def find_invitation(token: str) -> Invitation | None:
    return (
        Invitation.objects.filter(token_hash=hash_token(token))
        .select_related("organisation", "invited_by")
        .first()
    )


def children_of(organisation: Organisation) -> QuerySet[Organisation]:
    return (
        organisation.children.filter(is_active=True)
        .select_related("commune")
        .order_by("kind", "name")
    )


def programmes_of(organisation: Organisation):
    """Programmes this organisation takes part in, whatever its role in them."""
    from django.db.models import Count, Q

    from programmes.models import Programme

    ids = Programme.objects.filter(
        Q(funder=organisation)
        | Q(issuer=organisation)
        | Q(hub=organisation)
        | Q(territories__municipality=organisation)
        | Q(territories__municipality__children=organisation)
        | Q(territories__municipality__children__children=organisation)
    ).values("pk")
    return (
        Programme.objects.filter(pk__in=ids)
        .select_related("funder")
        .annotate(territory_count=Count("territories"))
        .order_by("-starts_on", "name")
    )
