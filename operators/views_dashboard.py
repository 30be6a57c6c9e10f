"""Views: the operator dashboard (see operators/urls.py)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from organisations.models import Organisation
from organisations.queries import get_membership_or_404

from . import dashboard_queries as queries


@login_required
def dashboard(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = get_membership_or_404(request.user, organisation_id)
    operator = membership.organisation
    if operator.kind != Organisation.Kind.OPERATOR:
        raise Http404("Tableau de bord réservé aux opérateurs.")
    return render(
        request,
        "operators/dashboard.html",
        {
            "organisation": operator,
            "membership": membership,
            "profile": getattr(operator, "operator_profile", None),
            "months": queries.by_month(operator),
            "services": queries.by_service(operator),
            "funders": queries.by_funder(operator),
            "totals": queries.money_totals(operator),
            "members": queries.active_members(operator),
        },
    )


urlpatterns = [
    path("<int:organisation_id>/tableau-de-bord/", dashboard, name="dashboard"),
]
