"""``{% selection_links organisation membership as sel %}``: which selection links the workspace
page shows (committee seat on one of the organisation's calls; funder admin)."""

from django import template

from organisations.models import Organisation, Role

from ..models import CommitteeMember
from ..queries import calls_of

register = template.Library()


@register.simple_tag
def selection_links(organisation: Organisation, membership) -> dict:
    if organisation.kind not in (Organisation.Kind.FUNDER, Organisation.Kind.HUB):
        return {"is_member": False, "is_admin": False}
    is_member = CommitteeMember.objects.filter(
        user_id=membership.user_id, call__in=calls_of(organisation)
    ).exists()
    is_admin = organisation.kind == Organisation.Kind.FUNDER and membership.role == Role.ADMIN
    return {"is_member": is_member, "is_admin": is_admin}
