from django.conf import settings

from organisations.queries import memberships_for


def passnum(request):
    membership = getattr(request, "membership", None)
    funder = membership.organisation.funder if membership else None
    return {
        "current_membership": membership,
        "current_organisation": membership.organisation if membership else None,
        "user_memberships": memberships_for(request.user) if hasattr(request, "user") else [],
        "theme_funder": funder,
        "SITE_URL": settings.SITE_URL,
    }
