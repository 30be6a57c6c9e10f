from .queries import get_membership, memberships_for

SESSION_KEY = "current_organisation_id"


def _current_membership(request):
    if not request.user.is_authenticated:
        return None
    organisation_id = request.session.get(SESSION_KEY)
    membership = get_membership(request.user, organisation_id) if organisation_id else None
    if membership is None:
        membership = memberships_for(request.user).first()
        if membership is not None:
            request.session[SESSION_KEY] = membership.organisation_id
    return membership


class CurrentOrganisationMiddleware:
    """Sets ``request.membership``: the user's membership of the organisation they work for now.

    A user may belong to several organisations and switch between them; the choice is kept in
    the session and re-checked against active memberships on every request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = _current_membership(request)
        return self.get_response(request)
