from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.api import api

admin.site.site_header = "Passnum — administration"
admin.site.site_title = "Passnum"
admin.site.index_title = "Administration de la plateforme"

urlpatterns = [
    path("", include("core.urls")),
    path("compte/jetons/", include("api.urls")),
    path("compte/", include("accounts.urls")),
    path("connexion/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("organisations/", include("organisations.urls")),
    path("referentiel/", include("geo.urls")),
    path("taches/", include("jobs.urls")),
    path("pass/", include("ledger.urls")),
    path("p/", include("ledger.public_urls")),
    path("operateurs/", include("operators.urls")),
    path("opendata/", include("opendata.urls")),
    path("lieux/", include("directory.urls")),
    path("beneficiaires/", include("beneficiaries.urls")),
    path("orientation/", include("orientation.urls")),
    path("ami/", include("ami.urls")),
    path("selection/", include("selection.urls")),
    path("suivi/", include("followup.urls")),
    path("contre-paiements/", include("payments.urls")),
    path("facturation/", include("invoicing.urls")),
    path("pilotage/", include("steering.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
